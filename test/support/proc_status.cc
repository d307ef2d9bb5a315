#include "support/proc_status.h"

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace xdsd::testing {

long ProcStatusKib(std::string_view field, pid_t pid) {
  std::ifstream status(pid == 0 ? std::string("/proc/self/status")
                                : absl::StrCat("/proc/", pid, "/status"));
  const absl::string_view wanted(field.data(), field.size());
  std::string text;
  while (std::getline(status, text)) {
    absl::string_view line = text;
    long kib = 0;
    if (absl::ConsumePrefix(&line, wanted) && absl::ConsumePrefix(&line, ":") &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) {
      return kib;
    }
  }
  return -1;
}

}  // namespace xdsd::testing

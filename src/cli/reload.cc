#include "cli/reload.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/admin_client.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {
namespace {

// How long a reload may take to answer: a large config takes a few seconds to load.
constexpr int kReloadTimeoutSeconds = 60;

std::string Member(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

int RunReload(const ReloadOptions& options, std::FILE* out, std::FILE* err) {
  absl::StatusOr<std::string> token = ReadClientToken(options.admin_token_file);
  if (!token.ok()) {
    std::fprintf(err, "xdsd reload: %s\n", std::string(token.status().message()).c_str());
    return kReloadRefused;
  }
  absl::StatusOr<AdminAnswer> answer =
      AdminPost(options, "/v1/config/reload", *token, kReloadTimeoutSeconds);
  if (!answer.ok()) {
    std::fprintf(err, "xdsd reload: %s\n", std::string(answer.status().message()).c_str());
    return kReloadUnreachable;
  }
  const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, false);
  if (!body.is_object()) {
    std::fprintf(err, "xdsd reload: %s does not answer as xdsd (HTTP %d)\n",
                 options.http_url.c_str(), answer->status);
    return kReloadUnreachable;
  }
  if (answer->status == 200) {
    std::fprintf(out, "%s: version %s\n", Member(body, "source").c_str(),
                 Member(body, "version").c_str());
    return kReloadServed;
  }
  const std::string serving = Member(body, "serving_version");
  std::fprintf(err, "xdsd reload: %s%s\n%s\n",
               serving.empty() ? "refused" : "refused; still serving version ", serving.c_str(),
               Member(body, "error").c_str());
  return kReloadRefused;
}

}  // namespace xdsd::cli

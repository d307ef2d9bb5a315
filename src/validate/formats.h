#pragma once

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// The string formats and texts of the validator, as protoc-gen-validate defines them (private
// to the validator).
namespace xdsd::validate {

bool IsIpv4(absl::string_view s);
bool IsIpv6(absl::string_view s);
bool IsIp(absl::string_view s);
bool IsHostname(absl::string_view host);
bool IsEmail(absl::string_view s);
// A URI reference: no spaces or control characters, and every '%' starts an escape.
bool IsUriRef(absl::string_view s);
bool IsUri(absl::string_view s);
bool IsUuid(absl::string_view s);
// HTTP header names and values (RFC 7230); `strict` false only forbids NUL, CR and LF.
bool IsHeaderName(absl::string_view s, bool strict);
bool IsHeaderValue(absl::string_view s, bool strict);
// The number of UTF-8 code points of `s`.
size_t Runes(absl::string_view s);
std::string Quote(absl::string_view s);
std::string DurationText(absl::Duration d);

template <typename List, typename Format>
std::string ListText(const List& list, Format format) {
  std::vector<std::string> items;
  for (const auto& item : list) items.push_back(format(item));
  return absl::StrCat("[", absl::StrJoin(items, " "), "]");
}

}  // namespace xdsd::validate

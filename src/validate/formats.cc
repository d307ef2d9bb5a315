#include "validate/formats.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"

namespace xdsd::validate {

bool IsIpv4(absl::string_view s) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}
bool IsIpv6(absl::string_view s) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}
bool IsIp(absl::string_view s) { return IsIpv4(s) || IsIpv6(s); }

bool IsHostname(absl::string_view host) {
  if (absl::EndsWith(host, ".")) host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

bool IsEmail(absl::string_view s) {
  if (absl::StartsWith(s, "<") && absl::EndsWith(s, ">")) s = s.substr(1, s.size() - 2);
  if (s.size() > 254) return false;
  const size_t at = s.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at > 64) return false;
  for (char c : s.substr(0, at)) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '<' || c == '>' || c == '(' ||
        c == ')' || c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' ||
        c == ']') {
      return false;
    }
  }
  return IsHostname(s.substr(at + 1));
}

// A URI reference: no spaces or control characters, and every '%' starts an escape.
bool IsUriRef(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c <= ' ' || c == 0x7f) return false;
    if (c == '%') {
      if (i + 2 >= s.size() + 0 || !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return false;
      }
    }
  }
  return true;
}

bool IsUri(absl::string_view s) {
  static const RE2* const scheme = new RE2("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  return IsUriRef(s) && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *scheme);
}

bool IsUuid(absl::string_view s) {
  static const RE2* const uuid =
      new RE2("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *uuid);
}

// HTTP header names and values (RFC 7230); `strict` false only forbids NUL, CR and LF.
bool IsHeaderName(absl::string_view s, bool strict) {
  if (!strict) return s.find_first_of(absl::string_view("\0\r\n", 3)) == absl::string_view::npos;
  static const RE2* const name = new RE2("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *name);
}
bool IsHeaderValue(absl::string_view s, bool strict) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (strict ? ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f)
               : (c == 0 || c == '\r' || c == '\n')) {
      return false;
    }
  }
  return true;
}

size_t Runes(absl::string_view s) {
  size_t runes = 0;
  for (char c : s) runes += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return runes;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string DurationText(absl::Duration d) {
  return d == absl::ZeroDuration() ? "0s" : absl::FormatDuration(d);
}

}  // namespace xdsd::validate

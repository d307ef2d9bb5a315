#include "admin/admin_auth.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "xdsd/refusals.h"

namespace xdsd::admin {
namespace {

constexpr size_t kMinTokenLength = 16;

// Equal strings, in a time that depends on the lengths only, never on where they differ.
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

HttpResponse Refuse(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  if (status == 401) response.set_header("WWW-Authenticate", "Bearer realm=\"xdsd\"");
  response.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
  return response;
}

}  // namespace

AdminAuth::AdminAuth(std::string token)
    : tokens_(token.empty() ? std::vector<AdminToken>()
                            : std::vector<AdminToken>{{"token", std::move(token)}}) {}

absl::StatusOr<std::vector<AdminToken>> AdminAuth::ReadTokenFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read the admin token file ", path));
  std::stringstream read;
  read << file.rdbuf();
  const std::string text = read.str();
  auto error = [&](int line, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "admin token file ", path, line > 0 ? absl::StrCat(":", line) : "", ": ", why));
  };
  std::vector<AdminToken> tokens;
  std::vector<std::pair<int, std::vector<std::string>>> lines;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    lines.emplace_back(number, absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty()));
  }
  if (lines.size() == 1 && lines[0].second.size() == 1) {  // one token alone
    tokens.push_back({"token", lines[0].second[0]});
  } else {
    for (const auto& [line, fields] : lines) {
      if (fields.size() != 2) return error(line, "expected NAME TOKEN");
      const std::string& name = fields[0];
      if (!std::all_of(name.begin(), name.end(), [](char c) {
            return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '@' || c == '-';
          })) {
        return error(line, "a name has only letters, digits and . _ @ -");
      }
      for (const AdminToken& earlier : tokens) {
        if (earlier.name == name) return error(line, absl::StrCat("the name ", name, " again"));
        if (earlier.token == fields[1]) return error(line, "a token given twice");
      }
      tokens.push_back({name, fields[1]});
    }
  }
  if (tokens.empty()) return error(0, "no token");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].token.size() < kMinTokenLength) {
      return error(lines[i].first, absl::StrCat("the token of ", tokens[i].name, " has fewer than ",
                                                kMinTokenLength, " characters"));
    }
  }
  return tokens;
}

std::optional<std::string> AdminAuth::TokenName(const HttpRequest& request) const {
  const std::string header = request.header("authorization");
  absl::string_view given(header);
  if (!absl::ConsumePrefix(&given, "Bearer ")) return std::nullopt;
  const std::string presented(absl::StripAsciiWhitespace(given));
  std::optional<std::string> name;
  for (const AdminToken& token : tokens_) {
    if (ConstantTimeEquals(presented, token.token)) name = token.name;
  }
  return name;
}

std::optional<HttpResponse> AdminAuth::Check(const HttpRequest& request, Access access) const {
  if (tokens_.empty()) {
    if (access == Access::kContents) return std::nullopt;
    CountRefusal("admin_no_token_file", absl::StrCat(request.method, " ", request.path));
    return Refuse(403,
                  "changes over the admin API are disabled: start xdsd with --admin-token-file "
                  "FILE and send the header \"Authorization: Bearer <the file's token>\"");
  }
  if (TokenName(request).has_value()) return std::nullopt;
  CountRefusal("admin_unauthorized",
               absl::StrCat(request.method, " ", request.path, " from ", request.peer));
  return Refuse(401, "a valid \"Authorization: Bearer <token>\" header is required");
}

std::string AdminAuth::Who(const HttpRequest& request) const {
  if (std::optional<std::string> name = TokenName(request)) {
    return absl::StrCat(*name, " (from ", request.peer, ")");
  }
  return request.peer;
}

}  // namespace xdsd::admin

#include "admin/admin_auth.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::string> AdminAuth::ReadTokenFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read the admin token file ", path));
  std::stringstream text;
  text << file.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.size() < kMinTokenLength) {
    return absl::InvalidArgumentError(absl::StrCat("the admin token in ", path, " has fewer than ",
                                                   kMinTokenLength, " characters"));
  }
  return token;
}

bool AdminAuth::HasToken(const HttpRequest& request) const {
  const std::string header = request.header("authorization");
  absl::string_view given(header);
  if (!absl::ConsumePrefix(&given, "Bearer ")) return false;
  return ConstantTimeEquals(std::string(absl::StripAsciiWhitespace(given)), token_);
}

std::optional<HttpResponse> AdminAuth::Check(const HttpRequest& request, Access access) const {
  if (token_.empty()) {
    if (access == Access::kContents) return std::nullopt;
    CountRefusal("admin_no_token_file", absl::StrCat(request.method, " ", request.path));
    return Refuse(403,
                  "changes over the admin API are disabled: start xdsd with --admin-token-file "
                  "FILE and send the header \"Authorization: Bearer <the file's token>\"");
  }
  if (HasToken(request)) return std::nullopt;
  CountRefusal("admin_unauthorized",
               absl::StrCat(request.method, " ", request.path, " from ", request.peer));
  return Refuse(401, "a valid \"Authorization: Bearer <token>\" header is required");
}

std::string AdminAuth::Who(const HttpRequest& request) const {
  if (!token_.empty() && HasToken(request)) return absl::StrCat("token (from ", request.peer, ")");
  return request.peer;
}

}  // namespace xdsd::admin

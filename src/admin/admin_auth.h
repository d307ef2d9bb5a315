#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "admin/http_server.h"

namespace xdsd::admin {

// One person's (or one program's) admin token: the name is what the log says made a change.
struct AdminToken {
  std::string name;
  std::string token;
};

// Who may do what on the admin HTTP server. Open endpoints (health, metrics, node status, the
// dashboard) need nothing; the others need `Authorization: Bearer TOKEN` with a token of
// --admin-token-file:
//
//   kChange    changes state (the fleet API). Without a token file: 403, saying how to enable
//              it. A missing or wrong token: 401.
//   kContents  shows resource contents (config dumps). Without a token file it stays open on
//              the admin address (secrets are redacted anyway); with one, a token is needed.
//
// Thread-safe (immutable after construction).
class AdminAuth {
 public:
  enum class Access { kChange, kContents };

  // `token` empty: no token file was given; else one token, named "token".
  explicit AdminAuth(std::string token = "");
  // Any of `tokens` is accepted; empty: no token file was given.
  explicit AdminAuth(std::vector<AdminToken> tokens) : tokens_(std::move(tokens)) {}

  // Reads the tokens from `path`, either one token alone (the whole file, named "token"), or
  // one `NAME TOKEN` per line (blank lines and lines starting with # are skipped). Every token
  // has 16 characters or more; names (letters, digits, . _ @ -) and tokens are unique. Errors
  // name the line, never a token.
  static absl::StatusOr<std::vector<AdminToken>> ReadTokenFile(const std::string& path);

  // An error response when `request` may not have `access`, else nullopt.
  std::optional<HttpResponse> Check(const HttpRequest& request, Access access) const;

  // Who made `request`, for the log: the name of the token it carried and the peer
  // ("alice (from 127.0.0.1:5000)"), or the peer alone.
  std::string Who(const HttpRequest& request) const;

  bool has_token() const { return !tokens_.empty(); }

 private:
  // The name of the token `request` carries; nullopt when it carries none of them. Every token
  // is compared, each in constant time, so the time says nothing about which one is near.
  std::optional<std::string> TokenName(const HttpRequest& request) const;

  const std::vector<AdminToken> tokens_;
};

}  // namespace xdsd::admin

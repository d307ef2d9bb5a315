#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "admin/http_server.h"

namespace xdsd::admin {

// Who may do what on the admin HTTP server. Open endpoints (health, metrics, node status, the
// dashboard) need nothing; the others need `Authorization: Bearer TOKEN` with the token of
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

  // `token` empty: no token file was given.
  explicit AdminAuth(std::string token = "") : token_(std::move(token)) {}

  // Reads the token from `path`: the file's text without surrounding white space, at least 16
  // characters.
  static absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

  // An error response when `request` may not have `access`, else nullopt.
  std::optional<HttpResponse> Check(const HttpRequest& request, Access access) const;

  // Who made `request`, for the log: "token" when it carried the right token, else the peer.
  std::string Who(const HttpRequest& request) const;

  bool has_token() const { return !token_.empty(); }

 private:
  bool HasToken(const HttpRequest& request) const;

  const std::string token_;
};

}  // namespace xdsd::admin

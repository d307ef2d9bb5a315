#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "config/config_loader.h"
#include "xdsd/callbacks.h"

namespace xdsd::config {

// Enforces a config's `authorization:` and `csds_identities:` (config_loader.h) against the
// identities of a client's certificate (StreamInfo::identities, from mutual TLS).
//
// A stream may claim its node when some rule's identity glob matches one of the stream's
// identities, one of the rule's node globs matches node.id, and (when the rule has clusters)
// one of its cluster globs matches node.cluster. Without an `authorization:` section every
// stream may claim any node; an empty section refuses every node. A stream without identities
// (plaintext) matches no rule, so rules without mutual TLS refuse everything: they fail
// closed.
//
// Thread-safe: the rules are swapped whole (SetConfig, on every reload) and each check reads
// one consistent set.
class NodeAuthorizer : public Callbacks {
 public:
  // Takes the rules of `config` for the streams that name their node from now on.
  void SetConfig(const Config& config);

  // PERMISSION_DENIED, counted as the refusal "node_not_authorized", when no rule lets the
  // stream's identities claim `node`.
  absl::Status OnStreamNode(const StreamInfo& stream,
                            const envoy::config::core::v3::Node& node) override;

  // Whether a client holding `identities` may read the status of every node (CSDS):
  // PERMISSION_DENIED (counted as "csds_not_authorized") unless `mutual_tls` is off (nothing
  // to check: the port has no identities) or one of `csds_identities:` matches one of them.
  // Under mutual TLS with no `csds_identities:`, nobody may: the status shows every node's
  // config.
  absl::Status MayReadStatus(const std::vector<std::string>& identities, bool mutual_tls) const;

 private:
  struct Rules {
    std::optional<std::vector<AuthorizationRule>> authorization;
    std::vector<std::string> csds_identities;
  };
  std::shared_ptr<const Rules> rules() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Rules> rules_ ABSL_GUARDED_BY(mu_) = std::make_shared<Rules>();
};

// True when `rule` lets a client holding `identities` claim `node`.
bool RuleAllows(const AuthorizationRule& rule, const std::vector<std::string>& identities,
                const envoy::config::core::v3::Node& node);

}  // namespace xdsd::config

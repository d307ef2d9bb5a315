#include "config/node_authorizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/glob.h"
#include "xdsd/refusals.h"

namespace xdsd::config {
namespace {

bool AnyMatches(const std::vector<std::string>& globs, std::string_view text) {
  for (const std::string& glob : globs) {
    if (GlobMatches(glob, text)) return true;
  }
  return false;
}

bool AnyIdentityMatches(std::string_view glob, const std::vector<std::string>& identities) {
  for (const std::string& identity : identities) {
    if (GlobMatches(glob, identity)) return true;
  }
  return false;
}

std::string Describe(const std::vector<std::string>& identities) {
  return identities.empty() ? std::string("no client certificate identity")
                            : absl::StrCat("identities [", absl::StrJoin(identities, ", "), "]");
}

}  // namespace

bool RuleAllows(const AuthorizationRule& rule, const std::vector<std::string>& identities,
                const envoy::config::core::v3::Node& node) {
  return AnyIdentityMatches(rule.identity_glob, identities) &&
         AnyMatches(rule.node_id_globs, node.id()) &&
         (rule.cluster_globs.empty() || AnyMatches(rule.cluster_globs, node.cluster()));
}

void NodeAuthorizer::SetConfig(const Config& config) {
  auto rules = std::make_shared<Rules>();
  rules->authorization = config.authorization;
  rules->csds_identities = config.csds_identities.value_or(std::vector<std::string>{});
  absl::MutexLock lock(&mu_);
  rules_ = std::move(rules);
}

std::shared_ptr<const NodeAuthorizer::Rules> NodeAuthorizer::rules() const {
  absl::MutexLock lock(&mu_);
  return rules_;
}

absl::Status NodeAuthorizer::OnStreamNode(const StreamInfo& stream,
                                          const envoy::config::core::v3::Node& node) {
  const std::shared_ptr<const Rules> rules = this->rules();
  if (!rules->authorization.has_value()) return absl::OkStatus();
  for (const AuthorizationRule& rule : *rules->authorization) {
    if (RuleAllows(rule, stream.identities, node)) return absl::OkStatus();
  }
  const std::string message = absl::StrCat(
      "node \"", node.id(), "\" (cluster \"", node.cluster(), "\") is not authorized for ",
      Describe(stream.identities), ": no rule of the config's authorization section allows it");
  CountRefusal("node_not_authorized", absl::StrCat(stream.peer, ": ", message));
  return absl::PermissionDeniedError(message);
}

absl::Status NodeAuthorizer::MayReadStatus(const std::vector<std::string>& identities,
                                           bool mutual_tls) const {
  if (!mutual_tls) return absl::OkStatus();
  const std::shared_ptr<const Rules> rules = this->rules();
  for (const std::string& glob : rules->csds_identities) {
    if (AnyIdentityMatches(glob, identities)) return absl::OkStatus();
  }
  const std::string message =
      absl::StrCat("client status (CSDS) is not readable with ", Describe(identities),
                   ": no glob of the config's csds_identities matches");
  CountRefusal("csds_not_authorized", message);
  return absl::PermissionDeniedError(message);
}

}  // namespace xdsd::config

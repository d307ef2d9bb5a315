#include "status/client_status_service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/redaction.h"
#include "google/protobuf/util/time_util.h"
#include "status/server_reflection_v1.h"
#include "xdsd/refusals.h"
#include "xdsd/resource_types.h"
#include "xdsd/server.h"
#include "xdsd/status_codes.h"

namespace xdsd::status {
namespace {

using envoy::admin::v3::ClientResourceStatus;
using envoy::service::status::v3::ClientConfig;
using envoy::service::status::v3::ClientStatusRequest;
using envoy::service::status::v3::ClientStatusResponse;
using envoy::service::status::v3::ConfigStatus;
using envoy::type::matcher::v3::NodeMatcher;
using envoy::type::matcher::v3::StringMatcher;

absl::StatusOr<bool> Matches(const StringMatcher& matcher, const std::string& value) {
  std::string subject = value;
  auto pattern = [&](const std::string& p) {
    return matcher.ignore_case() ? absl::AsciiStrToLower(p) : p;
  };
  if (matcher.ignore_case()) absl::AsciiStrToLower(&subject);
  switch (matcher.match_pattern_case()) {
    case StringMatcher::kExact:
      return subject == pattern(matcher.exact());
    case StringMatcher::kPrefix:
      return absl::StartsWith(subject, pattern(matcher.prefix()));
    case StringMatcher::kSuffix:
      return absl::EndsWith(subject, pattern(matcher.suffix()));
    case StringMatcher::kContains:
      return absl::StrContains(subject, pattern(matcher.contains()));
    case StringMatcher::MATCH_PATTERN_NOT_SET:
      return true;
    default:
      return absl::UnimplementedError(
          "node_matchers: xdsd matches node ids by exact, prefix, suffix or contains only");
  }
}

// True when `node` matches any of `matchers`, or there are none.
absl::StatusOr<bool> MatchesAny(const google::protobuf::RepeatedPtrField<NodeMatcher>& matchers,
                                const envoy::config::core::v3::Node& node) {
  if (matchers.empty()) return true;
  for (const NodeMatcher& matcher : matchers) {
    if (!matcher.node_metadatas().empty()) {
      return absl::UnimplementedError("node_matchers: xdsd does not match node metadata");
    }
    absl::StatusOr<bool> matches =
        matcher.has_node_id() ? Matches(matcher.node_id(), node.id()) : absl::StatusOr<bool>(true);
    if (!matches.ok() || *matches) return matches;
  }
  return false;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

bool Happened(absl::Time time) { return time != absl::InfinitePast(); }

// The fields that every resource of one type shares.
ClientConfig::GenericXdsConfig TypeTemplate(const TypeStatus& type) {
  ClientConfig::GenericXdsConfig config;
  config.set_type_url(type.type_url);
  config.set_version_info(type.version_acked);
  if (Happened(type.acked_at)) *config.mutable_last_updated() = ToTimestamp(type.acked_at);
  switch (type.state) {
    case SyncState::kSynced:
      config.set_client_status(envoy::admin::v3::ACKED);
      config.set_config_status(envoy::service::status::v3::SYNCED);
      break;
    case SyncState::kPending:
      config.set_client_status(envoy::admin::v3::REQUESTED);
      config.set_config_status(envoy::service::status::v3::STALE);
      break;
    case SyncState::kNacked: {
      config.set_client_status(envoy::admin::v3::NACKED);
      config.set_config_status(envoy::service::status::v3::ERROR);
      envoy::admin::v3::UpdateFailureState* error = config.mutable_error_state();
      error->set_details(type.nack_error);
      error->set_version_info(type.version_nacked);
      if (Happened(type.nacked_at)) {
        *error->mutable_last_update_attempt() = ToTimestamp(type.nacked_at);
      }
      break;
    }
    case SyncState::kNotSent:
      config.set_client_status(envoy::admin::v3::REQUESTED);
      config.set_config_status(envoy::service::status::v3::NOT_SENT);
      break;
  }
  return config;
}

ClientConfig NodeConfig(const NodeStatus& status, const SnapshotPtr& snapshot,
                        const SentResources* sent, bool exclude_contents) {
  ClientConfig config;
  *config.mutable_node() = status.node;
  for (const TypeStatus& type : status.types) {
    const ClientConfig::GenericXdsConfig shared = TypeTemplate(type);
    std::vector<std::string> names;
    if (sent != nullptr) {
      names = sent->Names(status.node.id(), type.type_url);
    } else if (snapshot != nullptr) {
      for (const auto& [name, resource] : snapshot->Resources(type.type_url)) names.push_back(name);
    }
    if (names.empty()) {
      *config.add_generic_xds_configs() = shared;
      continue;
    }
    for (const std::string& name : names) {
      ClientConfig::GenericXdsConfig* resource_config = config.add_generic_xds_configs();
      *resource_config = shared;
      resource_config->set_name(name);
      if (exclude_contents || snapshot == nullptr) continue;
      if (ResourcePtr resource = snapshot->Find(type.type_url, name)) {
        resource_config->mutable_xds_config()->ParseFromString(resource->any_bytes());
        api::RedactSecrets(resource_config->mutable_xds_config());  // never shown, as in Envoy
      }
    }
  }
  return config;
}

// One StreamClientStatus call: read a request, write its answer, read the next; one operation
// at a time, so no lock is needed. Deletes itself when gRPC is done with it.
class StatusStream final
    : public grpc::ServerBidiReactor<ClientStatusRequest, ClientStatusResponse> {
 public:
  // `allowed`: the service's read check; an error finishes the call at once.
  StatusStream(const SnapshotCache* cache, const SentResources* sent, const absl::Status& allowed)
      : cache_(cache), sent_(sent) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished its side, or the call broke
      Finish(grpc::Status::OK);
      return;
    }
    absl::StatusOr<ClientStatusResponse> response = ClientStatus(*cache_, sent_, request_);
    if (!response.ok()) {
      Finish(ToGrpcStatus(response.status()));
      return;
    }
    response_ = *std::move(response);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const SnapshotCache* const cache_;
  const SentResources* const sent_;
  ClientStatusRequest request_;
  ClientStatusResponse response_;  // kept alive until OnWriteDone
};

}  // namespace

absl::StatusOr<ClientStatusResponse> ClientStatus(const SnapshotCache& cache,
                                                  const SentResources* sent,
                                                  const ClientStatusRequest& request) {
  ClientStatusResponse response;
  // The connected nodes, a page at a time, so that no answer copies the whole fleet.
  NodePageQuery query;
  query.connected_only = true;
  query.limit = 256;
  do {
    NodePage page = cache.node_status().Page(query);
    for (const NodeStatus& status : page.nodes) {
      absl::StatusOr<bool> matches = MatchesAny(request.node_matchers(), status.node);
      if (!matches.ok()) return matches.status();
      if (!*matches) continue;
      if (static_cast<size_t>(response.config_size()) >= kMaxCsdsNodes) {
        CountRefusal("csds_nodes_capped",
                     absl::StrCat("a CSDS answer holds the first ", kMaxCsdsNodes,
                                  " matching nodes; narrow node_matchers for the others"));
        return response;
      }
      const SnapshotPtr snapshot = cache.GetSnapshot(cache.KeyOf(status.node));
      *response.add_config() =
          NodeConfig(status, snapshot, sent, request.exclude_resource_contents());
    }
    query.after = std::move(page.next_after);
  } while (!query.after.empty());
  return response;
}

grpc::ServerUnaryReactor* ClientStatusService::FetchClientStatus(
    grpc::CallbackServerContext* context, const ClientStatusRequest* request,
    ClientStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status allowed = MayRead(context); !allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<ClientStatusResponse> answer = ClientStatus(*cache_, sent_, *request);
  if (!answer.ok()) {
    reactor->Finish(ToGrpcStatus(answer.status()));
    return reactor;
  }
  *response = *std::move(answer);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerBidiReactor<ClientStatusRequest, ClientStatusResponse>*
ClientStatusService::StreamClientStatus(grpc::CallbackServerContext* context) {
  return new StatusStream(cache_, sent_, MayRead(context));
}

absl::Status ClientStatusService::MayRead(grpc::CallbackServerContext* context) const {
  if (!read_check_) return absl::OkStatus();
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  return read_check_(auth != nullptr ? PeerIdentities(*auth) : std::vector<std::string>{});
}

void AddStatusServices(grpc::ServerBuilder& builder, ClientStatusService* csds) {
  builder.RegisterService(csds);
  // Reflection v1 beside the library's v1alpha; it lists what every xdsd serves.
  static ServerReflectionV1* const reflection_v1 = [] {
    std::vector<std::string> services = {
        "envoy.service.discovery.v3.AggregatedDiscoveryService",
        "envoy.service.status.v3.ClientStatusDiscoveryService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"};
    for (const ResourceType& type : kResourceTypes) services.emplace_back(type.grpc_service);
    return new ServerReflectionV1(std::move(services));
  }();
  builder.RegisterService(reflection_v1);
  // A process-wide switch, read when the server is built.
  grpc::EnableDefaultHealthCheckService(true);
}

void EnableServerReflection() {
  // Idempotent. libgrpc++_reflection also registers its plugin when it is loaded; calling this
  // makes sure it is linked and loaded.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
}

}  // namespace xdsd::status

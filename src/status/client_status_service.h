#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "envoy/service/status/v3/csds.grpc.pb.h"
#include "status/sent_resources.h"
#include "xdsd/snapshot_cache.h"

namespace grpc {
class ServerBuilder;
}

namespace xdsd::status {

// The Client Status Discovery Service answer for `request`: one ClientConfig per connected node
// that matches any of request.node_matchers (every connected node when there are none), with a
// GenericXdsConfig per resource the node holds (per type it asked for, one without a name when it
// holds none), derived from the node's TypeStatus:
//
//   TypeStatus state   client_status   config_status   version_info
//   SYNCED             ACKED           SYNCED          the ACKed version
//   PENDING            REQUESTED       STALE           the ACKed version (the sent one is not yet)
//   NACKED             NACKED          ERROR           the ACKed version; error_state holds the
//                                                      rejected version, Envoy's error and time
//   NOT_SENT           REQUESTED       NOT_SENT        ""
//
// xds_config is the resource as the node's snapshot holds it now (left out with
// exclude_resource_contents, or when the snapshot no longer has it). The names come from
// `sent` (null: every resource of the type in the node's snapshot).
//
// Node matchers match node.id with a StringMatcher (exact, prefix, suffix, contains; ignore_case
// honoured). Unimplemented for safe_regex and node_metadatas matchers, which xdsd does not
// evaluate: answering them with every node would be wrong.
//
// One answer holds at most kMaxCsdsNodes nodes (the first by node.id); past it, the refusal
// csds_nodes_capped is counted and logged.
inline constexpr size_t kMaxCsdsNodes = 1000;
absl::StatusOr<envoy::service::status::v3::ClientStatusResponse> ClientStatus(
    const SnapshotCache& cache, const SentResources* sent,
    const envoy::service::status::v3::ClientStatusRequest& request);

// envoy.service.status.v3.ClientStatusDiscoveryService over ClientStatus(): FetchClientStatus
// answers once; StreamClientStatus answers each request on the stream in turn.
//
// Thread-safe: every call reads the cache's thread-safe status. The cache and `sent` must
// outlive every server it is registered on.
class ClientStatusService final
    : public envoy::service::status::v3::ClientStatusDiscoveryService::CallbackService {
 public:
  ClientStatusService(const SnapshotCache* cache, const SentResources* sent)
      : cache_(cache), sent_(sent) {}

  // Who may read: called with the caller's certificate identities (URI then DNS SANs; empty
  // without a verified client certificate) for every call; an error answers the call with it.
  // Unset, everyone may. Set it before the server starts.
  using ReadCheck = std::function<absl::Status(const std::vector<std::string>& identities)>;
  void SetReadCheck(ReadCheck check) { read_check_ = std::move(check); }

  grpc::ServerUnaryReactor* FetchClientStatus(
      grpc::CallbackServerContext* context,
      const envoy::service::status::v3::ClientStatusRequest* request,
      envoy::service::status::v3::ClientStatusResponse* response) override;
  grpc::ServerBidiReactor<envoy::service::status::v3::ClientStatusRequest,
                          envoy::service::status::v3::ClientStatusResponse>*
  StreamClientStatus(grpc::CallbackServerContext* context) override;

 private:
  // The read check's verdict on the caller of `context`.
  absl::Status MayRead(grpc::CallbackServerContext* context) const;

  const SnapshotCache* const cache_;
  const SentResources* const sent_;
  ReadCheck read_check_;  // constant once the server starts
};

// Adds to `builder`, for the xDS gRPC port: `csds`, gRPC server reflection v1
// (ServerReflectionV1; EnableServerReflection adds v1alpha) and gRPC health checking
// (grpc.health.v1.Health, gRPC's default service: "" and every registered service report SERVING
// once the server starts; set NOT_SERVING with
// server->GetHealthCheckService()->SetServingStatus(false) when stopping). `csds` must outlive
// the server. Meant for StartGrpcServer's `configure` hook.
void AddStatusServices(grpc::ServerBuilder& builder, ClientStatusService* csds);

// Serves gRPC server reflection (grpc.reflection.v1alpha.ServerReflection) on every gRPC server
// built after the call: gRPC's reflection is a process-wide builder plugin, so this must come
// before StartGrpcServer (a `configure` hook is too late). Reflection lists every typed service
// (the xDS services, CSDS, health, reflection) and describes any type of the generated pool.
void EnableServerReflection();

}  // namespace xdsd::status

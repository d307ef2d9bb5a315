#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "admin/admin_auth.h"
#include "admin/http_server.h"
#include "admin/xds_metrics.h"
#include "nlohmann/json.hpp"
#include "rest/fleet_api.h"
#include "rest/history_api.h"
#include "rest/rest_gateway.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::admin {

// The admin HTTP server: what an operator or a health checker asks xdsd.
//
//   GET /healthz          200 "ok": the process is alive
//   GET /readyz           200 "ready" once the config is loaded and the xDS gRPC server serves
//                         (SetConfigLoaded, SetGrpcServing); 503 with what is missing before
//                         that and while stopping
//   GET /metrics          Prometheus text: the stream metrics (SetMetrics) and what the cache
//                         serves (WriteSnapshotMetrics)
//   GET /v1/nodes         the nodes the cache remembers, as a JSON array (NodeStatusToJson) in
//                         node.id order, a page at a time: ?limit=N (default 1000, at most
//                         10000), &after=ID; the header X-Next-After is the next page's
//                         `after` (absent on the last page); ?connected=true keeps the nodes
//                         with an open stream; ?metadata=1 adds each node's metadata
//   GET /v1/nodes/{id}    one node as a JSON object (?metadata=1 as above); 404 when never seen
//                         or forgotten
//   GET /v1/config        the config being served and the last load error (SetConfigStatus)
//   POST /v1/config/reload   loads the config now (SetConfigReload); needs the token
//   GET /v1/config/resources the names of the config's resources by type (SetConfigResources)
//   GET /v1/config_dump?node={id}   the resources that node is served, as Envoy JSON
//                         (ConfigDumpToJson, secrets redacted); 404 for a node never seen, 400
//                         without ?node; needs the token when there is one (AdminAuth)
//   POST /v3/discovery:{type}   the xDS REST gateway (SetRestGateway); never serves secrets
//   /v1/fleet/{type}[/{name}]   the fleet overlay: GET; PUT, DELETE, POST need the token
//                         (SetFleetApi); each change is logged with who made it (SetChangeLog)
//   GET /v1/config/history        the revisions kept (SetHistoryApi)
//   GET /v1/config/diff?from=A&to=B   what changed between two revisions, field by field
//                         (secrets redacted); needs the token when there is one
//   POST /v1/config/rollback      {"revision": N}: serve N again; needs the token, logged
//   GET /v1/rollout               each group's progressive rollout (RolloutToJson)
//   POST /v1/rollout/promote, /v1/rollout/abort   the next wave now; every node back to the
//                         previous revision; need the token, logged
//
// Requests are served by HttpServer (event-driven, bounded: see HttpServerOptions); each reads
// the cache's thread-safe status.
//
// Thread-compatible: Start, Stop and the Set* calls marked "Before Start" are made by one owner
// thread. SetConfigLoaded and SetGrpcServing are thread-safe and may be called at any time. The
// cache must outlive the server.
class AdminServer {
 public:
  explicit AdminServer(const SnapshotCache* cache, HttpServerOptions options = {},
                       AdminAuth auth = AdminAuth());
  ~AdminServer();  // stops the server
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Serves GET /v1/config with what `status` returns. Before Start.
  void SetConfigStatus(std::function<nlohmann::json()> status);
  // What a reload answers: the HTTP status and the JSON body.
  struct ReloadReply {
    int status = 200;
    nlohmann::json body;
  };
  // Serves POST /v1/config/reload (the token's kChange access) with `reload`, which loads the
  // config and says how it went. Before Start.
  void SetConfigReload(std::function<ReloadReply()> reload);
  // Serves GET /v1/config/resources with the JSON text `resources` returns (names only, no
  // contents). Before Start.
  void SetConfigResources(std::function<std::string()> resources);
  // Adds what `write` writes to GET /metrics (a config source's own metrics). Before Start.
  void SetSourceMetrics(std::function<void(PrometheusText&)> write);
  // Serves POST /v3/discovery:{type} with `gateway`, which must outlive the server. Before Start.
  void SetRestGateway(const rest::RestGateway* gateway);
  // Serves /v1/fleet/... with `fleet`, which must outlive the server. Before Start.
  void SetFleetApi(const rest::FleetApi* fleet);
  // Serves /v1/config/history, diff and rollback with `history`, which must outlive the
  // server. Before Start.
  void SetHistoryApi(const rest::HistoryApi* history);
  // Serves GET /metrics with `metrics` besides the cache's own figures; `metrics` must outlive
  // the server. Before Start. Without it, /metrics has the cache's figures only.
  void SetMetrics(const XdsMetrics* metrics);
  // Called after each accepted change with who made it and what it was. Before Start.
  void SetChangeLog(std::function<void(const std::string& who, const std::string& what)> log);

  // Readiness, for GET /readyz. Both start false.
  void SetConfigLoaded(bool loaded) { config_loaded_.store(loaded); }
  void SetGrpcServing(bool serving) { grpc_serving_.store(serving); }

  // Binds `host`:`port` (port 0 picks a free one) and starts serving on a background thread.
  // Returns the bound port. Fails with Unavailable when the address cannot be bound. At most
  // once per server.
  absl::StatusOr<int> Start(const std::string& host, int port);

  // Stops accepting, finishes the requests under way and joins the thread. Idempotent.
  void Stop();

 private:
  void AddRoutes();
  void AddHistoryRoutes();

  const SnapshotCache* const cache_;
  std::function<nlohmann::json()> config_status_;
  std::function<ReloadReply()> config_reload_;
  std::function<std::string()> config_resources_;
  std::function<void(PrometheusText&)> source_metrics_;
  const rest::RestGateway* rest_gateway_ = nullptr;
  const rest::FleetApi* fleet_api_ = nullptr;
  const rest::HistoryApi* history_api_ = nullptr;
  const XdsMetrics* metrics_ = nullptr;
  const AdminAuth auth_;
  std::function<void(const std::string&, const std::string&)> change_log_;
  std::atomic<bool> config_loaded_{false};
  std::atomic<bool> grpc_serving_{false};
  std::unique_ptr<HttpServer> http_;
};

}  // namespace xdsd::admin

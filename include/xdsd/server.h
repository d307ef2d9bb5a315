#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "xdsd/cache.h"
#include "xdsd/callbacks.h"

namespace grpc {
class Server;
class ServerBuilder;
}  // namespace grpc

namespace xdsd {

// The xDS gRPC services (go-control-plane's server.Server), served from a Cache (usually a
// SnapshotCache): AggregatedDiscoveryService and the
// per-type services (clusters, endpoints, listeners, routes, scoped routes, virtual hosts,
// secrets, runtime, extension configs), state of the world and delta, streaming and Fetch.
//
// The services are typed gRPC services whose methods take raw bytes (so server reflection
// lists them): a response is assembled from the serialized resources of the snapshot, encoded
// once and shared by every stream, never re-serialized. No generic service is registered:
// a program keeps the ServerBuilder's one generic-service slot for its own use.
//
// Thread-safe. The cache and the callbacks must outlive every gRPC server it is registered on.
class XdsServer {
 public:
  // `callbacks` may be null. They see every stream event first; the cache's own
  // StreamObserver (SnapshotCache: node status, push reports) sees those they did not refuse.
  XdsServer(Cache* cache, Callbacks* callbacks);
  ~XdsServer();
  XdsServer(const XdsServer&) = delete;
  XdsServer& operator=(const XdsServer&) = delete;

  // Adds the xDS services to `builder`.
  void RegisterOn(grpc::ServerBuilder& builder);

  // The most resource names one stream may subscribe to, over all its types (default 100,000):
  // a request past it ends the stream with RESOURCE_EXHAUSTED. Before serving.
  void SetMaxNamesPerStream(size_t max_names);

  // Streams open now.
  int64_t open_streams() const;

  class Impl;  // the services and their stream reactors, in xds_server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

// The largest message a gRPC server of StartGrpcServer receives by default, as grpc-go and
// istiod: a larger one fails its call with RESOURCE_EXHAUSTED. `configure` may set another.
inline constexpr int kDefaultMaxGrpcMessageBytes = 4 << 20;

// Starts a gRPC server on `address` ("0.0.0.0:18000", "127.0.0.1:0") serving `xds`, with
// keepalive settings fit for long-lived xDS streams. `*bound_port` gets the port (useful with
// port 0). `configure`, when given, adds more to the builder before it starts (typed services
// such as CSDS or health checking, options).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure = nullptr);

}  // namespace xdsd

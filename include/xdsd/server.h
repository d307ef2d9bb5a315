#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "xdsd/cache.h"
#include "xdsd/callbacks.h"

namespace grpc {
class AuthContext;
class Server;
class ServerBuilder;
class ServerCredentials;
}  // namespace grpc

namespace xdsd {

// What a stream may cost the server before it is cut off. Every limit ends the stream with an
// error that the node's status shows (NodeStatus::last_stream_error) and counts a refusal
// (xdsd_refused_total{reason}).
struct StreamLimits {
  // A stream that sends no request within this is closed with DEADLINE_EXCEEDED (reason
  // "first_request_timeout"): an idle connection must not hold a stream forever.
  absl::Duration first_request_timeout = absl::Seconds(30);
  // A response whose write makes no progress for this long (the client stopped reading) closes
  // the stream (reason "send_timeout"): its flow-control window never reopens.
  absl::Duration send_timeout = absl::Seconds(60);
  // At most this many streams at once on one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS;
  // a client that wants more waits, gRPC refuses nothing, so nothing is counted). 0: no limit.
  int max_streams_per_connection = 100;
  // The largest request message (serialized) a stream or Fetch takes, as grpc-go and istiod: a
  // larger one ends its call with RESOURCE_EXHAUSTED and is counted (reason
  // "grpc_message_too_large"). gRPC's own limit is set above it (kGrpcMessageCeilingFactor), so
  // that xdsd, not gRPC, sees and counts the refusal.
  size_t max_message_bytes = size_t{4} << 20;
};

// gRPC's own receive limit is this many times StreamLimits::max_message_bytes: messages past it
// are refused by gRPC before xdsd sees them (not counted). gRPC holds a whole message in memory
// before any limit is checked, so the headroom costs no memory; it bounds what the typed
// services (CSDS) parse.
inline constexpr size_t kGrpcMessageCeilingFactor = 4;

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
  XdsServer(Cache* cache, Callbacks* callbacks, StreamLimits limits = {});
  ~XdsServer();
  XdsServer(const XdsServer&) = delete;
  XdsServer& operator=(const XdsServer&) = delete;

  // Adds the xDS services to `builder`.
  void RegisterOn(grpc::ServerBuilder& builder);

  // The most resource names one stream may subscribe to, over all its types (default 100,000):
  // a request past it ends the stream with RESOURCE_EXHAUSTED. Before serving.
  void SetMaxNamesPerStream(size_t max_names);

  // What a client's NACK error text (error_detail.message, which Envoy fills with the resource
  // it rejected) becomes before any callback, status or log sees it. By default every private
  // key PEM block is redacted (RedactPrivateKeyBlocks, xdsd/secret_text.h). Before serving.
  void SetErrorTextRedactor(std::function<std::string(std::string_view)> redact);

  // Whether every state-of-the-world response carries the whole subscription. By default only
  // listeners and clusters do (the protocol requires it of them); a response of another type
  // carries just the resources that changed, and the client keeps the rest. Before serving.
  void SetSotwFullResponses(bool full);

  // Streams open now.
  int64_t open_streams() const;
  const StreamLimits& limits() const;

  class Impl;  // the services and their stream reactors, in xds_server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

// Starts a gRPC server on `address` ("0.0.0.0:18000", "127.0.0.1:0") serving `xds`, with
// keepalive settings fit for long-lived xDS streams and xds.limits().max_streams_per_connection.
// `*bound_port` gets the port (useful with port 0). `configure`, when given, adds more to the
// builder before it starts (typed services such as CSDS or health checking, options).
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure = nullptr);
// The same, with `credentials` (e.g. MakeServerTlsCredentials) instead of plaintext.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(
    XdsServer& xds, const std::string& address,
    const std::shared_ptr<grpc::ServerCredentials>& credentials, int* bound_port,
    const std::function<void(grpc::ServerBuilder&)>& configure = nullptr);

// TLS on the xDS port.
struct ServerTlsOptions {
  std::string cert_file;  // the server's certificate chain (PEM)
  std::string key_file;   // its private key (PEM)
  // The CA (PEM) whose certificates clients must present (mutual TLS); empty: clients are not
  // asked for a certificate.
  std::string client_ca_file;
  // How often the files are read again: a rotated certificate (or CA) is used for the
  // connections made after it is noticed, without a restart. At least one second.
  absl::Duration refresh = absl::Seconds(10);
};

// Credentials for StartGrpcServer: TLS 1.2 or newer; with a client CA, a client that presents
// no certificate, or one that CA did not sign, is refused in the handshake. The files must be
// readable PEM now (InvalidArgument naming the file otherwise); later they are watched, and a
// failed read keeps the last good certificates.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerTlsCredentials(
    const ServerTlsOptions& options);

// The identities a peer's verified certificate claims: its URI SANs (e.g.
// "spiffe://example.org/ns/edge/sa/envoy"), then its DNS SANs. Empty without a verified client
// certificate (plaintext, or TLS without a client CA).
std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth_context);

}  // namespace xdsd

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"

namespace xdsd::testing {

inline constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr char kEndpointType[] =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
inline constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr char kRouteType[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr char kSecretType[] =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

// A resource the client holds, as the server last sent it.
struct HeldResource {
  std::string version;
  std::string body;  // the serialized resource (the bytes inside its Any)
};

// One DeltaDiscoveryResponse as it came off the wire, and what the client did with it.
struct ReceivedResponse {
  size_t index = 0;      // 0-based, over the client's whole life (all streams)
  int stream = 0;        // which stream it came on: 1 for the first Connect, +1 per reconnect
  std::string type_url;  // the response's type URL (the stream's type when it left it empty)
  std::string nonce;
  std::string system_version;
  std::vector<std::string> names;    // resources added or changed, in wire order
  std::vector<std::string> removed;  // removed_resources, in wire order
  size_t resource_count = 0;         // == names.size()
  size_t resource_bytes = 0;         // the encoded size of the `resources` entries
  size_t message_bytes = 0;          // the encoded size of the whole response
  bool nacked = false;               // the client rejected it (and applied nothing of it)
  std::string nack_error;
  absl::Time received_at;
};

// One request the client wrote, for the record.
struct SentRequest {
  int stream = 0;
  envoy::service::discovery::v3::DeltaDiscoveryRequest request;
};

// Everything the client knows, as handed to WaitUntil predicates.
struct DeltaClientState {
  std::vector<ReceivedResponse> responses;
  std::vector<SentRequest> requests;
  // type URL → name → resource.
  std::map<std::string, std::map<std::string, HeldResource>> held;
  // type URL → names the server said do not exist (removed_resources for a name not held).
  std::map<std::string, std::set<std::string>> reported_missing;
  int stream = 0;                   // the number of the current (or last) stream
  bool stream_open = false;         // the current stream has not ended
  grpc::Status last_stream_status;  // how the last stream ended

  // The responses of `type_url` received at index `from` or later.
  std::vector<const ReceivedResponse*> ResponsesOf(const std::string& type_url,
                                                   size_t from = 0) const;
};

// An incremental (delta) xDS client that behaves as Envoy's does, for tests against a real
// server: one stream, DeltaAggregatedResources (ADS) or the Delta method of one type.
//
//  - The first request of each stream carries the node; later ones leave it out.
//  - Per type it keeps its interest (names, "*", or the legacy wildcard: an empty first
//    request) and the resources it holds (name → version and body).
//  - Every response is applied (resources added or replaced, removed_resources dropped) and
//    ACKed at once, from the reader thread; the ACK goes out before any request written after
//    the response became visible to WaitUntil. A per-type NACK policy may instead reject it: the
//    client applies nothing and answers with error_detail. A type may also be put on hold: then
//    nothing is answered until the test calls Ack().
//  - Every response is recorded (type, nonce, system_version, names, removed names, sizes), so
//    a test can count what went on the wire.
//  - Reconnect() opens a new stream and re-sends, per type, the interest together with
//    initial_resource_versions built from what it holds, as Envoy does when its control plane
//    comes back.
//
// Every wait takes a timeout. Thread-safe, except that Connect, Disconnect and Reconnect must
// not race each other.
class DeltaXdsClient {
 public:
  // Decides on a response: an error text to NACK it, nullopt to ACK it.
  using NackPolicy = std::function<std::optional<std::string>(
      const envoy::service::discovery::v3::DeltaDiscoveryResponse&)>;

  struct Options {
    std::string address;          // host:port of the server
    std::string stream_type_url;  // "" for ADS, else the type of a per-type delta stream
    envoy::config::core::v3::Node node;
  };

  explicit DeltaXdsClient(Options options);
  ~DeltaXdsClient();
  DeltaXdsClient(const DeltaXdsClient&) = delete;
  DeltaXdsClient& operator=(const DeltaXdsClient&) = delete;

  // Waits up to `timeout` for the channel to connect, then opens a new stream. Sends nothing.
  absl::Status Connect(absl::Duration timeout);
  // Cancels the stream (if any) and waits for its reader to stop. Interest and held resources
  // stay, for Reconnect.
  void Disconnect();
  // Disconnect, Connect, then per type of interest one request: its names (and "*"; nothing for
  // the legacy wildcard) and initial_resource_versions of what it holds of them.
  absl::Status Reconnect(absl::Duration timeout);

  // Adds names to the interest of `type_url` ("*" is the wildcard) and sends the change.
  absl::Status Subscribe(const std::string& type_url, const std::vector<std::string>& names);
  // Removes names from the interest ("*" ends the wildcard), drops what it holds of them (as
  // Envoy does), and sends the change.
  absl::Status Unsubscribe(const std::string& type_url, const std::vector<std::string>& names);
  // The legacy wildcard: a first request for `type_url` with empty subscribe and unsubscribe
  // lists. Fails when the type already had a request on this stream.
  absl::Status SubscribeLegacyWildcard(const std::string& type_url);
  // Writes `request` as it is (the node added when it is the stream's first request). Does not
  // touch the interest: for requests no well-behaved client sends.
  absl::Status SendRaw(envoy::service::discovery::v3::DeltaDiscoveryRequest request);

  void SetNackPolicy(const std::string& type_url, NackPolicy policy);
  // While held, responses of `type_url` are recorded but neither applied nor answered.
  void HoldAcks(const std::string& type_url, bool hold);
  // Applies the recorded response with `nonce` and ACKs it (for a type on hold).
  absl::Status Ack(const std::string& nonce);

  // A copy of everything the client knows.
  DeltaClientState State() const;
  size_t ResponseCount() const;
  std::map<std::string, HeldResource> Held(const std::string& type_url) const;

  // Waits up to `timeout` until `predicate` (called with the lock held: it must not call the
  // client) is true. Returns whether it became true.
  bool WaitUntil(const std::function<bool(const DeltaClientState&)>& predicate,
                 absl::Duration timeout) const;
  // Waits up to `timeout` for a response of `type_url` ("" for any type) with index >= `from`;
  // returns the first such one.
  std::optional<ReceivedResponse> WaitForResponse(const std::string& type_url, size_t from,
                                                  absl::Duration timeout) const;
  // Waits up to `timeout` for the current stream to end.
  bool WaitForStreamEnd(absl::Duration timeout) const;

 private:
  using Stream = grpc::ClientReaderWriter<envoy::service::discovery::v3::DeltaDiscoveryRequest,
                                          envoy::service::discovery::v3::DeltaDiscoveryResponse>;

  struct Interest {
    bool requested = false;  // a request for the type went out on the current stream
    bool wildcard = false;
    bool legacy_wildcard = false;
    std::set<std::string> names;
    bool hold_acks = false;
    NackPolicy nack_policy;
  };

  std::unique_ptr<Stream> OpenStream(grpc::ClientContext* context);
  void ReadLoop(Stream* stream, int stream_number);
  void OnResponse(const envoy::service::discovery::v3::DeltaDiscoveryResponse& response,
                  int stream_number);
  // Applies a recorded response's resources to `held_` (the response is kept for Ack()).
  void ApplyLocked(const envoy::service::discovery::v3::DeltaDiscoveryResponse& response,
                   const std::string& type_url) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(envoy::service::discovery::v3::DeltaDiscoveryRequest request)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  absl::Status WriteLocked(envoy::service::discovery::v3::DeltaDiscoveryRequest request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  bool HoldsLocked(const std::string& type_url, const std::string& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;

  // Order: write_mu_ before mu_.
  absl::Mutex write_mu_;
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(write_mu_);
  std::atomic<grpc::ClientContext*> live_context_{nullptr};  // context_, for TryCancel
  std::unique_ptr<Stream> stream_ ABSL_GUARDED_BY(write_mu_);
  bool node_sent_ ABSL_GUARDED_BY(write_mu_) = false;
  std::thread reader_;

  mutable absl::Mutex mu_;
  DeltaClientState state_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Interest> interest_ ABSL_GUARDED_BY(mu_);
  // Responses held back (HoldAcks), by nonce.
  std::map<std::string, envoy::service::discovery::v3::DeltaDiscoveryResponse> unanswered_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd::testing

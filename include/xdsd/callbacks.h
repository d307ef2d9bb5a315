#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"

namespace xdsd {

// One xDS stream, as every callback about it sees it. Constant for the stream's life.
struct StreamInfo {
  int64_t id = 0;        // unique within the server
  std::string method;    // the full gRPC method, "/envoy.service....Service/Method"
  std::string type_url;  // the type of a per-type stream; "" for ADS
  bool delta = false;    // incremental (delta) rather than state of the world
  std::string peer;      // the client's address as gRPC gives it ("ipv4:10.0.0.7:53622")
  // What the client's verified certificate says it is (mutual TLS): its URI SANs, then its DNS
  // SANs (see PeerIdentities in server.h). Empty without a verified client certificate.
  std::vector<std::string> identities;

  bool ads() const { return type_url.empty(); }
  // "sotw-ads", "delta-ads", "sotw" or "delta".
  std::string_view variant() const {
    if (delta) return ads() ? "delta-ads" : "delta";
    return ads() ? "sotw-ads" : "sotw";
  }
};

// What a response carried (state of the world or delta), for callbacks and logs (the response
// itself is assembled from shared serialized bytes and never exists as a message).
struct ResponseInfo {
  std::string type_url;
  std::string version;
  std::string nonce;
  std::vector<std::string> resource_names;
  std::vector<std::string> removed_names;  // delta only: what the client must drop
  size_t encoded_bytes = 0;                // the serialized response's size
};

// A client's answer to a response: an ACK or a NACK, as the stream's protocol state decided
// (stale answers, whose nonce is not the latest, are neither).
struct AnswerInfo {
  std::string type_url;
  // The version answered: the version of the response the nonce names (SotW), or its
  // system_version_info (delta).
  std::string version;
  std::string nonce;  // empty for a version the client said it holds on a new stream
  absl::Time sent_at = absl::InfinitePast();  // when the answered response was written
  // NACK only: the client's error_detail, and the version it says it keeps running.
  std::string error;
  std::string running_version;
};

// Hooks with which a program that embeds libxdsd observes streams and vetoes them. Every
// method has a default that does nothing and allows everything.
//
// Calls for one stream come one at a time, in order: OnStreamOpen, OnStreamNode (once the
// first request names the node), then requests, responses and answers, then OnStreamFailed (when
// xdsd ended it with an error) and OnStreamClosed. Calls for different streams may come
// concurrently, so an implementation must be thread-safe. None may block.
class Callbacks {
 public:
  virtual ~Callbacks() = default;

  // A stream opened. An error refuses the stream: it ends with that status.
  virtual absl::Status OnStreamOpen(const StreamInfo& stream) { return absl::OkStatus(); }
  // The stream's first request named its node; called before anything is sent to it. An error
  // ends the stream with that status (e.g. PERMISSION_DENIED for a node it may not claim).
  virtual absl::Status OnStreamNode(const StreamInfo& stream,
                                    const envoy::config::core::v3::Node& node) {
    return absl::OkStatus();
  }
  // xdsd ended the stream with an error (`why`): a limit (no first request in time, a write
  // that stalled), a malformed request, a refusal. Called just before OnStreamClosed.
  virtual void OnStreamFailed(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                              const absl::Status& why) {}
  // A stream closed. `node` is empty when it closed before its first request.
  virtual void OnStreamClosed(const StreamInfo& stream, const envoy::config::core::v3::Node& node) {
  }
  // A request arrived on a state-of-the-world stream (an ACK, a NACK or a subscription). An
  // error ends the stream with that status.
  virtual absl::Status OnStreamRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A request arrived on a delta stream; as OnStreamRequest.
  virtual absl::Status OnStreamDeltaRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A response was written to a stream (state of the world or delta).
  virtual void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                                const ResponseInfo& response) {}
  // The client accepted a response (ACK), or said on a new stream that it holds the version
  // being served.
  virtual void OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                     const AnswerInfo& answer) {}
  // The client rejected a response (NACK); answer.error says why.
  virtual void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                      const AnswerInfo& answer) {}
  // A unary Fetch request (gRPC Fetch or the REST gateway) arrived; an error answers it with
  // that status.
  virtual absl::Status OnFetchRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A Fetch response is about to be returned.
  virtual void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                               const ResponseInfo& response) {}
};

}  // namespace xdsd

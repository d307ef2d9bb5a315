#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"

namespace xdsd {

// What a response carried (state of the world or delta), for callbacks and logs (the response itself is assembled from
// shared serialized bytes and never exists as a message).
struct ResponseInfo {
  std::string type_url;
  std::string version;
  std::string nonce;
  std::vector<std::string> resource_names;
  std::vector<std::string> removed_names;  // delta only: what the client must drop
  size_t encoded_bytes = 0;                // the serialized response's size
};

// Hooks with which a program that embeds libxdsd observes streams and vetoes them. Every
// method has a default that does nothing and allows everything.
//
// Calls for one stream come one at a time, in order; calls for different streams may come
// concurrently, so an implementation must be thread-safe. None may block.
class Callbacks {
 public:
  virtual ~Callbacks() = default;

  // A stream opened; `method` is the full gRPC method name. An error refuses the stream: it
  // ends with that status.
  virtual absl::Status OnStreamOpen(int64_t stream_id, std::string_view method,
                                    std::string_view peer) {
    return absl::OkStatus();
  }
  // A stream closed. `node` is empty when it closed before its first request.
  virtual void OnStreamClosed(int64_t stream_id, const envoy::config::core::v3::Node& node) {}
  // A request arrived on a stream (an ACK, a NACK or a subscription). `node` is the stream's
  // node (from its first request). An error ends the stream with that status.
  virtual absl::Status OnStreamRequest(int64_t stream_id, const envoy::config::core::v3::Node& node,
                                       const envoy::service::discovery::v3::DiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A request arrived on a delta stream; as OnStreamRequest.
  virtual absl::Status OnStreamDeltaRequest(
      int64_t stream_id, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A response was written to a stream (state of the world or delta).
  virtual void OnStreamResponse(int64_t stream_id, const envoy::config::core::v3::Node& node,
                                const ResponseInfo& response) {}
  // A unary Fetch request (REST-like) arrived; an error answers it with that status.
  virtual absl::Status OnFetchRequest(const envoy::service::discovery::v3::DiscoveryRequest& request) {
    return absl::OkStatus();
  }
  // A Fetch response is about to be returned.
  virtual void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                               const ResponseInfo& response) {}
};

}  // namespace xdsd

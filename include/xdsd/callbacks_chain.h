#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "xdsd/callbacks.h"

namespace xdsd {

// Fans every Callbacks event out to several Callbacks, in the order given: an XdsServer or a
// RestGateway takes one Callbacks*, and a program usually has more than one observer (a logger,
// metrics, a policy that refuses streams).
//
// The calls that can refuse (OnStreamOpen, OnStreamRequest, OnStreamDeltaRequest,
// OnFetchRequest) stop at the first error and return it; the later callbacks do not see that
// event. The server ends a refused stream normally, so every callback still sees its
// OnStreamClosed, including those that never saw its OnStreamOpen: an implementation must
// tolerate a close for a stream it does not know. Notifications (closed, response) reach all.
//
// Thread-safe as far as the callbacks it holds are; it adds no state of its own. The callbacks
// are not owned and must outlive the chain.
class CallbacksChain : public Callbacks {
 public:
  explicit CallbacksChain(std::vector<Callbacks*> callbacks) : callbacks_(std::move(callbacks)) {
    std::erase(callbacks_, nullptr);
  }

  absl::Status OnStreamOpen(int64_t stream_id, std::string_view method,
                            std::string_view peer) override {
    for (Callbacks* c : callbacks_) {
      if (absl::Status s = c->OnStreamOpen(stream_id, method, peer); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void OnStreamClosed(int64_t stream_id, const envoy::config::core::v3::Node& node) override {
    for (Callbacks* c : callbacks_) c->OnStreamClosed(stream_id, node);
  }
  absl::Status OnStreamRequest(
      int64_t stream_id, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) override {
    for (Callbacks* c : callbacks_) {
      if (absl::Status s = c->OnStreamRequest(stream_id, node, request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  absl::Status OnStreamDeltaRequest(
      int64_t stream_id, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) override {
    for (Callbacks* c : callbacks_) {
      if (absl::Status s = c->OnStreamDeltaRequest(stream_id, node, request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void OnStreamResponse(int64_t stream_id, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override {
    for (Callbacks* c : callbacks_) c->OnStreamResponse(stream_id, node, response);
  }
  absl::Status OnFetchRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request) override {
    for (Callbacks* c : callbacks_) {
      if (absl::Status s = c->OnFetchRequest(request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                       const ResponseInfo& response) override {
    for (Callbacks* c : callbacks_) c->OnFetchResponse(request, response);
  }

 private:
  std::vector<Callbacks*> callbacks_;  // constant after construction
};

}  // namespace xdsd

#pragma once

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "xdsd/callbacks.h"

namespace xdsd {

// Fans every Callbacks event out to several Callbacks, in the order given: an XdsServer or a
// RestGateway takes one Callbacks*, and a program usually has more than one observer (a logger,
// metrics, a policy that refuses streams).
//
// The calls that can refuse (OnStreamOpen, OnStreamNode, OnStreamRequest,
// OnStreamDeltaRequest, OnFetchRequest) stop at the first error and return it; the later
// callbacks do not see that event. The server ends a refused stream normally, so every
// callback still sees its OnStreamClosed, including those that never saw its OnStreamOpen: an
// implementation must tolerate a close for a stream it does not know. Notifications reach all.
//
// Thread-safe as far as the callbacks it holds are; it adds no state of its own. The callbacks
// are not owned and must outlive the chain.
class CallbacksChain : public Callbacks {
 public:
  explicit CallbacksChain(std::vector<Callbacks*> callbacks) : callbacks_(std::move(callbacks)) {
    std::erase(callbacks_, nullptr);
  }

  absl::Status OnStreamOpen(const StreamInfo& stream) override {
    return First([&](Callbacks* c) { return c->OnStreamOpen(stream); });
  }
  absl::Status OnStreamNode(const StreamInfo& stream,
                            const envoy::config::core::v3::Node& node) override {
    return First([&](Callbacks* c) { return c->OnStreamNode(stream, node); });
  }
  void OnStreamFailed(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                      const absl::Status& why) override {
    for (Callbacks* c : callbacks_) c->OnStreamFailed(stream, node, why);
  }
  void OnStreamClosed(const StreamInfo& stream,
                      const envoy::config::core::v3::Node& node) override {
    for (Callbacks* c : callbacks_) c->OnStreamClosed(stream, node);
  }
  absl::Status OnStreamRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) override {
    return First([&](Callbacks* c) { return c->OnStreamRequest(stream, node, request); });
  }
  absl::Status OnStreamDeltaRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) override {
    return First([&](Callbacks* c) { return c->OnStreamDeltaRequest(stream, node, request); });
  }
  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override {
    for (Callbacks* c : callbacks_) c->OnStreamResponse(stream, node, response);
  }
  void OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
             const AnswerInfo& answer) override {
    for (Callbacks* c : callbacks_) c->OnAck(stream, node, answer);
  }
  void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
              const AnswerInfo& answer) override {
    for (Callbacks* c : callbacks_) c->OnNack(stream, node, answer);
  }
  absl::Status OnFetchRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request) override {
    return First([&](Callbacks* c) { return c->OnFetchRequest(request); });
  }
  void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                       const ResponseInfo& response) override {
    for (Callbacks* c : callbacks_) c->OnFetchResponse(request, response);
  }

 private:
  // The first error of `call` over the callbacks, in order; OK when none refuses.
  template <typename Call>
  absl::Status First(const Call& call) {
    for (Callbacks* c : callbacks_) {
      if (absl::Status s = call(c); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  std::vector<Callbacks*> callbacks_;  // constant after construction
};

}  // namespace xdsd

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "xdsd/callbacks.h"

namespace xdsd::cli {

// Logs every stream event to the default spdlog logger: stream open and close (with the peer
// and method, remembered from the open), requests, responses, and NACKs at warn level with the
// client's error text. Allows every stream.
//
// Thread-safe. Each call takes a short lock to look up the stream; it never blocks otherwise
// (logging goes to stderr).
class LoggingCallbacks : public Callbacks {
 public:
  absl::Status OnStreamOpen(int64_t stream_id, std::string_view method,
                            std::string_view peer) override;
  void OnStreamClosed(int64_t stream_id, const envoy::config::core::v3::Node& node) override;
  absl::Status OnStreamRequest(
      int64_t stream_id, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) override;
  void OnStreamResponse(int64_t stream_id, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;
  absl::Status OnFetchRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request) override;
  void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                       const ResponseInfo& response) override;

 private:
  struct StreamInfo {
    std::string method;
    std::string peer;
  };

  absl::Mutex mu_;
  std::map<int64_t, StreamInfo> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd::cli

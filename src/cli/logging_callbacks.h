#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/common.h"
#include "xdsd/callbacks.h"

namespace xdsd::cli {

// Makes the default spdlog logger xdsd's: lines on stderr with a UTC time and the level as
// --log-level spells it, at `level` and above; refusals (xdsd/refusals.h) logged at most ten a
// second. Call once, before other threads log.
void SetUpLogging(spdlog::level::level_enum level);

// Logs every stream event to the default spdlog logger: stream open and close (with the peer
// and method), requests, responses, and NACKs at warn level with the client's error text.
// Allows every stream.
//
// Thread-safe: it keeps no state; it never blocks (logging goes to stderr).
class LoggingCallbacks : public Callbacks {
 public:
  absl::Status OnStreamOpen(const StreamInfo& stream) override;
  void OnStreamClosed(const StreamInfo& stream, const envoy::config::core::v3::Node& node) override;
  absl::Status OnStreamRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) override;
  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;
  absl::Status OnFetchRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request) override;
  void OnFetchResponse(const envoy::service::discovery::v3::DiscoveryRequest& request,
                       const ResponseInfo& response) override;
};

}  // namespace xdsd::cli

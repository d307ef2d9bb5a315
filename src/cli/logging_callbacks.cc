#include "cli/logging_callbacks.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "xdsd/resource.h"

namespace xdsd::cli {
namespace {

// "[a, b]", or "[*]"-like wildcard forms as the client sent them; "[]" for none.
// At most the first 10 names and how many there are in all: a client asking for 100,000
// names must not write megabytes of log per request.
template <typename Names>
std::string NameList(const Names& names) {
  constexpr int kShown = 10;
  const int count = static_cast<int>(names.size());
  if (count <= kShown) return absl::StrCat("[", absl::StrJoin(names, ", "), "]");
  return absl::StrCat("[", absl::StrJoin(names.begin(), names.begin() + kShown, ", "), ", ... (",
                      count, " names)]");
}

// The node as logged: its id, and its cluster when it has one.
std::string NodeLabel(const envoy::config::core::v3::Node& node) {
  if (node.id().empty() && node.cluster().empty()) return "(unknown)";
  if (node.cluster().empty()) return node.id();
  return absl::StrCat(node.id(), " (cluster ", node.cluster(), ")");
}

}  // namespace

absl::Status LoggingCallbacks::OnStreamOpen(const StreamInfo& stream) {
  spdlog::info("stream {} opened: peer {} method {}", stream.id, stream.peer, stream.method);
  return absl::OkStatus();
}

void LoggingCallbacks::OnStreamClosed(const StreamInfo& stream,
                                      const envoy::config::core::v3::Node& node) {
  spdlog::info("stream {} closed: node {} peer {} method {}", stream.id, NodeLabel(node),
               stream.peer, stream.method);
}

absl::Status LoggingCallbacks::OnStreamRequest(
    const StreamInfo& stream, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  const std::string_view type = TypeShortName(request.type_url());
  if (request.has_error_detail()) {
    // A NACK: the client rejected the response with this nonce and keeps what it had
    // (version_info is the last version it accepted).
    spdlog::warn(
        "stream {} NACK from node {}: {} response nonce {} rejected (still running version "
        "\"{}\"): {}",
        stream.id, NodeLabel(node), type, request.response_nonce(), request.version_info(),
        request.error_detail().message());
    return absl::OkStatus();
  }
  // The first request of a type subscribes; later ones (with the nonce of a response) ACK it,
  // possibly changing the subscription too.
  spdlog::info("stream {} {} from node {}: {} version \"{}\" nonce \"{}\" names {}", stream.id,
               request.response_nonce().empty() ? "request" : "ACK", NodeLabel(node), type,
               request.version_info(), request.response_nonce(),
               NameList(request.resource_names()));
  return absl::OkStatus();
}

void LoggingCallbacks::OnStreamResponse(const StreamInfo& stream,
                                        const envoy::config::core::v3::Node& node,
                                        const ResponseInfo& response) {
  spdlog::info("stream {} response to node {}: {} version \"{}\" nonce \"{}\" {} resource(s)",
               stream.id, NodeLabel(node), TypeShortName(response.type_url), response.version,
               response.nonce, response.resource_names.size());
  spdlog::debug("stream {} response resources: {}", stream.id, NameList(response.resource_names));
}

absl::Status LoggingCallbacks::OnFetchRequest(
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  spdlog::info("fetch request from node {}: {} version \"{}\" names {}", NodeLabel(request.node()),
               TypeShortName(request.type_url()), request.version_info(),
               NameList(request.resource_names()));
  return absl::OkStatus();
}

void LoggingCallbacks::OnFetchResponse(
    const envoy::service::discovery::v3::DiscoveryRequest& request, const ResponseInfo& response) {
  spdlog::info("fetch response to node {}: {} version \"{}\" {} resource(s)",
               NodeLabel(request.node()), TypeShortName(response.type_url), response.version,
               response.resource_names.size());
}

}  // namespace xdsd::cli

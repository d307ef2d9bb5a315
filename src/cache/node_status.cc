#include "xdsd/node_status.h"

#include <algorithm>

namespace xdsd {

std::string_view SyncStateName(SyncState state) {
  switch (state) {
    case SyncState::kNotSent:
      return "NOT_SENT";
    case SyncState::kPending:
      return "PENDING";
    case SyncState::kSynced:
      return "SYNCED";
    case SyncState::kNacked:
      return "NACKED";
  }
  return "UNKNOWN";
}

std::optional<NodeStatus> NodeStatusTracker::Get(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeStatus> NodeStatusTracker::All(bool connected_only) const {
  std::vector<NodeStatus> statuses;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, status] : nodes_) {
      if (!connected_only || status.open_streams > 0) statuses.push_back(status);
    }
  }
  std::sort(statuses.begin(), statuses.end(),
            [](const NodeStatus& a, const NodeStatus& b) { return a.node.id() < b.node.id(); });
  return statuses;
}

void NodeStatusTracker::WatchOpened(const std::string& node_id) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it != nodes_.end()) ++it->second.open_watches;
}

void NodeStatusTracker::WatchClosed(const std::string& node_id) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it != nodes_.end() && it->second.open_watches > 0) --it->second.open_watches;
}

absl::Status NodeStatusTracker::OnStreamNode(const StreamInfo& stream,
                                             const envoy::config::core::v3::Node& node) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  streams_[stream.id] = node.id();
  NodeStatus& status = nodes_[node.id()];
  if (status.first_seen == absl::InfinitePast()) status.first_seen = now;
  status.node = node;
  status.connected_since = now;
  status.last_request = now;
  status.peer = stream.peer;
  status.variant = std::string(stream.variant());
  status.identities = stream.identities;
  ++status.open_streams;
  return absl::OkStatus();
}

void NodeStatusTracker::OnStreamFailed(const StreamInfo& stream,
                                       const envoy::config::core::v3::Node& node,
                                       const absl::Status& why) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  auto seen = streams_.find(stream.id);
  if (seen == streams_.end()) return;  // it never named its node
  auto it = nodes_.find(seen->second);
  if (it == nodes_.end()) return;
  it->second.last_stream_error = why.ToString();
  it->second.last_stream_error_at = now;
}

void NodeStatusTracker::OnStreamClosed(const StreamInfo& stream,
                                       const envoy::config::core::v3::Node& node) {
  absl::MutexLock lock(&mu_);
  auto seen = streams_.find(stream.id);
  if (seen == streams_.end()) return;
  auto it = nodes_.find(seen->second);
  streams_.erase(seen);
  if (it != nodes_.end() && it->second.open_streams > 0) --it->second.open_streams;
}

TypeStatus& NodeStatusTracker::TypeStatusLocked(const std::string& node_id,
                                                const std::string& type_url) {
  NodeStatus& node = nodes_[node_id];
  for (TypeStatus& type : node.types) {
    if (type.type_url == type_url) return type;
  }
  TypeStatus& type = node.types.emplace_back();
  type.type_url = type_url;
  return type;
}

void NodeStatusTracker::RecordRequest(const StreamInfo& stream, const std::string& node_id,
                                      const std::string& type_url) {
  const std::string& type = type_url.empty() ? stream.type_url : type_url;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (!streams_.contains(stream.id)) return;
  if (!type.empty()) TypeStatusLocked(node_id, type);
  nodes_[node_id].last_request = now;
}

absl::Status NodeStatusTracker::OnStreamRequest(
    const StreamInfo& stream, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  RecordRequest(stream, node.id(), request.type_url());
  return absl::OkStatus();
}

absl::Status NodeStatusTracker::OnStreamDeltaRequest(
    const StreamInfo& stream, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
  RecordRequest(stream, node.id(), request.type_url());
  return absl::OkStatus();
}

void NodeStatusTracker::OnStreamResponse(const StreamInfo& stream,
                                         const envoy::config::core::v3::Node& node,
                                         const ResponseInfo& response) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node.id(), response.type_url);
  type.version_sent = response.version;
  type.nonce_sent = response.nonce;
  type.sent_at = now;
  type.state = SyncState::kPending;
}

void NodeStatusTracker::OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                              const AnswerInfo& answer) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node.id(), answer.type_url);
  type.version_acked = answer.version;
  type.acked_at = now;
  type.state = SyncState::kSynced;
}

void NodeStatusTracker::OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                               const AnswerInfo& answer) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node.id(), answer.type_url);
  // After a restart, the version the client says it runs stands as the ACKed one.
  if (type.version_acked.empty()) type.version_acked = answer.running_version;
  type.version_nacked = answer.version;
  type.nack_error = answer.error;
  type.nacked_at = now;
  ++type.nack_count;
  type.state = SyncState::kNacked;
}

}  // namespace xdsd

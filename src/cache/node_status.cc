#include "xdsd/node_status.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "xdsd/refusals.h"

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

namespace {

// The copy of `node` kept: its metadata replaced by a note when larger than `max_bytes`.
envoy::config::core::v3::Node BoundedNode(const envoy::config::core::v3::Node& node,
                                          size_t max_bytes) {
  const size_t bytes = node.metadata().ByteSizeLong();
  if (bytes <= max_bytes) return node;
  envoy::config::core::v3::Node kept = node;
  kept.clear_metadata();
  (*kept.mutable_metadata()->mutable_fields())[kTruncatedMetadataField].set_string_value(
      absl::StrCat("metadata of ", bytes, " bytes exceeds ", max_bytes, " bytes"));
  return kept;
}

}  // namespace

void NodeStatusTracker::SetLimits(const NodeLimits& limits) {
  absl::MutexLock lock(&mu_);
  limits_ = limits;
}

void NodeStatusTracker::OnForget(std::function<void(const std::string& node_id)> on_forget) {
  absl::MutexLock lock(&mu_);
  on_forget_ = std::move(on_forget);
}

void NodeStatusTracker::ForgetOldestDisconnectedLocked(std::vector<std::string>* forgotten) {
  const std::string node_id = disconnected_.begin()->second;
  disconnected_.erase(disconnected_.begin());
  nodes_.erase(node_id);
  forgotten->push_back(node_id);
}

void NodeStatusTracker::NotifyForgotten(const std::vector<std::string>& forgotten) {
  if (forgotten.empty()) return;
  std::function<void(const std::string&)> on_forget;
  {
    absl::MutexLock lock(&mu_);
    on_forget = on_forget_;
  }
  if (!on_forget) return;
  for (const std::string& id : forgotten) on_forget(id);
}

size_t NodeStatusTracker::Sweep(absl::Time now) {
  std::vector<std::string> forgotten;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time cutoff = now - limits_.forget_after;
    while (!disconnected_.empty() && disconnected_.begin()->first <= cutoff) {
      ForgetOldestDisconnectedLocked(&forgotten);
    }
  }
  NotifyForgotten(forgotten);
  return forgotten.size();
}

size_t NodeStatusTracker::size() const {
  absl::MutexLock lock(&mu_);
  return nodes_.size();
}

std::optional<NodeStatus> NodeStatusTracker::Get(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeStatus> NodeStatusTracker::All(bool connected_only) const {
  std::vector<NodeStatus> statuses;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, status] : nodes_) {
    if (!connected_only || status.open_streams > 0) statuses.push_back(status);
  }
  return statuses;
}

NodePage NodeStatusTracker::Page(const NodePageQuery& query) const {
  NodePage page;
  absl::MutexLock lock(&mu_);
  for (auto it = nodes_.upper_bound(query.after); it != nodes_.end(); ++it) {
    const NodeStatus& status = it->second;
    if (query.connected_only && status.open_streams == 0) continue;
    if (page.nodes.size() >= query.limit) {
      page.next_after = page.nodes.empty() ? query.after : page.nodes.back().node.id();
      break;
    }
    if (query.with_metadata) {
      page.nodes.push_back(status);
    } else {
      // Copies all but the metadata, which may be large.
      NodeStatus& copy = page.nodes.emplace_back();
      envoy::config::core::v3::Node& node = copy.node;
      node.set_id(status.node.id());
      node.set_cluster(status.node.cluster());
      *node.mutable_locality() = status.node.locality();
      node.set_user_agent_name(status.node.user_agent_name());
      if (status.node.has_user_agent_build_version()) {
        *node.mutable_user_agent_build_version() = status.node.user_agent_build_version();
      } else {
        node.set_user_agent_version(status.node.user_agent_version());
      }
      copy.first_seen = status.first_seen;
      copy.connected_since = status.connected_since;
      copy.last_request = status.last_request;
      copy.disconnected_at = status.disconnected_at;
      copy.peer = status.peer;
      copy.variant = status.variant;
      copy.open_streams = status.open_streams;
      copy.open_watches = status.open_watches;
      copy.types = status.types;
      copy.identities = status.identities;
      copy.last_stream_error = status.last_stream_error;
      copy.last_stream_error_at = status.last_stream_error_at;
      // A field added to NodeStatus must be copied above too.
      static_assert(sizeof(NodeStatus) == 496, "copy the new NodeStatus field above");
    }
  }
  return page;
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
  std::vector<std::string> forgotten;
  {
    absl::MutexLock lock(&mu_);
    streams_[stream.id] = node.id();
    NodeStatus& status = nodes_[node.id()];
    if (status.first_seen == absl::InfinitePast()) status.first_seen = now;
    if (status.open_streams == 0) disconnected_.erase({status.disconnected_at, node.id()});
    status.node = BoundedNode(node, limits_.max_metadata_bytes);
    status.connected_since = now;
    status.last_request = now;
    status.disconnected_at = absl::InfinitePast();
    status.peer = stream.peer;
    status.variant = std::string(stream.variant());
    status.identities = stream.identities;
    ++status.open_streams;
    // Over the cap, the nodes disconnected the longest make room.
    while (nodes_.size() > limits_.max_nodes && !disconnected_.empty()) {
      ForgetOldestDisconnectedLocked(&forgotten);
    }
  }
  for (size_t i = 0; i < forgotten.size(); ++i) {
    CountRefusal("node_state_evicted", "over --max-nodes, the node disconnected the longest");
  }
  NotifyForgotten(forgotten);
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
  if (it == nodes_.end() || it->second.open_streams == 0) return;
  if (--it->second.open_streams == 0) {
    it->second.disconnected_at = absl::Now();
    disconnected_.emplace(it->second.disconnected_at, it->first);
  }
}

TypeStatus* NodeStatusTracker::TypeStatusLocked(const std::string& node_id,
                                                const std::string& type_url) {
  auto found = nodes_.find(node_id);
  if (found == nodes_.end()) return nullptr;  // never seen, or forgotten
  NodeStatus& node = found->second;
  for (TypeStatus& type : node.types) {
    if (type.type_url == type_url) return &type;
  }
  TypeStatus& type = node.types.emplace_back();
  type.type_url = type_url;
  return &type;
}

void NodeStatusTracker::RecordRequest(const StreamInfo& stream, const std::string& node_id,
                                      const std::string& type_url) {
  const std::string& type = type_url.empty() ? stream.type_url : type_url;
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (!streams_.contains(stream.id)) return;
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  if (!type.empty()) TypeStatusLocked(node_id, type);
  it->second.last_request = now;
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

template <typename Update>
void NodeStatusTracker::UpdateType(const std::string& node_id, const std::string& type_url,
                                   const Update& update) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (TypeStatus* type = TypeStatusLocked(node_id, type_url); type != nullptr) update(*type, now);
}

void NodeStatusTracker::OnStreamResponse(const StreamInfo& stream,
                                         const envoy::config::core::v3::Node& node,
                                         const ResponseInfo& response) {
  UpdateType(node.id(), response.type_url, [&](TypeStatus& type, absl::Time now) {
    type.version_sent = response.version;
    type.nonce_sent = response.nonce;
    type.sent_at = now;
    type.state = SyncState::kPending;
  });
}

void NodeStatusTracker::OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                              const AnswerInfo& answer) {
  UpdateType(node.id(), answer.type_url, [&](TypeStatus& type, absl::Time now) {
    type.version_acked = answer.version;
    type.acked_at = now;
    type.state = SyncState::kSynced;
  });
}

void NodeStatusTracker::OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                               const AnswerInfo& answer) {
  UpdateType(node.id(), answer.type_url, [&](TypeStatus& type, absl::Time now) {
    // After a restart, the version the client says it runs stands as the ACKed one.
    if (type.version_acked.empty()) type.version_acked = answer.running_version;
    type.version_nacked = answer.version;
    type.nack_error = answer.error;
    type.nacked_at = now;
    ++type.nack_count;
    type.state = SyncState::kNacked;
  });
}

}  // namespace xdsd

#include "xdsd/snapshot_cache.h"

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

std::string NodeIdHash(const envoy::config::core::v3::Node& node) { return node.id(); }

SnapshotCache::SnapshotCache(NodeHash node_hash) : node_hash_(std::move(node_hash)) {}

void SnapshotCache::PublishLocked(const std::string& key, SnapshotPtr snapshot,
                                  std::vector<std::shared_ptr<SnapshotWatcher>>* to_notify,
                                  uint64_t* generation) {
  KeyState& state = keys_[key];
  state.snapshot = std::move(snapshot);
  *generation = ++state.generation;
  *to_notify = state.watchers;
}

void SnapshotCache::SetSnapshot(const std::string& key, SnapshotPtr snapshot) {
  std::vector<std::shared_ptr<SnapshotWatcher>> to_notify;
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    PublishLocked(key, snapshot, &to_notify, &generation);
  }
  for (const auto& watcher : to_notify) watcher->OnSnapshot(snapshot, generation);
}

SnapshotPtr SnapshotCache::GetSnapshot(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : it->second.snapshot;
}

void SnapshotCache::ClearSnapshot(const std::string& key) {
  std::vector<std::shared_ptr<SnapshotWatcher>> to_notify;
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.snapshot == nullptr) return;
    PublishLocked(key, nullptr, &to_notify, &generation);
  }
  for (const auto& watcher : to_notify) watcher->OnSnapshot(nullptr, generation);
}

std::vector<std::string> SnapshotCache::Keys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  for (const auto& [key, state] : keys_) {
    if (state.snapshot != nullptr) keys.push_back(key);
  }
  return keys;
}

SnapshotCache::WatchStart SnapshotCache::Watch(const envoy::config::core::v3::Node& node,
                                               std::shared_ptr<SnapshotWatcher> watcher) {
  WatchStart start;
  start.key = node_hash_(node);  // outside mu_: the hash may take locks of its own
  absl::MutexLock lock(&mu_);
  KeyState& state = keys_[start.key];
  state.watchers.push_back(std::move(watcher));
  start.snapshot = state.snapshot;
  start.generation = state.generation;
  auto node_it = nodes_.find(node.id());
  if (node_it != nodes_.end()) ++node_it->second.open_watches;
  return start;
}

void SnapshotCache::Unwatch(const std::string& key, const std::string& node_id,
                            const SnapshotWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  auto& watchers = it->second.watchers;
  const auto removed = std::remove_if(watchers.begin(), watchers.end(),
                                      [&](const auto& w) { return w.get() == watcher; });
  if (removed == watchers.end()) return;
  watchers.erase(removed, watchers.end());
  auto node_it = nodes_.find(node_id);
  if (node_it != nodes_.end() && node_it->second.open_watches > 0) {
    --node_it->second.open_watches;
  }
  if (watchers.empty() && it->second.snapshot == nullptr) keys_.erase(it);
}

void SnapshotCache::RecordStreamOpen(const envoy::config::core::v3::Node& node,
                                     const std::string& peer, const std::string& variant) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  NodeStatus& status = nodes_[node.id()];
  if (status.first_seen == absl::InfinitePast()) status.first_seen = now;
  status.node = node;
  status.connected_since = now;
  status.last_request = now;
  status.peer = peer;
  status.variant = variant;
  ++status.open_streams;
}

void SnapshotCache::RecordStreamClosed(const std::string& node_id) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it != nodes_.end() && it->second.open_streams > 0) --it->second.open_streams;
}

TypeStatus& SnapshotCache::TypeStatusLocked(const std::string& node_id,
                                            const std::string& type_url) {
  NodeStatus& node = nodes_[node_id];
  for (TypeStatus& type : node.types) {
    if (type.type_url == type_url) return type;
  }
  TypeStatus& type = node.types.emplace_back();
  type.type_url = type_url;
  return type;
}

void SnapshotCache::RecordRequest(const std::string& node_id, const std::string& type_url) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatusLocked(node_id, type_url);
  nodes_[node_id].last_request = now;
}

void SnapshotCache::RecordSent(const std::string& node_id, const std::string& type_url,
                               const std::string& version, const std::string& nonce) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node_id, type_url);
  type.version_sent = version;
  type.nonce_sent = nonce;
  type.sent_at = now;
  type.state = SyncState::kPending;
}

void SnapshotCache::RecordAck(const std::string& node_id, const std::string& type_url,
                              const std::string& version) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node_id, type_url);
  type.version_acked = version;
  type.acked_at = now;
  type.state = SyncState::kSynced;
}

void SnapshotCache::RecordNack(const std::string& node_id, const std::string& type_url,
                               const std::string& version, const std::string& error,
                               const std::string& running_version) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TypeStatus& type = TypeStatusLocked(node_id, type_url);
  if (type.version_acked.empty()) type.version_acked = running_version;
  type.version_nacked = version;
  type.nack_error = error;
  type.nacked_at = now;
  ++type.nack_count;
  type.state = SyncState::kNacked;
}

std::optional<NodeStatus> SnapshotCache::GetNodeStatus(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<NodeStatus> SnapshotCache::NodeStatuses(bool connected_only) const {
  absl::MutexLock lock(&mu_);
  std::vector<NodeStatus> statuses;
  for (const auto& [id, status] : nodes_) {
    if (!connected_only || status.open_streams > 0) statuses.push_back(status);
  }
  return statuses;
}

}  // namespace xdsd

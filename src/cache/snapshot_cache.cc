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

void SnapshotCache::Deliver(const std::vector<Notification>& notifications) {
  for (const Notification& n : notifications) n.watcher->OnSnapshot(n.snapshot, n.generation);
}

void SnapshotCache::PublishLocked(const std::string& key, SnapshotPtr own,
                                  std::vector<Notification>* to_notify) {
  KeyState& state = keys_[key];
  state.own = std::move(own);
  SnapshotPtr served = state.own;
  if (served != nullptr) {
    for (const auto& [type_url, resources] : fleet_types_) {
      served = Snapshot::WithType(served, type_url, resources);
    }
  }
  state.snapshot = std::move(served);
  ++state.generation;
  for (const auto& watcher : state.watchers) {
    to_notify->push_back({watcher, state.snapshot, state.generation});
  }
}

void SnapshotCache::RepublishAllLocked(std::vector<Notification>* to_notify) {
  for (auto& [key, state] : keys_) {
    if (state.own != nullptr) PublishLocked(key, state.own, to_notify);
  }
}

void SnapshotCache::SetSnapshot(const std::string& key, SnapshotPtr snapshot) {
  std::vector<Notification> to_notify;
  {
    absl::MutexLock lock(&mu_);
    PublishLocked(key, std::move(snapshot), &to_notify);
  }
  Deliver(to_notify);
}

SnapshotPtr SnapshotCache::GetSnapshot(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : it->second.snapshot;
}

void SnapshotCache::ClearSnapshot(const std::string& key) {
  std::vector<Notification> to_notify;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.snapshot == nullptr) return;
    PublishLocked(key, nullptr, &to_notify);
  }
  Deliver(to_notify);
}

void SnapshotCache::SetTypeResources(std::string_view type_url,
                                     std::vector<ResourcePtr> resources) {
  std::vector<Notification> to_notify;
  {
    absl::MutexLock lock(&mu_);
    fleet_types_[std::string(type_url)] = ResourceMap(std::move(resources));
    RepublishAllLocked(&to_notify);
  }
  Deliver(to_notify);
}

void SnapshotCache::UpdateTypeResources(std::string_view type_url,
                                        const std::vector<ResourcePtr>& upserts,
                                        const std::vector<std::string>& removals) {
  std::vector<Notification> to_notify;
  {
    absl::MutexLock lock(&mu_);
    ResourceMap& resources = fleet_types_[std::string(type_url)];
    for (const ResourcePtr& resource : upserts) resources = resources.With(resource);
    for (const std::string& name : removals) resources = resources.Without(name);
    RepublishAllLocked(&to_notify);
  }
  Deliver(to_notify);
}

void SnapshotCache::ClearTypeResources(std::string_view type_url) {
  std::vector<Notification> to_notify;
  {
    absl::MutexLock lock(&mu_);
    auto it = fleet_types_.find(type_url);
    if (it == fleet_types_.end()) return;
    fleet_types_.erase(it);
    RepublishAllLocked(&to_notify);
  }
  Deliver(to_notify);
}

std::optional<ResourceMap> SnapshotCache::TypeResources(std::string_view type_url) const {
  absl::MutexLock lock(&mu_);
  auto it = fleet_types_.find(type_url);
  if (it == fleet_types_.end()) return std::nullopt;
  return it->second;
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

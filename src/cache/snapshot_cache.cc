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

SnapshotCache::SnapshotCache(NodeHash node_hash, PushOptions push)
    : node_hash_(std::move(node_hash)), push_options_(std::move(push)) {
  if (push_options_.quiet > absl::ZeroDuration()) {
    pusher_ = std::thread([this] { PusherLoop(); });
  }
}

SnapshotCache::~SnapshotCache() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (pusher_.joinable()) pusher_.join();
}

void SnapshotCache::PublishLocked(const std::string& key, SnapshotPtr own) {
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
  dirty_keys_.insert(key);
  const absl::Time now = absl::Now();
  if (first_change_ == absl::InfiniteFuture()) first_change_ = now;
  last_change_ = now;
}

void SnapshotCache::RepublishAllLocked() {
  for (auto& [key, state] : keys_) {
    if (state.own != nullptr) PublishLocked(key, state.own);
  }
}

void SnapshotCache::PushOrSchedule() {
  // With a quiet period the pusher thread notices the change (it waits on the change times).
  if (push_options_.quiet == absl::ZeroDuration()) PushNow();
}

void SnapshotCache::PusherLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        if (stopping_ || dirty_keys_.empty()) return stopping_;
        const absl::Time now = absl::Now();
        return now - last_change_ >= push_options_.quiet ||
               now - first_change_ >= push_options_.max_delay;
      };
      while (!due()) {
        // Wake for a new change, for the stop, or when the earliest deadline passes.
        absl::Duration wait = absl::Milliseconds(100);
        if (!dirty_keys_.empty()) {
          const absl::Time now = absl::Now();
          wait = std::min(last_change_ + push_options_.quiet - now,
                          first_change_ + push_options_.max_delay - now);
        }
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), std::max(wait, absl::Milliseconds(1)));
      }
      if (stopping_) return;
    }
    PushNow();
  }
}

void SnapshotCache::PushNow() {
  {
    absl::MutexLock lock(&mu_);
    // One push delivers at a time; one under way picks up what changed meanwhile (so a watcher
    // or callback that sets a snapshot does not wait for itself).
    if (pushing_) return;
    pushing_ = true;
  }
  while (true) {
    std::vector<Notification> to_notify;
    std::optional<PushReport> superseded;
    {
      absl::MutexLock lock(&mu_);
      if (dirty_keys_.empty() || stopping_) {
        pushing_ = false;
        return;
      }
      if (push_.has_value()) {
        push_->report.elapsed = absl::Now() - push_->started;
        superseded = std::move(push_->report);
      }
      push_ = Push();  // not emplace(): clang (tidy) 14 misjudges Push as not constructible
      push_->report.id = next_push_id_++;
      push_->started = absl::Now();
      for (const std::string& key : dirty_keys_) {
        push_->report.keys.push_back(key);
        const KeyState& state = keys_[key];
        for (const auto& watcher : state.watchers) {
          to_notify.push_back({watcher, state.snapshot, state.generation});
        }
      }
      push_->report.streams = static_cast<int>(to_notify.size());
      dirty_keys_.clear();
      first_change_ = absl::InfiniteFuture();
    }
    Report(superseded);
    for (const Notification& n : to_notify) n.watcher->OnSnapshot(n.snapshot, n.generation);
    std::optional<PushReport> done;
    bool again = false;
    {
      absl::MutexLock lock(&mu_);
      if (push_.has_value()) push_->delivering = false;
      done = MaybeCompletePushLocked();
      // With a quiet period, what changed meanwhile waits for the pusher's schedule.
      again = push_options_.quiet == absl::ZeroDuration() && !dirty_keys_.empty();
      if (!again) pushing_ = false;
    }
    Report(done);
    if (!again) return;
  }
}

std::optional<PushReport> SnapshotCache::MaybeCompletePushLocked() {
  if (!push_.has_value() || push_->delivering || !push_->pending.empty()) return std::nullopt;
  push_->report.complete = true;
  push_->report.elapsed = absl::Now() - push_->started;
  PushReport report = std::move(push_->report);
  push_.reset();
  return report;
}

void SnapshotCache::Report(const std::optional<PushReport>& report) const {
  if (report.has_value() && push_options_.on_report) push_options_.on_report(*report);
}

void SnapshotCache::SetSnapshot(const std::string& key, SnapshotPtr snapshot) {
  {
    absl::MutexLock lock(&mu_);
    PublishLocked(key, std::move(snapshot));
  }
  PushOrSchedule();
}

SnapshotPtr SnapshotCache::GetSnapshot(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : it->second.snapshot;
}

void SnapshotCache::ClearSnapshot(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.snapshot == nullptr) return;
    PublishLocked(key, nullptr);
  }
  PushOrSchedule();
}

void SnapshotCache::SetTypeResources(std::string_view type_url,
                                     std::vector<ResourcePtr> resources) {
  {
    absl::MutexLock lock(&mu_);
    fleet_types_[std::string(type_url)] = ResourceMap(std::move(resources));
    RepublishAllLocked();
  }
  PushOrSchedule();
}

void SnapshotCache::UpdateTypeResources(std::string_view type_url,
                                        const std::vector<ResourcePtr>& upserts,
                                        const std::vector<std::string>& removals) {
  {
    absl::MutexLock lock(&mu_);
    ResourceMap& resources = fleet_types_[std::string(type_url)];
    for (const ResourcePtr& resource : upserts) resources = resources.With(resource);
    for (const std::string& name : removals) resources = resources.Without(name);
    RepublishAllLocked();
  }
  PushOrSchedule();
}

void SnapshotCache::ClearTypeResources(std::string_view type_url) {
  {
    absl::MutexLock lock(&mu_);
    auto it = fleet_types_.find(type_url);
    if (it == fleet_types_.end()) return;
    fleet_types_.erase(it);
    RepublishAllLocked();
  }
  PushOrSchedule();
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
  if (push_.has_value()) {
    // Sent while a push is open: part of it, including what coalesced behind an earlier
    // response and goes out once that is answered.
    if (push_->reached.insert(node_id).second) ++push_->report.nodes_reached;
    ++push_->report.responses;
    push_->pending[{node_id, type_url}] = version;
  }
}

bool SnapshotCache::AnswerPushLocked(const std::string& node_id, const std::string& type_url,
                                     const std::string& version) {
  if (!push_.has_value()) return false;
  auto it = push_->pending.find({node_id, type_url});
  if (it == push_->pending.end() || it->second != version) return false;
  push_->pending.erase(it);
  return true;
}

void SnapshotCache::RecordAck(const std::string& node_id, const std::string& type_url,
                              const std::string& version) {
  const absl::Time now = absl::Now();
  std::optional<PushReport> done;
  {
    absl::MutexLock lock(&mu_);
    TypeStatus& type = TypeStatusLocked(node_id, type_url);
    type.version_acked = version;
    type.acked_at = now;
    type.state = SyncState::kSynced;
    if (AnswerPushLocked(node_id, type_url, version)) {
      ++push_->report.acked;
      done = MaybeCompletePushLocked();
    }
  }
  Report(done);
}

void SnapshotCache::RecordNack(const std::string& node_id, const std::string& type_url,
                               const std::string& version, const std::string& error,
                               const std::string& running_version) {
  const absl::Time now = absl::Now();
  std::optional<PushReport> done;
  {
    absl::MutexLock lock(&mu_);
    if (AnswerPushLocked(node_id, type_url, version)) {
      ++push_->report.nacked;
      done = MaybeCompletePushLocked();
    }
    TypeStatus& type = TypeStatusLocked(node_id, type_url);
    if (type.version_acked.empty()) type.version_acked = running_version;
    type.version_nacked = version;
    type.nack_error = error;
    type.nacked_at = now;
    ++type.nack_count;
    type.state = SyncState::kNacked;
  }
  Report(done);
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

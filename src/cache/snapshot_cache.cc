#include "xdsd/snapshot_cache.h"

#include <algorithm>
#include <memory>

#include "cache/push_batcher.h"

namespace xdsd {

std::string NodeIdHash(const envoy::config::core::v3::Node& node) { return node.id(); }

SnapshotCache::SnapshotCache(NodeHash node_hash, PushOptions push)
    : node_hash_(std::move(node_hash)),
      batcher_(std::make_unique<cache::PushBatcher>(
          std::move(push),
          [this]() -> std::optional<cache::PushBatcher::Batch> {
            // What changed since the last push, collected under mu_ and delivered outside it.
            struct Notification {
              std::shared_ptr<SnapshotWatcher> watcher;
              SnapshotPtr snapshot;
              uint64_t generation;
            };
            auto notifications = std::make_shared<std::vector<Notification>>();
            cache::PushBatcher::Batch batch;
            {
              absl::MutexLock lock(&mu_);
              if (dirty_keys_.empty()) return std::nullopt;
              for (const std::string& key : dirty_keys_) {
                batch.keys.push_back(key);
                const KeyState& state = keys_[key];
                for (const auto& watcher : state.watchers) {
                  notifications->push_back({watcher, state.snapshot, state.generation});
                }
              }
              dirty_keys_.clear();
            }
            batch.streams = static_cast<int>(notifications->size());
            batch.deliver = [notifications] {
              for (const Notification& n : *notifications) {
                n.watcher->OnSnapshot(n.snapshot, n.generation);
              }
            };
            return batch;
          })),
      observer_({&node_status_, batcher_.get()}) {}

// The batcher goes first (a member destroyed last would be too late): it stops its thread,
// which may be collecting from keys_.
SnapshotCache::~SnapshotCache() { batcher_.reset(); }

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
  state.generation = ++last_generation_;
  dirty_keys_.insert(key);
}

void SnapshotCache::RepublishAllLocked() {
  for (auto& [key, state] : keys_) {
    if (state.own != nullptr) PublishLocked(key, state.own);
  }
}

void SnapshotCache::SetSnapshot(const std::string& key, SnapshotPtr snapshot) {
  {
    absl::MutexLock lock(&mu_);
    PublishLocked(key, std::move(snapshot));
  }
  batcher_->Changed();
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
  batcher_->Changed();
}

void SnapshotCache::SetTypeResources(std::string_view type_url,
                                     std::vector<ResourcePtr> resources) {
  {
    absl::MutexLock lock(&mu_);
    fleet_types_[std::string(type_url)] = ResourceMap(std::move(resources));
    RepublishAllLocked();
  }
  batcher_->Changed();
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
  batcher_->Changed();
}

void SnapshotCache::ClearTypeResources(std::string_view type_url) {
  {
    absl::MutexLock lock(&mu_);
    auto it = fleet_types_.find(type_url);
    if (it == fleet_types_.end()) return;
    fleet_types_.erase(it);
    RepublishAllLocked();
  }
  batcher_->Changed();
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

WatchStart SnapshotCache::Watch(const envoy::config::core::v3::Node& node,
                                std::shared_ptr<SnapshotWatcher> watcher) {
  WatchStart start;
  start.key = node_hash_(node);  // outside mu_: the hash may take locks of its own
  absl::MutexLock lock(&mu_);
  KeyState& state = keys_[start.key];
  watches_[watcher.get()] = WatchPlace{start.key, node.id()};
  state.watchers.push_back(std::move(watcher));
  start.snapshot = state.snapshot;
  start.generation = state.generation;
  node_status_.WatchOpened(node.id());
  return start;
}

void SnapshotCache::Unwatch(const std::string& key, const std::string& node_id,
                            const SnapshotWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  // The watch may have moved (MoveNode) since it started on `key`.
  auto place = watches_.find(watcher);
  const std::string current = place == watches_.end() ? key : place->second.key;
  if (place != watches_.end()) watches_.erase(place);
  auto it = keys_.find(current);
  if (it == keys_.end()) return;
  auto& watchers = it->second.watchers;
  const auto removed = std::remove_if(watchers.begin(), watchers.end(),
                                      [&](const auto& w) { return w.get() == watcher; });
  if (removed == watchers.end()) return;
  watchers.erase(removed, watchers.end());
  node_status_.WatchClosed(node_id);
  if (watchers.empty() && it->second.snapshot == nullptr) keys_.erase(it);
}

size_t SnapshotCache::MoveNode(const std::string& node_id, const std::string& key) {
  size_t moved = 0;
  {
    absl::MutexLock lock(&mu_);
    KeyState& target = keys_[key];
    for (auto& [watcher, place] : watches_) {
      if (place.node_id != node_id || place.key == key) continue;
      auto from = keys_.find(place.key);
      if (from != keys_.end()) {
        auto& watchers = from->second.watchers;
        const auto* moving = watcher;  // a structured binding cannot be captured (clang 14)
        auto it = std::find_if(watchers.begin(), watchers.end(),
                               [moving](const auto& w) { return w.get() == moving; });
        if (it != watchers.end()) {
          target.watchers.push_back(std::move(*it));
          watchers.erase(it);
        }
        if (watchers.empty() && from->second.snapshot == nullptr) keys_.erase(from);
      }
      place.key = key;
      ++moved;
    }
    if (moved == 0 || target.snapshot == nullptr) return moved;
    // Every watcher of `key` gets its snapshot again, under a generation newer than any the
    // moved ones have; for those that were there already nothing differs, so nothing is sent.
    target.generation = ++last_generation_;
    dirty_keys_.insert(key);
  }
  batcher_->Changed();
  return moved;
}

std::optional<std::string> SnapshotCache::KeyOfNode(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [watcher, place] : watches_) {
    if (place.node_id == node_id) return place.key;
  }
  return std::nullopt;
}

}  // namespace xdsd

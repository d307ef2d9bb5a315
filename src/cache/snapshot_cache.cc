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

void SnapshotCache::AttachLocked(const std::string& key, std::shared_ptr<SnapshotWatcher> watcher,
                                 WatchPlace& place) {
  auto& watchers = keys_[key].watchers;
  place.key = key;
  place.index = watchers.size();
  watchers.push_back(std::move(watcher));
}

std::shared_ptr<SnapshotWatcher> SnapshotCache::DetachLocked(const WatchPlace& place) {
  auto it = keys_.find(place.key);
  if (it == keys_.end()) return nullptr;
  auto& watchers = it->second.watchers;
  std::shared_ptr<SnapshotWatcher> watcher = std::move(watchers[place.index]);
  if (place.index + 1 != watchers.size()) {
    watchers[place.index] = std::move(watchers.back());
    watches_.find(watchers[place.index].get())->second.index = place.index;
  }
  watchers.pop_back();
  if (watchers.empty() && it->second.snapshot == nullptr) keys_.erase(it);
  return watcher;
}

WatchStart SnapshotCache::Watch(const envoy::config::core::v3::Node& node,
                                std::shared_ptr<SnapshotWatcher> watcher) {
  WatchStart start;
  start.key = node_hash_(node);  // outside mu_: the hash may take locks of its own
  absl::MutexLock lock(&mu_);
  const SnapshotWatcher* id = watcher.get();
  auto [place, added] = watches_.try_emplace(id);
  if (!added) DetachLocked(place->second);  // watched again: it is where it was asked last
  place->second.node_id = node.id();
  AttachLocked(start.key, std::move(watcher), place->second);
  if (added) node_watches_[node.id()].push_back(id);
  const KeyState& state = keys_[start.key];
  start.snapshot = state.snapshot;
  start.generation = state.generation;
  node_status_.WatchOpened(node.id());
  return start;
}

void SnapshotCache::Unwatch(const std::string& /*key*/, const std::string& node_id,
                            const SnapshotWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  // The watch may have moved (MoveNode) since it started on the key it was given.
  auto place = watches_.find(watcher);
  if (place == watches_.end()) return;
  const WatchPlace where = std::move(place->second);
  watches_.erase(place);
  DetachLocked(where);
  auto node = node_watches_.find(where.node_id);
  if (node != node_watches_.end()) {
    std::erase(node->second, watcher);
    if (node->second.empty()) node_watches_.erase(node);
  }
  node_status_.WatchClosed(node_id);
}

size_t SnapshotCache::MoveNodeLocked(const std::string& node_id, const std::string& key,
                                     std::set<std::string>& targets) {
  auto node = node_watches_.find(node_id);
  if (node == node_watches_.end()) return 0;
  size_t moved = 0;
  for (const SnapshotWatcher* id : node->second) {
    WatchPlace& place = watches_.find(id)->second;
    if (place.key == key) continue;
    AttachLocked(key, DetachLocked(place), place);
    ++moved;
  }
  if (moved > 0) targets.insert(key);
  return moved;
}

bool SnapshotCache::RepushLocked(const std::set<std::string>& targets) {
  bool any = false;
  for (const std::string& key : targets) {
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.snapshot == nullptr) continue;
    // Every watcher of `key` gets its snapshot again, under a generation newer than any the
    // moved ones have; for those that were there already nothing differs, so nothing is sent.
    it->second.generation = ++last_generation_;
    dirty_keys_.insert(key);
    any = true;
  }
  return any;
}

size_t SnapshotCache::MoveNode(const std::string& node_id, const std::string& key) {
  return MoveNodes({{node_id, key}});
}

size_t SnapshotCache::MoveNodes(const std::vector<std::string>& node_ids, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> moves;
  moves.reserve(node_ids.size());
  for (const std::string& node_id : node_ids) moves.emplace_back(node_id, key);
  return MoveNodes(moves);
}

size_t SnapshotCache::MoveNodes(const std::vector<std::pair<std::string, std::string>>& moves) {
  size_t moved = 0;
  bool repush = false;
  {
    absl::MutexLock lock(&mu_);
    std::set<std::string> targets;
    for (const auto& [node_id, key] : moves) moved += MoveNodeLocked(node_id, key, targets);
    repush = RepushLocked(targets);
  }
  if (repush) batcher_->Changed();
  return moved;
}

std::optional<std::string> SnapshotCache::KeyOfNode(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto node = node_watches_.find(node_id);
  if (node == node_watches_.end()) return std::nullopt;
  return watches_.find(node->second.front())->second.key;
}

}  // namespace xdsd

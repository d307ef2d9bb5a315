#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "xdsd/cache.h"
#include "xdsd/callbacks_chain.h"
#include "xdsd/node_status.h"
#include "xdsd/push.h"
#include "xdsd/resource_map.h"
#include "xdsd/snapshot.h"
#include "xdsd/status.h"

namespace xdsd {
namespace cache {
class PushBatcher;
}  // namespace cache

// Maps a node to the key its snapshot is stored under.
using NodeHash = std::function<std::string(const envoy::config::core::v3::Node&)>;

// The default NodeHash: node.id.
std::string NodeIdHash(const envoy::config::core::v3::Node& node);

// Snapshots by node key (go-control-plane's SnapshotCache), and the watches of the streams
// that serve them; the fleet-wide resources of a type (go-control-plane's LinearCache); and,
// beside it, the status of every node that has connected (NodeStatusTracker).
//
// Thread-safe. No lock is held while a watcher is called.
class SnapshotCache : public Cache {
 public:
  explicit SnapshotCache(NodeHash node_hash = NodeIdHash, PushOptions push = {});
  ~SnapshotCache() override;
  SnapshotCache(const SnapshotCache&) = delete;
  SnapshotCache& operator=(const SnapshotCache&) = delete;

  // Serves `snapshot` to every node whose key is `key`: pushed to open streams at once, or
  // after the quiet period of PushOptions.
  void SetSnapshot(const std::string& key, SnapshotPtr snapshot);
  // The snapshot of `key`, or null.
  SnapshotPtr GetSnapshot(const std::string& key) const override;
  // Forgets the snapshot of `key`; open streams keep what they were sent and wait for a new one.
  void ClearSnapshot(const std::string& key);

  // Fleet-wide resources of one type: the incremental cache for large sets that change often,
  // such as endpoints. Once set, every key's snapshot serves these resources for `type_url`
  // in place of its own, over SotW, delta and Fetch alike. Updates take time proportional to
  // what changed, not to the size of the set (see ResourceMap), plus one cheap snapshot per
  // key. A key without a snapshot gets none from this: its nodes wait for their snapshot.
  //
  // UpdateTypeResources adds or replaces `upserts` and removes `removals` as one change.
  void SetTypeResources(std::string_view type_url, std::vector<ResourcePtr> resources);
  void UpdateTypeResources(std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                           const std::vector<std::string>& removals = {});
  // Stops serving `type_url` fleet-wide: the keys' own snapshots serve it again.
  void ClearTypeResources(std::string_view type_url);
  // The fleet-wide resources of `type_url`, or nullopt when the type has none.
  std::optional<ResourceMap> TypeResources(std::string_view type_url) const;
  // The keys that have a snapshot.
  std::vector<std::string> Keys() const;

  // Moves the open watches of node `node_id` to `key`, live, without the node reconnecting:
  // each is delivered `key`'s snapshot as an ordinary new snapshot (its streams send what
  // differs, as for any version change, over SotW and delta alike), then every later snapshot
  // of `key`. A node starts on the key NodeHash gives it; a program that serves different
  // snapshots to nodes of one group (a progressive rollout: one key per group and revision)
  // moves them between keys with this. When `key` has no snapshot yet, the watches wait for
  // one. Returns how many watches moved.
  // Costs O(the node's watches), not O(every watch).
  size_t MoveNode(const std::string& node_id, const std::string& key);
  // MoveNode for many nodes as one change (a rollout wave, an abort): each target key's
  // generation is bumped once and the push is triggered once. `moves` is (node id, key) pairs;
  // a node named twice ends on its last key. Returns how many watches moved.
  size_t MoveNodes(const std::vector<std::pair<std::string, std::string>>& moves);
  size_t MoveNodes(const std::vector<std::string>& node_ids, const std::string& key);
  // The key the open watches of `node_id` are on, or nullopt when it has none.
  std::optional<std::string> KeyOfNode(const std::string& node_id) const;

  // Cache.
  std::string KeyOf(const envoy::config::core::v3::Node& node) const override {
    return node_hash_(node);
  }
  using WatchStart = xdsd::WatchStart;
  WatchStart Watch(const envoy::config::core::v3::Node& node,
                   std::shared_ptr<SnapshotWatcher> watcher) override;
  void Unwatch(const std::string& key, const std::string& node_id,
               const SnapshotWatcher* watcher) override;
  // The node status tracker and the push reports, fed by the server's streams.
  Callbacks* StreamObserver() override { return &observer_; }

  // The status of every node that has connected.
  const NodeStatusTracker& node_status() const { return node_status_; }
  // To set its limits (NodeLimits), hook what is forgotten with a node, and sweep.
  NodeStatusTracker& node_status() { return node_status_; }
  // The status of one node (by node.id), or nullopt for a node never seen.
  std::optional<NodeStatus> GetNodeStatus(const std::string& node_id) const {
    return node_status_.Get(node_id);
  }
  // Every node seen, by node.id; with `connected_only`, those with an open stream.
  std::vector<NodeStatus> NodeStatuses(bool connected_only = false) const {
    return node_status_.All(connected_only);
  }

 private:
  struct KeyState {
    SnapshotPtr own;          // as set by SetSnapshot
    SnapshotPtr snapshot;     // what is served: `own` with the fleet-wide types in place
    uint64_t generation = 0;  // from last_generation_
    // In no particular order: a watcher is removed by swapping the last one into its place.
    std::vector<std::shared_ptr<SnapshotWatcher>> watchers;
  };
  // Where an open watch is: MoveNode changes it, Unwatch finds it here.
  struct WatchPlace {
    std::string key;
    std::string node_id;
    size_t index = 0;  // in keys_[key].watchers
  };
  // Adds `watcher` to `key`'s watchers and records where it is in `place`.
  void AttachLocked(const std::string& key, std::shared_ptr<SnapshotWatcher> watcher,
                    WatchPlace& place) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the watcher of `place` out of its key's watchers (O(1)) and returns it; forgets the
  // key when it has neither watchers nor a snapshot left.
  std::shared_ptr<SnapshotWatcher> DetachLocked(const WatchPlace& place)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves every watch of `node_id` to `key`; adds `key` to `targets` when one moved.
  size_t MoveNodeLocked(const std::string& node_id, const std::string& key,
                        std::set<std::string>& targets) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bumps the generation of each key in `targets` that has a snapshot and marks it to push.
  // Returns whether any was.
  bool RepushLocked(const std::set<std::string>& targets) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets what `key` serves from `own` and the fleet-wide types, and marks it to push.
  void PublishLocked(const std::string& key, SnapshotPtr own) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RepublishAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NodeHash node_hash_;  // constant after construction

  mutable absl::Mutex mu_;
  std::map<std::string, KeyState, std::less<>> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ResourceMap, std::less<>> fleet_types_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_keys_ ABSL_GUARDED_BY(mu_);  // changed since the last push
  absl::flat_hash_map<const SnapshotWatcher*, WatchPlace> watches_ ABSL_GUARDED_BY(mu_);
  // The open watches of each node (by node.id): what MoveNode and KeyOfNode look at.
  absl::flat_hash_map<std::string, std::vector<const SnapshotWatcher*>> node_watches_
      ABSL_GUARDED_BY(mu_);
  // Generations are counted over every key, so that a watch moved to another key never takes
  // that key's snapshot for a delivery older than the one it has.
  uint64_t last_generation_ ABSL_GUARDED_BY(mu_) = 0;

  NodeStatusTracker node_status_;
  std::unique_ptr<cache::PushBatcher> batcher_;
  CallbacksChain observer_;  // node_status_, then batcher_
};

}  // namespace xdsd

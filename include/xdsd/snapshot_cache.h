#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/config/core/v3/base.pb.h"
#include "xdsd/resource_map.h"
#include "xdsd/snapshot.h"
#include "xdsd/status.h"

namespace xdsd {

// Maps a node to the key its snapshot is stored under.
using NodeHash = std::function<std::string(const envoy::config::core::v3::Node&)>;

// The default NodeHash: node.id.
std::string NodeIdHash(const envoy::config::core::v3::Node& node);

// Receives every snapshot set for a key. Called outside the cache's lock, on the thread that
// set the snapshot; must not block. `generation` grows with every set or clear of the key, so
// that a receiver can drop a delivery that overtook a newer one.
class SnapshotWatcher {
 public:
  virtual ~SnapshotWatcher() = default;
  virtual void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) = 0;
};

// What one push did: the snapshots of some keys delivered to their streams, and what the nodes
// made of what they were sent because of it.
struct PushReport {
  uint64_t id = 0;
  std::vector<std::string> keys;  // the keys whose snapshots the push delivered
  int streams = 0;                // streams watching those keys
  int nodes_reached = 0;          // nodes sent at least one response during the push
  int responses = 0;
  int acked = 0;   // responses ACKed
  int nacked = 0;  // responses NACKed
  // Until every response was answered, or until the next push superseded this one.
  absl::Duration elapsed;
  bool complete = false;  // every response was answered
};

// How changes reach the streams. With a quiet period, changes from any source (SetSnapshot,
// the fleet-wide types) are pushed together once no change came for `quiet`, or `max_delay`
// after the first, so a burst of changes makes one push.
struct PushOptions {
  absl::Duration quiet = absl::ZeroDuration();  // zero: push every change at once
  absl::Duration max_delay = absl::Seconds(1);
  // Called once per push, when it completes or is superseded; off any lock, must not block.
  std::function<void(const PushReport&)> on_report;
};

// Snapshots by node key, the watches of the streams that serve them, and the status of every
// node that has connected: what it was sent, ACKed and rejected, per type.
//
// Thread-safe. No lock is held while a watcher is called.
class SnapshotCache {
 public:
  explicit SnapshotCache(NodeHash node_hash = NodeIdHash, PushOptions push = {});
  ~SnapshotCache();
  SnapshotCache(const SnapshotCache&) = delete;
  SnapshotCache& operator=(const SnapshotCache&) = delete;

  // Serves `snapshot` to every node whose key is `key`: pushed to open streams at once, or
  // after the quiet period of PushOptions.
  void SetSnapshot(const std::string& key, SnapshotPtr snapshot);
  // The snapshot of `key`, or null.
  SnapshotPtr GetSnapshot(const std::string& key) const;
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

  std::string KeyOf(const envoy::config::core::v3::Node& node) const { return node_hash_(node); }

  // Watches.
  //
  // Watch registers `watcher` for the snapshots of `node`'s key and returns the key's current
  // snapshot (null when none) with its generation. Unwatch removes it; after Unwatch returns no
  // further call reaches the watcher from a later SetSnapshot (one already under way may still
  // arrive, so the watcher must tolerate a late call, e.g. by being shared-owned).
  struct WatchStart {
    std::string key;
    SnapshotPtr snapshot;
    uint64_t generation = 0;
  };
  WatchStart Watch(const envoy::config::core::v3::Node& node,
                   std::shared_ptr<SnapshotWatcher> watcher);
  // `key` is the WatchStart's (a node's key may change meanwhile, with a pluggable NodeHash).
  void Unwatch(const std::string& key, const std::string& node_id,
               const SnapshotWatcher* watcher);

  // Node status, reported by the streams.
  // `peer` is the client's address as gRPC gives it ("ipv4:10.0.0.7:53622"); `variant` says
  // which protocol the stream speaks ("sotw-ads", "delta-ads", "sotw", "delta").
  void RecordStreamOpen(const envoy::config::core::v3::Node& node, const std::string& peer = "",
                        const std::string& variant = "");
  void RecordStreamClosed(const std::string& node_id);
  void RecordRequest(const std::string& node_id, const std::string& type_url);
  void RecordSent(const std::string& node_id, const std::string& type_url,
                  const std::string& version, const std::string& nonce);
  void RecordAck(const std::string& node_id, const std::string& type_url,
                 const std::string& version);
  // `running_version` is the version the client says it still runs (the NACK's version_info);
  // it stands as the ACKed version when none was seen on this process (after a restart).
  void RecordNack(const std::string& node_id, const std::string& type_url,
                  const std::string& version, const std::string& error,
                  const std::string& running_version = "");

  // The status of one node (by node.id), or nullopt for a node never seen.
  std::optional<NodeStatus> GetNodeStatus(const std::string& node_id) const;
  // Every node seen, by node.id; with `connected_only`, those with an open stream.
  std::vector<NodeStatus> NodeStatuses(bool connected_only = false) const;

 private:
  struct KeyState {
    SnapshotPtr own;       // as set by SetSnapshot
    SnapshotPtr snapshot;  // what is served: `own` with the fleet-wide types in place
    uint64_t generation = 0;
    std::vector<std::shared_ptr<SnapshotWatcher>> watchers;
  };
  TypeStatus& TypeStatusLocked(const std::string& node_id, const std::string& type_url)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A delivery to make once mu_ is released.
  struct Notification {
    std::shared_ptr<SnapshotWatcher> watcher;
    SnapshotPtr snapshot;
    uint64_t generation;
  };
  // The push under way: the responses sent since it began, awaiting their ACK or NACK.
  struct Push {
    PushReport report;
    absl::Time started;
    bool delivering = true;
    std::set<std::string> reached;
    std::map<std::pair<std::string, std::string>, std::string> pending;  // (node, type) → version
  };
  // Sets what `key` serves from `own` and the fleet-wide types, and marks it to push.
  void PublishLocked(const std::string& key, SnapshotPtr own) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RepublishAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Pushes the marked keys now (no quiet period), or wakes the pusher.
  void PushOrSchedule();
  // Delivers the marked keys' snapshots to their watchers, as one push.
  void PushNow();
  void PusherLoop();
  // Ends the push when nothing is pending; returns its report to send once mu_ is released.
  std::optional<PushReport> MaybeCompletePushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Report(const std::optional<PushReport>& report) const;
  // Counts an answer to a response of the open push; false when it answers none.
  bool AnswerPushLocked(const std::string& node_id, const std::string& type_url,
                        const std::string& version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NodeHash node_hash_;   // constant after construction
  const PushOptions push_options_;  // constant after construction

  mutable absl::Mutex mu_;
  std::map<std::string, KeyState, std::less<>> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, NodeStatus, std::less<>> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ResourceMap, std::less<>> fleet_types_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_keys_ ABSL_GUARDED_BY(mu_);  // changed since the last push
  absl::Time first_change_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_change_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t next_push_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::optional<Push> push_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool pushing_ ABSL_GUARDED_BY(mu_) = false;  // a PushNow is delivering
  std::thread pusher_;   // with a quiet period only
};

}  // namespace xdsd

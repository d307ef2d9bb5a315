#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/config_loader.h"
#include "config/rollout_policy.h"
#include "xdsd/callbacks.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::config {

// A cache key of the planner: a group's own key ("" or its name), or "GROUP@rN", the key of
// revision N while it rolls out to the group. Group names cannot hold '@' (the config refuses
// them), so the split is unambiguous.
struct RolloutKey {
  std::string group;
  int64_t revision = 0;  // 0 for a group's own key
};
std::string RolloutKeyName(std::string_view group, int64_t revision);
RolloutKey SplitRolloutKey(std::string_view key);

// Where one group's rollout stands (GET /v1/rollout). Group "" is the default resources.
struct RolloutReport {
  struct Halt {
    std::string node_id;
    std::string type_url;
    std::string error;  // the client's NACK text, secrets redacted
    absl::Time at = absl::InfinitePast();
  };
  std::string group;
  int64_t revision = 0;           // the revision rolling out
  int64_t previous_revision = 0;  // what the nodes not yet reached keep
  std::string state;              // "rolling", "baking", "halted", "aborted", "done"
  size_t wave = 0;                // 1-based: the wave under way (or where it stopped)
  size_t waves = 0;
  absl::Duration bake;
  absl::Time bake_until = absl::InfinitePast();  // while baking
  bool rolled_back = false;                      // halted and the finished waves sent back
  // Connected nodes of the group by the revision they are served.
  std::map<int64_t, size_t> nodes_per_revision;
  // The connected nodes of each wave so far (ids, at most kMaxIdsPerWave each), and how many.
  std::vector<std::vector<std::string>> wave_nodes;
  std::vector<size_t> wave_node_counts;
  std::optional<Halt> halt;
  absl::Time started_at = absl::InfinitePast();
};

// The rollout planner: the one place that decides which revision each node is served.
//
// Without a policy it publishes every snapshot under its group's key ("" or the group's name),
// to every node at once: what ConfigPublisher always did. A group with a policy
// (RolloutPolicy) whose snapshot changes keeps its key on the previous revision and gets a
// second key, "GROUP@rN", for the new one; nodes are moved between the two with
// SnapshotCache::MoveNode, live. One rollout, per group:
//
//   rolling  the nodes of waves 1..w are on the new key; waiting until every connected node of
//            wave w has ACKed every type that changed (a node that was sent nothing of a type,
//            because nothing it asked for changed, counts once `settle` has passed)
//   baking   wave w has ACKed; after `bake` with no NACK the next wave starts (rolling), or,
//            after the last, every node gets the revision (done)
//   halted   a node on the new key NACKed it (halt_on_nack): no further node is moved, a node
//            that connects gets the previous revision; with auto_rollback the finished waves
//            are moved back too. Promote resumes with the next wave.
//   aborted  Abort: every node is back on the previous revision
//   done     the new revision is the group's key; the rollout key is cleared
//
// A newer revision supersedes a rollout under way and starts again at wave 1 against the same
// previous revision; nodes already on the superseded revision keep it until their wave of the
// new one (or until they reconnect), and its key is cleared once no node is on it. Serving at
// once (a rollback, the first load) ends every rollout.
//
// A node that connects is placed by the same rule (WaveOf); a node keeps the key its streams
// are on while it has any, so all its watches stay on one revision.
//
// Thread-safe. Fed stream events as Callbacks (add it to the server's callbacks). Calls into
// the cache are made without its lock held. The cache must outlive it.
class RolloutPlanner : public Callbacks {
 public:
  static constexpr size_t kMaxIdsPerWave = 20;

  struct Options {
    absl::Duration tick = absl::Milliseconds(100);  // zero: no thread; the caller calls Tick
    absl::Duration settle = absl::Seconds(1);
    // Applied to NACK texts before they are kept.
    std::function<std::string(std::string_view)> redact;
  };
  RolloutPlanner(SnapshotCache* cache, Options options);
  explicit RolloutPlanner(SnapshotCache* cache) : RolloutPlanner(cache, Options{}) {}
  ~RolloutPlanner() override;
  RolloutPlanner(const RolloutPlanner&) = delete;
  RolloutPlanner& operator=(const RolloutPlanner&) = delete;

  // Serves `content` as revision `revision`: to every node at once when `at_once`, else group
  // by group as each group's policy (top level: config.rollout; groups: their own) says.
  void Serve(int64_t revision, std::shared_ptr<const Config> content, bool at_once);
  // The policies for the rollouts that Serve starts from now on (a policy is the source's,
  // not a revision's). A rollout under way keeps the policy it started with.
  void SetPolicies(const Config& source);

  // The key of `node`'s snapshot (the cache's NodeHash).
  std::string KeyOf(const envoy::config::core::v3::Node& node) const;

  // Starts the next wave now (every group with a rollout under way or halted).
  // FailedPrecondition when no rollout is under way.
  absl::Status Promote();
  // Returns every node to the previous revision. FailedPrecondition when none is under way.
  absl::Status Abort();

  // Moves rollouts forward as their ACKs, bakes and NACKs say. The thread calls it every tick.
  void Tick(absl::Time now);

  // Every group's rollout, newest state; groups that never had one are absent.
  std::vector<RolloutReport> Report() const;
  uint64_t halts() const;

  // Callbacks.
  absl::Status OnStreamNode(const StreamInfo& stream,
                            const envoy::config::core::v3::Node& node) override;
  void OnStreamClosed(const StreamInfo& stream, const envoy::config::core::v3::Node& node) override;
  void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
              const AnswerInfo& answer) override;

 private:
  enum class State { kRolling, kBaking, kHalted, kAborted, kDone };
  struct Rollout {
    RolloutPolicy policy;
    int64_t revision = 0;
    int64_t previous = 0;
    std::string key;  // "GROUP@rN"
    SnapshotPtr snapshot;
    std::set<std::string> changed_types;
    State state = State::kRolling;
    size_t wave = 0;  // 0-based
    absl::Time started_at;
    absl::Time wave_started_at;
    absl::Time bake_until = absl::InfinitePast();
    std::optional<RolloutReport::Halt> halt;
    bool rolled_back = false;
  };
  struct NodeEntry {
    envoy::config::core::v3::Node node;  // id and cluster only
    int streams = 0;
    std::string key;
    absl::Time placed_at = absl::InfinitePast();  // put on `key`
  };
  // What to do to the cache once the lock is released, in order.
  struct Step {
    enum Kind { kSet, kMove, kClear } kind;
    std::string key;
    std::string node_id;   // kMove
    SnapshotPtr snapshot;  // kSet
  };
  using Steps = std::vector<Step>;

  bool Active(const Rollout& rollout) const {
    return rollout.state == State::kRolling || rollout.state == State::kBaking;
  }
  std::string PlaceLocked(const envoy::config::core::v3::Node& node, const std::string& group) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the group's connected nodes to `key` (all of them, or those of waves <= `wave`).
  void MoveGroupLocked(const std::string& group, const std::string& key, std::optional<size_t> wave,
                       Steps* steps) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartWaveLocked(const std::string& group, Rollout& rollout, size_t wave, absl::Time now,
                       Steps* steps) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(const std::string& group, Rollout& rollout, Steps* steps)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(const std::string& group, Rollout& rollout, Steps* steps)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool WaveAckedLocked(const std::string& group, const Rollout& rollout, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ClearUnusedKeysLocked(Steps* steps) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(const Steps& steps);
  const RolloutPolicy* PolicyOfLocked(const std::string& group) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SnapshotCache* const cache_;
  const Options options_;

  // Held while deciding and carrying out one change, so that the cache sees changes in the
  // order they were decided. Taken before mu_.
  absl::Mutex run_mu_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Config> content_ ABSL_GUARDED_BY(mu_);          // the newest revision's
  std::map<std::string, RolloutPolicy> policies_ ABSL_GUARDED_BY(mu_);  // by group
  std::map<std::string, int64_t> base_revision_ ABSL_GUARDED_BY(mu_);   // on the group's key
  std::map<std::string, SnapshotPtr> base_snapshot_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Rollout> rollouts_ ABSL_GUARDED_BY(mu_);  // by group
  // Superseded rollout keys, with their revision, until no node is on them.
  std::map<std::string, int64_t> stale_keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, NodeEntry> nodes_ ABSL_GUARDED_BY(mu_);  // connected, by id
  // Moved in the last tick: moved again in the next, for a watch that was opening meanwhile.
  Steps recent_moves_ ABSL_GUARDED_BY(mu_);
  uint64_t halts_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread ticker_;
};

}  // namespace xdsd::config

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "xdsd/callbacks.h"
#include "xdsd/status.h"

namespace xdsd {

// The status of every node that has connected: its streams, and per type what it was sent,
// ACKed and rejected. Fed by the streams as a Callbacks (SnapshotCache gives the server its
// tracker through Cache::StreamObserver), read by the admin server, CSDS and `xdsd status`.
//
// What the tracker remembers is bounded: a node whose streams all closed is forgotten after
// `forget_after`, at most `max_nodes` are kept (past it, the node disconnected the longest is
// forgotten first; connected nodes are never forgotten), and a node's metadata larger than
// `max_metadata_bytes` (serialized) is replaced by a note. Forgetting counts
// xdsd_refused_total{reason="node_state_evicted"} when it is forced by `max_nodes`.
struct NodeLimits {
  absl::Duration forget_after = absl::Minutes(5);
  size_t max_nodes = 100'000;
  size_t max_metadata_bytes = size_t{64} << 10;
};

// The metadata field that replaces metadata over NodeLimits::max_metadata_bytes.
inline constexpr char kTruncatedMetadataField[] = "xdsd.truncated";

// One page of nodes, in node.id order.
struct NodePageQuery {
  std::string after;    // only nodes whose id sorts after this; empty: from the first
  size_t limit = 1000;  // the most nodes returned
  bool connected_only = false;
  bool with_metadata = true;  // false leaves node.metadata out of the copies
};
struct NodePage {
  std::vector<NodeStatus> nodes;
  std::string next_after;  // the `after` of the next page; empty when this is the last
};

// Thread-safe; each call takes one short lock of its own.
class NodeStatusTracker : public Callbacks {
 public:
  // Takes effect for what happens next; set before serving.
  void SetLimits(const NodeLimits& limits);
  // Called with the id of every node forgotten, after the tracker's lock is released, so that
  // what else is kept per node (the names sent to it) is forgotten with it.
  void OnForget(std::function<void(const std::string& node_id)> on_forget);
  // Forgets the nodes disconnected for longer than `forget_after` at `now`; returns how many.
  // The daemon calls it periodically.
  size_t Sweep(absl::Time now);
  // How many nodes are remembered.
  size_t size() const;

  // The status of one node (by node.id), or nullopt for a node never seen (or forgotten).
  std::optional<NodeStatus> Get(const std::string& node_id) const;
  // Every node seen, by node.id; with `connected_only`, those with an open stream.
  std::vector<NodeStatus> All(bool connected_only = false) const;
  // One page of them.
  NodePage Page(const NodePageQuery& query) const;

  // A stream of `node_id` started or stopped waiting for its key's snapshots.
  void WatchOpened(const std::string& node_id);
  void WatchClosed(const std::string& node_id);

  absl::Status OnStreamNode(const StreamInfo& stream,
                            const envoy::config::core::v3::Node& node) override;
  void OnStreamFailed(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                      const absl::Status& why) override;
  void OnStreamClosed(const StreamInfo& stream, const envoy::config::core::v3::Node& node) override;
  absl::Status OnStreamRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DiscoveryRequest& request) override;
  absl::Status OnStreamDeltaRequest(
      const StreamInfo& stream, const envoy::config::core::v3::Node& node,
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) override;
  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;
  void OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
             const AnswerInfo& answer) override;
  void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
              const AnswerInfo& answer) override;

 private:
  void RecordRequest(const StreamInfo& stream, const std::string& node_id,
                     const std::string& type_url);
  // Null for a node not remembered.
  // Runs `update(type_status, now)` on the node's status of `type_url` (when the node is
  // remembered), under mu_.
  template <typename Update>
  void UpdateType(const std::string& node_id, const std::string& type_url, const Update& update);
  TypeStatus* TypeStatusLocked(const std::string& node_id, const std::string& type_url)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Forgets the node disconnected the longest (there must be one); appends its id to
  // `forgotten` for the OnForget callback.
  void ForgetOldestDisconnectedLocked(std::vector<std::string>* forgotten)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NotifyForgotten(const std::vector<std::string>& forgotten);

  mutable absl::Mutex mu_;
  NodeLimits limits_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&)> on_forget_ ABSL_GUARDED_BY(mu_);
  absl::btree_map<std::string, NodeStatus> nodes_ ABSL_GUARDED_BY(mu_);
  // The nodes without an open stream, by when their last stream closed.
  std::set<std::pair<absl::Time, std::string>> disconnected_ ABSL_GUARDED_BY(mu_);
  // The streams whose node this has seen (a refused stream closes without being seen).
  absl::flat_hash_map<int64_t, std::string> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd

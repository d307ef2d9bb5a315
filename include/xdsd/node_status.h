#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "xdsd/callbacks.h"
#include "xdsd/status.h"

namespace xdsd {

// The status of every node that has connected: its streams, and per type what it was sent,
// ACKed and rejected. Fed by the streams as a Callbacks (SnapshotCache gives the server its
// tracker through Cache::StreamObserver), read by the admin server, CSDS and `xdsd status`.
//
// Thread-safe; each call takes one short lock of its own.
class NodeStatusTracker : public Callbacks {
 public:
  // The status of one node (by node.id), or nullopt for a node never seen.
  std::optional<NodeStatus> Get(const std::string& node_id) const;
  // Every node seen, by node.id; with `connected_only`, those with an open stream.
  std::vector<NodeStatus> All(bool connected_only = false) const;

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
  TypeStatus& TypeStatusLocked(const std::string& node_id, const std::string& type_url)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, NodeStatus> nodes_ ABSL_GUARDED_BY(mu_);
  // The streams whose node this has seen (a refused stream closes without being seen).
  absl::flat_hash_map<int64_t, std::string> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xdsd

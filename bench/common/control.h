#pragma once

// What the three bench servers (xdsd, the raw floor, and — in Go — the go-control-plane peer)
// share: the ACK tracker that timestamps publishes and ACKs, and the stdin control loop.
//
// Control commands, one per line on stdin; each answers with one line on stdout:
//   wait-synced N TIMEOUT_S      wait until N counted nodes ACKed the current versions of every
//                                type; "synced n=.. want=.. ms=.. ok=1"; ms counts from the
//                                publish, or for the initial config from the first stream open
//   publish-small-change         one endpoint of cluster-00000 moves; "published epoch=.."
//   w2 UPDATES N TIMEOUT_S       UPDATES times: publish-small-change, wait-synced N; then
//                                "w2 updates=.. p50_ms=.. p99_ms=.. max_ms=.. all_p50_ms=..
//                                all_p99_ms=.. all_max_ms=.. cpu_us_per_stream_update=.."
//   churn SECONDS HZ PERCENT N   change PERCENT% of the clusters' endpoints HZ times a second for
//                                SECONDS, then wait for N nodes to converge; "churn publishes=..
//                                rss_start_mb=.. rss_end_mb=.. rss_max_mb=.. converge_ms=.."
//   stats                        "stats streams=.. nodes=.. rss_mb=.. hwm_mb=.. cpu_s=.."
//   quit
//
// Nodes whose id starts with "envoy-" are counted; "slow-" and "nack-" nodes (the load
// generator's slow readers and NACKers) are served but never waited for.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace xdsd::bench {

using TypeVersions = std::map<std::string, std::string>;  // type URL -> version

// Per node, the versions it ACKed; per epoch (a publish), when each counted node had ACKed all
// of the epoch's versions.
//
// Thread-safe.
class AckTracker {
 public:
  static bool Counted(const std::string& node_id) { return node_id.rfind("envoy-", 0) == 0; }

  // A new epoch, published at `start` (taken before the publish began, so that ACKs racing
  // with this call count): from now on a node is synced when it ACKed `targets`.
  void Publish(const TypeVersions& targets, absl::Time start = absl::Now());
  void OnStreamOpen();
  // An ACK (not a NACK) of `version` for `type_url` by `node_id`.
  void OnAck(const std::string& node_id, const std::string& type_url, const std::string& version);
  void OnNodeClosed(const std::string& node_id);

  struct Wait {
    int synced = 0;
    double ms = 0;  // when the last of them synced, from the epoch's start
    bool ok = false;
  };
  Wait WaitSynced(int n, absl::Duration timeout);
  // The per-node publish->ACK latencies of the current epoch, in ms.
  std::vector<double> CurrentLatencies();
  int nodes();

 private:
  struct NodeState {
    std::map<std::string, std::pair<std::string, absl::Time>> acked;  // version, when
    uint64_t synced_epoch = 0;                                        // 0: none
  };
  bool SyncedLocked(const NodeState& node) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkLocked(NodeState& node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 1;
  TypeVersions targets_ ABSL_GUARDED_BY(mu_);
  absl::Time epoch_start_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool initial_ ABSL_GUARDED_BY(mu_) = true;  // epoch 1 starts at the first stream open
  std::map<std::string, NodeState> nodes_ ABSL_GUARDED_BY(mu_);
  std::vector<double> latencies_ms_ ABSL_GUARDED_BY(mu_);
  int synced_ ABSL_GUARDED_BY(mu_) = 0;
};

// A server the control loop drives.
class BenchTarget {
 public:
  virtual ~BenchTarget() = default;
  // Moves the endpoints of `clusters` to their next generation and publishes; returns the
  // versions a synced node holds afterwards.
  virtual TypeVersions PublishEndpointChange(const std::vector<int>& clusters) = 0;
  virtual int64_t OpenStreams() = 0;
  virtual int clusters() const = 0;
};

// Reads commands from stdin until "quit" or end of input.
void RunControlLoop(BenchTarget& target, AckTracker& tracker);

// Process figures.
double CpuSeconds();
double RssMb();      // VmRSS
double PeakRssMb();  // VmHWM
double Percentile(std::vector<double> values, double p);

}  // namespace xdsd::bench

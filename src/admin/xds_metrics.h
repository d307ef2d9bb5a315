#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "admin/prometheus_text.h"
#include "config/rollout_planner.h"
#include "xdsd/callbacks.h"
#include "xdsd/resource.h"
#include "xdsd/resource_types.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::admin {

// The rollouts' metrics: xdsd_rollout_wave{group} (the wave under way or halted, 1-based; 0
// when none), xdsd_rollout_nodes{group,revision} (connected nodes per revision) and
// xdsd_rollout_halts_total.
void WriteRolloutMetrics(const config::RolloutPlanner& planner, PrometheusText& out);

// Prometheus metrics of the xDS streams, collected as Callbacks (chain it beside the others
// with a CallbacksChain), plus the config reloads the daemon reports:
//
//   xdsd_connected_streams{variant="sotw|delta",transport="ads|per-type",type}  gauge
//       (type is the short type name of a per-type stream, "" for ADS)
//   xdsd_pushes_total{type}                          responses written to streams
//   xdsd_bytes_sent_total                            bytes of those responses (see below)
//   xdsd_nacks_total{type}                           NACKs of the latest response of a type
//   xdsd_push_ack_latency_seconds{type}              histogram: response written → its ACK
//   xdsd_config_reloads_total{result="success|failure"}
//
// The latency runs from a response being written to the ACK of it, as the stream's protocol
// state decides (AnswerInfo::sent_at); stale answers and repeats are neither ACK nor NACK, and
// types xdsd does not serve are ignored. Type labels are the type names ("clusters").
//
// A series appears once something happened to it, so that the output does not list every
// combination of labels.
//
// Thread-safe and lock-light: counters are atomics; the table of open streams (which slot each
// counts in, so that a refused stream's close is not counted) is sharded by stream id with one
// short lock per shard; the histogram has its own lock (taken once per ACK). No lock is held
// while calling anything else.
class XdsMetrics : public Callbacks {
 public:
  // `now` is the clock, for tests.
  explicit XdsMetrics(std::function<absl::Time()> now = [] { return absl::Now(); });
  XdsMetrics(const XdsMetrics&) = delete;
  XdsMetrics& operator=(const XdsMetrics&) = delete;

  // The upper bounds of the latency histogram's buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 9> kLatencyBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                            0.5,   1,     5,    10};

  // A config reload finished (the daemon calls this from its reload listener).
  void RecordConfigReload(bool success);

  // Appends the families above to `out`.
  void WriteTo(PrometheusText& out) const;

  // Callbacks.
  absl::Status OnStreamOpen(const StreamInfo& stream) override;
  void OnStreamClosed(const StreamInfo& stream, const envoy::config::core::v3::Node& node) override;
  void OnStreamResponse(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const ResponseInfo& response) override;
  void OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
             const AnswerInfo& answer) override;
  void OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
              const AnswerInfo& answer) override;

 private:
  static constexpr size_t kTypes = kAdsOrder.size();
  // Stream slots: [variant: sotw, delta] x [type index, or kTypes for ADS].
  static constexpr size_t kSlots = 2 * (kTypes + 1);
  static constexpr size_t kShards = 16;

  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<int64_t, size_t> streams ABSL_GUARDED_BY(mu);  // stream id → slot
  };
  struct Histogram {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  Shard& ShardOf(int64_t stream_id) const {
    return shards_[static_cast<uint64_t>(stream_id) % kShards];
  }
  const std::function<absl::Time()> now_;

  mutable std::array<Shard, kShards> shards_;

  std::array<std::atomic<int64_t>, kSlots> connected_{};
  std::array<std::atomic<bool>, kSlots> slot_used_{};
  std::array<std::atomic<uint64_t>, kTypes> pushes_{};
  std::array<std::atomic<uint64_t>, kTypes> nacks_{};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> reloads_succeeded_{0};
  std::atomic<uint64_t> reloads_failed_{0};

  mutable absl::Mutex histogram_mu_;
  std::array<Histogram, kTypes> latency_ ABSL_GUARDED_BY(histogram_mu_);
};

// Appends what the cache serves: xdsd_resources{type} (distinct resource names per type over
// every snapshot) and xdsd_served_version_info{type,version} 1 (each version of a type that some
// snapshot serves with at least one resource).
void WriteSnapshotMetrics(const SnapshotCache& cache, PrometheusText& out);

}  // namespace xdsd::admin

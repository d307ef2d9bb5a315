#include "admin/xds_metrics.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "xdsd/refusals.h"

namespace xdsd::admin {
namespace {

constexpr std::string_view kVariants[] = {"sotw", "delta"};

// The slot of a stream: [variant: sotw, delta] x [type index, or kTypes for ADS]; nullopt
// for a per-type stream of a type xdsd does not serve.
std::optional<size_t> SlotOf(const StreamInfo& stream) {
  const size_t types = kResourceTypes.size();
  const size_t type = stream.ads() ? types : ResourceTypeIndex(stream.type_url);
  if (!stream.ads() && type == types) return std::nullopt;
  return (stream.delta ? 1 : 0) * (types + 1) + type;
}

std::string_view TypeLabel(size_t type_index) { return TypeShortName(kAdsOrder[type_index]); }

}  // namespace

XdsMetrics::XdsMetrics(std::function<absl::Time()> now) : now_(std::move(now)) {}

void XdsMetrics::RecordConfigReload(bool success) {
  (success ? reloads_succeeded_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

absl::Status XdsMetrics::OnStreamOpen(const StreamInfo& stream) {
  const std::optional<size_t> slot = SlotOf(stream);
  if (!slot.has_value()) return absl::OkStatus();
  {
    Shard& shard = ShardOf(stream.id);
    absl::MutexLock lock(&shard.mu);
    shard.streams[stream.id] = *slot;
  }
  slot_used_[*slot].store(true, std::memory_order_relaxed);
  connected_[*slot].fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

void XdsMetrics::OnStreamClosed(const StreamInfo& stream,
                                const envoy::config::core::v3::Node& node) {
  size_t slot;
  {
    Shard& shard = ShardOf(stream.id);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.streams.find(stream.id);
    if (it == shard.streams.end()) return;  // a stream this never counted
    slot = it->second;
    shard.streams.erase(it);
  }
  connected_[slot].fetch_sub(1, std::memory_order_relaxed);
}

void XdsMetrics::OnStreamResponse(const StreamInfo& stream,
                                  const envoy::config::core::v3::Node& node,
                                  const ResponseInfo& response) {
  const size_t type = ResourceTypeIndex(response.type_url);
  if (type == kTypes) return;
  pushes_[type].fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(response.encoded_bytes, std::memory_order_relaxed);
}

void XdsMetrics::OnAck(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                       const AnswerInfo& answer) {
  const size_t type = ResourceTypeIndex(answer.type_url);
  // An ACK of a response this process wrote (not a reconnecting client's claim).
  if (type == kTypes || answer.sent_at == absl::InfinitePast()) return;
  const double seconds = std::max(0.0, absl::ToDoubleSeconds(now_() - answer.sent_at));
  absl::MutexLock lock(&histogram_mu_);
  Histogram& histogram = latency_[type];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void XdsMetrics::OnNack(const StreamInfo& stream, const envoy::config::core::v3::Node& node,
                        const AnswerInfo& answer) {
  const size_t type = ResourceTypeIndex(answer.type_url);
  if (type != kTypes) nacks_[type].fetch_add(1, std::memory_order_relaxed);
}

void XdsMetrics::WriteTo(PrometheusText& out) const {
  out.Family("xdsd_connected_streams", "gauge",
             "xDS streams open now, by protocol variant, transport and (per-type streams) type.");
  for (size_t slot = 0; slot < kSlots; ++slot) {
    if (!slot_used_[slot].load(std::memory_order_relaxed)) continue;
    const size_t variant = slot / (kTypes + 1);
    const size_t type = slot % (kTypes + 1);
    const bool ads = type == kTypes;
    out.Sample("xdsd_connected_streams",
               {{"variant", kVariants[variant]},
                {"transport", ads ? "ads" : "per-type"},
                {"type", ads ? std::string_view() : TypeLabel(type)}},
               connected_[slot].load(std::memory_order_relaxed));
  }

  out.Family("xdsd_pushes_total", "counter", "xDS responses written to streams, by type.");
  for (size_t type = 0; type < kTypes; ++type) {
    const uint64_t pushes = pushes_[type].load(std::memory_order_relaxed);
    if (pushes > 0) out.Sample("xdsd_pushes_total", {{"type", TypeLabel(type)}}, pushes);
  }

  out.Family("xdsd_bytes_sent_total", "counter", "Bytes of the xDS responses written to streams.");
  out.Sample("xdsd_bytes_sent_total", {}, bytes_sent_.load(std::memory_order_relaxed));

  out.Family("xdsd_nacks_total", "counter", "xDS responses the client rejected (NACK), by type.");
  for (size_t type = 0; type < kTypes; ++type) {
    const uint64_t nacks = nacks_[type].load(std::memory_order_relaxed);
    if (nacks > 0) out.Sample("xdsd_nacks_total", {{"type", TypeLabel(type)}}, nacks);
  }

  out.Family("xdsd_push_ack_latency_seconds", "histogram",
             "Time from an xDS response being written to the client's ACK of it, by type.");
  {
    absl::MutexLock lock(&histogram_mu_);
    for (size_t type = 0; type < kTypes; ++type) {
      const Histogram& histogram = latency_[type];
      if (histogram.count == 0) continue;
      const std::string_view label = TypeLabel(type);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += histogram.buckets[i];
        const std::string le = PrometheusText::FormatValue(kLatencyBuckets[i]);
        out.Sample("xdsd_push_ack_latency_seconds_bucket", {{"type", label}, {"le", le}},
                   cumulative);
      }
      out.Sample("xdsd_push_ack_latency_seconds_bucket", {{"type", label}, {"le", "+Inf"}},
                 histogram.count);
      out.Sample("xdsd_push_ack_latency_seconds_sum", {{"type", label}}, histogram.sum);
      out.Sample("xdsd_push_ack_latency_seconds_count", {{"type", label}}, histogram.count);
    }
  }

  out.Family("xdsd_refused_total", "counter",
             "Input refused from outside (over a limit, malformed, stalled), by reason.");
  for (const auto& [reason, count] : RefusalCounts()) {
    out.Sample("xdsd_refused_total", {{"reason", reason}}, count);
  }

  out.Family(
      "xdsd_config_reloads_total", "counter",
      "Reloads of the config source, by result (a failed reload keeps the last good config).");
  out.Sample("xdsd_config_reloads_total", {{"result", "success"}},
             reloads_succeeded_.load(std::memory_order_relaxed));
  out.Sample("xdsd_config_reloads_total", {{"result", "failure"}},
             reloads_failed_.load(std::memory_order_relaxed));
}

void WriteSnapshotMetrics(const SnapshotCache& cache, PrometheusText& out) {
  std::map<std::string_view, std::set<std::string>> names;     // by type URL
  std::map<std::string_view, std::set<std::string>> versions;  // by type URL
  for (const std::string& key : cache.Keys()) {
    const SnapshotPtr snapshot = cache.GetSnapshot(key);
    if (snapshot == nullptr) continue;
    for (std::string_view type_url : kAdsOrder) {
      const Snapshot::ResourceMap& resources = snapshot->Resources(type_url);
      if (resources.empty()) continue;
      for (const auto& [name, resource] : resources) names[type_url].insert(name);
      versions[type_url].insert(snapshot->Version(type_url));
    }
  }
  out.Family("xdsd_resources", "gauge",
             "Resources served, by type: distinct names over every node group's snapshot.");
  for (std::string_view type_url : kAdsOrder) {
    auto it = names.find(type_url);
    out.Sample("xdsd_resources", {{"type", TypeShortName(type_url)}},
               static_cast<uint64_t>(it == names.end() ? 0 : it->second.size()));
  }
  out.Family("xdsd_served_version_info", "gauge",
             "1 for each version of a type that is served now (one per node group that differs).");
  for (std::string_view type_url : kAdsOrder) {
    auto it = versions.find(type_url);
    if (it == versions.end()) continue;
    for (const std::string& version : it->second) {
      out.Sample("xdsd_served_version_info",
                 {{"type", TypeShortName(type_url)}, {"version", version}}, uint64_t{1});
    }
  }
}

void WriteRolloutMetrics(const config::RolloutPlanner& planner, PrometheusText& out) {
  const std::vector<config::RolloutReport> reports = planner.Report();
  out.Family("xdsd_rollout_wave", "gauge",
             "The wave of the rollout under way or halted (1-based), per group; 0 when none");
  for (const config::RolloutReport& report : reports) {
    const bool open =
        report.state == "rolling" || report.state == "baking" || report.state == "halted";
    out.Sample("xdsd_rollout_wave", {{"group", report.group}},
               static_cast<int64_t>(open ? report.wave : 0));
  }
  out.Family("xdsd_rollout_nodes", "gauge",
             "Connected nodes of a group with a rollout, by the revision they are served");
  for (const config::RolloutReport& report : reports) {
    for (const auto& [revision, count] : report.nodes_per_revision) {
      const std::string name = absl::StrCat("r", revision);
      out.Sample("xdsd_rollout_nodes", {{"group", report.group}, {"revision", name}},
                 static_cast<uint64_t>(count));
    }
  }
  out.Family("xdsd_rollout_halts_total", "counter",
             "Rollouts halted by a NACK of the revision rolling out");
  out.Sample("xdsd_rollout_halts_total", {}, static_cast<uint64_t>(planner.halts()));
}

}  // namespace xdsd::admin

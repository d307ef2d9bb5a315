#include "admin/xds_metrics.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xdsd::admin {
namespace {

constexpr std::string_view kVariants[] = {"sotw", "delta"};

// The index of a type in kAdsOrder, or nullopt for a type xdsd does not serve.
std::optional<size_t> TypeIndex(std::string_view type_url) {
  for (size_t i = 0; i < kAdsOrder.size(); ++i) {
    if (kAdsOrder[i] == type_url) return i;
  }
  return std::nullopt;
}

// The variant (0 sotw, 1 delta) and type index (kAdsOrder.size() for ADS) of a stream, from its
// gRPC method: ".../StreamAggregatedResources", ".../DeltaAggregatedResources",
// ".../Stream<Type>", ".../Delta<Type>". nullopt for any other method.
std::optional<std::pair<size_t, size_t>> StreamKind(std::string_view method) {
  const size_t slash = method.rfind('/');
  std::string_view name = slash == std::string_view::npos ? method : method.substr(slash + 1);
  size_t variant;
  if (name.starts_with("Stream")) {
    variant = 0;
    name.remove_prefix(6);
  } else if (name.starts_with("Delta")) {
    variant = 1;
    name.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  if (name == "AggregatedResources") return std::make_pair(variant, kAdsOrder.size());
  for (size_t i = 0; i < kResourceTypes.size(); ++i) {
    if (name == kResourceTypes[i].method_suffix) return std::make_pair(variant, i);
  }
  return std::nullopt;
}

std::string_view TypeLabel(size_t type_index) { return TypeShortName(kAdsOrder[type_index]); }

// ResponseInfo::encoded_bytes when ResponseInfo has it (a template, so that the member is only
// looked up when it exists).
template <typename Info>
std::optional<uint64_t> EncodedBytes(const Info& info) {
  if constexpr (requires { info.encoded_bytes; }) {
    return static_cast<uint64_t>(info.encoded_bytes);
  } else {
    return std::nullopt;
  }
}

}  // namespace

XdsMetrics::XdsMetrics(const SnapshotCache* cache, std::function<absl::Time()> now)
    : cache_(cache), now_(std::move(now)) {}

void XdsMetrics::RecordConfigReload(bool success) {
  (success ? reloads_succeeded_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

absl::Status XdsMetrics::OnStreamOpen(int64_t stream_id, std::string_view method,
                                      std::string_view peer) {
  const std::optional<std::pair<size_t, size_t>> kind = StreamKind(method);
  if (!kind.has_value()) return absl::OkStatus();
  const size_t slot = kind->first * (kTypes + 1) + kind->second;
  {
    Shard& shard = ShardOf(stream_id);
    absl::MutexLock lock(&shard.mu);
    shard.streams[stream_id].slot = slot;
  }
  slot_used_[slot].store(true, std::memory_order_relaxed);
  connected_[slot].fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

void XdsMetrics::OnStreamClosed(int64_t stream_id, const envoy::config::core::v3::Node& node) {
  std::optional<size_t> slot;
  {
    Shard& shard = ShardOf(stream_id);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.streams.find(stream_id);
    if (it == shard.streams.end()) return;  // a stream this never counted
    slot = it->second.slot;
    shard.streams.erase(it);
  }
  connected_[*slot].fetch_sub(1, std::memory_order_relaxed);
}

absl::Status XdsMetrics::OnStreamRequest(
    int64_t stream_id, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  OnAnswer(stream_id, request.type_url(), request.response_nonce(), request.has_error_detail());
  return absl::OkStatus();
}

absl::Status XdsMetrics::OnStreamDeltaRequest(
    int64_t stream_id, const envoy::config::core::v3::Node& node,
    const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
  OnAnswer(stream_id, request.type_url(), request.response_nonce(), request.has_error_detail());
  return absl::OkStatus();
}

void XdsMetrics::OnAnswer(int64_t stream_id, std::string_view type_url, const std::string& nonce,
                          bool nack) {
  if (nonce.empty()) return;  // a first request or a subscription, not an answer
  const std::optional<size_t> type = TypeIndex(type_url);
  if (!type.has_value()) return;
  absl::Time sent_at;
  {
    Shard& shard = ShardOf(stream_id);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.streams.find(stream_id);
    if (it == shard.streams.end()) return;
    InFlight& in_flight = it->second.in_flight[*type];
    if (in_flight.nonce.empty() || in_flight.nonce != nonce) return;  // stale or a repeat
    in_flight.nonce.clear();
    sent_at = in_flight.sent_at;
  }
  if (nack) {
    nacks_[*type].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const double seconds = std::max(0.0, absl::ToDoubleSeconds(now_() - sent_at));
  absl::MutexLock lock(&histogram_mu_);
  Histogram& histogram = latency_[*type];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void XdsMetrics::OnStreamResponse(int64_t stream_id, const envoy::config::core::v3::Node& node,
                                  const ResponseInfo& response) {
  const std::optional<size_t> type = TypeIndex(response.type_url);
  if (!type.has_value()) return;
  pushes_[*type].fetch_add(1, std::memory_order_relaxed);
  const std::optional<uint64_t> encoded = EncodedBytes(response);
  bytes_sent_.fetch_add(encoded.has_value() ? *encoded : EstimateBytes(node, response),
                        std::memory_order_relaxed);
  const absl::Time now = now_();
  Shard& shard = ShardOf(stream_id);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.streams.find(stream_id);
  if (it == shard.streams.end()) return;
  it->second.in_flight[*type] = InFlight{response.nonce, now};
}

uint64_t XdsMetrics::EstimateBytes(const envoy::config::core::v3::Node& node,
                                   const ResponseInfo& response) const {
  if (cache_ == nullptr || response.resource_names.empty()) return 0;
  const SnapshotPtr snapshot = cache_->GetSnapshot(cache_->KeyOf(node));
  if (snapshot == nullptr) return 0;
  uint64_t bytes = 0;
  for (const std::string& name : response.resource_names) {
    if (ResourcePtr resource = snapshot->Find(response.type_url, name)) {
      bytes += resource->any_bytes().size();
    }
  }
  return bytes;
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

  out.Family("xdsd_nacks_total", "counter",
             "xDS responses the client rejected (NACK), by type.");
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

  out.Family("xdsd_config_reloads_total", "counter",
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

}  // namespace xdsd::admin

#include "admin/xds_metrics.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "admin/prometheus_text.h"
#include "xdsd/snapshot.h"

namespace xdsd::admin {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;

constexpr char kAds[] = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
constexpr char kDeltaCds[] = "/envoy.service.cluster.v3.ClusterDiscoveryService/DeltaClusters";

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.insert(std::string(line));
  }
  return lines;
}

// Sets ResponseInfo::encoded_bytes when the struct has it, so that this test holds either way.
template <typename Info>
void SetEncodedBytes(Info& info, size_t bytes) {
  if constexpr (requires { info.encoded_bytes; }) info.encoded_bytes = bytes;
}

ResponseInfo Response(std::string_view type_url, std::string nonce, std::string name,
                      size_t bytes) {
  ResponseInfo info;
  info.type_url = std::string(type_url);
  info.version = "v1";
  info.nonce = std::move(nonce);
  info.resource_names = {std::move(name)};
  SetEncodedBytes(info, bytes);
  return info;
}

DiscoveryRequest Answer(std::string_view type_url, std::string nonce, bool nack) {
  DiscoveryRequest request;
  request.set_type_url(std::string(type_url));
  request.set_response_nonce(std::move(nonce));
  if (nack) request.mutable_error_detail()->set_message("rejected");
  return request;
}

TEST(PrometheusTextTest, EscapesLabelValuesAndHelp) {
  PrometheusText text;
  text.Family("m", "gauge", "a \\ b\nc \"d\"");
  text.Sample("m", {{"a", "x\"y\\z\nw"}, {"b", ""}}, 0.25);
  text.Sample("m", {}, uint64_t{3});
  EXPECT_EQ(text.text(),
            "# HELP m a \\\\ b\\nc \"d\"\n"
            "# TYPE m gauge\n"
            "m{a=\"x\\\"y\\\\z\\nw\",b=\"\"} 0.25\n"
            "m 3\n");
  EXPECT_EQ(PrometheusText::FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(PrometheusText::FormatValue(10), "10");
  EXPECT_EQ(PrometheusText::FormatValue(0.001), "0.001");
}

TEST(XdsMetricsTest, ScriptedStreamEventsGiveExactSeries) {
  const ResourcePtr cluster = Resource::FromBytes(kClusterType, "a", "cluster-body");
  const ResourcePtr listener = Resource::FromBytes(kListenerType, "l", "listener-body");
  SnapshotCache cache;
  cache.SetSnapshot("envoy-1", *Snapshot::Create({cluster, listener}));
  absl::Time now = absl::FromUnixSeconds(1700000000);
  XdsMetrics metrics(&cache, [&now] { return now; });
  envoy::config::core::v3::Node node;
  node.set_id("envoy-1");

  ASSERT_TRUE(metrics.OnStreamOpen(1, kAds, "ipv4:127.0.0.1:1").ok());
  ASSERT_TRUE(metrics.OnStreamOpen(2, kDeltaCds, "ipv4:127.0.0.1:2").ok());
  // Clusters: sent, ACKed 30 ms later; a repeat of the ACK is not observed twice.
  metrics.OnStreamResponse(1, node, Response(kClusterType, "1", "a", cluster->any_bytes().size()));
  now += absl::Milliseconds(30);
  ASSERT_TRUE(metrics.OnStreamRequest(1, node, Answer(kClusterType, "1", false)).ok());
  ASSERT_TRUE(metrics.OnStreamRequest(1, node, Answer(kClusterType, "1", false)).ok());
  // Listeners: sent, NACKed; a stale NACK (an older nonce) is not counted.
  metrics.OnStreamResponse(1, node,
                           Response(kListenerType, "2", "l", listener->any_bytes().size()));
  ASSERT_TRUE(metrics.OnStreamRequest(1, node, Answer(kListenerType, "2", true)).ok());
  ASSERT_TRUE(metrics.OnStreamRequest(1, node, Answer(kListenerType, "0", true)).ok());
  metrics.OnStreamClosed(2, envoy::config::core::v3::Node());
  metrics.OnStreamClosed(99, envoy::config::core::v3::Node());  // never opened: ignored
  metrics.RecordConfigReload(true);
  metrics.RecordConfigReload(false);
  metrics.RecordConfigReload(false);

  PrometheusText text;
  metrics.WriteTo(text);
  WriteSnapshotMetrics(cache, text);
  const std::set<std::string> lines = Lines(text.text());
  const std::string bytes =
      std::to_string(cluster->any_bytes().size() + listener->any_bytes().size());
  const std::vector<std::string> expected = {
      "# TYPE xdsd_connected_streams gauge",
      R"(xdsd_connected_streams{variant="sotw",transport="ads",type=""} 1)",
      R"(xdsd_connected_streams{variant="delta",transport="per-type",type="clusters"} 0)",
      "# TYPE xdsd_pushes_total counter",
      R"(xdsd_pushes_total{type="clusters"} 1)",
      R"(xdsd_pushes_total{type="listeners"} 1)",
      "# TYPE xdsd_bytes_sent_total counter",
      "xdsd_bytes_sent_total " + bytes,
      "# TYPE xdsd_nacks_total counter",
      R"(xdsd_nacks_total{type="listeners"} 1)",
      "# TYPE xdsd_push_ack_latency_seconds histogram",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.001"} 0)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.005"} 0)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.01"} 0)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.05"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.1"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="0.5"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="1"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="5"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="10"} 1)",
      R"(xdsd_push_ack_latency_seconds_bucket{type="clusters",le="+Inf"} 1)",
      R"(xdsd_push_ack_latency_seconds_sum{type="clusters"} 0.03)",
      R"(xdsd_push_ack_latency_seconds_count{type="clusters"} 1)",
      "# TYPE xdsd_config_reloads_total counter",
      R"(xdsd_config_reloads_total{result="success"} 1)",
      R"(xdsd_config_reloads_total{result="failure"} 2)",
      "# TYPE xdsd_resources gauge",
      R"(xdsd_resources{type="clusters"} 1)",
      R"(xdsd_resources{type="listeners"} 1)",
      R"(xdsd_resources{type="routes"} 0)",
      "# TYPE xdsd_served_version_info gauge",
      R"(xdsd_served_version_info{type="clusters",version=")" +
          cache.GetSnapshot("envoy-1")->Version(kClusterType) + "\"} 1",
  };
  for (const std::string& line : expected) {
    EXPECT_TRUE(lines.contains(line)) << "missing: " << line << "\nin:\n" << text.text();
  }
  // Nothing of what did not happen: no listener latency, no cluster NACK, no route version.
  for (const std::string& line : lines) {
    EXPECT_FALSE(line.starts_with(R"(xdsd_push_ack_latency_seconds_count{type="listeners"})"));
    EXPECT_FALSE(line.starts_with(R"(xdsd_nacks_total{type="clusters"})"));
    EXPECT_FALSE(line.starts_with(R"(xdsd_served_version_info{type="routes")"));
  }
}

}  // namespace
}  // namespace xdsd::admin

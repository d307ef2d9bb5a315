#include "admin/xds_metrics.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "admin/prometheus_text.h"
#include "xdsd/refusals.h"
#include "xdsd/snapshot.h"

namespace xdsd::admin {
namespace {

StreamInfo Stream(int64_t id, std::string type_url, bool delta) {
  StreamInfo stream;
  stream.id = id;
  stream.type_url = std::move(type_url);
  stream.delta = delta;
  return stream;
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.insert(std::string(line));
  }
  return lines;
}

ResponseInfo Response(std::string_view type_url, std::string nonce, std::string name,
                      size_t bytes) {
  ResponseInfo info;
  info.type_url = std::string(type_url);
  info.version = "v1";
  info.nonce = std::move(nonce);
  info.resource_names = {std::move(name)};
  info.encoded_bytes = bytes;
  return info;
}

AnswerInfo Answer(std::string_view type_url, std::string nonce, absl::Time sent_at) {
  return AnswerInfo{std::string(type_url), "v1", std::move(nonce), sent_at, "", ""};
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
  XdsMetrics metrics([&now] { return now; });
  envoy::config::core::v3::Node node;
  node.set_id("envoy-1");
  const StreamInfo ads = Stream(1, "", false);
  const StreamInfo delta_cds = Stream(2, std::string(kClusterType), true);

  ASSERT_TRUE(metrics.OnStreamOpen(ads).ok());
  ASSERT_TRUE(metrics.OnStreamOpen(delta_cds).ok());
  // Clusters: sent, ACKed 30 ms later.
  const absl::Time sent = now;
  metrics.OnStreamResponse(ads, node,
                           Response(kClusterType, "1", "a", cluster->any_bytes().size()));
  now += absl::Milliseconds(30);
  metrics.OnAck(ads, node, Answer(kClusterType, "1", sent));
  // A reconnecting client's claim to hold a version is no measurement.
  metrics.OnAck(ads, node, Answer(kClusterType, "", absl::InfinitePast()));
  // Listeners: sent, NACKed.
  metrics.OnStreamResponse(ads, node,
                           Response(kListenerType, "2", "l", listener->any_bytes().size()));
  metrics.OnNack(ads, node, Answer(kListenerType, "2", now));
  metrics.OnStreamClosed(delta_cds, envoy::config::core::v3::Node());
  metrics.OnStreamClosed(Stream(99, "", false), envoy::config::core::v3::Node());  // never opened
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

namespace xdsd::admin {
namespace {

TEST(XdsMetricsTest, RefusalsAreCountedByReason) {
  CountRefusal("metrics_test_reason", "first");
  CountRefusal("metrics_test_reason", "second");
  XdsMetrics metrics;
  PrometheusText text;
  metrics.WriteTo(text);
  EXPECT_TRUE(Lines(text.text()).contains(R"(xdsd_refused_total{reason="metrics_test_reason"} 2)"))
      << text.text();
}

}  // namespace
}  // namespace xdsd::admin

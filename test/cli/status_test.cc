// `xdsd status` without a network: parsing what xdsd answers, the in-sync decision, the table.

#include "cli/status.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kConfig[] = R"({
  "source": "/etc/xdsd/conf.d", "version": "0123456789abcdef",
  "loaded_at": "2024-05-01T10:00:00.000Z", "reloads_succeeded": 2, "reloads_failed": 0,
  "last_error": null})";

// A type of a node, as GET /v1/nodes writes it.
std::string TypeJson(const std::string& type, const std::string& state, const std::string& sent,
                     const std::string& acked, const std::string& nack_error = "") {
  return "{\"type_url\": \"type.googleapis.com/x." + type + "\", \"type\": \"" + type +
         "\", \"state\": \"" + state + "\", \"version_sent\": \"" + sent +
         "\", \"nonce_sent\": \"7\", \"version_acked\": \"" + acked +
         "\", \"version_nacked\": \"\", \"nack_error\": \"" + nack_error +
         "\", \"nack_count\": 0, \"sent_at\": null, \"acked_at\": null, \"nacked_at\": null}";
}

std::string NodeJson(const std::string& id, const std::vector<std::string>& types) {
  std::string json = "{\"id\": \"" + id + "\", \"cluster\": \"edge\", \"open_streams\": 1, " +
                     "\"user_agent_name\": \"envoy\", \"types\": [";
  for (size_t i = 0; i < types.size(); ++i) json += (i > 0 ? ", " : "") + types[i];
  return json + "]}";
}

std::string NodesJson(const std::vector<std::string>& nodes) {
  std::string json = "[";
  for (size_t i = 0; i < nodes.size(); ++i) json += (i > 0 ? ", " : "") + nodes[i];
  return json + "]";
}

FleetStatus Parse(const std::string& nodes, const std::string& glob = "") {
  absl::StatusOr<FleetStatus> status = ParseFleetStatus(nodes, std::string(kConfig), glob);
  EXPECT_TRUE(status.ok()) << status.status();
  return status.ok() ? *status : FleetStatus{};
}

TEST(ParseFleetStatusTest, SortsByNodeThenTypesInAdsOrderThenUnknownTypes) {
  const FleetStatus status = Parse(NodesJson({
      NodeJson(
          "b",
          {TypeJson("secrets", "SYNCED", "s1", "s1"), TypeJson("routes", "SYNCED", "r1", "r1"),
           TypeJson("clusters", "SYNCED", "c1", "c1"), TypeJson("listeners", "SYNCED", "l1", "l1"),
           TypeJson("endpoints", "SYNCED", "e1", "e1"), TypeJson("runtimes", "SYNCED", "t1", "t1"),
           TypeJson("made-up", "SYNCED", "m1", "m1")}),
      NodeJson("a", {TypeJson("listeners", "PENDING", "l2", "l1")}),
  }));
  std::vector<std::string> order;
  for (const TypeRow& row : status.rows) order.push_back(row.node + "/" + row.type);
  EXPECT_THAT(order, ElementsAre("a/listeners", "b/clusters", "b/endpoints", "b/listeners",
                                 "b/routes", "b/secrets", "b/runtimes", "b/made-up"));
  EXPECT_THAT(status.nodes, ElementsAre("a", "b"));
  ASSERT_TRUE(status.config.has_value());
  EXPECT_EQ(status.config->source, "/etc/xdsd/conf.d");
  EXPECT_EQ(status.config->version, "0123456789abcdef");
  EXPECT_FALSE(status.config->last_error.has_value());
}

TEST(ParseFleetStatusTest, NodeGlobKeepsMatchingNodes) {
  const std::string nodes =
      NodesJson({NodeJson("envoy-0", {TypeJson("clusters", "SYNCED", "1", "1")}),
                 NodeJson("envoy-1", {TypeJson("clusters", "PENDING", "2", "1")}),
                 NodeJson("grpc-0", {TypeJson("listeners", "NACKED", "2", "1")})});
  EXPECT_THAT(Parse(nodes, "envoy-*").nodes, ElementsAre("envoy-0", "envoy-1"));
  EXPECT_THAT(Parse(nodes, "*-0").nodes, ElementsAre("envoy-0", "grpc-0"));
  EXPECT_THAT(Parse(nodes, "grpc-?").nodes, ElementsAre("grpc-0"));
  EXPECT_THAT(Parse(nodes, "nothing*").nodes, ElementsAre());
  EXPECT_THAT(Parse(nodes).nodes, ElementsAre("envoy-0", "envoy-1", "grpc-0"));
  EXPECT_TRUE(InSync(Parse(nodes, "envoy-0")));
  EXPECT_FALSE(InSync(Parse(nodes, "envoy-*")));
}

TEST(ParseFleetStatusTest, GarbageIsRejected) {
  for (const char* nodes :
       {"", "not json", "{}", "{\"id\": \"a\"}", "[1]", "[{\"id\": \"a\"}]",
        "[{\"id\": 7, \"types\": []}]", "[{\"id\": \"a\", \"types\": [{\"type\": \"clusters\"}]}]",
        "[{\"id\": \"a\", \"types\": [{\"type\": \"clusters\", \"state\": 1}]}]"}) {
    EXPECT_FALSE(ParseFleetStatus(nodes, std::nullopt, "").ok()) << nodes;
  }
  for (const char* config : {"", "<html>", "[]", "{\"source\": \"x\"}", "{\"version\": 3}"}) {
    EXPECT_FALSE(ParseFleetStatus("[]", std::string(config), "").ok()) << config;
  }
  EXPECT_TRUE(ParseFleetStatus("[]", std::nullopt, "").ok());
}

TEST(InSyncTest, EveryTypeSyncedOnTheVersionSent) {
  auto in_sync = [](const std::vector<std::string>& types) {
    return InSync(Parse(NodesJson({NodeJson("n", types)})));
  };
  EXPECT_TRUE(in_sync(
      {TypeJson("clusters", "SYNCED", "v2", "v2"), TypeJson("listeners", "SYNCED", "v9", "v9")}));
  EXPECT_FALSE(in_sync(
      {TypeJson("clusters", "SYNCED", "v2", "v2"), TypeJson("listeners", "PENDING", "v9", "v8")}));
  EXPECT_FALSE(in_sync({TypeJson("clusters", "NACKED", "v3", "v2", "bad")}));
  EXPECT_FALSE(in_sync({TypeJson("clusters", "NOT_SENT", "", "")}));
  // SYNCED but on another version than the one sent: not what xdsd serves.
  EXPECT_FALSE(in_sync({TypeJson("clusters", "SYNCED", "v3", "v2")}));
  // A node that asked for nothing lags behind on nothing; no node at all neither.
  EXPECT_TRUE(in_sync({}));
  EXPECT_TRUE(InSync(Parse("[]")));
}

TEST(RenderFleetStatusTest, PrintsConfigLineTableAndSummary) {
  const FleetStatus status = Parse(NodesJson({
      NodeJson("envoy-1", {TypeJson("listeners", "NACKED", "bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa",
                                    "listener 'l' port 10000:\\n  address in use"),
                           TypeJson("clusters", "SYNCED", "cccccccccccccccc", "cccccccccccccccc")}),
      NodeJson("envoy-0", {TypeJson("clusters", "PENDING", "dddddddddddddddd", "")}),
      NodeJson("idle", {}),
  }));
  EXPECT_EQ(RenderFleetStatus(status, {}),
            "config /etc/xdsd/conf.d version 0123456789abcdef (loaded 2024-05-01T10:00:00.000Z)\n"
            "NODE     TYPE       SENT      ACKED     STATE    ERROR\n"
            "envoy-0  clusters   dddddddd  -         PENDING\n"
            "envoy-1  clusters   cccccccc  cccccccc  SYNCED\n"
            "envoy-1  listeners  bbbbbbbb  aaaaaaaa  NACKED   "
            "listener 'l' port 10000: address in use\n"
            "idle     -          -         -         -        (subscribed to nothing)\n"
            "3 connected nodes: 2 not in sync\n");
}

TEST(RenderFleetStatusTest, ShowsTheCertificateIdentityOfEachNodeThatHasOne) {
  std::string with_identity = NodeJson("edge-1", {TypeJson("routes", "SYNCED", "1", "1")});
  with_identity.insert(1, R"("identities": ["spiffe://example.org/ns/edge/sa/envoy"], )");
  const FleetStatus status = Parse(NodesJson({with_identity, NodeJson("plain", {})}));
  const std::string text = RenderFleetStatus(status, {});
  EXPECT_THAT(text, HasSubstr("\nedge-1: identity spiffe://example.org/ns/edge/sa/envoy\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("plain: identity")));
}

TEST(RenderFleetStatusTest, AllInSyncAndNoNodes) {
  const FleetStatus synced =
      Parse(NodesJson({NodeJson("n", {TypeJson("routes", "SYNCED", "12345678", "12345678")})}));
  EXPECT_THAT(RenderFleetStatus(synced, {}), HasSubstr("\n1 connected node: all in sync\n"));
  EXPECT_THAT(RenderFleetStatus(Parse("[]"), {}), HasSubstr("\nno connected nodes\n"));
  EXPECT_THAT(RenderFleetStatus(Parse("[]", "envoy-*"), {}),
              HasSubstr("\nno connected nodes matching \"envoy-*\"\n"));
}

TEST(RenderFleetStatusTest, FailedReloadShowsItsFirstLine) {
  absl::StatusOr<FleetStatus> status =
      ParseFleetStatus("[]", std::string(R"({"source": "x.yaml", "version": "v1", "loaded_at": null,
                      "last_error": {"message": "x.yaml:4: clusters[0]: bad\nx.yaml:9: more",
                                     "at": "2024-05-01T10:00:00.000Z"}})"),
                       "");
  ASSERT_TRUE(status.ok()) << status.status();
  const std::string text = RenderFleetStatus(*status, {});
  EXPECT_THAT(text, HasSubstr("config x.yaml version v1 (loaded never)\n"
                              "last reload FAILED: x.yaml:4: clusters[0]: bad\n"));
  EXPECT_THAT(text, Not(HasSubstr("more")));
}

TEST(RenderFleetStatusTest, SaysWhetherEtcdIsConnectedAndAtWhichRevision) {
  auto render = [](const std::string& etcd) {
    absl::StatusOr<FleetStatus> status = ParseFleetStatus(
        "[]",
        absl::StrCat(R"({"source": "etcd://127.0.0.1:2379/xdsd", "version": "v1", "etcd": )", etcd,
                     "}"),
        "");
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? RenderFleetStatus(*status, {}) : "";
  };
  EXPECT_THAT(render(R"({"connected": true, "endpoint": "127.0.0.1:2379", "revision": 42,
                         "full_loads": 1, "last_error": null})"),
              HasSubstr("\netcd: connected to 127.0.0.1:2379 at revision 42\n"));
  EXPECT_THAT(render(R"({"connected": false, "endpoint": "127.0.0.1:2379", "revision": 42,
                         "last_error": {"message": "connection refused\nby every member",
                                        "at": "2024-05-01T10:00:00.000Z"}})"),
              HasSubstr("\netcd: UNREACHABLE since 2024-05-01T10:00:00.000Z (connection refused "
                        "by every member); still serving revision 42\n"));
  // A config from a file has no etcd line.
  EXPECT_THAT(RenderFleetStatus(Parse("[]"), {}), Not(HasSubstr("etcd")));
}

TEST(RenderFleetStatusTest, LongNackErrorIsCutToSixtyOrToTheTerminal) {
  const std::string error(200, 'e');
  const FleetStatus status =
      Parse(NodesJson({NodeJson("n", {TypeJson("clusters", "NACKED", "v2", "v1", error)})}));
  const std::string cut_60 = std::string(57, 'e') + "...\n";
  EXPECT_THAT(RenderFleetStatus(status, {}), HasSubstr("NACKED  " + cut_60));
  // On a terminal of 100 columns the line fills it exactly.
  const std::string text = RenderFleetStatus(status, {.color = false, .terminal_width = 100});
  const size_t start = text.find("n     clusters");
  ASSERT_NE(start, std::string::npos) << text;
  const size_t end = text.find('\n', start);
  EXPECT_EQ(end - start, 100u) << text;
  EXPECT_EQ(text.substr(end - 3, 3), "...");
  // A narrow terminal still shows some of it.
  EXPECT_THAT(RenderFleetStatus(status, {.color = false, .terminal_width = 30}),
              HasSubstr("NACKED  " + std::string(17, 'e') + "...\n"));
}

TEST(RenderFleetStatusTest, ColoursTheStateOnlyWhenAsked) {
  const FleetStatus status =
      Parse(NodesJson({NodeJson("n", {TypeJson("clusters", "SYNCED", "v1", "v1"),
                                      TypeJson("listeners", "NACKED", "v2", "v1", "no")})}));
  const std::string plain = RenderFleetStatus(status, {});
  EXPECT_THAT(plain, Not(HasSubstr("\033[")));
  const std::string colored = RenderFleetStatus(status, {.color = true, .terminal_width = 0});
  EXPECT_THAT(colored, HasSubstr("\033[32mSYNCED\033[0m\n"));
  EXPECT_THAT(colored, HasSubstr("\033[1;31mNACKED\033[0m  no\n"));
  EXPECT_THAT(colored, HasSubstr("STATE   ERROR\n"));  // the header is not coloured
}

}  // namespace
}  // namespace xdsd::cli

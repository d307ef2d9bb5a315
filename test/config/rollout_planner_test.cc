#include "config/rollout_planner.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

using envoy::config::core::v3::Node;

// One cluster whose connect timeout tells the revisions apart, under `policy` (YAML, may be
// empty), with a group "edge" (its own `group_policy`) for nodes of cluster "edge".
Config MakeConfig(int timeout_seconds, const std::string& policy,
                  const std::string& group_policy = "") {
  const std::string cluster =
      absl::StrCat("[{name: a, type: STATIC, connect_timeout: ", timeout_seconds,
                   "s, load_assignment: {cluster_name: a}}]");
  std::string text = absl::StrCat("resources: {clusters: ", cluster, "}\n");
  if (!policy.empty()) absl::StrAppend(&text, "rollout: ", policy, "\n");
  absl::StrAppend(
      &text, "groups:\n- name: edge\n  match: {cluster: edge}\n  resources: {clusters: ", cluster,
      "}\n");
  if (!group_policy.empty()) absl::StrAppend(&text, "  rollout: ", group_policy, "\n");
  absl::StatusOr<Config> config = ParseConfig(text, "test.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

Node MakeNode(const std::string& id, const std::string& cluster = "web") {
  Node node;
  node.set_id(id);
  node.set_cluster(cluster);
  return node;
}

constexpr char kCanaryPolicy[] = "{waves: [{nodes: [\"canary-*\"]}, {percent: 100}], bake: 10s}";

class RolloutPlannerTest : public ::testing::Test {
 protected:
  RolloutPlannerTest() : planner_(&cache_, Options()) {}
  static RolloutPlanner::Options Options() {
    RolloutPlanner::Options options;
    options.tick = absl::ZeroDuration();  // the test ticks
    options.settle = absl::Hours(1);      // a node counts only once it has answered
    return options;
  }

  // Serves revision `revision` as the publisher does: the source's policies, then the content.
  void Serve(int64_t revision, const Config& config, bool at_once = false) {
    planner_.SetPolicies(config);
    planner_.Serve(revision, std::make_shared<const Config>(config), at_once);
  }
  void Connect(const Node& node) {
    ASSERT_TRUE(cache_.StreamObserver()->OnStreamNode(Stream(node), node).ok());
    ASSERT_TRUE(planner_.OnStreamNode(Stream(node), node).ok());
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.set_type_url(std::string(kClusterType));
    ASSERT_TRUE(cache_.StreamObserver()->OnStreamRequest(Stream(node), node, request).ok());
  }
  // The node is sent the clusters of its key and answers them.
  void Answer(const Node& node, bool ack, const std::string& error = "") {
    const SnapshotPtr snapshot = cache_.GetSnapshot(planner_.KeyOf(node));
    ASSERT_NE(snapshot, nullptr);
    ResponseInfo response;
    response.type_url = std::string(kClusterType);
    response.version = snapshot->Version(kClusterType);
    response.nonce = "1";
    cache_.StreamObserver()->OnStreamResponse(Stream(node), node, response);
    AnswerInfo answer;
    answer.type_url = response.type_url;
    answer.version = response.version;
    answer.nonce = response.nonce;
    answer.error = error;
    if (ack) {
      cache_.StreamObserver()->OnAck(Stream(node), node, answer);
    } else {
      cache_.StreamObserver()->OnNack(Stream(node), node, answer);
      planner_.OnNack(Stream(node), node, answer);
    }
  }
  StreamInfo Stream(const Node& node) {
    StreamInfo info;
    info.id = static_cast<int64_t>(std::hash<std::string>()(node.id()) & 0xffff);
    return info;
  }
  RolloutReport OnlyReport() {
    std::vector<RolloutReport> reports = planner_.Report();
    EXPECT_EQ(reports.size(), 1u);
    return reports.empty() ? RolloutReport{} : reports[0];
  }

  SnapshotCache cache_;
  RolloutPlanner planner_;
  const Node canary_ = MakeNode("canary-1");
  const Node web_ = MakeNode("web-1");
};

TEST_F(RolloutPlannerTest, WithoutAPolicyEveryNodeGetsTheRevisionAtOnce) {
  Serve(1, MakeConfig(1, ""));
  Connect(canary_);
  Serve(2, MakeConfig(2, ""));
  EXPECT_EQ(planner_.KeyOf(canary_), "");
  EXPECT_EQ(planner_.KeyOf(web_), "");
  EXPECT_EQ(planner_.KeyOf(MakeNode("e", "edge")), "edge");
  EXPECT_TRUE(planner_.Report().empty());
  EXPECT_EQ(cache_.Keys(), (std::vector<std::string>{"", "edge"}));
}

TEST_F(RolloutPlannerTest, CanaryFirstThenTheRestAfterAckAndBake) {
  Serve(1, MakeConfig(1, kCanaryPolicy));
  Connect(canary_);
  Connect(web_);
  Serve(2, MakeConfig(2, kCanaryPolicy));
  EXPECT_EQ(planner_.KeyOf(canary_), "@r2");
  EXPECT_EQ(planner_.KeyOf(web_), "");
  EXPECT_EQ(planner_.KeyOf(MakeNode("canary-late")), "@r2");  // joins: placed by the rule
  RolloutReport report = OnlyReport();
  EXPECT_EQ(report.state, "rolling");
  EXPECT_EQ(report.wave, 1u);
  EXPECT_EQ(report.waves, 2u);
  EXPECT_EQ(report.revision, 2);
  EXPECT_EQ(report.previous_revision, 1);
  EXPECT_EQ(report.nodes_per_revision, (std::map<int64_t, size_t>{{1, 1}, {2, 1}}));

  const absl::Time now = absl::Now();
  planner_.Tick(now);  // the canary has not ACKed
  EXPECT_EQ(OnlyReport().state, "rolling");
  Answer(canary_, /*ack=*/true);
  planner_.Tick(now);
  EXPECT_EQ(OnlyReport().state, "baking");
  planner_.Tick(now + absl::Seconds(9));
  EXPECT_EQ(planner_.KeyOf(web_), "");  // still baking
  planner_.Tick(now + absl::Seconds(10));
  EXPECT_EQ(OnlyReport().wave, 2u);
  EXPECT_EQ(planner_.KeyOf(web_), "@r2");
  Answer(web_, /*ack=*/true);
  planner_.Tick(now + absl::Seconds(11));
  planner_.Tick(now + absl::Seconds(21));
  report = OnlyReport();
  EXPECT_EQ(report.state, "done");
  // Done: the group's own key serves the new revision, and the rollout key is gone.
  EXPECT_EQ(planner_.KeyOf(web_), "");
  EXPECT_EQ(cache_.GetSnapshot("")->Version(kClusterType),
            MakeConfig(2, "").default_snapshot->Version(kClusterType));
  EXPECT_EQ(cache_.GetSnapshot("@r2"), nullptr);
}

TEST_F(RolloutPlannerTest, ANackHaltsAndAutoRollbackReturnsTheCanary) {
  const std::string policy =
      "{waves: [{nodes: [\"canary-*\"]}, {percent: 100}], bake: 0s, auto_rollback: true}";
  Serve(1, MakeConfig(1, policy));
  Connect(canary_);
  Connect(web_);
  Serve(2, MakeConfig(2, policy));
  Answer(canary_, /*ack=*/false, "unsupported lb_policy");
  RolloutReport report = OnlyReport();
  EXPECT_EQ(report.state, "halted");
  ASSERT_TRUE(report.halt.has_value());
  EXPECT_EQ(report.halt->node_id, "canary-1");
  EXPECT_EQ(report.halt->type_url, kClusterType);
  EXPECT_EQ(report.halt->error, "unsupported lb_policy");
  EXPECT_EQ(planner_.halts(), 1u);
  planner_.Tick(absl::Now() + absl::Hours(1));
  EXPECT_TRUE(OnlyReport().rolled_back);
  EXPECT_EQ(planner_.KeyOf(canary_), "");  // sent back
  EXPECT_EQ(planner_.KeyOf(web_), "");     // never reached
  EXPECT_EQ(planner_.KeyOf(MakeNode("web-2")), "");
}

TEST_F(RolloutPlannerTest, WithoutHaltOnNackANackCountsAsTheNodesAnswer) {
  const std::string policy =
      "{waves: [{nodes: [\"canary-*\"]}, {percent: 100}], bake: 0s, halt_on_nack: false}";
  Serve(1, MakeConfig(1, policy));
  Connect(canary_);
  Connect(web_);
  Serve(2, MakeConfig(2, policy));
  Answer(canary_, /*ack=*/false, "bad");
  EXPECT_EQ(OnlyReport().state, "rolling");
  EXPECT_FALSE(OnlyReport().halt.has_value());
  planner_.Tick(absl::Now());
  planner_.Tick(absl::Now());
  EXPECT_EQ(OnlyReport().wave, 2u);
  EXPECT_EQ(planner_.KeyOf(web_), "@r2");
  EXPECT_EQ(planner_.halts(), 0u);
}

TEST_F(RolloutPlannerTest, AHaltWithoutAutoRollbackKeepsTheCanaryWhereItIs) {
  Serve(1, MakeConfig(1, kCanaryPolicy));
  Connect(canary_);
  Serve(2, MakeConfig(2, kCanaryPolicy));
  Answer(canary_, /*ack=*/false, "bad");
  planner_.Tick(absl::Now() + absl::Hours(1));
  EXPECT_EQ(OnlyReport().state, "halted");
  EXPECT_EQ(planner_.KeyOf(canary_), "@r2");
  EXPECT_EQ(planner_.KeyOf(MakeNode("canary-2")), "");  // a halt spreads to no new node
  ASSERT_TRUE(planner_.Abort().ok());
  EXPECT_EQ(OnlyReport().state, "aborted");
  EXPECT_EQ(planner_.KeyOf(canary_), "");
  EXPECT_FALSE(planner_.Abort().ok());  // nothing under way any more
}

TEST_F(RolloutPlannerTest, PromoteStartsTheNextWaveNow) {
  Serve(1, MakeConfig(1, kCanaryPolicy));
  Connect(web_);
  EXPECT_FALSE(planner_.Promote().ok());
  Serve(2, MakeConfig(2, kCanaryPolicy));
  ASSERT_TRUE(planner_.Promote().ok());
  EXPECT_EQ(OnlyReport().wave, 2u);
  EXPECT_EQ(planner_.KeyOf(web_), "@r2");
  ASSERT_TRUE(planner_.Promote().ok());
  EXPECT_EQ(OnlyReport().state, "done");
  EXPECT_EQ(planner_.KeyOf(web_), "");
}

TEST_F(RolloutPlannerTest, ANewerRevisionSupersedesAndStartsAtWaveOne) {
  Serve(1, MakeConfig(1, kCanaryPolicy));
  Connect(canary_);
  Connect(web_);
  Serve(2, MakeConfig(2, kCanaryPolicy));
  ASSERT_TRUE(planner_.Promote().ok());  // wave 2: everyone on r2
  EXPECT_EQ(planner_.KeyOf(web_), "@r2");
  Serve(3, MakeConfig(3, kCanaryPolicy));
  RolloutReport report = OnlyReport();
  EXPECT_EQ(report.revision, 3);
  EXPECT_EQ(report.previous_revision, 1);
  EXPECT_EQ(report.wave, 1u);
  EXPECT_EQ(planner_.KeyOf(canary_), "@r3");
  EXPECT_EQ(planner_.KeyOf(web_), "@r2");  // keeps what it has until its wave
  EXPECT_NE(cache_.GetSnapshot("@r2"), nullptr);
  ASSERT_TRUE(planner_.Promote().ok());
  EXPECT_EQ(planner_.KeyOf(web_), "@r3");
  planner_.Tick(absl::Now());
  EXPECT_EQ(cache_.GetSnapshot("@r2"), nullptr);  // no node on it any more: cleared
}

TEST_F(RolloutPlannerTest, ARollbackReachesEveryNodeAtOnce) {
  Serve(1, MakeConfig(1, kCanaryPolicy));
  Connect(canary_);
  Connect(web_);
  Serve(2, MakeConfig(2, kCanaryPolicy));
  Serve(3, MakeConfig(1, kCanaryPolicy), /*at_once=*/true);
  EXPECT_TRUE(planner_.Report().empty());
  EXPECT_EQ(planner_.KeyOf(canary_), "");
  EXPECT_EQ(planner_.KeyOf(web_), "");
  EXPECT_EQ(cache_.GetSnapshot("@r2"), nullptr);
}

TEST_F(RolloutPlannerTest, AGroupFollowsItsOwnPolicy) {
  const std::string edge_policy = "{waves: [{nodes: [\"edge-canary\"]}], bake: 1h}";
  Serve(1, MakeConfig(1, "", edge_policy));
  const Node edge_canary = MakeNode("edge-canary", "edge");
  const Node edge_other = MakeNode("edge-2", "edge");
  Connect(edge_canary);
  Connect(edge_other);
  Connect(web_);
  Serve(2, MakeConfig(2, "", edge_policy));
  EXPECT_EQ(planner_.KeyOf(web_), "");  // the default resources have no policy: at once
  EXPECT_EQ(planner_.KeyOf(edge_canary), "edge@r2");
  EXPECT_EQ(planner_.KeyOf(edge_other), "edge");
  RolloutReport report = OnlyReport();
  EXPECT_EQ(report.group, "edge");
  EXPECT_EQ(report.wave_node_counts, (std::vector<size_t>{1}));
  EXPECT_EQ(report.wave_nodes[0], (std::vector<std::string>{"edge-canary"}));
}

TEST(RolloutPolicyTest, PercentWavesAreStableAndNested) {
  absl::StatusOr<Config> config = ParseConfig(
      "rollout: {waves: [{percent: 10}, {percent: 50}, {percent: 100}]}\n", "policy.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->rollout.has_value());
  std::vector<size_t> counts(4);
  for (int i = 0; i < 2000; ++i) {
    const Node node = MakeNode(absl::StrCat("node-", i));
    const size_t wave = WaveOf(*config->rollout, node);
    EXPECT_EQ(WaveOf(*config->rollout, node), wave);
    EXPECT_EQ(NodePercentile(node.id()) < 10, wave == 0);
    ++counts[wave];
  }
  // 10%, 40%, 50% of 2000, give or take the hash's spread.
  EXPECT_NEAR(counts[0], 200, 60);
  EXPECT_NEAR(counts[1], 800, 100);
  EXPECT_NEAR(counts[2], 1000, 100);
  EXPECT_EQ(counts[3], 0u);
  // The same ids give the same shares on every run and machine (XXH3 is specified).
  EXPECT_DOUBLE_EQ(NodePercentile("node-1"), NodePercentile(std::string("node-") + "1"));
}

TEST(RolloutPolicyTest, MistakesNameTheFileAndLine) {
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"rollout: {bake: 1s}\n", "policy.yaml:1: rollout: a rollout needs waves"},
      {"rollout:\n  waves: []\n", "policy.yaml:2: rollout.waves: must be a non-empty list"},
      {"rollout:\n  waves:\n  - percent: 120\n",
       "policy.yaml:3: rollout.waves[0].percent: must be a number from 0 to 100"},
      {"rollout:\n  waves:\n  - percent: 50\n  - percent: 20\n",
       "policy.yaml:4: rollout.waves[1].percent: must be more than the earlier wave's 50"},
      {"rollout:\n  waves:\n  - nodes: [\"\"]\n",
       "policy.yaml:3: rollout.waves[0].nodes[0]: must be a non-empty glob string"},
      {"rollout:\n  waves:\n  - {nodes: [a], percent: 5}\n",
       "policy.yaml:3: rollout.waves[0]: a wave must be a map with exactly one of"},
      {"rollout:\n  waves: [{percent: 5}]\n  bake: soon\n",
       "policy.yaml:3: rollout.bake: must be a duration"},
      {"rollout:\n  waves: [{percent: 5}]\n  halt_on_nack: maybe\n",
       "policy.yaml:3: rollout.halt_on_nack: must be true or false"},
      {"rollout:\n  waves: [{percent: 5}]\n  speed: 3\n",
       "policy.yaml:3: rollout.speed: unknown key"},
      {"groups:\n- name: g\n  rollout: {waves: [{clusters: 3}]}\n",
       "policy.yaml:3: groups[0].rollout.waves[0].clusters: must be a non-empty list"},
  };
  for (const Case& test : cases) {
    absl::StatusOr<Config> config = ParseConfig(test.text, "policy.yaml");
    ASSERT_FALSE(config.ok()) << test.text;
    EXPECT_NE(config.status().message().find(test.error), std::string::npos)
        << test.text << "\n got: " << config.status().message();
  }
  absl::StatusOr<Config> config = ParseConfig(
      "rollout: {waves: [{clusters: [\"edge-*\"]}], bake: 2m, halt_on_nack: false, "
      "auto_rollback: true}\n",
      "policy.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rollout->bake, absl::Minutes(2));
  EXPECT_FALSE(config->rollout->halt_on_nack);
  EXPECT_TRUE(config->rollout->auto_rollback);
  EXPECT_EQ(WaveOf(*config->rollout, MakeNode("x", "edge-1")), 0u);
  EXPECT_EQ(WaveOf(*config->rollout, MakeNode("x", "web")), 1u);
}

}  // namespace
}  // namespace xdsd::config

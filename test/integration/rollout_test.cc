// Progressive rollouts in the real daemon, watched from raw ADS clients (state of the world and
// delta): each client's cluster "web" has a connect timeout that tells which revision it got.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "delta_client/delta_xds_client.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"
#include "support/poll.h"

namespace xdsd {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "rollout-test-token-0123456789abcdef";
constexpr absl::Duration kTimeout = absl::Seconds(30);

// The seconds of cluster "web"'s connect timeout among `clusters`, or -1.
int WebTimeout(const std::vector<Cluster>& clusters) {
  for (const Cluster& cluster : clusters) {
    if (cluster.name() == "web") return static_cast<int>(cluster.connect_timeout().seconds());
  }
  return -1;
}

// A client of one kind (SotW or delta ADS) subscribed to every cluster. It rejects a response
// whose web timeout is `nack_timeout`, as a proxy rejects a cluster it cannot run.
class Proxy {
 public:
  Proxy(int port, const std::string& id, const std::string& cluster, bool delta,
        int nack_timeout = -1)
      : nack_timeout_(nack_timeout) {
    node_.set_id(id);
    node_.set_cluster(cluster);
    const std::string address = absl::StrCat("127.0.0.1:", port);
    if (delta) {
      delta_ = std::make_unique<testing::DeltaXdsClient>(
          testing::DeltaXdsClient::Options{address, "", node_});
      delta_->SetNackPolicy(
          testing::kClusterType,
          [this](const envoy::service::discovery::v3::DeltaDiscoveryResponse& response)
              -> std::optional<std::string> {
            std::vector<Cluster> clusters(response.resources_size());
            for (int i = 0; i < response.resources_size(); ++i) {
              clusters[i].ParseFromString(response.resources(i).resource().value());
            }
            if (WebTimeout(clusters) == nack_timeout_) return "web: unsupported connect timeout";
            return std::nullopt;
          });
      EXPECT_TRUE(delta_->Connect(kTimeout).ok());
      EXPECT_TRUE(delta_->Subscribe(testing::kClusterType, {"*"}).ok());
      return;
    }
    auto stub = AggregatedDiscoveryService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    stream_ = stub->StreamAggregatedResources(&context_);
    DiscoveryRequest first;
    *first.mutable_node() = node_;
    first.set_type_url(testing::kClusterType);
    EXPECT_TRUE(stream_->Write(first));
    reader_ = std::thread([this, stub = std::move(stub)] { ReadLoop(); });
  }
  ~Proxy() {
    if (delta_ != nullptr) return;
    context_.TryCancel();
    reader_.join();
  }

  // The web timeout applied now (-1 before any).
  int Timeout() const {
    if (delta_ != nullptr) {
      auto held = delta_->Held(testing::kClusterType);
      auto web = held.find("web");
      if (web == held.end()) return -1;
      Cluster cluster;
      cluster.ParseFromString(web->second.body);
      return static_cast<int>(cluster.connect_timeout().seconds());
    }
    absl::MutexLock lock(&mu_);
    return applied_;
  }
  // Every cluster version it was sent, rejected ones included.
  std::vector<std::string> Versions() const {
    std::vector<std::string> versions;
    if (delta_ != nullptr) {
      // A copy that outlives the loop: ResponsesOf points into it.
      const testing::DeltaClientState state = delta_->State();
      for (const testing::ReceivedResponse* response : state.ResponsesOf(testing::kClusterType)) {
        versions.push_back(response->system_version);
      }
      return versions;
    }
    absl::MutexLock lock(&mu_);
    return versions_;
  }
  bool Reaches(int timeout) const {
    return testing::PollUntil(
        kTimeout, [&] { return Timeout() == timeout; }, testing::kIntegrationPollInterval);
  }
  const std::string& id() const { return node_.id(); }

 private:
  void ReadLoop() {
    DiscoveryResponse response;
    std::string acked;
    while (stream_->Read(&response)) {
      std::vector<Cluster> clusters(response.resources_size());
      for (int i = 0; i < response.resources_size(); ++i) {
        clusters[i].ParseFromString(response.resources(i).value());
      }
      const int timeout = WebTimeout(clusters);
      DiscoveryRequest answer;
      answer.set_type_url(testing::kClusterType);
      answer.set_response_nonce(response.nonce());
      {
        absl::MutexLock lock(&mu_);
        versions_.push_back(response.version_info());
        if (timeout == nack_timeout_) {
          answer.mutable_error_detail()->set_message("web: unsupported connect timeout");
        } else {
          applied_ = timeout;
          acked = response.version_info();
        }
      }
      answer.set_version_info(acked);
      if (!stream_->Write(answer)) break;
    }
  }

  const int nack_timeout_;
  envoy::config::core::v3::Node node_;
  std::unique_ptr<testing::DeltaXdsClient> delta_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream_;
  std::thread reader_;
  mutable absl::Mutex mu_;
  int applied_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<std::string> versions_ ABSL_GUARDED_BY(mu_);
};

// The config: cluster web with `timeout` seconds, in the default resources and in group "edge"
// (nodes of cluster "edge"), with `policy` at the top and `edge_policy` for the group.
std::string ConfigText(int timeout, const std::string& policy,
                       const std::string& edge_policy = "") {
  const std::string clusters =
      absl::StrCat("{clusters: [{name: web, connect_timeout: ", timeout, "s, type: STATIC}]}");
  std::string text = absl::StrCat("resources: ", clusters, "\n");
  if (!policy.empty()) absl::StrAppend(&text, "rollout: ", policy, "\n");
  absl::StrAppend(&text, "groups:\n- name: edge\n  match: {cluster: edge}\n  resources: ", clusters,
                  "\n");
  if (!edge_policy.empty()) absl::StrAppend(&text, "  rollout: ", edge_policy, "\n");
  return text;
}

class RolloutTest : public ::testing::Test {
 protected:
  void Start(const std::string& config) {
    ASSERT_FALSE(dir_.path().empty());
    std::filesystem::create_directories(dir_.path() + "/config");
    ASSERT_TRUE(testing::WriteFile(config_, config).ok());
    ASSERT_TRUE(testing::WriteFile(dir_.path() + "/token", kToken).ok());
    absl::StatusOr<std::unique_ptr<testing::XdsdProcess>> started = testing::XdsdProcess::Start(
        {"--config=" + config_, "--admin-token-file=" + dir_.path() + "/token"}, dir_.path(),
        kTimeout);
    ASSERT_TRUE(started.ok()) << started.status();
    xdsd_ = *std::move(started);
  }
  void Change(const std::string& config) {
    ASSERT_TRUE(testing::ReplaceFile(config_, config).ok());
  }
  std::unique_ptr<Proxy> Connect(const std::string& id, bool delta, int nack_timeout = -1,
                                 const std::string& cluster = "web") {
    return std::make_unique<Proxy>(xdsd_->xds_port(), id, cluster, delta, nack_timeout);
  }
  // GET /v1/rollout: the rollout of `group`, or null.
  nlohmann::json Rollout(const std::string& group = "") const {
    absl::StatusOr<std::string> body = xdsd_->HttpGet("/v1/rollout");
    if (!body.ok()) return nullptr;
    const nlohmann::json parsed = nlohmann::json::parse(*body);
    for (const nlohmann::json& rollout : parsed["rollouts"]) {
      if (rollout["group"] == group) return rollout;
    }
    return nullptr;
  }
  // The clusters row of node `id` in GET /v1/nodes, or null.
  nlohmann::json ClusterStatus(const std::string& id) const {
    absl::StatusOr<std::string> body = xdsd_->HttpGet("/v1/nodes");
    if (!body.ok()) return nullptr;
    for (const nlohmann::json& node : nlohmann::json::parse(*body)) {
      if (node["id"] != id) continue;
      for (const nlohmann::json& type : node["types"]) {
        if (type["type"] == "clusters") return type;
      }
    }
    return nullptr;
  }
  // Whether node `id` comes to have ACKed the latest clusters it was sent (SYNCED).
  bool ReachesSynced(const std::string& id) const {
    return testing::PollUntil(
        kTimeout,
        [&] {
          const nlohmann::json type = ClusterStatus(id);
          return type.is_object() && type["state"] == "SYNCED" &&
                 type["version_acked"] == type["version_sent"];
        },
        testing::kIntegrationPollInterval);
  }
  // What `xdsd status --node ID` says of a node that is in sync again after a NACK: it exits
  // 0, and the node's row shows no rejection (the rollout's line still tells of its halt).
  void ExpectStatusSynced(const std::string& id) const {
    auto [code, status] = Xdsd({"status", "--node=" + id});
    EXPECT_EQ(code, 0) << status;
    const std::vector<std::string> lines = absl::StrSplit(status, '\n');
    auto row = std::find_if(lines.begin(), lines.end(),
                            [&](const std::string& line) { return line.starts_with(id + " "); });
    ASSERT_NE(row, lines.end()) << status;
    EXPECT_THAT(*row, HasSubstr(" SYNCED")) << status;
    EXPECT_THAT(*row, Not(HasSubstr("unsupported connect timeout"))) << status;
  }
  bool ReachesState(const std::string& state, const std::string& group = "") const {
    return testing::PollUntil(
        kTimeout,
        [&] {
          const nlohmann::json rollout = Rollout(group);
          return rollout.is_object() && rollout["state"] == state;
        },
        testing::kIntegrationPollInterval);
  }
  // Runs `xdsd ARGS --http=...`: the exit code, and stdout then stderr.
  std::pair<int, std::string> Xdsd(std::vector<std::string> args, bool token = false) const {
    args.push_back(absl::StrCat("--http=127.0.0.1:", xdsd_->http_port()));
    if (token) args.push_back("--admin-token-file=" + dir_.path() + "/token");
    const testing::XdsdRun run = testing::RunXdsd(dir_.path(), args);
    return {run.exit_code, run.out + run.err};
  }

  testing::TempDir dir_;
  const std::string config_ = dir_.path() + "/config/config.yaml";
  std::unique_ptr<testing::XdsdProcess> xdsd_;
};

constexpr char kCanaryThenAll[] = "{waves: [{nodes: [\"canary-*\"]}, {percent: 100}], bake: 2s}";

TEST_F(RolloutTest, TheCanaryFirstThenTheRestOnlyAfterItsAckAndTheBake) {
  Start(ConfigText(1, kCanaryThenAll));
  auto canary = Connect("canary-1", /*delta=*/false);
  auto sotw = Connect("web-1", /*delta=*/false);
  auto delta = Connect("web-2", /*delta=*/true);
  for (Proxy* proxy : {canary.get(), sotw.get(), delta.get()}) ASSERT_TRUE(proxy->Reaches(1));

  Change(ConfigText(2, kCanaryThenAll));
  ASSERT_TRUE(canary->Reaches(2)) << xdsd_->Log();
  const absl::Time canary_at = absl::Now();
  const nlohmann::json rollout = Rollout();
  ASSERT_TRUE(rollout.is_object());
  EXPECT_EQ(rollout["revision"], 2);
  EXPECT_EQ(rollout["previous_revision"], 1);
  EXPECT_EQ(rollout["wave"], 1);
  EXPECT_EQ(rollout["waves"], 2);
  EXPECT_EQ(rollout["wave_nodes"][0]["node_ids"], nlohmann::json::array({"canary-1"}));
  EXPECT_EQ(sotw->Timeout(), 1);
  EXPECT_EQ(delta->Timeout(), 1);
  // /v1/nodes: every node in the default group; the canary on the rollout's revision.
  absl::StatusOr<std::string> nodes = xdsd_->HttpGet("/v1/nodes");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  for (const nlohmann::json& node : nlohmann::json::parse(*nodes)) {
    EXPECT_EQ(node["group"], "") << node["id"];
    if (node["id"] == "canary-1") {
      EXPECT_EQ(node["rollout_revision"], 2);
    } else {
      EXPECT_FALSE(node.contains("rollout_revision")) << node["id"];
    }
  }

  // The rest after the bake, over SotW and delta alike.
  ASSERT_TRUE(sotw->Reaches(2)) << xdsd_->Log();
  ASSERT_TRUE(delta->Reaches(2)) << xdsd_->Log();
  EXPECT_GE(absl::Now() - canary_at, absl::Seconds(2) - absl::Milliseconds(200));
  ASSERT_TRUE(ReachesState("done"));
  EXPECT_EQ(Rollout()["nodes"], nlohmann::json({{"r2", 3}}));
  // A node that connects afterwards gets the revision at once.
  auto late = Connect("web-3", /*delta=*/false);
  EXPECT_TRUE(late->Reaches(2));
}

TEST_F(RolloutTest, ACanaryNackHaltsAndNoOtherNodeEverGetsThatRevision) {
  const std::string policy = "{waves: [{nodes: [\"canary-*\"]}, {percent: 100}], bake: 0s}";
  Start(ConfigText(1, policy));
  auto canary = Connect("canary-1", /*delta=*/false, /*nack_timeout=*/9);
  auto sotw = Connect("web-1", /*delta=*/false, 9);
  auto delta = Connect("web-2", /*delta=*/true, 9);
  for (Proxy* proxy : {canary.get(), sotw.get(), delta.get()}) ASSERT_TRUE(proxy->Reaches(1));

  Change(ConfigText(9, policy));
  ASSERT_TRUE(ReachesState("halted")) << xdsd_->Log();
  nlohmann::json rollout = Rollout();
  EXPECT_EQ(rollout["halt"]["node"], "canary-1");
  EXPECT_EQ(rollout["halt"]["type"], "clusters");
  EXPECT_THAT(rollout["halt"]["error"].get<std::string>(),
              HasSubstr("unsupported connect timeout"));
  auto [status_code, status] = Xdsd({"status"});
  EXPECT_THAT(status, HasSubstr("rollout r2: wave 1/2"));
  EXPECT_THAT(status, HasSubstr("halted: canary-1 NACKed clusters: web: unsupported"));
  absl::StatusOr<std::string> metrics = xdsd_->HttpGet("/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("xdsd_rollout_halts_total 1\n"));
  EXPECT_THAT(*metrics, HasSubstr("xdsd_rollout_wave{group=\"\"} 1\n"));
  EXPECT_THAT(*metrics, HasSubstr("xdsd_rollout_nodes{group=\"\",revision=\"r1\"} 2\n"));
  EXPECT_THAT(*metrics, HasSubstr("xdsd_rollout_nodes{group=\"\",revision=\"r2\"} 1\n"));
  // The bad version reached the canary only; a node that connects now is not given it.
  ASSERT_EQ(canary->Versions().size(), 2u);
  const std::string bad = canary->Versions()[1];
  auto late = Connect("web-3", /*delta=*/false, 9);
  ASSERT_TRUE(late->Reaches(1));
  // Abort through the CLI: every node on r1 again.
  EXPECT_NE(Xdsd({"rollout", "abort"}).first, 0);  // the token is needed
  auto [abort_code, aborted] = Xdsd({"rollout", "abort"}, /*token=*/true);
  EXPECT_EQ(abort_code, 0) << aborted;
  ASSERT_TRUE(ReachesState("aborted"));
  EXPECT_EQ(Rollout()["nodes"], nlohmann::json({{"r1", 4}}));
  for (Proxy* proxy : {sotw.get(), delta.get(), late.get()}) {
    EXPECT_EQ(proxy->Timeout(), 1) << proxy->id();
    EXPECT_THAT(proxy->Versions(), Not(::testing::Contains(bad))) << proxy->id();
  }
  EXPECT_EQ(canary->Timeout(), 1);
  // The canary already runs r1's clusters: it is sent them once more, ACKs, and is SYNCED
  // (PROTOCOL 33), not NACKED for a config no longer served.
  ASSERT_TRUE(ReachesSynced("canary-1")) << ClusterStatus("canary-1").dump() << xdsd_->Log();
  const std::vector<std::string> versions = canary->Versions();
  EXPECT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions.back(), versions.front());
  EXPECT_EQ(ClusterStatus("canary-1")["version_acked"], versions.front());
  ExpectStatusSynced("canary-1");
}

TEST_F(RolloutTest, AutoRollbackReturnsTheFinishedWaves) {
  const std::string policy =
      "{waves: [{nodes: [canary-a]}, {nodes: [canary-b]}, {percent: 100}], bake: 0s, "
      "auto_rollback: true}";
  Start(ConfigText(1, policy));
  auto first = Connect("canary-a", /*delta=*/false);
  auto second = Connect("canary-b", /*delta=*/true, /*nack_timeout=*/9);
  auto rest = Connect("web-1", /*delta=*/false);
  for (Proxy* proxy : {first.get(), second.get(), rest.get()}) ASSERT_TRUE(proxy->Reaches(1));

  Change(ConfigText(9, policy));
  ASSERT_TRUE(ReachesState("halted")) << xdsd_->Log();
  EXPECT_EQ(Rollout()["halt"]["node"], "canary-b");
  // canary-a took r2 in wave 1 and is sent r1 back; web-1 never saw r2.
  EXPECT_THAT(first->Versions().size(), ::testing::Ge(2u));
  ASSERT_TRUE(first->Reaches(1)) << xdsd_->Log();
  EXPECT_TRUE(Rollout()["rolled_back"]);
  EXPECT_EQ(rest->Versions().size(), 1u);
  EXPECT_EQ(Rollout()["nodes"], nlohmann::json({{"r1", 3}}));
  // The delta canary that rejected r2 still runs r1: re-synced, it ACKs and is SYNCED.
  ASSERT_TRUE(ReachesSynced("canary-b")) << ClusterStatus("canary-b").dump() << xdsd_->Log();
  EXPECT_EQ(second->Timeout(), 1);
  ExpectStatusSynced("canary-b");
}

TEST_F(RolloutTest, PromoteThroughTheCliAndAGroupWithItsOwnPolicy) {
  // The default resources switch at once; group "edge" rolls out to its canary first.
  const std::string edge_policy = "{waves: [{nodes: [edge-canary]}, {percent: 100}], bake: 1h}";
  Start(ConfigText(1, "", edge_policy));
  auto web = Connect("web-1", /*delta=*/true);
  auto edge_canary = Connect("edge-canary", /*delta=*/false, -1, "edge");
  auto edge = Connect("edge-2", /*delta=*/true, -1, "edge");
  for (Proxy* proxy : {web.get(), edge_canary.get(), edge.get()}) ASSERT_TRUE(proxy->Reaches(1));

  Change(ConfigText(2, "", edge_policy));
  ASSERT_TRUE(web->Reaches(2));
  ASSERT_TRUE(edge_canary->Reaches(2));
  ASSERT_TRUE(ReachesState("baking", "edge")) << xdsd_->Log();
  EXPECT_TRUE(Rollout("").is_null());
  EXPECT_EQ(edge->Timeout(), 1);
  auto [show_code, shown] = Xdsd({"rollout"});
  EXPECT_EQ(show_code, 0) << shown;
  EXPECT_THAT(shown, HasSubstr("group edge: r2 over r1, baking, wave 1/2"));
  EXPECT_THAT(shown, HasSubstr("edge-canary"));
  EXPECT_THAT(Xdsd({"status"}).second, HasSubstr("rollout r2 (group edge): wave 1/2, 1/2 nodes"));

  EXPECT_NE(Xdsd({"rollout", "promote"}).first, 0);  // the token is needed
  auto [code, promoted] = Xdsd({"rollout", "promote"}, /*token=*/true);
  EXPECT_EQ(code, 0) << promoted;
  ASSERT_TRUE(edge->Reaches(2)) << xdsd_->Log();
  auto [again_code, again] = Xdsd({"rollout", "promote"}, /*token=*/true);
  EXPECT_EQ(again_code, 0) << again;
  ASSERT_TRUE(ReachesState("done", "edge"));
  EXPECT_THAT(Xdsd({"status"}).second, Not(HasSubstr("rollout r2")));
}

TEST_F(RolloutTest, PercentWavesTakeTheSameNodesOnEveryReconnect) {
  const std::string policy = "{waves: [{percent: 50}, {percent: 100}], bake: 1h}";
  Start(ConfigText(1, policy));
  std::vector<std::unique_ptr<Proxy>> proxies;
  for (int i = 0; i < 8; ++i) {
    proxies.push_back(Connect(absl::StrCat("node-", i), /*delta=*/i % 2 == 1));
  }
  for (auto& proxy : proxies) ASSERT_TRUE(proxy->Reaches(1));
  Change(ConfigText(2, policy));
  ASSERT_TRUE(ReachesState("baking")) << xdsd_->Log();
  auto ids = [](const nlohmann::json& rollout) {
    std::vector<std::string> wave = rollout["wave_nodes"][0]["node_ids"];
    std::sort(wave.begin(), wave.end());
    return wave;
  };
  const std::vector<std::string> first_wave = ids(Rollout());
  // Served exactly to the first wave's nodes.
  auto served = [&] {
    std::vector<std::string> on_new;
    for (auto& proxy : proxies) {
      if (proxy->Timeout() == 2) on_new.push_back(proxy->id());
    }
    std::sort(on_new.begin(), on_new.end());
    return on_new;
  };
  ASSERT_TRUE(testing::PollUntil(
      kTimeout, [&] { return served() == first_wave; }, testing::kIntegrationPollInterval));
  // Every node reconnects: the same ones are placed on r2 again.
  for (int i = 0; i < 8; ++i) {
    proxies[i].reset();
    proxies[i] = Connect(absl::StrCat("node-", i), i % 2 == 1);
  }
  for (auto& proxy : proxies)
    ASSERT_TRUE(testing::PollUntil(
        kTimeout, [&] { return proxy->Timeout() > 0; }, testing::kIntegrationPollInterval));
  EXPECT_EQ(served(), first_wave);
  EXPECT_EQ(ids(Rollout()), first_wave);
}

TEST_F(RolloutTest, AFleetApiChangeRollsOutAsAnyRevision) {
  Start(ConfigText(1, "{waves: [{nodes: [canary]}, {percent: 100}], bake: 1h}"));
  auto canary = Connect("canary", /*delta=*/true);
  auto web = Connect("web-1", /*delta=*/false);
  ASSERT_TRUE(canary->Reaches(1));
  ASSERT_TRUE(web->Reaches(1));
  httplib::Client client("127.0.0.1", xdsd_->http_port());
  client.set_read_timeout(std::chrono::seconds(5));
  client.set_bearer_token_auth(kToken);
  httplib::Result put = client.Put("/v1/fleet/clusters/web",
                                   R"({"name": "web", "connect_timeout": "4s", "type": "STATIC"})",
                                   "application/json");
  ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "no answer");
  ASSERT_TRUE(canary->Reaches(4)) << xdsd_->Log();
  ASSERT_TRUE(ReachesState("baking"));
  EXPECT_EQ(Rollout()["revision"], 2);
  EXPECT_EQ(web->Timeout(), 1);
  EXPECT_EQ(web->Versions().size(), 1u);
}

TEST_F(RolloutTest, ANewerRevisionSupersedesTheRolloutUnderWay) {
  Start(ConfigText(1, "{waves: [{nodes: [canary]}, {percent: 100}], bake: 1h}"));
  auto canary = Connect("canary", /*delta=*/false);
  auto web = Connect("web-1", /*delta=*/true);
  ASSERT_TRUE(canary->Reaches(1));
  ASSERT_TRUE(web->Reaches(1));
  Change(ConfigText(2, "{waves: [{nodes: [canary]}, {percent: 100}], bake: 1h}"));
  ASSERT_TRUE(canary->Reaches(2));
  Change(ConfigText(3, "{waves: [{nodes: [canary]}, {percent: 100}], bake: 1h}"));
  ASSERT_TRUE(canary->Reaches(3));
  const nlohmann::json rollout = Rollout();
  EXPECT_EQ(rollout["revision"], 3);
  EXPECT_EQ(rollout["previous_revision"], 1);
  EXPECT_EQ(rollout["wave"], 1);
  EXPECT_EQ(web->Timeout(), 1);
  // A rollback reaches every node at once and ends the rollout.
  auto [code, rolled_back] = Xdsd({"rollback", "1"}, /*token=*/true);
  EXPECT_EQ(code, 0) << rolled_back;
  ASSERT_TRUE(canary->Reaches(1));
  EXPECT_EQ(web->Timeout(), 1);
  EXPECT_TRUE(Rollout().is_null());
}

}  // namespace
}  // namespace xdsd

#include "rest/fleet_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "config/config_publisher.h"

namespace xdsd::rest {
namespace {

// Two clusters for every node, and a group "edge" with one of its own.
constexpr char kConfig[] = R"(
resources:
  clusters:
    - {name: web, connect_timeout: 1s, type: STATIC}
    - {name: api, connect_timeout: 1s, type: STATIC}
groups:
  - name: edge
    match: {cluster: "edge-*"}
    resources:
      clusters:
        - {name: web, connect_timeout: 2s, type: STATIC}
)";

constexpr char kAssignment[] = R"({
  "cluster_name": "payments",
  "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address":
      {"address": "10.0.0.7", "port_value": 8080}}}}]}]
})";
constexpr char kEdsPayments[] =
    R"({"name": "payments", "connect_timeout": "1s", "type": "EDS", "eds_cluster_config":
        {"eds_config": {"ads": {}}}})";

class FleetApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("fleet_api_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    WriteConfig(kConfig);
    publisher_ = std::make_unique<config::ConfigPublisher>(ConfigPath());
    ASSERT_TRUE(publisher_->Load().ok());
    publisher_->PublishTo(&cache_);
    api_ = std::make_unique<FleetApi>(publisher_.get());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string ConfigPath() const { return (dir_ / "config.yaml").string(); }
  std::string StatePath() const { return (dir_ / "fleet_overlay.json").string(); }
  void WriteConfig(std::string_view text) const { std::ofstream(ConfigPath()) << text; }

  // The names of the clusters a key serves.
  std::vector<std::string> Clusters(const std::string& key) const {
    std::vector<std::string> names;
    for (const auto& [name, resource] : cache_.GetSnapshot(key)->Resources(kClusterType)) {
      names.push_back(name);
    }
    return names;
  }
  ResourcePtr Cluster(const std::string& key, std::string_view name) const {
    return cache_.GetSnapshot(key)->Find(kClusterType, name);
  }

  std::filesystem::path dir_;
  SnapshotCache cache_;
  std::unique_ptr<config::ConfigPublisher> publisher_;
  std::unique_ptr<FleetApi> api_;
};

using ::testing::ElementsAre;

TEST_F(FleetApiTest, PutOfOneClusterKeepsTheConfigsOtherClustersInEveryGroup) {
  HttpReply put = api_->Put("clusters", "extra",
                            R"({"name": "extra", "connect_timeout": "3s", "type": "STATIC"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_THAT(Clusters(""), ElementsAre("api", "extra", "web"));
  EXPECT_THAT(Clusters("edge"), ElementsAre("extra", "web"));

  nlohmann::json listed = nlohmann::json::parse(api_->Get("clusters").body);
  EXPECT_EQ(listed["resources"].size(), 1u);
  EXPECT_EQ(listed["resources"]["extra"], Cluster("", "extra")->version());
}

TEST_F(FleetApiTest, RemovingAnOverlayNameServesTheConfigsOwnResourceAgain) {
  const ResourcePtr own = Cluster("", "web");
  const ResourcePtr own_edge = Cluster("edge", "web");
  ASSERT_EQ(api_->Put("clusters", "web", R"({"name": "web", "connect_timeout": "9s"})").status,
            200);
  EXPECT_NE(Cluster("", "web")->version(), own->version());
  EXPECT_EQ(Cluster("edge", "web")->version(), Cluster("", "web")->version());

  ASSERT_EQ(api_->Delete("clusters", "web").status, 200);
  EXPECT_EQ(Cluster("", "web")->version(), own->version());
  EXPECT_EQ(Cluster("edge", "web")->version(), own_edge->version());
  EXPECT_THAT(Clusters(""), ElementsAre("api", "web"));
}

TEST_F(FleetApiTest, RemovingANameNotInTheOverlayIs404AndChangesNothing) {
  const SnapshotPtr before = cache_.GetSnapshot("");
  // "web" is the config's own: the fleet API cannot remove it.
  EXPECT_EQ(api_->Delete("clusters", "web").status, 404);
  HttpReply post = api_->Post("clusters", R"({"remove": ["does-not-exist"]})");
  EXPECT_EQ(post.status, 404);
  EXPECT_NE(post.body.find("does-not-exist"), std::string::npos) << post.body;
  EXPECT_EQ(cache_.GetSnapshot(""), before);
  EXPECT_THAT(Clusters(""), ElementsAre("api", "web"));
}

TEST_F(FleetApiTest, AChangeThatBreaksReferencesIs400AndChangesNothing) {
  const SnapshotPtr before = cache_.GetSnapshot("");
  HttpReply put = api_->Put("clusters", "payments", kEdsPayments);
  EXPECT_EQ(put.status, 400);
  EXPECT_NE(put.body.find("no ClusterLoadAssignment named \\\"payments\\\""), std::string::npos)
      << put.body;
  EXPECT_NE(put.body.find("group \\\"edge\\\""), std::string::npos) << put.body;
  EXPECT_EQ(cache_.GetSnapshot(""), before);
  EXPECT_TRUE(publisher_->OverlayResources(kClusterType).empty());

  // With its endpoints, in one change, it is served.
  HttpReply post = api_->Post("clusters", absl::StrCat(R"({"set": [)", kEdsPayments, "]}"));
  EXPECT_EQ(post.status, 400);
  ASSERT_EQ(api_->Put("endpoints", "payments", kAssignment).status, 200);
  ASSERT_EQ(api_->Put("clusters", "payments", kEdsPayments).status, 200);
  // Removing the endpoints now would break the cluster.
  EXPECT_EQ(api_->Delete("endpoints", "payments").status, 400);
  EXPECT_NE(cache_.GetSnapshot("edge")->Find(kEndpointType, "payments"), nullptr);
}

TEST_F(FleetApiTest, AReloadKeepsTheOverlayOnTopOfTheNewConfig) {
  ASSERT_EQ(api_->Put("clusters", "web", R"({"name": "web", "connect_timeout": "9s"})").status,
            200);
  const std::string overlaid = Cluster("", "web")->version();
  // Most of the config goes (its groups): said so, as the mass-removal guard asks.
  WriteConfig(R"(
allow_mass_removal: true
resources:
  clusters:
    - {name: web, connect_timeout: 5s, type: STATIC}
    - {name: new, connect_timeout: 1s, type: STATIC}
)");
  ASSERT_TRUE(publisher_->Reload().ok());
  EXPECT_THAT(Clusters(""), ElementsAre("new", "web"));
  EXPECT_EQ(Cluster("", "web")->version(), overlaid);

  // A config that breaks with the overlay is refused like a bad config: the overlay's route
  // names the config's "new".
  ASSERT_EQ(api_->Put("routes", "r", R"({"name": "r", "virtual_hosts": [{"name": "v",
      "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "new"}}]}]})")
                .status,
            200);
  const SnapshotPtr before = cache_.GetSnapshot("");
  WriteConfig(
      "allow_mass_removal: true\nresources: {clusters: [{name: other, connect_timeout: 1s, "
      "type: STATIC}]}\n");
  absl::Status reloaded = publisher_->Reload();
  EXPECT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.message().find("with the fleet overlay applied"), std::string::npos)
      << reloaded;
  EXPECT_NE(reloaded.message().find("no cluster named \"new\""), std::string::npos) << reloaded;
  EXPECT_EQ(cache_.GetSnapshot(""), before);
}

TEST_F(FleetApiTest, TheOverlayIsKeptInTheStateFileAndLoadedBack) {
  ASSERT_TRUE(publisher_->KeepOverlayIn(StatePath()).ok());
  ASSERT_EQ(api_->Put("endpoints", "payments", kAssignment).status, 200);
  ASSERT_EQ(api_->Put("clusters", "payments", kEdsPayments).status, 200);
  const std::string version = Cluster("edge", "payments")->version();

  SnapshotCache restarted;
  config::ConfigPublisher publisher(ConfigPath());
  ASSERT_TRUE(publisher.KeepOverlayIn(StatePath()).ok());
  ASSERT_TRUE(publisher.Load().ok());
  publisher.PublishTo(&restarted);
  ASSERT_NE(restarted.GetSnapshot("edge")->Find(kClusterType, "payments"), nullptr);
  EXPECT_EQ(restarted.GetSnapshot("edge")->Find(kClusterType, "payments")->version(), version);
  EXPECT_EQ(restarted.GetSnapshot("")->Resources(kClusterType).size(), 3u);
}

TEST_F(FleetApiTest, ACorruptStateFileIsAnErrorThatNamesIt) {
  std::ofstream(StatePath()) << R"({"fleet_overlay": {"clusters": [{"name": 5}]}})";
  config::ConfigPublisher publisher(ConfigPath());
  absl::Status kept = publisher.KeepOverlayIn(StatePath());
  EXPECT_FALSE(kept.ok());
  EXPECT_NE(kept.message().find(StatePath()), std::string::npos) << kept;
}

TEST_F(FleetApiTest, BadRequestsChangeNothing) {
  EXPECT_EQ(
      api_->Put("endpoints", "payments", R"({"cluster_name": "payments", "bogus": 1})").status,
      400);
  HttpReply mismatch = api_->Put("endpoints", "other", kAssignment);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("the path"), std::string::npos);
  EXPECT_EQ(api_->Put("widgets", "x", "{}").status, 404);
  EXPECT_EQ(api_->Post("endpoints", R"({"set": [{"cluster_name": 5}]})").status, 400);
  EXPECT_EQ(api_->Post("endpoints", R"({"add": []})").status, 400);
  EXPECT_TRUE(publisher_->OverlayResources(kEndpointType).empty());
}

// 100,000 levels used to overflow the stack in the JSON library's dump(): refused before parsing.
TEST_F(FleetApiTest, DeeplyNestedBodyIsRefused) {
  const std::string body =
      absl::StrCat(R"({"set":)", std::string(100'000, '['), std::string(100'000, ']'), "}");
  HttpReply reply = api_->Post("clusters", body);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("nest more than 100 deep"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace xdsd::rest

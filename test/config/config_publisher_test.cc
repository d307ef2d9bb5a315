#include "config/config_publisher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/poll.h"
#include "xdsd/refusals.h"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;
using xdsd::testing::PollUntil;

uint64_t RefusalCount(std::string_view reason) {
  for (const auto& [name, count] : RefusalCounts()) {
    if (name == reason) return count;
  }
  return 0;
}

// A listener on `port` routing everything to cluster `cluster`, which has one endpoint.
std::string ConfigText(const std::string& cluster, int port = 10000) {
  return R"(resources:
  listeners:
  - name: web
    address: {socket_address: {address: 0.0.0.0, port_value: )" +
         std::to_string(port) + R"(}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: web
          rds: {route_config_name: web, config_source: {ads: {}, resource_api_version: V3}}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
  routes:
  - name: web
    virtual_hosts:
    - name: all
      domains: ["*"]
      routes:
      - match: {prefix: "/"}
        route: {cluster: )" +
         cluster + R"(}
  clusters:
  - name: a
    type: STATIC
    load_assignment: {cluster_name: a, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8001}}}}]}]}
  - name: b
    type: STATIC
    load_assignment: {cluster_name: b, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8002}}}}]}]}
)";
}

class ConfigPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xdsd-publisher-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "xdsd.yaml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
  }
  fs::path dir_;
  std::string path_;
};

TEST_F(ConfigPublisherTest, PublishesAndReloadsOnlyWhatChanged) {
  Write(ConfigText("a"));
  ConfigPublisher publisher(path_);
  ASSERT_TRUE(publisher.Load().ok());
  SnapshotCache cache([&](const auto& node) { return publisher.KeyOf(node); });
  publisher.PublishTo(&cache);
  SnapshotPtr first = cache.GetSnapshot("");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->Resources(kListenerType).size(), 1u);
  const ConfigStatus loaded = publisher.status();
  EXPECT_EQ(loaded.source, path_);
  EXPECT_FALSE(loaded.version.empty());
  EXPECT_FALSE(loaded.last_error.has_value());

  Write(ConfigText("b"));
  ASSERT_TRUE(publisher.Reload().ok());
  SnapshotPtr second = cache.GetSnapshot("");
  EXPECT_NE(second->Version(kRouteType), first->Version(kRouteType));
  EXPECT_EQ(second->Version(kListenerType), first->Version(kListenerType));
  EXPECT_EQ(second->Version(kClusterType), first->Version(kClusterType));
  EXPECT_NE(publisher.status().version, loaded.version);
}

TEST_F(ConfigPublisherTest, BrokenConfigKeepsTheLastGoodOne) {
  Write(ConfigText("a"));
  ConfigPublisher publisher(path_);
  ASSERT_TRUE(publisher.Load().ok());
  SnapshotCache cache;
  publisher.PublishTo(&cache);
  SnapshotPtr good = cache.GetSnapshot("");
  const std::string good_version = publisher.status().version;

  Write(ConfigText("paymnts"));
  absl::Status status = publisher.Reload();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(cache.GetSnapshot(""), good);  // still served
  ConfigStatus after = publisher.status();
  EXPECT_EQ(after.version, good_version);
  ASSERT_TRUE(after.last_error.has_value());
  EXPECT_NE(
      after.last_error->find("xdsd.yaml:22: routes[0].virtual_hosts[0].routes[0].route.cluster:"),
      std::string::npos)
      << *after.last_error;
  EXPECT_NE(after.last_error->find("no cluster named \"paymnts\""), std::string::npos);
  EXPECT_EQ(after.reloads_failed, 1);

  Write(ConfigText("b"));
  ASSERT_TRUE(publisher.Reload().ok());
  EXPECT_FALSE(publisher.status().last_error.has_value());
}

TEST_F(ConfigPublisherTest, AnEmptySaveIsRefusedAsAMassRemoval) {
  Write(ConfigText("a"));
  ConfigPublisher publisher(path_);
  ASSERT_TRUE(publisher.Load().ok());
  SnapshotCache cache;
  publisher.PublishTo(&cache);
  SnapshotPtr good = cache.GetSnapshot("");
  const std::string good_version = publisher.status().version;
  const uint64_t refused_before = RefusalCount("mass_removal");

  for (const char* empty : {"", "resources: {}\n"}) {
    Write(empty);
    const absl::Status status = publisher.Reload();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_NE(status.message().find("every one of the clusters, listeners, routes served now"),
              absl::string_view::npos)
        << status;
    EXPECT_EQ(cache.GetSnapshot(""), good);  // still served
    EXPECT_EQ(publisher.status().version, good_version);
    EXPECT_FALSE(publisher.status().refused_version.empty());
  }
  EXPECT_EQ(RefusalCount("mass_removal"), refused_before + 2);

  // Said on purpose: served.
  Write("allow_mass_removal: true\n");
  ASSERT_TRUE(publisher.Reload().ok());
  EXPECT_EQ(cache.GetSnapshot("")->size(), 0u);
  EXPECT_EQ(publisher.status().served_versions.at("").at("clusters"),
            cache.GetSnapshot("")->Version(kClusterType));
}

TEST_F(ConfigPublisherTest, MaxRemovalOfOneHundredPercentTurnsTheGuardOff) {
  Write(ConfigText("a"));
  ConfigPublisher publisher(path_);
  publisher.SetMaxRemoval(1.0);
  ASSERT_TRUE(publisher.Load().ok());
  Write("");
  EXPECT_TRUE(publisher.Reload().ok());
}

TEST_F(ConfigPublisherTest, SameConfigGivesSameVersionsInAnyProcess) {
  Write(ConfigText("a"));
  ConfigPublisher one(path_), two(path_);
  ASSERT_TRUE(one.Load().ok());
  ASSERT_TRUE(two.Load().ok());
  EXPECT_EQ(one.status().version, two.status().version);
}

TEST_F(ConfigPublisherTest, WatchReloadsASavedChange) {
  Write(ConfigText("a"));
  ConfigPublisher publisher(path_);
  ASSERT_TRUE(publisher.Load().ok());
  SnapshotCache cache;
  publisher.PublishTo(&cache);
  ASSERT_TRUE(publisher.Watch().ok());
  const std::string before = cache.GetSnapshot("")->Version(kRouteType);
  Write(ConfigText("b"));
  EXPECT_TRUE(PollUntil(absl::Seconds(5),
                        [&] { return cache.GetSnapshot("")->Version(kRouteType) != before; }));
  Write("resources: {listeners: [{name: x, adress: {}}]}\n");
  EXPECT_TRUE(
      PollUntil(absl::Seconds(5), [&] { return publisher.status().last_error.has_value(); }));
  EXPECT_NE(publisher.status().last_error->find("adress"), std::string::npos);
}

TEST_F(ConfigPublisherTest, TheDemoLoadsWithoutAFile) {
  ConfigPublisher publisher("");
  ASSERT_TRUE(publisher.Load().ok());
  EXPECT_EQ(publisher.status().source, ConfigPublisher::kDemoSource);
  EXPECT_FALSE(publisher.Watch().ok());
}

}  // namespace
}  // namespace xdsd::config

namespace xdsd::config {
namespace {

std::string RouteClusterOf(const SnapshotCache& cache) {
  SnapshotPtr snapshot = cache.GetSnapshot("");
  ResourcePtr route = snapshot == nullptr ? nullptr : snapshot->Find(kRouteType, "web");
  if (route == nullptr) return "";
  // The route names its cluster last: "... cluster: a".
  const std::string_view bytes = route->bytes();
  return std::string(bytes.substr(bytes.size() - 1));
}

TEST_F(ConfigPublisherTest, ARollbackHoldsUntilTheSourceChanges) {
  const std::string history_dir = (dir_ / "history").string();
  Write(ConfigText("a"));
  {
    ConfigPublisher publisher(path_);
    ASSERT_TRUE(publisher.KeepHistory(10, history_dir).ok());
    ASSERT_TRUE(publisher.Load().ok());
    SnapshotCache cache([&](const auto& node) { return publisher.KeyOf(node); });
    publisher.PublishTo(&cache);
    Write(ConfigText("b"));
    ASSERT_TRUE(publisher.Reload().ok());
    EXPECT_EQ(RouteClusterOf(cache), "b");

    absl::StatusOr<RevisionPtr> rolled_back = publisher.Rollback(1, "token");
    ASSERT_TRUE(rolled_back.ok()) << rolled_back.status();
    EXPECT_EQ((*rolled_back)->number, 3);
    EXPECT_EQ((*rolled_back)->source, "rollback to r1");
    EXPECT_EQ(RouteClusterOf(cache), "a");
    ConfigStatus status = publisher.status();
    EXPECT_EQ(status.revision, 3);
    EXPECT_NE(status.version, status.source_version) << "what is served is not the source";

    // Reloading the same file is not a change of the source: the rollback stays.
    ASSERT_TRUE(publisher.Reload().ok());
    EXPECT_EQ(RouteClusterOf(cache), "a");
    EXPECT_EQ(publisher.status().revision, 3);
    EXPECT_EQ(publisher.Rollback(99, "token").status().code(), absl::StatusCode::kNotFound);
  }
  {
    // Nor is a restart.
    ConfigPublisher publisher(path_);
    ASSERT_TRUE(publisher.KeepHistory(10, history_dir).ok());
    ASSERT_TRUE(publisher.Load().ok());
    SnapshotCache cache([&](const auto& node) { return publisher.KeyOf(node); });
    publisher.PublishTo(&cache);
    EXPECT_EQ(RouteClusterOf(cache), "a");
    EXPECT_EQ(publisher.status().revision, 3);

    // The next change of the source is served.
    Write(ConfigText("b", 10001));
    ASSERT_TRUE(publisher.Reload().ok());
    EXPECT_EQ(RouteClusterOf(cache), "b");
    ConfigStatus status = publisher.status();
    EXPECT_EQ(status.revision, 4);
    EXPECT_EQ(status.version, status.source_version);
    EXPECT_EQ(publisher.history().Latest()->changes.at("routes").changed,
              std::vector<std::string>{"web"});
  }
}

}  // namespace
}  // namespace xdsd::config

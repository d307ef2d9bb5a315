#include "admin/admin_server.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "xdsd/snapshot.h"

namespace xdsd::admin {
namespace {

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<int> port = admin_.Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }

  SnapshotCache cache_;
  AdminServer admin_{&cache_};
  std::unique_ptr<httplib::Client> client_;
};

// Tells the cache that an ADS stream of `node` opened, as the server does.
void OpenStreamOn(SnapshotCache& cache, const envoy::config::core::v3::Node& node, std::string peer,
                  bool delta) {
  StreamInfo stream;
  stream.id = 1;
  stream.peer = std::move(peer);
  stream.delta = delta;
  ASSERT_TRUE(cache.StreamObserver()->OnStreamNode(stream, node).ok());
}

TEST_F(AdminServerTest, ReadyOnlyWithConfigLoadedAndGrpcServing) {
  auto get = [&] {
    httplib::Result result = client_->Get("/readyz");
    return result ? result->status : -1;
  };
  EXPECT_EQ(get(), 503);
  admin_.SetConfigLoaded(true);
  EXPECT_EQ(get(), 503);
  httplib::Result not_ready = client_->Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->body, "not ready; the xDS gRPC server is not serving\n");
  admin_.SetGrpcServing(true);
  EXPECT_EQ(get(), 200);
  admin_.SetGrpcServing(false);  // stopping
  EXPECT_EQ(get(), 503);
}

TEST_F(AdminServerTest, MetricsServesPrometheusText) {
  httplib::Result result = client_->Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), PrometheusText::kContentType);
  EXPECT_NE(result->body.find("xdsd_resources{type=\"clusters\"} 0\n"), std::string::npos)
      << result->body;
}

TEST_F(AdminServerTest, ConfigDumpShowsTheNodesResourcesAsEnvoyJson) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name("backend");
  cluster.mutable_connect_timeout()->set_seconds(2);
  cluster.set_type(envoy::config::cluster::v3::Cluster::STRICT_DNS);
  const ResourcePtr resource = *Resource::FromMessage(cluster);
  cache_.SetSnapshot("envoy-1", *Snapshot::Create({resource}));
  envoy::config::core::v3::Node node;
  node.set_id("envoy-1");
  OpenStreamOn(cache_, node, "ipv4:127.0.0.1:5", /*delta=*/false);

  httplib::Result result = client_->Get("/v1/config_dump?node=envoy-1");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const nlohmann::json dump = nlohmann::json::parse(result->body);
  const nlohmann::json expected = {
      {"node", "envoy-1"},
      {"snapshot_key", "envoy-1"},
      {"has_snapshot", true},
      {"types",
       {{{"type_url", std::string(kClusterType)},
         {"type", "clusters"},
         {"version", cache_.GetSnapshot("envoy-1")->Version(kClusterType)},
         {"resources",
          {{{"name", "backend"},
            {"version", resource->version()},
            {"resource",
             {{"name", "backend"}, {"type", "STRICT_DNS"}, {"connect_timeout", "2s"}}}}}}}}}};
  EXPECT_EQ(dump, expected) << dump.dump(2);

  httplib::Result unknown = client_->Get("/v1/config_dump?node=nobody");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  httplib::Result no_node = client_->Get("/v1/config_dump");
  ASSERT_TRUE(no_node);
  EXPECT_EQ(no_node->status, 400);
}

TEST_F(AdminServerTest, NodesCarryLocalityPeerVariantAndConnectedSince) {
  envoy::config::core::v3::Node node;
  node.set_id("envoy-2");
  node.mutable_locality()->set_region("eu");
  node.mutable_locality()->set_zone("eu-1a");
  node.set_user_agent_name("envoy");
  node.set_user_agent_version("1.31.0");
  OpenStreamOn(cache_, node, "ipv4:10.0.0.7:53622", /*delta=*/true);
  httplib::Result result = client_->Get("/v1/nodes/envoy-2");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  const nlohmann::json json = nlohmann::json::parse(result->body);
  EXPECT_EQ(json["locality"],
            (nlohmann::json{{"region", "eu"}, {"zone", "eu-1a"}, {"sub_zone", ""}}));
  EXPECT_EQ(json["user_agent_version"], "1.31.0");
  EXPECT_EQ(json["peer"], "ipv4:10.0.0.7:53622");
  EXPECT_EQ(json["variant"], "delta-ads");
  EXPECT_TRUE(json["connected_since"].is_string());
}

TEST_F(AdminServerTest, NodesComeInPagesWithMetadataOnlyWhenAsked) {
  for (int i = 0; i < 3; ++i) {
    envoy::config::core::v3::Node node;
    node.set_id(absl::StrCat("page-", i));
    (*node.mutable_metadata()->mutable_fields())["team"].set_string_value("edge");
    StreamInfo stream;
    stream.id = 100 + i;
    ASSERT_TRUE(cache_.StreamObserver()->OnStreamNode(stream, node).ok());
  }
  std::vector<std::string> ids;
  std::string after;
  int pages = 0;
  do {
    httplib::Result result = client_->Get(absl::StrCat("/v1/nodes?limit=2&after=", after));
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    for (const nlohmann::json& node : nlohmann::json::parse(result->body)) {
      ids.push_back(node["id"]);
      EXPECT_FALSE(node.contains("metadata"));
    }
    after = result->get_header_value("X-Next-After");
    ++pages;
  } while (!after.empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(ids, (std::vector<std::string>{"page-0", "page-1", "page-2"}));

  httplib::Result with = client_->Get("/v1/nodes?metadata=1");
  ASSERT_TRUE(with);
  EXPECT_EQ(nlohmann::json::parse(with->body)[0]["metadata"]["team"], "edge");
  httplib::Result too_many = client_->Get("/v1/nodes?limit=10001");
  ASSERT_TRUE(too_many);
  EXPECT_EQ(too_many->status, 400);
}

}  // namespace
}  // namespace xdsd::admin

#include "rest/rest_gateway.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config_loader.h"

namespace xdsd::rest {
namespace {

class RestGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = config::ParseConfig(config::DemoConfigYaml(), "demo.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    snapshot_ = config->default_snapshot;
    cache_.SetSnapshot("envoy-1", snapshot_);
  }

  SnapshotCache cache_;
  SnapshotPtr snapshot_;
  RestGateway gateway_{&cache_, nullptr};
};

TEST_F(RestGatewayTest, ListenersAsEnvoyJson) {
  HttpReply reply = gateway_.Handle("listeners", R"({"node": {"id": "envoy-1"}})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  nlohmann::json response = nlohmann::json::parse(reply.body);
  EXPECT_EQ(response["version_info"], snapshot_->Version(kListenerType));
  EXPECT_EQ(response["type_url"], kListenerType);
  ASSERT_EQ(response["resources"].size(), 1u);
  const nlohmann::json& listener = response["resources"][0];
  EXPECT_EQ(listener["@type"], kListenerType);
  EXPECT_EQ(listener["name"], "listener_0");
  // The HTTP connection manager inside the listener's Any prints as Envoy JSON too.
  EXPECT_EQ(listener["filter_chains"][0]["filters"][0]["typed_config"]["@type"],
            "type.googleapis.com/"
            "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
}

TEST_F(RestGatewayTest, NamedRoutes) {
  HttpReply reply = gateway_.Handle(
      "routes", R"({"node": {"id": "envoy-1"}, "resource_names": ["local_route", "nope"]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  nlohmann::json response = nlohmann::json::parse(reply.body);
  ASSERT_EQ(response["resources"].size(), 1u);
  EXPECT_EQ(response["resources"][0]["name"], "local_route");
}

TEST_F(RestGatewayTest, CurrentVersionIsNotModified) {
  const std::string body = R"({"node": {"id": "envoy-1"}, "version_info": ")" +
                           snapshot_->Version(kClusterType) + R"("})";
  EXPECT_EQ(gateway_.Handle("clusters", body).status, 304);
  EXPECT_EQ(
      gateway_.Handle("clusters", R"({"node": {"id": "envoy-1"}, "version_info": "old"})").status,
      200);
}

TEST_F(RestGatewayTest, BadRequests) {
  HttpReply malformed = gateway_.Handle("clusters", "{not json");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("malformed DiscoveryRequest"), std::string::npos);
  HttpReply no_node = gateway_.Handle("clusters", R"({"resource_names": ["a"]})");
  EXPECT_EQ(no_node.status, 400);
  EXPECT_EQ(no_node.body, "the request has no node\n");
  HttpReply unknown = gateway_.Handle("widgets", R"({"node": {"id": "envoy-1"}})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(gateway_.Handle("clusters", R"({"node": {"id": "stranger"}})").status, 503);
}

}  // namespace
}  // namespace xdsd::rest

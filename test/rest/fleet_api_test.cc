#include "rest/fleet_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "config/config_loader.h"

namespace xdsd::rest {
namespace {

constexpr char kAssignment[] = R"({
  "cluster_name": "payments",
  "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address":
      {"address": "10.0.0.7", "port_value": 8080}}}}]}]
})";

class FleetApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = config::ParseConfig(config::DemoConfigYaml(), "demo.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    cache_.SetSnapshot("", config->default_snapshot);
  }
  SnapshotCache cache_;
  FleetApi api_{&cache_};
};

TEST_F(FleetApiTest, PutServesAResourceToEveryNodeAndDeleteRemovesIt) {
  HttpReply put = api_.Put("endpoints", "payments", kAssignment);
  ASSERT_EQ(put.status, 200) << put.body;
  ResourcePtr served = cache_.GetSnapshot("")->Find(kEndpointType, "payments");
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(nlohmann::json::parse(put.body)["version"], served->version());
  // The rest of the node's snapshot is untouched.
  EXPECT_NE(cache_.GetSnapshot("")->Find(kListenerType, "listener_0"), nullptr);

  nlohmann::json listed = nlohmann::json::parse(api_.Get("endpoints").body);
  EXPECT_EQ(listed["resources"]["payments"], served->version());

  EXPECT_EQ(api_.Delete("endpoints", "payments").status, 200);
  EXPECT_EQ(cache_.GetSnapshot("")->Find(kEndpointType, "payments"), nullptr);
  EXPECT_EQ(api_.Delete("endpoints", "payments").status, 404);
}

TEST_F(FleetApiTest, PostAppliesABatchAsOneChange) {
  const std::string body = std::string(R"({"set": [)") + kAssignment +
                           R"(, {"cluster_name": "search"}], "remove": ["gone"]})";
  HttpReply reply = api_.Post("endpoints", body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(cache_.GetSnapshot("")->Resources(kEndpointType).size(), 2u);
}

TEST_F(FleetApiTest, BadRequestsChangeNothing) {
  EXPECT_EQ(api_.Put("endpoints", "payments", R"({"cluster_name": "payments", "bogus": 1})").status,
            400);
  HttpReply mismatch = api_.Put("endpoints", "other", kAssignment);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("the path"), std::string::npos);
  EXPECT_EQ(api_.Put("widgets", "x", "{}").status, 404);
  EXPECT_EQ(api_.Post("endpoints", R"({"set": [{"cluster_name": 5}]})").status, 400);
  EXPECT_EQ(api_.Post("endpoints", R"({"add": []})").status, 400);
  EXPECT_FALSE(cache_.TypeResources(kEndpointType).has_value());
}

// 100,000 levels used to overflow the stack in the JSON library's dump(): refused before parsing.
TEST_F(FleetApiTest, DeeplyNestedBodyIsRefused) {
  const std::string body =
      absl::StrCat(R"({"set":)", std::string(100'000, '['), std::string(100'000, ']'), "}");
  HttpReply reply = api_.Post("clusters", body);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("nest more than 100 deep"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace xdsd::rest

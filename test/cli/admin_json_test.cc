#include "absl/time/time.h"
#include "admin/node_status_json.h"
#include "gtest/gtest.h"
#include "xdsd/status_codes.h"

namespace xdsd::admin {
namespace {

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

NodeStatus NackedEnvoy() {
  NodeStatus status;
  status.node.set_id("envoy-1");
  status.node.set_cluster("edge");
  status.node.set_user_agent_name("envoy");
  auto* version = status.node.mutable_user_agent_build_version()->mutable_version();
  version->set_major_number(1);
  version->set_minor_number(30);
  version->set_patch(2);
  status.first_seen = absl::FromUnixSeconds(1700000000);
  status.last_request = absl::FromUnixSeconds(1700000060);
  status.open_streams = 1;
  TypeStatus type;
  type.type_url = kClusterType;
  type.state = SyncState::kNacked;
  type.version_sent = "v2";
  type.nonce_sent = "7";
  type.sent_at = absl::FromUnixSeconds(1700000050);
  type.version_acked = "v1";
  type.acked_at = absl::FromUnixSeconds(1700000010);
  type.version_nacked = "v2";
  type.nack_error = "bad cluster";
  type.nacked_at = absl::FromUnixSeconds(1700000051);
  type.nack_count = 1;
  status.types.push_back(type);
  return status;
}

TEST(NodeStatusJsonTest, CarriesIdentityAndPerTypeState) {
  const nlohmann::json json = NodeStatusToJson(NackedEnvoy());
  EXPECT_EQ(json["id"], "envoy-1");
  EXPECT_EQ(json["cluster"], "edge");
  EXPECT_EQ(json["user_agent_name"], "envoy");
  EXPECT_EQ(json["user_agent_version"], "1.30.2");
  EXPECT_EQ(json["first_seen"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(json["open_streams"], 1);
  ASSERT_EQ(json["types"].size(), 1u);
  const nlohmann::json& type = json["types"][0];
  EXPECT_EQ(type["type_url"], kClusterType);
  EXPECT_EQ(type["type"], "clusters");
  EXPECT_EQ(type["state"], "NACKED");
  EXPECT_EQ(type["version_sent"], "v2");
  EXPECT_EQ(type["version_acked"], "v1");
  EXPECT_EQ(type["version_nacked"], "v2");
  EXPECT_EQ(type["nack_error"], "bad cluster");
}

TEST(NodeStatusJsonTest, EventsThatNeverHappenedAreNull) {
  NodeStatus status;
  status.node.set_id("new");
  status.node.set_user_agent_version("1.2.3");
  TypeStatus type;
  type.type_url = kClusterType;
  status.types.push_back(type);
  const nlohmann::json json = NodeStatusToJson(status);
  EXPECT_TRUE(json["first_seen"].is_null());
  EXPECT_EQ(json["user_agent_version"], "1.2.3");
  EXPECT_EQ(json["types"][0]["state"], "NOT_SENT");
  EXPECT_TRUE(json["types"][0]["acked_at"].is_null());
}

TEST(NodeStatusJsonTest, ListIsAnArrayEvenWhenEmpty) {
  EXPECT_TRUE(NodeStatusesToJson({}).is_array());
  EXPECT_EQ(NodeStatusesToJson({NackedEnvoy(), NackedEnvoy()}).size(), 2u);
}

TEST(HttpStatusTest, MapsTheCommonCodes) {
  EXPECT_EQ(HttpStatusCode(absl::OkStatus()), 200);
  EXPECT_EQ(HttpStatusCode(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusCode(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusCode(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusCode(absl::InternalError("x")), 500);
}

}  // namespace
}  // namespace xdsd::admin

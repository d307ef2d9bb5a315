#include "config/node_authorizer.h"

#include <string>
#include <vector>

#include "config/config_loader.h"
#include "gtest/gtest.h"
#include "xdsd/refusals.h"

namespace xdsd::config {
namespace {

Config Load(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "auth.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : Config{};
}

envoy::config::core::v3::Node Node(const std::string& id, const std::string& cluster) {
  envoy::config::core::v3::Node node;
  node.set_id(id);
  node.set_cluster(cluster);
  return node;
}

StreamInfo Stream(std::vector<std::string> identities) {
  StreamInfo stream;
  stream.peer = "ipv4:127.0.0.1:5000";
  stream.identities = std::move(identities);
  return stream;
}

uint64_t Refused(std::string_view reason) {
  for (const auto& [name, count] : RefusalCounts()) {
    if (name == reason) return count;
  }
  return 0;
}

constexpr char kEdgeRules[] = R"yaml(authorization:
  - identity: "spiffe://example.org/ns/edge/*"
    nodes: ["edge-*"]
    clusters: [edge]
)yaml";

TEST(NodeAuthorizerTest, WithoutAnAuthorizationSectionEveryNodeIsAllowed) {
  NodeAuthorizer authorizer;
  authorizer.SetConfig(Load("resources: {}\n"));
  EXPECT_TRUE(authorizer.OnStreamNode(Stream({}), Node("anything", "any")).ok());
}

TEST(NodeAuthorizerTest, IdentityMayClaimTheNodesOfItsRuleOnly) {
  NodeAuthorizer authorizer;
  authorizer.SetConfig(Load(kEdgeRules));
  const StreamInfo edge = Stream({"spiffe://example.org/ns/edge/sa/envoy", "edge.example.org"});
  EXPECT_TRUE(authorizer.OnStreamNode(edge, Node("edge-1", "edge")).ok());

  const uint64_t before = Refused("node_not_authorized");
  absl::Status other_node = authorizer.OnStreamNode(edge, Node("billing-1", "edge"));
  EXPECT_EQ(other_node.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other_node.message().find("billing-1"), absl::string_view::npos) << other_node;
  EXPECT_EQ(authorizer.OnStreamNode(edge, Node("edge-1", "billing")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authorizer
                .OnStreamNode(Stream({"spiffe://example.org/ns/billing/sa/envoy"}),
                              Node("edge-1", "edge"))
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refused("node_not_authorized"), before + 3);
}

TEST(NodeAuthorizerTest, RulesWithoutIdentitiesRefuseEveryNode) {
  NodeAuthorizer authorizer;
  authorizer.SetConfig(Load(kEdgeRules));
  EXPECT_EQ(authorizer.OnStreamNode(Stream({}), Node("edge-1", "edge")).code(),
            absl::StatusCode::kPermissionDenied);
  authorizer.SetConfig(Load("authorization: []\n"));
  EXPECT_EQ(
      authorizer
          .OnStreamNode(Stream({"spiffe://example.org/ns/edge/sa/envoy"}), Node("edge-1", "edge"))
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST(NodeAuthorizerTest, AReloadReplacesTheRules) {
  NodeAuthorizer authorizer;
  authorizer.SetConfig(Load(kEdgeRules));
  const StreamInfo billing = Stream({"spiffe://example.org/ns/billing/sa/envoy"});
  EXPECT_FALSE(authorizer.OnStreamNode(billing, Node("billing-1", "billing")).ok());
  authorizer.SetConfig(Load(R"yaml(authorization:
  - identity: "spiffe://example.org/ns/billing/*"
    nodes: ["billing-*"]
)yaml"));
  EXPECT_TRUE(authorizer.OnStreamNode(billing, Node("billing-1", "billing")).ok());
}

TEST(NodeAuthorizerTest, CsdsIsReadableUnderMutualTlsOnlyByListedIdentities) {
  NodeAuthorizer authorizer;
  authorizer.SetConfig(Load("resources: {}\n"));
  EXPECT_TRUE(authorizer.MayReadStatus({}, /*mutual_tls=*/false).ok());
  EXPECT_EQ(authorizer.MayReadStatus({"spiffe://example.org/ops/a"}, true).code(),
            absl::StatusCode::kPermissionDenied);
  authorizer.SetConfig(Load("csds_identities: [\"spiffe://example.org/ops/*\"]\n"));
  EXPECT_TRUE(authorizer.MayReadStatus({"spiffe://example.org/ops/a"}, true).ok());
  EXPECT_EQ(authorizer.MayReadStatus({"spiffe://example.org/ns/edge/sa/envoy"}, true).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace xdsd::config

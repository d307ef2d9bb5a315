#include "xdsd/resource.h"

#include <gtest/gtest.h>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "google/protobuf/any.pb.h"
#include "xdsd/snapshot.h"

namespace xdsd {
namespace {

TEST(ResourceTest, FromMessageTakesTypeNameAndBytes) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name("payments");
  cluster.mutable_connect_timeout()->set_seconds(2);
  auto resource = Resource::FromMessage(cluster);
  ASSERT_TRUE(resource.ok()) << resource.status();
  EXPECT_EQ((*resource)->type_url(), kClusterType);
  EXPECT_EQ((*resource)->name(), "payments");
  EXPECT_EQ((*resource)->bytes(), cluster.SerializeAsString());
  EXPECT_EQ((*resource)->version().size(), 16u);
}

TEST(ResourceTest, AnyBytesDecodeAsAny) {
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  assignment.set_cluster_name("payments");
  auto resource = Resource::FromMessage(assignment);
  ASSERT_TRUE(resource.ok());
  EXPECT_EQ((*resource)->name(), "payments");  // cluster_name
  google::protobuf::Any any;
  ASSERT_TRUE(any.ParseFromString((*resource)->any_bytes()));
  EXPECT_EQ(any.type_url(), kEndpointType);
  envoy::config::endpoint::v3::ClusterLoadAssignment decoded;
  ASSERT_TRUE(any.UnpackTo(&decoded));
  EXPECT_EQ(decoded.cluster_name(), "payments");
}

TEST(ResourceTest, VersionIsAStableContentHash) {
  auto a = Resource::FromBytes(kClusterType, "a", "same bytes");
  auto b = Resource::FromBytes(kClusterType, "b", "same bytes");
  auto c = Resource::FromBytes(kClusterType, "a", "other bytes");
  EXPECT_EQ(a->version(), b->version());
  EXPECT_NE(a->version(), c->version());
  // The same in every process: a fixed input has a fixed hash.
  EXPECT_EQ(ContentHash(""), ContentHash(""));
  EXPECT_EQ(ContentHash("xdsd"), ContentHash(std::string("xd") + "sd"));
}

TEST(ResourceTest, TypeNames) {
  EXPECT_EQ(TypeShortName(kRouteType), "routes");
  EXPECT_EQ(TypeUrlFromShortName("secrets"), kSecretType);
  EXPECT_EQ(TypeUrlFromShortName("nonsense"), "");
  EXPECT_TRUE(IsFullStateType(kListenerType));
  EXPECT_FALSE(IsFullStateType(kEndpointType));
}

TEST(SnapshotTest, GroupsByTypeWithContentVersions) {
  auto snapshot = Snapshot::Create(
      {Resource::FromBytes(kClusterType, "a", "1"), Resource::FromBytes(kListenerType, "a", "2")});
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->size(), 2u);
  EXPECT_EQ((*snapshot)->Resources(kClusterType).size(), 1u);
  EXPECT_EQ((*snapshot)->Resources(kRouteType).size(), 0u);
  EXPECT_NE((*snapshot)->Find(kListenerType, "a"), nullptr);
  EXPECT_EQ((*snapshot)->Find(kListenerType, "b"), nullptr);
  // A type with no resources still has a version, the same as any other empty set.
  EXPECT_EQ((*snapshot)->Version(kRouteType), (*snapshot)->Version(kSecretType));
  EXPECT_NE((*snapshot)->Version(kRouteType), (*snapshot)->Version(kClusterType));

  auto again = Snapshot::Create(
      {Resource::FromBytes(kListenerType, "a", "2"), Resource::FromBytes(kClusterType, "a", "1")});
  EXPECT_EQ((*again)->Version(kClusterType), (*snapshot)->Version(kClusterType));
}

TEST(SnapshotTest, RejectsDuplicatesUnknownTypesAndEmptyNames) {
  auto twice = Snapshot::Create(
      {Resource::FromBytes(kClusterType, "a", "1"), Resource::FromBytes(kClusterType, "a", "2")});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "clusters: the name \"a\" is defined twice");
  EXPECT_FALSE(Snapshot::Create({Resource::FromBytes("type.googleapis.com/x.Y", "a", "")}).ok());
  EXPECT_FALSE(Snapshot::Create({Resource::FromBytes(kClusterType, "", "")}).ok());
}

TEST(SnapshotTest, ResourcesAreSharedNotCopied) {
  ResourcePtr resource = Resource::FromBytes(kClusterType, "a", "1");
  auto one = Snapshot::Create({resource});
  auto two = Snapshot::Create({resource});
  EXPECT_EQ((*one)->Find(kClusterType, "a").get(), (*two)->Find(kClusterType, "a").get());
}

}  // namespace
}  // namespace xdsd

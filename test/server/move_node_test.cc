// A node moved to another key of the cache (SnapshotCache::MoveNode) is answered on its open
// stream, SotW and delta alike, as for any version change: no reconnection.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "xdsd/server.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

SnapshotPtr OneCluster(const std::string& name) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name(name);
  return *Snapshot::Create({*Resource::FromMessage(cluster)});
}

TEST(MoveNodeTest, OpenSotwAndDeltaStreamsGetTheNewKeysResourcesLive) {
  // Every node starts on revision 1 of its group, as a rollout's nodes do.
  SnapshotCache cache([](const envoy::config::core::v3::Node&) { return std::string("g@r1"); });
  cache.SetSnapshot("g@r1", OneCluster("old"));
  cache.SetSnapshot("g@r2", OneCluster("new"));
  Callbacks callbacks;
  XdsServer server(&cache, &callbacks);
  int port = 0;
  auto grpc_server = StartGrpcServer(server, "127.0.0.1:0", &port);
  ASSERT_TRUE(grpc_server.ok()) << grpc_server.status();
  auto stub = AggregatedDiscoveryService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(20);

  grpc::ClientContext sotw_context;
  sotw_context.set_deadline(deadline);
  auto sotw = stub->StreamAggregatedResources(&sotw_context);
  DiscoveryRequest request;
  request.mutable_node()->set_id("sotw");
  request.set_type_url(std::string(kClusterType));
  ASSERT_TRUE(sotw->Write(request));
  DiscoveryResponse first;
  ASSERT_TRUE(sotw->Read(&first));
  EXPECT_EQ(first.version_info(), cache.GetSnapshot("g@r1")->Version(kClusterType));
  request.set_version_info(first.version_info());
  request.set_response_nonce(first.nonce());
  ASSERT_TRUE(sotw->Write(request));  // ACK

  grpc::ClientContext delta_context;
  delta_context.set_deadline(deadline);
  auto delta = stub->DeltaAggregatedResources(&delta_context);
  DeltaDiscoveryRequest subscribe;
  subscribe.mutable_node()->set_id("delta");
  subscribe.set_type_url(std::string(kClusterType));
  subscribe.add_resource_names_subscribe("*");
  ASSERT_TRUE(delta->Write(subscribe));
  DeltaDiscoveryResponse delta_first;
  ASSERT_TRUE(delta->Read(&delta_first));
  ASSERT_EQ(delta_first.resources_size(), 1);
  EXPECT_EQ(delta_first.resources(0).name(), "old");
  DeltaDiscoveryRequest ack;
  ack.set_type_url(std::string(kClusterType));
  ack.set_response_nonce(delta_first.nonce());
  ASSERT_TRUE(delta->Write(ack));

  EXPECT_EQ(cache.MoveNode("sotw", "g@r2"), 1u);
  DiscoveryResponse moved;
  ASSERT_TRUE(sotw->Read(&moved));
  EXPECT_EQ(moved.version_info(), cache.GetSnapshot("g@r2")->Version(kClusterType));
  ASSERT_EQ(moved.resources_size(), 1);

  EXPECT_EQ(cache.MoveNode("delta", "g@r2"), 1u);
  DeltaDiscoveryResponse delta_moved;
  ASSERT_TRUE(delta->Read(&delta_moved));
  ASSERT_EQ(delta_moved.resources_size(), 1);
  EXPECT_EQ(delta_moved.resources(0).name(), "new");
  ASSERT_EQ(delta_moved.removed_resources_size(), 1);
  EXPECT_EQ(delta_moved.removed_resources(0), "old");

  sotw_context.TryCancel();
  delta_context.TryCancel();
  (*grpc_server)->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace xdsd

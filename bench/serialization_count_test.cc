// Serialize once: a changed resource is serialized exactly once per version, whatever the
// number of clients it goes to.
//
// Every Resource made in the process is counted (resource::ResourcesCreated()): the test's
// own and any the server would make per stream. The test publishes a snapshot with
// one changed cluster to K real ADS streams over gRPC and checks that the count grew by exactly
// one and that each stream received those very bytes.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/workload.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "resource/resources_created.h"
#include "xdsd/server.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::bench {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

constexpr int kClusters = 50;
constexpr int kChanged = 7;

std::vector<ResourcePtr> Clusters(int generation_of_changed) {
  std::vector<ResourcePtr> resources;
  for (int i = 0; i < kClusters; ++i) {
    auto cluster = MakeCluster(i);
    if (i == kChanged) cluster.mutable_connect_timeout()->set_seconds(1 + generation_of_changed);
    resources.push_back(*Resource::FromMessage(cluster));
  }
  return resources;
}

TEST(SerializationCountTest, ChangedResourceIsSerializedOncePerVersionForAnyNumberOfClients) {
  for (int clients : {1, 8, 32}) {
    SCOPED_TRACE(clients);
    SnapshotCache cache([](const envoy::config::core::v3::Node&) { return std::string("all"); });
    XdsServer xds(&cache, nullptr);
    std::vector<ResourcePtr> v1 = Clusters(0);
    cache.SetSnapshot("all", *Snapshot::Create(v1));
    int port = 0;
    auto server = StartGrpcServer(xds, "127.0.0.1:0", &port);
    ASSERT_TRUE(server.ok()) << server.status();

    struct Client {
      std::unique_ptr<AggregatedDiscoveryService::Stub> stub;
      grpc::ClientContext context;
      std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream;
    };
    std::vector<std::unique_ptr<Client>> fleet;
    for (int c = 0; c < clients; ++c) {
      auto client = std::make_unique<Client>();
      grpc::ChannelArguments args;
      args.SetInt("xdsd.test.channel", c);
      client->stub = AggregatedDiscoveryService::NewStub(grpc::CreateCustomChannel(
          "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
      client->stream = client->stub->StreamAggregatedResources(&client->context);
      DiscoveryRequest request;
      request.mutable_node()->set_id("envoy-" + std::to_string(c));
      request.set_type_url(std::string(kClusterType));
      ASSERT_TRUE(client->stream->Write(request));
      DiscoveryResponse response;
      ASSERT_TRUE(client->stream->Read(&response));
      ASSERT_EQ(response.resources_size(), kClusters);
      request.set_version_info(response.version_info());
      request.set_response_nonce(response.nonce());
      ASSERT_TRUE(client->stream->Write(request));  // ACK
      fleet.push_back(std::move(client));
    }

    const int64_t before = static_cast<int64_t>(resource::ResourcesCreated());
    std::vector<ResourcePtr> v2 = v1;
    auto changed = MakeCluster(kChanged);
    changed.mutable_connect_timeout()->set_seconds(2);
    v2[kChanged] = *Resource::FromMessage(changed);  // the one serialization of the new version
    const ResourcePtr changed_resource = v2[kChanged];
    cache.SetSnapshot("all", *Snapshot::Create(v2));

    for (auto& client : fleet) {
      DiscoveryResponse response;
      ASSERT_TRUE(client->stream->Read(&response));
      ASSERT_EQ(response.resources_size(), kClusters);
      const auto& any = response.resources(kChanged);  // clusters come in name order
      EXPECT_EQ(any.value(), changed_resource->bytes());
    }
    EXPECT_EQ(static_cast<int64_t>(resource::ResourcesCreated()) - before, 1)
        << "serializations of the changed cluster";

    for (auto& client : fleet) client->context.TryCancel();
    (*server)->Shutdown(std::chrono::system_clock::now());
  }
}

}  // namespace
}  // namespace xdsd::bench

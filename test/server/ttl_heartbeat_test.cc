// Resource TTLs end to end: a client model that expires what it is not renewed, against a real
// gRPC server. While the server runs, heartbeats keep a resource alive well past its TTL; when
// the server goes away, the resource expires at the client.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "support/poll.h"
#include "xdsd/server.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using Clock = std::chrono::steady_clock;

// Heartbeats go out at half the TTL, within the server's 200 ms tick: a second leaves room for
// a loaded machine.
constexpr auto kTtl = std::chrono::milliseconds(1000);

// What a client that honours TTLs holds: each resource lives until its TTL runs out, unless a
// heartbeat (same version, no body) or an update renews it.
class TtlClientModel {
 public:
  void Receive(const std::string& name, const std::string& version, bool has_body,
               std::chrono::milliseconds ttl, Clock::time_point now) {
    Entry& entry = entries_[name];
    if (has_body) entry.version = version;
    ASSERT_EQ(entry.version, version) << "a heartbeat must carry the version held";
    entry.expires = ttl.count() > 0 ? now + ttl : Clock::time_point::max();
  }
  bool Alive(const std::string& name, Clock::time_point now) const {
    auto it = entries_.find(name);
    return it != entries_.end() && now < it->second.expires;
  }

 private:
  struct Entry {
    std::string version;
    Clock::time_point expires;
  };
  std::map<std::string, Entry> entries_;
};

std::chrono::milliseconds TtlOf(const envoy::service::discovery::v3::Resource& resource) {
  return std::chrono::milliseconds(resource.ttl().seconds() * 1000 +
                                   resource.ttl().nanos() / 1000000);
}

class TtlHeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Cluster cluster;
    cluster.set_name("expiring");
    cluster.mutable_connect_timeout()->set_seconds(1);
    cache_.SetSnapshot("ttl-node", *Snapshot::Create({*Resource::FromMessage(cluster, kTtl)}));
    server_ = std::make_unique<XdsServer>(&cache_, nullptr);
    int port = 0;
    grpc_server_ = *StartGrpcServer(*server_, "127.0.0.1:0", &port);
    stub_ = AggregatedDiscoveryService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  // Stops the server (the heartbeats stop) and returns when the model lets `name` expire.
  void StopServerAndExpectExpiry(const TtlClientModel& model, Clock::time_point last_renewal) {
    grpc_server_->Shutdown(std::chrono::system_clock::now());
    xdsd::testing::PollUntil(absl::Seconds(5),
                             [&] { return !model.Alive("expiring", Clock::now()); });
    EXPECT_FALSE(model.Alive("expiring", Clock::now()));
    EXPECT_LE(Clock::now() - last_renewal, kTtl + std::chrono::milliseconds(500));
  }

  SnapshotCache cache_;
  std::unique_ptr<XdsServer> server_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
};

TEST_F(TtlHeartbeatTest, DeltaHeartbeatsKeepAResourceAliveUntilTheServerStops) {
  auto stream = stub_->DeltaAggregatedResources(&context_);
  DeltaDiscoveryRequest request;
  request.mutable_node()->set_id("ttl-node");
  request.mutable_node()->add_client_features("xds.config.supports-resource-ttl");
  request.set_type_url(std::string(kClusterType));
  request.add_resource_names_subscribe("*");
  ASSERT_TRUE(stream->Write(request));

  TtlClientModel model;
  const auto start = Clock::now();
  Clock::time_point last_renewal;
  int heartbeats = 0;
  // Three TTLs long: without heartbeats the resource would have expired twice over.
  while (Clock::now() - start < 3 * kTtl) {
    DeltaDiscoveryResponse response;
    ASSERT_TRUE(stream->Read(&response));
    const auto now = Clock::now();
    ASSERT_TRUE(model.Alive("expiring", now) || heartbeats == 0) << "expired between renewals";
    ASSERT_EQ(response.resources_size(), 1);
    const auto& resource = response.resources(0);
    EXPECT_EQ(TtlOf(resource), kTtl);
    if (!resource.has_resource()) ++heartbeats;
    model.Receive(resource.name(), resource.version(), resource.has_resource(), TtlOf(resource),
                  now);
    last_renewal = now;
    DeltaDiscoveryRequest ack;
    ack.set_type_url(std::string(kClusterType));
    ack.set_response_nonce(response.nonce());
    ASSERT_TRUE(stream->Write(ack));
  }
  EXPECT_GE(heartbeats, 3);
  EXPECT_TRUE(model.Alive("expiring", Clock::now()));
  StopServerAndExpectExpiry(model, last_renewal);
}

TEST_F(TtlHeartbeatTest, SotwWrapsTtlResourcesAndHeartbeats) {
  auto stream = stub_->StreamAggregatedResources(&context_);
  DiscoveryRequest request;
  request.mutable_node()->set_id("ttl-node");
  request.mutable_node()->add_client_features("xds.config.supports-resource-ttl");
  request.mutable_node()->add_client_features("xds.config.resource-in-sotw");
  request.set_type_url(std::string(kClusterType));
  ASSERT_TRUE(stream->Write(request));

  TtlClientModel model;
  Clock::time_point last_renewal;
  int heartbeats = 0;
  const auto start = Clock::now();
  std::string version;
  while (Clock::now() - start < 3 * kTtl) {
    DiscoveryResponse response;
    ASSERT_TRUE(stream->Read(&response));
    const auto now = Clock::now();
    if (!version.empty()) {
      EXPECT_EQ(response.version_info(), version);
    }
    version = response.version_info();
    ASSERT_EQ(response.resources_size(), 1);
    envoy::service::discovery::v3::Resource wrapper;
    ASSERT_TRUE(response.resources(0).UnpackTo(&wrapper)) << response.resources(0).type_url();
    EXPECT_EQ(wrapper.name(), "expiring");
    EXPECT_EQ(TtlOf(wrapper), kTtl);
    if (wrapper.has_resource()) {
      Cluster cluster;
      ASSERT_TRUE(wrapper.resource().UnpackTo(&cluster));
      EXPECT_EQ(cluster.name(), "expiring");
    } else {
      ++heartbeats;
    }
    model.Receive(wrapper.name(), wrapper.version(), wrapper.has_resource(), TtlOf(wrapper), now);
    last_renewal = now;
    DiscoveryRequest ack;
    ack.set_type_url(std::string(kClusterType));
    ack.set_version_info(response.version_info());
    ack.set_response_nonce(response.nonce());
    ASSERT_TRUE(stream->Write(ack));
  }
  EXPECT_GE(heartbeats, 3);
  StopServerAndExpectExpiry(model, last_renewal);
}

TEST_F(TtlHeartbeatTest, ClientsWithoutTheFeatureGetPlainResources) {
  auto stream = stub_->StreamAggregatedResources(&context_);
  DiscoveryRequest request;
  request.mutable_node()->set_id("ttl-node");
  request.set_type_url(std::string(kClusterType));
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  Cluster cluster;
  ASSERT_TRUE(response.resources(0).UnpackTo(&cluster));
  EXPECT_EQ(cluster.name(), "expiring");  // a plain Cluster, not a TTL wrapper
  context_.TryCancel();
}

}  // namespace
}  // namespace xdsd

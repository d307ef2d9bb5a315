#include "xdsd/server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "absl/synchronization/mutex.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "support/poll.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd {
namespace {

using envoy::config::cluster::v3::Cluster;
using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DeltaDiscoveryRequest;
using envoy::service::discovery::v3::DeltaDiscoveryResponse;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using xdsd::testing::PollUntil;

SnapshotPtr ClusterSnapshot(std::vector<std::string> names, int timeout_seconds = 1) {
  std::vector<ResourcePtr> resources;
  for (const std::string& name : names) {
    Cluster cluster;
    cluster.set_name(name);
    cluster.mutable_connect_timeout()->set_seconds(timeout_seconds);
    resources.push_back(*Resource::FromMessage(cluster));
  }
  return *Snapshot::Create(std::move(resources));
}

// Counts what the callbacks see, and refuses streams from a peer when asked to.
class RecordingCallbacks : public Callbacks {
 public:
  absl::Status OnStreamOpen(int64_t, std::string_view method, std::string_view) override {
    ++opened;
    if (refuse) return absl::PermissionDeniedError("refused by policy");
    return absl::OkStatus();
  }
  void OnStreamClosed(int64_t, const envoy::config::core::v3::Node&) override { ++closed; }
  absl::Status OnStreamRequest(int64_t, const envoy::config::core::v3::Node&,
                               const DiscoveryRequest&) override {
    ++requests;
    return absl::OkStatus();
  }
  void OnStreamResponse(int64_t, const envoy::config::core::v3::Node&,
                        const ResponseInfo& info) override {
    ++responses;
    absl::MutexLock lock(&mu);
    last_response = info;
  }
  std::atomic<int> opened{0}, closed{0}, requests{0}, responses{0};
  std::atomic<bool> refuse{false};
  absl::Mutex mu;
  ResponseInfo last_response ABSL_GUARDED_BY(mu);
};

class XdsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<XdsServer>(&cache_, &callbacks_);
    auto grpc_server = StartGrpcServer(*server_, "127.0.0.1:0", &port_);
    ASSERT_TRUE(grpc_server.ok()) << grpc_server.status();
    grpc_server_ = *std::move(grpc_server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { grpc_server_->Shutdown(std::chrono::system_clock::now()); }

  static void SetDeadline(grpc::ClientContext& context, int seconds = 20) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  }

  static DiscoveryRequest ClusterRequest(const std::string& node_id) {
    DiscoveryRequest request;
    if (!node_id.empty()) request.mutable_node()->set_id(node_id);
    request.set_type_url(std::string(kClusterType));
    return request;
  }

  SnapshotCache cache_;
  RecordingCallbacks callbacks_;
  std::unique_ptr<XdsServer> server_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

TEST_F(XdsServerTest, AdsStreamServesAcksNacksAndUpdates) {
  cache_.SetSnapshot("envoy-1", ClusterSnapshot({"a", "b"}));
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamAggregatedResources(&context);

  ASSERT_TRUE(stream->Write(ClusterRequest("envoy-1")));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.type_url(), kClusterType);
  EXPECT_EQ(response.version_info(), cache_.GetSnapshot("envoy-1")->Version(kClusterType));
  ASSERT_EQ(response.resources_size(), 2);
  Cluster cluster;
  ASSERT_TRUE(response.resources(0).UnpackTo(&cluster));
  EXPECT_EQ(cluster.name(), "a");
  EXPECT_EQ(cluster.connect_timeout().seconds(), 1);

  // ACK: the node is in sync.
  DiscoveryRequest ack = ClusterRequest("");
  ack.set_version_info(response.version_info());
  ack.set_response_nonce(response.nonce());
  ASSERT_TRUE(stream->Write(ack));
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    auto status = cache_.GetNodeStatus("envoy-1");
    return status && !status->types.empty() && status->types[0].state == SyncState::kSynced;
  }));

  // A new snapshot reaches the open stream; the node rejects it.
  cache_.SetSnapshot("envoy-1", ClusterSnapshot({"a", "b"}, 2));
  DiscoveryResponse update;
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_NE(update.version_info(), response.version_info());
  EXPECT_NE(update.nonce(), response.nonce());
  DiscoveryRequest nack = ack;
  nack.set_response_nonce(update.nonce());
  nack.mutable_error_detail()->set_message("cluster a: bad timeout");
  ASSERT_TRUE(stream->Write(nack));
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    auto status = cache_.GetNodeStatus("envoy-1");
    return status && status->types[0].state == SyncState::kNacked;
  }));
  auto status = cache_.GetNodeStatus("envoy-1");
  EXPECT_EQ(status->types[0].version_nacked, update.version_info());
  EXPECT_EQ(status->types[0].nack_error, "cluster a: bad timeout");
  EXPECT_EQ(status->types[0].version_acked, response.version_info());
  EXPECT_EQ(status->open_streams, 1);

  // The next change is sent; the rejected one never again.
  cache_.SetSnapshot("envoy-1", ClusterSnapshot({"a"}, 3));
  DiscoveryResponse fixed;
  ASSERT_TRUE(stream->Read(&fixed));
  EXPECT_EQ(fixed.resources_size(), 1);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(PollUntil(absl::Seconds(10), [&] { return callbacks_.closed.load() == 1; }));
  EXPECT_EQ(cache_.GetNodeStatus("envoy-1")->open_streams, 0);
  EXPECT_GE(callbacks_.requests.load(), 3);
  EXPECT_EQ(callbacks_.responses.load(), 3);
}

TEST_F(XdsServerTest, StreamWaitsForASnapshotThatAppearsLater) {
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamAggregatedResources(&context);
  ASSERT_TRUE(stream->Write(ClusterRequest("late")));
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    auto status = cache_.GetNodeStatus("late");
    return status && status->open_watches == 1;
  }));
  cache_.SetSnapshot("late", ClusterSnapshot({"x"}));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.resources_size(), 1);
  context.TryCancel();
}

TEST_F(XdsServerTest, PerTypeClusterStream) {
  cache_.SetSnapshot("envoy-2", ClusterSnapshot({"c"}));
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamClusters(&context);
  DiscoveryRequest request = ClusterRequest("envoy-2");
  request.clear_type_url();  // implied by the service
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.type_url(), kClusterType);
  EXPECT_EQ(response.resources_size(), 1);

  // Another type on the cluster stream is a protocol error.
  DiscoveryRequest wrong = ClusterRequest("");
  wrong.set_type_url(std::string(kListenerType));
  wrong.set_response_nonce(response.nonce());
  stream->Write(wrong);
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("on a stream for"), std::string::npos);
}

TEST_F(XdsServerTest, FetchClusters) {
  cache_.SetSnapshot("envoy-3", ClusterSnapshot({"a", "b"}));
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  DiscoveryResponse response;
  DiscoveryRequest request = ClusterRequest("envoy-3");
  request.add_resource_names("b");
  ASSERT_TRUE(stub->FetchClusters(&context, request, &response).ok());
  ASSERT_EQ(response.resources_size(), 1);
  Cluster cluster;
  ASSERT_TRUE(response.resources(0).UnpackTo(&cluster));
  EXPECT_EQ(cluster.name(), "b");
}

TEST_F(XdsServerTest, FirstRequestWithoutNodeIsRejected) {
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamAggregatedResources(&context);
  stream->Write(ClusterRequest(""));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("node"), std::string::npos);
}

TEST_F(XdsServerTest, CallbackCanRefuseAStream) {
  callbacks_.refuse = true;
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamAggregatedResources(&context);
  stream->Write(ClusterRequest("envoy-4"));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "refused by policy");
}

TEST_F(XdsServerTest, UnservedMethodIsUnimplemented) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  absl::Mutex mu;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/envoy.service.load_stats.v3.LoadReportingService/StreamLoadStats",
                 grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                   absl::MutexLock lock(&mu);
                   status = std::move(s);
                   done = true;
                 });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("StreamLoadStats"), std::string::npos);
}

TEST_F(XdsServerTest, ManyStreamsShareOneSerialization) {
  SnapshotPtr snapshot = ClusterSnapshot({"shared"});
  cache_.SetSnapshot("fleet", snapshot);
  const Resource& resource = *snapshot->Find(kClusterType, "shared");
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = stub->StreamAggregatedResources(&context);
    DiscoveryRequest request = ClusterRequest("fleet");
    ASSERT_TRUE(stream->Write(request));
    DiscoveryResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.resources_size(), 1);
    EXPECT_EQ(response.resources(0).value(), resource.bytes());
    context.TryCancel();
  }
}

TEST_F(XdsServerTest, DeltaAdsSendsOnlyWhatChanged) {
  cache_.SetSnapshot("delta-1", ClusterSnapshot({"a", "b"}));
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->DeltaAggregatedResources(&context);
  DeltaDiscoveryRequest subscribe;
  subscribe.mutable_node()->set_id("delta-1");
  subscribe.set_type_url(std::string(kClusterType));
  subscribe.add_resource_names_subscribe("*");
  ASSERT_TRUE(stream->Write(subscribe));
  DeltaDiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.resources_size(), 2);
  EXPECT_EQ(response.resources(0).name(), "a");
  EXPECT_EQ(response.resources(0).version(),
            cache_.GetSnapshot("delta-1")->Find(kClusterType, "a")->version());
  Cluster cluster;
  ASSERT_TRUE(response.resources(1).resource().UnpackTo(&cluster));
  EXPECT_EQ(cluster.name(), "b");

  DeltaDiscoveryRequest ack;
  ack.set_type_url(std::string(kClusterType));
  ack.set_response_nonce(response.nonce());
  ASSERT_TRUE(stream->Write(ack));

  // One cluster changes, one goes away: one resource on the wire, one name removed.
  std::vector<ResourcePtr> next = {cache_.GetSnapshot("delta-1")->Find(kClusterType, "a")};
  Cluster changed;
  changed.set_name("c");
  next.push_back(*Resource::FromMessage(changed));
  cache_.SetSnapshot("delta-1", *Snapshot::Create(next));
  DeltaDiscoveryResponse update;
  ASSERT_TRUE(stream->Read(&update));
  ASSERT_EQ(update.resources_size(), 1);
  EXPECT_EQ(update.resources(0).name(), "c");
  ASSERT_EQ(update.removed_resources_size(), 1);
  EXPECT_EQ(update.removed_resources(0), "b");
  context.TryCancel();
}

TEST_F(XdsServerTest, DeltaReconnectWithCurrentVersionsGetsNothing) {
  SnapshotPtr snapshot = ClusterSnapshot({"a", "b"});
  cache_.SetSnapshot("delta-2", snapshot);
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->DeltaClusters(&context);
  DeltaDiscoveryRequest reconnect;
  reconnect.mutable_node()->set_id("delta-2");
  reconnect.add_resource_names_subscribe("*");
  for (const auto& [name, resource] : snapshot->Resources(kClusterType)) {
    (*reconnect.mutable_initial_resource_versions())[name] = resource->version();
  }
  ASSERT_TRUE(stream->Write(reconnect));
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    auto status = cache_.GetNodeStatus("delta-2");
    return status && !status->types.empty() && status->types[0].state == SyncState::kSynced;
  }));
  auto status = cache_.GetNodeStatus("delta-2");
  EXPECT_EQ(status->types[0].version_acked, snapshot->Version(kClusterType));
  EXPECT_EQ(status->types[0].version_sent, "");  // nothing was sent
  EXPECT_EQ(callbacks_.responses.load(), 0);
  context.TryCancel();
}

TEST_F(XdsServerTest, OnDemandVirtualHostsCarryAliasesAndEmptyEntries) {
  envoy::config::route::v3::VirtualHost host;
  host.set_name("shop");
  host.add_domains("shop.example.com");
  cache_.SetSnapshot("vhds", *Snapshot::Create({Resource::FromBytes(
                                 kVirtualHostType, "rc/shop", host.SerializeAsString(), {},
                                 {"rc/shop.example.com"})}));
  auto stub = envoy::service::route::v3::VirtualHostDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->DeltaVirtualHosts(&context);
  DeltaDiscoveryRequest request;
  request.mutable_node()->set_id("vhds");
  request.add_resource_names_subscribe("rc/shop.example.com");
  request.add_resource_names_subscribe("rc/nowhere.example.com");
  ASSERT_TRUE(stream->Write(request));
  DeltaDiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.resources_size(), 2);
  const auto& found = response.resources(0);
  EXPECT_EQ(found.name(), "rc/shop");
  ASSERT_EQ(found.aliases_size(), 1);
  EXPECT_EQ(found.aliases(0), "rc/shop.example.com");
  envoy::config::route::v3::VirtualHost decoded;
  ASSERT_TRUE(found.resource().UnpackTo(&decoded));
  EXPECT_EQ(decoded.domains(0), "shop.example.com");
  const auto& empty = response.resources(1);
  EXPECT_EQ(empty.name(), "rc/nowhere.example.com");
  EXPECT_FALSE(empty.has_resource());
  EXPECT_EQ(response.removed_resources_size(), 0);
  context.TryCancel();
}

}  // namespace
}  // namespace xdsd

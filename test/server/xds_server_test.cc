#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "support/poll.h"
#include "xdsd/refusals.h"
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

// Counts what the callbacks see, and refuses streams (or nodes) when asked to.
class RecordingCallbacks : public Callbacks {
 public:
  absl::Status OnStreamOpen(const StreamInfo& stream) override {
    ++opened;
    {
      absl::MutexLock lock(&mu);
      last_stream = stream;
    }
    if (refuse) return absl::PermissionDeniedError("refused by policy");
    return absl::OkStatus();
  }
  absl::Status OnStreamNode(const StreamInfo&, const envoy::config::core::v3::Node& node) override {
    if (node.id() == refused_node) return absl::PermissionDeniedError("not this node");
    return absl::OkStatus();
  }
  void OnStreamClosed(const StreamInfo&, const envoy::config::core::v3::Node&) override {
    ++closed;
  }
  absl::Status OnStreamRequest(const StreamInfo&, const envoy::config::core::v3::Node&,
                               const DiscoveryRequest&) override {
    ++requests;
    return absl::OkStatus();
  }
  void OnStreamResponse(const StreamInfo&, const envoy::config::core::v3::Node&,
                        const ResponseInfo& info) override {
    ++responses;
    absl::MutexLock lock(&mu);
    last_response = info;
  }
  void OnAck(const StreamInfo&, const envoy::config::core::v3::Node&,
             const AnswerInfo& answer) override {
    ++acks;
    absl::MutexLock lock(&mu);
    last_answer = answer;
  }
  void OnNack(const StreamInfo&, const envoy::config::core::v3::Node&,
              const AnswerInfo& answer) override {
    ++nacks;
    absl::MutexLock lock(&mu);
    last_answer = answer;
  }
  std::atomic<int> opened{0}, closed{0}, requests{0}, responses{0}, acks{0}, nacks{0};
  std::atomic<bool> refuse{false};
  std::string refused_node;  // set before streams start
  absl::Mutex mu;
  StreamInfo last_stream ABSL_GUARDED_BY(mu);
  ResponseInfo last_response ABSL_GUARDED_BY(mu);
  AnswerInfo last_answer ABSL_GUARDED_BY(mu);
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

// Calls `method` with an empty message, as a program that does not know its type would.
grpc::Status CallGenerically(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  absl::Mutex mu;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    absl::MutexLock lock(&mu);
    status = std::move(s);
    done = true;
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  return status;
}

TEST_F(XdsServerTest, UnservedMethodIsUnimplemented) {
  grpc::Status status = CallGenerically(
      channel_, "/envoy.service.load_stats.v3.LoadReportingService/StreamLoadStats");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// XdsServer leaves the ServerBuilder's one generic-service slot to the program.
TEST(XdsServerBuilderTest, AProgramKeepsItsOwnGenericService) {
  class EchoGeneric : public grpc::CallbackGenericService {
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
      class Refuse : public grpc::ServerGenericBidiReactor {
       public:
        Refuse() { Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "mine")); }
        void OnDone() override { delete this; }
      };
      return new Refuse();
    }
  };
  SnapshotCache cache;
  XdsServer xds(&cache, nullptr);
  EchoGeneric generic;
  int port = 0;
  auto server = StartGrpcServer(xds, "127.0.0.1:0", &port, [&](grpc::ServerBuilder& builder) {
    builder.RegisterCallbackGenericService(&generic);
  });
  ASSERT_TRUE(server.ok()) << server.status();
  grpc::Status status = CallGenerically(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()),
      "/my.Service/Anything");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "mine");
  (*server)->Shutdown(std::chrono::system_clock::now());
}

TEST_F(XdsServerTest, CallbacksSeeTheStreamAndItsAcksAndNacks) {
  cache_.SetSnapshot("envoy-7", ClusterSnapshot({"a"}));
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamClusters(&context);
  ASSERT_TRUE(stream->Write(ClusterRequest("envoy-7")));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  {
    absl::MutexLock lock(&callbacks_.mu);
    EXPECT_EQ(callbacks_.last_stream.type_url, kClusterType);
    EXPECT_FALSE(callbacks_.last_stream.delta);
    EXPECT_EQ(callbacks_.last_stream.variant(), "sotw");
    EXPECT_NE(callbacks_.last_stream.peer.find("127.0.0.1"), std::string::npos);
    EXPECT_EQ(callbacks_.last_stream.method,
              "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters");
  }
  DiscoveryRequest ack = ClusterRequest("envoy-7");
  ack.set_version_info(response.version_info());
  ack.set_response_nonce(response.nonce());
  ASSERT_TRUE(stream->Write(ack));
  ASSERT_TRUE(testing::PollUntil(absl::Seconds(10), [&] { return callbacks_.acks.load() == 1; }));
  {
    absl::MutexLock lock(&callbacks_.mu);
    EXPECT_EQ(callbacks_.last_answer.version, response.version_info());
    EXPECT_EQ(callbacks_.last_answer.nonce, response.nonce());
    EXPECT_NE(callbacks_.last_answer.sent_at, absl::InfinitePast());
  }
  cache_.SetSnapshot("envoy-7", ClusterSnapshot({"a"}, /*timeout_seconds=*/2));
  ASSERT_TRUE(stream->Read(&response));
  DiscoveryRequest nack = ClusterRequest("envoy-7");
  nack.set_version_info(ack.version_info());
  nack.set_response_nonce(response.nonce());
  nack.mutable_error_detail()->set_message("no thanks");
  ASSERT_TRUE(stream->Write(nack));
  ASSERT_TRUE(testing::PollUntil(absl::Seconds(10), [&] { return callbacks_.nacks.load() == 1; }));
  absl::MutexLock lock(&callbacks_.mu);
  EXPECT_EQ(callbacks_.last_answer.error, "no thanks");
  EXPECT_EQ(callbacks_.last_answer.version, response.version_info());
  EXPECT_EQ(callbacks_.last_answer.running_version, ack.version_info());
}

// A node the callbacks refuse gets nothing, and its claim leaves no status behind.
TEST_F(XdsServerTest, RefusedNodeGetsPermissionDeniedAndNoStatus) {
  callbacks_.refused_node = "envoy-prod-1";
  cache_.SetSnapshot("envoy-prod-1", ClusterSnapshot({"secret-cluster"}));
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub->StreamAggregatedResources(&context);
  stream->Write(ClusterRequest("envoy-prod-1"));
  DiscoveryResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(callbacks_.responses.load(), 0);
  EXPECT_FALSE(cache_.GetNodeStatus("envoy-prod-1").has_value());
}

TEST_F(XdsServerTest, FetchWithoutNodeIsRefusedAndACurrentVersionIsNotModified) {
  cache_.SetSnapshot("envoy-8", ClusterSnapshot({"a"}));
  auto stub = envoy::service::cluster::v3::ClusterDiscoveryService::NewStub(channel_);
  {
    grpc::ClientContext context;
    SetDeadline(context);
    DiscoveryResponse response;
    grpc::Status status = stub->FetchClusters(&context, ClusterRequest(""), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "the request has no node");
  }
  grpc::ClientContext context;
  SetDeadline(context);
  DiscoveryRequest request = ClusterRequest("envoy-8");
  request.set_version_info(cache_.GetSnapshot("envoy-8")->Version(kClusterType));
  DiscoveryResponse response;
  grpc::Status status = stub->FetchClusters(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("not modified"), std::string::npos);
}

// The server depends on the Cache interface only: a program's own store can back it.
TEST(XdsServerCacheTest, ServesFromAProgramsOwnCache) {
  class OneSnapshotCache : public Cache {
   public:
    explicit OneSnapshotCache(SnapshotPtr snapshot) : snapshot_(std::move(snapshot)) {}
    std::string KeyOf(const envoy::config::core::v3::Node&) const override { return "all"; }
    SnapshotPtr GetSnapshot(const std::string&) const override { return snapshot_; }
    WatchStart Watch(const envoy::config::core::v3::Node&,
                     std::shared_ptr<SnapshotWatcher>) override {
      ++watches;
      return WatchStart{"all", snapshot_, 1};
    }
    void Unwatch(const std::string&, const std::string&, const SnapshotWatcher*) override {
      ++unwatches;
    }
    std::atomic<int> watches{0}, unwatches{0};

   private:
    SnapshotPtr snapshot_;
  };
  OneSnapshotCache cache(ClusterSnapshot({"from-my-store"}));
  XdsServer xds(&cache, nullptr);
  int port = 0;
  auto server = StartGrpcServer(xds, "127.0.0.1:0", &port);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto stream = stub->StreamAggregatedResources(&context);
    DiscoveryRequest request;
    request.mutable_node()->set_id("anyone");
    request.set_type_url(std::string(kClusterType));
    ASSERT_TRUE(stream->Write(request));
    DiscoveryResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.resources_size(), 1);
    Cluster cluster;
    ASSERT_TRUE(response.resources(0).UnpackTo(&cluster));
    EXPECT_EQ(cluster.name(), "from-my-store");
    stream->WritesDone();
    stream->Finish();
  }
  EXPECT_TRUE(testing::PollUntil(absl::Seconds(10), [&] { return cache.unwatches.load() == 1; }));
  EXPECT_EQ(cache.watches.load(), 1);
  (*server)->Shutdown(std::chrono::system_clock::now());
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
  cache_.SetSnapshot("vhds", *Snapshot::Create({Resource::FromBytes(kVirtualHostType, "rc/shop",
                                                                    host.SerializeAsString(), {},
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

// The limits of StreamLimits, short enough for a test.
class XdsServerLimitsTest : public ::testing::Test {
 protected:
  void Start(StreamLimits limits) {
    server_ = std::make_unique<XdsServer>(&cache_, nullptr, limits);
    auto grpc_server = StartGrpcServer(*server_, "127.0.0.1:0", &port_);
    ASSERT_TRUE(grpc_server.ok()) << grpc_server.status();
    grpc_server_ = *std::move(grpc_server);
    grpc::ChannelArguments args;
    // The client's flow-control window stays at its initial 64 KiB: a client that stops
    // reading stops the server's writes.
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_),
                                         grpc::InsecureChannelCredentials(), args);
  }
  void TearDown() override {
    if (grpc_server_ != nullptr) grpc_server_->Shutdown(std::chrono::system_clock::now());
  }

  static uint64_t Refusals(std::string_view reason) {
    for (const auto& [name, count] : RefusalCounts()) {
      if (name == reason) return count;
    }
    return 0;
  }

  SnapshotCache cache_;
  std::unique_ptr<XdsServer> server_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

TEST_F(XdsServerLimitsTest, StreamWithoutARequestIsClosedAtTheFirstRequestDeadline) {
  Start(StreamLimits{.first_request_timeout = absl::Milliseconds(300)});
  const uint64_t before = Refusals("first_request_timeout");
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->StreamAggregatedResources(&context);
  DiscoveryResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_EQ(Refusals("first_request_timeout"), before + 1);
  EXPECT_TRUE(PollUntil(absl::Seconds(10), [&] { return server_->open_streams() == 0; }));
}

TEST_F(XdsServerLimitsTest, StreamThatStopsReadingIsClosedAndTheNodeStatusSaysWhy) {
  Start(StreamLimits{.send_timeout = absl::Milliseconds(300)});
  // About 4 MB: far more than the client's flow-control window.
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back(absl::StrCat(i, std::string(20000, 'x')));
  cache_.SetSnapshot("stalled", ClusterSnapshot(names));
  const uint64_t before = Refusals("send_timeout");
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->StreamAggregatedResources(&context);
  DiscoveryRequest request;
  request.mutable_node()->set_id("stalled");
  request.set_type_url(std::string(kClusterType));
  ASSERT_TRUE(stream->Write(request));
  // Never reads.
  ASSERT_TRUE(PollUntil(absl::Seconds(15), [&] {
    std::optional<NodeStatus> status = cache_.GetNodeStatus("stalled");
    return status.has_value() && !status->last_stream_error.empty();
  }));
  const std::string error = cache_.GetNodeStatus("stalled")->last_stream_error;
  EXPECT_NE(error.find("DEADLINE_EXCEEDED"), std::string::npos) << error;
  EXPECT_NE(error.find("stopped reading"), std::string::npos) << error;
  EXPECT_EQ(Refusals("send_timeout"), before + 1);
  EXPECT_TRUE(PollUntil(absl::Seconds(10), [&] { return server_->open_streams() == 0; }));
}

TEST_F(XdsServerLimitsTest, StreamsBeyondTheLimitOfAConnectionWait) {
  Start(StreamLimits{.max_streams_per_connection = 2});
  cache_.SetSnapshot("many", ClusterSnapshot({"a"}));
  auto stub = AggregatedDiscoveryService::NewStub(channel_);
  DiscoveryRequest request;
  request.mutable_node()->set_id("many");
  request.set_type_url(std::string(kClusterType));
  grpc::ClientContext first_context, second_context;
  auto first = stub->StreamAggregatedResources(&first_context);
  auto second = stub->StreamAggregatedResources(&second_context);
  DiscoveryResponse response;
  for (auto* stream : {first.get(), second.get()}) {
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&response));
  }
  // A third stream on the same connection gets no answer while two are open...
  grpc::ClientContext third_context;
  third_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  auto third = stub->StreamAggregatedResources(&third_context);
  third->Write(request);
  EXPECT_FALSE(third->Read(&response));
  EXPECT_EQ(third->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(server_->open_streams(), 2);
  // ...and is served once one of them ends.
  first_context.TryCancel();
  grpc::ClientContext fourth_context;
  fourth_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto fourth = stub->StreamAggregatedResources(&fourth_context);
  ASSERT_TRUE(fourth->Write(request));
  EXPECT_TRUE(fourth->Read(&response));
  second_context.TryCancel();
  fourth_context.TryCancel();
}

}  // namespace
}  // namespace xdsd

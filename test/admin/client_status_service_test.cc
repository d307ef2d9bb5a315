#include "status/client_status_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "support/poll.h"
#include "xdsd/callbacks_chain.h"
#include "xdsd/server.h"
#include "xdsd/snapshot.h"

namespace xdsd::status {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using envoy::service::status::v3::ClientConfig;
using envoy::service::status::v3::ClientStatusDiscoveryService;
using envoy::service::status::v3::ClientStatusRequest;
using envoy::service::status::v3::ClientStatusResponse;
using xdsd::testing::PollUntil;

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(20);
}

const ClientConfig::GenericXdsConfig* Find(const ClientConfig& config, std::string_view type_url) {
  for (const auto& generic : config.generic_xds_configs()) {
    if (generic.type_url() == type_url) return &generic;
  }
  return nullptr;
}

// One raw call with a generic stub (the health and reflection protos have no generated code
// here): writes `request`, reads one response.
grpc::Status RawCall(grpc::Channel* channel, const std::string& method, const std::string& request,
                     std::string* response) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t expected) {
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == expected && ok;
  };
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  grpc::ByteBuffer in;
  grpc::Status status;
  call->StartCall(reinterpret_cast<void*>(1));
  bool good = step(1);
  if (good) {
    call->Write(out, reinterpret_cast<void*>(2));
    good = step(2);
  }
  if (good) {
    call->WritesDone(reinterpret_cast<void*>(3));
    good = step(3);
  }
  if (good) {
    call->Read(&in, reinterpret_cast<void*>(4));
    good = step(4);
  }
  call->Finish(&status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) != 5) {
  }
  if (status.ok() && !good) return grpc::Status(grpc::StatusCode::UNKNOWN, "no response");
  std::vector<grpc::Slice> slices;
  (void)in.Dump(&slices);
  response->clear();
  for (const grpc::Slice& s : slices) {
    response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

class ClientStatusServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    envoy::config::cluster::v3::Cluster cluster;
    cluster.set_name("a");
    envoy::config::listener::v3::Listener listener;
    listener.set_name("l");
    cache_.SetSnapshot("envoy-1", *Snapshot::Create({*Resource::FromMessage(cluster),
                                                     *Resource::FromMessage(listener)}));
    EnableServerReflection();
    xds_ = std::make_unique<XdsServer>(&cache_, &callbacks_);
    auto server = StartGrpcServer(*xds_, "127.0.0.1:0", &port_,
                                  [this](grpc::ServerBuilder& b) { AddStatusServices(b, &csds_); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  ClientStatusResponse Fetch(const ClientStatusRequest& request, grpc::Status* status = nullptr) {
    auto stub = ClientStatusDiscoveryService::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    ClientStatusResponse response;
    grpc::Status result = stub->FetchClientStatus(&context, request, &response);
    if (status != nullptr) *status = result;
    return response;
  }

  SnapshotCache cache_;
  SentResources sent_;
  CallbacksChain callbacks_{{&sent_}};
  ClientStatusService csds_{&cache_, &sent_};
  std::unique_ptr<XdsServer> xds_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

TEST_F(ClientStatusServiceTest, ReportsAckedAndNackedResourcesOfAnAdsClient) {
  auto ads = AggregatedDiscoveryService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  auto stream = ads->StreamAggregatedResources(&context);

  DiscoveryRequest request;
  request.mutable_node()->set_id("envoy-1");
  request.set_type_url(std::string(kClusterType));
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse clusters;
  ASSERT_TRUE(stream->Read(&clusters));
  DiscoveryRequest ack;
  ack.set_type_url(std::string(kClusterType));
  ack.set_version_info(clusters.version_info());
  ack.set_response_nonce(clusters.nonce());
  ASSERT_TRUE(stream->Write(ack));

  DiscoveryRequest lds;
  lds.set_type_url(std::string(kListenerType));
  ASSERT_TRUE(stream->Write(lds));
  DiscoveryResponse listeners;
  ASSERT_TRUE(stream->Read(&listeners));
  DiscoveryRequest nack;
  nack.set_type_url(std::string(kListenerType));
  nack.set_response_nonce(listeners.nonce());
  nack.mutable_error_detail()->set_message("listener l: bad filter chain");
  ASSERT_TRUE(stream->Write(nack));

  ClientStatusResponse response;
  ASSERT_TRUE(PollUntil(absl::Seconds(10), [&] {
    response = Fetch(ClientStatusRequest());
    if (response.config_size() != 1) return false;
    const auto* cds = Find(response.config(0), kClusterType);
    const auto* lds_config = Find(response.config(0), kListenerType);
    return cds != nullptr && cds->client_status() == envoy::admin::v3::ACKED &&
           lds_config != nullptr && lds_config->client_status() == envoy::admin::v3::NACKED;
  })) << response.DebugString();

  const ClientConfig& config = response.config(0);
  EXPECT_EQ(config.node().id(), "envoy-1");
  ASSERT_EQ(config.generic_xds_configs_size(), 2);
  const ClientConfig::GenericXdsConfig& cds = *Find(config, kClusterType);
  EXPECT_EQ(cds.name(), "a");
  EXPECT_EQ(cds.version_info(), clusters.version_info());
  EXPECT_EQ(cds.config_status(), envoy::service::status::v3::SYNCED);
  EXPECT_EQ(cds.xds_config().type_url(), kClusterType);
  EXPECT_FALSE(cds.has_error_state());
  const ClientConfig::GenericXdsConfig& lds_config = *Find(config, kListenerType);
  EXPECT_EQ(lds_config.name(), "l");
  EXPECT_EQ(lds_config.version_info(), "");  // it never ran a listener version
  EXPECT_EQ(lds_config.config_status(), envoy::service::status::v3::ERROR);
  EXPECT_EQ(lds_config.error_state().details(), "listener l: bad filter chain");
  EXPECT_EQ(lds_config.error_state().version_info(), listeners.version_info());
  EXPECT_TRUE(lds_config.error_state().has_last_update_attempt());

  // Node matchers: prefix and exact match the node id; no match gives no config.
  ClientStatusRequest by_prefix;
  by_prefix.add_node_matchers()->mutable_node_id()->set_prefix("envoy-");
  EXPECT_EQ(Fetch(by_prefix).config_size(), 1);
  ClientStatusRequest other;
  other.add_node_matchers()->mutable_node_id()->set_exact("envoy-2");
  EXPECT_EQ(Fetch(other).config_size(), 0);
  ClientStatusRequest regex;
  regex.add_node_matchers()->mutable_node_id()->mutable_safe_regex()->set_regex("envoy-.*");
  grpc::Status status;
  Fetch(regex, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // Without contents.
  ClientStatusRequest bare;
  bare.set_exclude_resource_contents(true);
  EXPECT_FALSE(Find(Fetch(bare).config(0), kClusterType)->has_xds_config());

  // The streaming RPC answers each request.
  auto csds = ClientStatusDiscoveryService::NewStub(channel_);
  grpc::ClientContext stream_context;
  stream_context.set_deadline(Deadline());
  auto status_stream = csds->StreamClientStatus(&stream_context);
  ASSERT_TRUE(status_stream->Write(by_prefix));
  ClientStatusResponse streamed;
  ASSERT_TRUE(status_stream->Read(&streamed));
  EXPECT_EQ(streamed.config_size(), 1);
  ASSERT_TRUE(status_stream->Write(other));
  ASSERT_TRUE(status_stream->Read(&streamed));
  EXPECT_EQ(streamed.config_size(), 0);
  status_stream->WritesDone();
  EXPECT_TRUE(status_stream->Finish().ok());

  stream->WritesDone();
  context.TryCancel();
}

TEST_F(ClientStatusServiceTest, HealthCheckSaysServing) {
  std::string response;
  // grpc.health.v1.HealthCheckRequest{service: ""} is empty; the response is {status: SERVING}.
  grpc::Status status = RawCall(channel_.get(), "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(response));
  ASSERT_EQ(fields.field_count(), 1);
  EXPECT_EQ(fields.field(0).number(), 1);
  EXPECT_EQ(fields.field(0).varint(), 1u);  // SERVING
}

// The services server reflection `version` (v1alpha, v1) lists.
std::set<std::string> ListedServices(grpc::Channel* channel, const std::string& version) {
  std::string response;
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Status status = RawCall(
      channel, absl::StrCat("/grpc.reflection.", version, ".ServerReflection/ServerReflectionInfo"),
      std::string("\x3a\x00", 2), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(response));
  std::set<std::string> services;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    EXPECT_TRUE(list.ParseFromString(fields.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      EXPECT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      services.insert(service.field(0).length_delimited());
    }
  }
  return services;
}

// Reflection v1 (what current grpcurl asks first) lists what v1alpha lists, and finds the file
// of a service with what it imports.
TEST_F(ClientStatusServiceTest, ReflectionV1AnswersAsV1Alpha) {
  const std::set<std::string> v1 = ListedServices(channel_.get(), "v1");
  std::set<std::string> v1alpha = ListedServices(channel_.get(), "v1alpha");
  v1alpha.insert("grpc.reflection.v1.ServerReflection");
  EXPECT_EQ(v1, v1alpha);

  grpc::reflection::v1::ServerReflectionRequest request;
  request.set_file_containing_symbol("envoy.service.discovery.v3.AggregatedDiscoveryService");
  std::string response_bytes;
  ASSERT_TRUE(RawCall(channel_.get(), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                      request.SerializeAsString(), &response_bytes)
                  .ok());
  grpc::reflection::v1::ServerReflectionResponse response;
  ASSERT_TRUE(response.ParseFromString(response_bytes));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 1)
      << response.DebugString();
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "envoy/service/discovery/v3/ads.proto");

  request.set_file_containing_symbol("no.such.Service");
  ASSERT_TRUE(RawCall(channel_.get(), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                      request.SerializeAsString(), &response_bytes)
                  .ok());
  ASSERT_TRUE(response.ParseFromString(response_bytes));
  EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
}

// What server reflection lists: every service of the xDS port, so grpcurl can list and describe
// them.
TEST_F(ClientStatusServiceTest, ReflectionListsTheTypedServices) {
  std::string response;
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Status status =
      RawCall(channel_.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              std::string("\x3a\x00", 2), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  google::protobuf::UnknownFieldSet fields;
  ASSERT_TRUE(fields.ParseFromString(response));
  std::set<std::string> services;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    ASSERT_TRUE(list.ParseFromString(fields.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      ASSERT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      services.insert(service.field(0).length_delimited());
    }
  }
  EXPECT_TRUE(services.contains("envoy.service.status.v3.ClientStatusDiscoveryService"));
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));
  EXPECT_TRUE(services.contains("grpc.reflection.v1alpha.ServerReflection"));
  // The xDS services are typed (raw-bytes) services, so grpcurl lists and describes them.
  for (const char* xds : {"envoy.service.discovery.v3.AggregatedDiscoveryService",
                          "envoy.service.cluster.v3.ClusterDiscoveryService",
                          "envoy.service.endpoint.v3.EndpointDiscoveryService",
                          "envoy.service.listener.v3.ListenerDiscoveryService",
                          "envoy.service.route.v3.RouteDiscoveryService",
                          "envoy.service.route.v3.ScopedRoutesDiscoveryService",
                          "envoy.service.route.v3.VirtualHostDiscoveryService",
                          "envoy.service.secret.v3.SecretDiscoveryService",
                          "envoy.service.runtime.v3.RuntimeDiscoveryService",
                          "envoy.service.extension.v3.ExtensionConfigDiscoveryService"}) {
    EXPECT_TRUE(services.contains(xds)) << xds;
  }
}

}  // namespace
}  // namespace xdsd::status

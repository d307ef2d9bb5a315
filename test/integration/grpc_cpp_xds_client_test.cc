// xdsd as a real process, driven by real xDS clients: gRPC C++'s own xDS client (a "proxyless"
// gRPC channel, xds:///echo.test) and a raw ADS stream; plus the command line's contract.

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"

namespace xdsd::testing {
namespace {

constexpr char kWhoMethod[] = "/xdsd.test.Echo/Who";
constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return "";
  std::string text;
  for (const grpc::Slice& slice : slices) {
    text.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return text;
}

grpc::ByteBuffer ToByteBuffer(const std::string& text) {
  grpc::Slice slice(text);
  return grpc::ByteBuffer(&slice, 1);
}

// A gRPC server on 127.0.0.1 whose one method, /xdsd.test.Echo/Who (unary, raw bytes), answers
// with the backend's name. A generic service: no .proto needed.
//
// Thread-safe.
class EchoBackend : public grpc::CallbackGenericService {
 public:
  explicit EchoBackend(std::string name) : name_(std::move(name)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterCallbackGenericService(this);
    server_ = builder.BuildAndStart();
  }
  ~EchoBackend() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  }

  int port() const { return port_; }
  const std::string& name() const { return name_; }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new WhoReactor(context->method() == kWhoMethod ? name_ : "");
  }

 private:
  // One call: reads the request, answers with the name (or UNIMPLEMENTED for another method).
  class WhoReactor : public grpc::ServerGenericBidiReactor {
   public:
    explicit WhoReactor(std::string answer) : answer_(std::move(answer)) {
      if (answer_.empty()) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "only /xdsd.test.Echo/Who"));
        return;
      }
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
        return;
      }
      response_ = ToByteBuffer(answer_);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    const std::string answer_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  const std::string name_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// One unary call of Who; the backend's answer, or the call's error.
absl::StatusOr<std::string> CallWho(grpc::GenericStub& stub, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const grpc::ByteBuffer request = ToByteBuffer("who?");
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, kWhoMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status result) {
                   status = std::move(result);
                   done.Notify();
                 });
  // The deadline ends the call; the extra margin only guards against a lost callback.
  if (!done.WaitForNotificationWithTimeout(timeout + absl::Seconds(5))) {
    context.TryCancel();
    done.WaitForNotification();
    return absl::DeadlineExceededError("the call did not complete");
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("grpc error ", status.error_code(), ": ", status.error_message()));
  }
  return ToString(response);
}

// The xdsd configuration for a gRPC proxyless client of xds:///echo.test: an API listener
// whose HTTP connection manager takes route echo-route over ADS, which sends everything to
// the EDS cluster echo-cluster, whose one endpoint is the backend.
std::string EchoConfigYaml(int backend_port) {
  constexpr char kTemplate[] = R"yaml(
resources:
  listeners:
  - name: echo.test
    api_listener:
      api_listener:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        stat_prefix: echo
        rds:
          route_config_name: echo-route
          config_source: {ads: {}, resource_api_version: V3}
        http_filters:
        - name: envoy.filters.http.router
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  routes:
  - name: echo-route
    virtual_hosts:
    - name: echo
      domains: ["*"]
      routes:
      - match: {prefix: ""}
        route: {cluster: echo-cluster}
  clusters:
  - name: echo-cluster
    type: EDS
    eds_cluster_config:
      eds_config: {ads: {}, resource_api_version: V3}
    lb_policy: ROUND_ROBIN
  endpoints:
  - cluster_name: echo-cluster
    endpoints:
    - locality: {region: test}
      load_balancing_weight: 1
      lb_endpoints:
      - endpoint:
          address:
            socket_address: {address: 127.0.0.1, port_value: BACKEND_PORT}
)yaml";
  return absl::StrReplaceAll(kTemplate, {{"BACKEND_PORT", absl::StrCat(backend_port)}});
}

std::string BootstrapJson(int xds_port, const std::string& node_id) {
  return nlohmann::json{
      {"xds_servers",
       {{{"server_uri", absl::StrCat("127.0.0.1:", xds_port)},
         {"channel_creds", {{{"type", "insecure"}}}},
         {"server_features", {"xds_v3"}}}}},
      {"node", {{"id", node_id}, {"cluster", "test"}, {"locality", nlohmann::json::object()}}},
  }
      .dump(2);
}

// The state xdsd's /v1/nodes gives for `node_id` and `type_url`, "" when it has none.
std::string SyncState(const std::string& nodes_json, const std::string& node_id,
                      const std::string& type_url) {
  const nlohmann::json nodes =
      nlohmann::json::parse(nodes_json, nullptr, /*allow_exceptions=*/false);
  if (!nodes.is_array()) return "";
  for (const nlohmann::json& node : nodes) {
    if (node.value("id", "") != node_id || !node.contains("types")) continue;
    for (const nlohmann::json& type : node["types"]) {
      if (type.value("type_url", "") == type_url) return type.value("state", "");
    }
  }
  return "";
}

// Opens an ADS stream to 127.0.0.1:`port` on a channel of its own, sends `request` and returns
// the first response; the stream and the channel are closed on return.
absl::StatusOr<envoy::service::discovery::v3::DiscoveryResponse> FirstAdsResponse(
    int port, const envoy::service::discovery::v3::DiscoveryRequest& request) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stream = stub->StreamAggregatedResources(&context);
  envoy::service::discovery::v3::DiscoveryResponse response;
  const bool received = stream->Write(request) && stream->Read(&response);
  context.TryCancel();
  const grpc::Status status = stream->Finish();
  if (!received) {
    return absl::UnavailableError(absl::StrCat("no response on the ADS stream: grpc error ",
                                               status.error_code(), ": ",
                                               status.error_message()));
  }
  return response;
}

TEST(GrpcCppXdsClientTest, ProxylessChannelReachesBackendThroughXdsd) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // gRPC reads the file when the first xds: channel is created in this process; the file is
  // written once xdsd's port is known. The variable is set first, before gRPC starts threads
  // that might read the environment.
  const std::string bootstrap_path = dir.path() + "/bootstrap.json";
  setenv("GRPC_XDS_BOOTSTRAP", bootstrap_path.c_str(), /*overwrite=*/1);
  EchoBackend backend("backend-1");
  ASSERT_GT(backend.port(), 0);

  const std::string config_path = dir.path() + "/echo.yaml";
  ASSERT_TRUE(WriteFile(config_path, EchoConfigYaml(backend.port())).ok());
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd =
      XdsdProcess::Start({"--config=" + config_path, "--log-level=debug"}, dir.path(),
                         kStartTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();

  ASSERT_TRUE(WriteFile(bootstrap_path, BootstrapJson((*xdsd)->xds_port(), "grpc-cpp-test")).ok());

  auto channel = grpc::CreateChannel("xds:///echo.test", grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);

  absl::StatusOr<std::string> answer;
  const bool reached = PollUntil(absl::Seconds(30), [&] {
    answer = CallWho(stub, absl::Seconds(2));
    return answer.ok();
  }, absl::Milliseconds(200));
  ASSERT_TRUE(reached) << "last error: " << answer.status() << "\nxdsd log:\n" << (*xdsd)->Log();
  EXPECT_EQ(*answer, backend.name());

  constexpr int kCalls = 20;
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
    ASSERT_TRUE(who.ok()) << "call " << i << ": " << who.status();
    EXPECT_EQ(*who, backend.name()) << "call " << i;
  }

  const std::vector<std::string> types = {
      "type.googleapis.com/envoy.config.listener.v3.Listener",
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
      "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  };
  std::string nodes;
  const bool synced = PollUntil(absl::Seconds(10), [&] {
    absl::StatusOr<std::string> body = (*xdsd)->HttpGet("/v1/nodes");
    if (!body.ok()) return false;
    nodes = *body;
    for (const std::string& type : types) {
      if (SyncState(nodes, "grpc-cpp-test", type) != "SYNCED") return false;
    }
    return true;
  });
  EXPECT_TRUE(synced) << "/v1/nodes:\n" << nodes;

  const std::string log = (*xdsd)->Log();
  EXPECT_NE(log.find("stream 1 opened"), std::string::npos) << log;
  EXPECT_NE(log.find("grpc-cpp-test"), std::string::npos) << log;

  absl::StatusOr<int> stopped = (*xdsd)->Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status() << "\nxdsd log:\n" << (*xdsd)->Log();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0)
      << "wait status " << *stopped << "\nxdsd log:\n"
      << (*xdsd)->Log();
}

TEST(XdsdDemoTest, ServesListener0OverAds) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd =
      XdsdProcess::Start({}, dir.path(), kStartTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();

  envoy::service::discovery::v3::DiscoveryRequest request;
  request.mutable_node()->set_id("probe");
  request.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  absl::StatusOr<envoy::service::discovery::v3::DiscoveryResponse> response =
      FirstAdsResponse((*xdsd)->xds_port(), request);
  ASSERT_TRUE(response.ok()) << response.status() << "\nxdsd log:\n" << (*xdsd)->Log();

  EXPECT_EQ(response->type_url(), request.type_url());
  EXPECT_FALSE(response->version_info().empty());
  EXPECT_FALSE(response->nonce().empty());
  ASSERT_EQ(response->resources_size(), 1);
  envoy::config::listener::v3::Listener listener;
  ASSERT_TRUE(response->resources(0).UnpackTo(&listener));
  EXPECT_EQ(listener.name(), "listener_0");
  EXPECT_EQ(listener.address().socket_address().port_value(), 10000u);

  absl::StatusOr<int> stopped = (*xdsd)->Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << (*xdsd)->Log();
}

TEST(XdsdDemoTest, NackIsLoggedAndReportedWithTheClientsError) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd =
      XdsdProcess::Start({}, dir.path(), kStartTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*xdsd)->xds_port()),
                                       grpc::InsecureChannelCredentials());
    auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    auto stream = stub->StreamAggregatedResources(&context);
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.mutable_node()->set_id("nacker");
    request.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
    ASSERT_TRUE(stream->Write(request));
    envoy::service::discovery::v3::DiscoveryResponse response;
    ASSERT_TRUE(stream->Read(&response)) << (*xdsd)->Log();

    request.clear_node();
    request.set_response_nonce(response.nonce());  // version_info stays "": nothing accepted
    request.mutable_error_detail()->set_code(3);
    request.mutable_error_detail()->set_message("listener_0: port 10000 is taken");
    ASSERT_TRUE(stream->Write(request));

    std::string nodes;
    EXPECT_TRUE(PollUntil(absl::Seconds(10), [&] {
      absl::StatusOr<std::string> body = (*xdsd)->HttpGet("/v1/nodes/nacker");
      if (!body.ok()) return false;
      nodes = *body;
      return nodes.find("NACKED") != std::string::npos;
    })) << nodes;
    EXPECT_NE(nodes.find("port 10000 is taken"), std::string::npos) << nodes;
    EXPECT_TRUE(PollUntil(absl::Seconds(10), [&] {
      const std::string log = (*xdsd)->Log();
      return log.find("warn") != std::string::npos &&
             log.find("NACK from node nacker") != std::string::npos &&
             log.find("port 10000 is taken") != std::string::npos;
    })) << (*xdsd)->Log();
    context.TryCancel();
    stream->Finish();
  }
  absl::StatusOr<int> stopped = (*xdsd)->Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << (*xdsd)->Log();
}

TEST(XdsdCommandLineTest, HelpDocumentsEveryFlag) {
  TempDir dir;
  absl::StatusOr<CommandResult> result =
      RunCommand({XdsdBinary(), "--help"}, dir.path(), absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(WIFEXITED(result->wait_status) && WEXITSTATUS(result->wait_status) == 0);
  for (const char* flag : {"--xds-port", "--http-port", "--log-level", "--config", "--help"}) {
    EXPECT_NE(result->stdout_text.find(flag), std::string::npos)
        << flag << " missing from:\n" << result->stdout_text;
  }
  for (const char* detail :
       {"18000", "19001", "trace", "error", "serve", "/healthz", "/v1/nodes"}) {
    EXPECT_NE(result->stdout_text.find(detail), std::string::npos)
        << detail << " missing from:\n" << result->stdout_text;
  }
}

TEST(XdsdCommandLineTest, MissingConfigFileExitsWithAnErrorNamingIt) {
  TempDir dir;
  const std::string missing = dir.path() + "/nonexistent.yaml";
  absl::StatusOr<CommandResult> result =
      RunCommand({XdsdBinary(), "serve", "--config", missing, "--xds-port=0", "--http-port=0"},
                 dir.path(), absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(WIFEXITED(result->wait_status));
  EXPECT_NE(WEXITSTATUS(result->wait_status), 0);
  EXPECT_NE(result->stderr_text.find(missing), std::string::npos) << result->stderr_text;
}

TEST(XdsdCommandLineTest, UnknownFlagIsAnError) {
  TempDir dir;
  absl::StatusOr<CommandResult> result =
      RunCommand({XdsdBinary(), "serve", "--no-such-flag=1"}, dir.path(), absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(WIFEXITED(result->wait_status));
  EXPECT_EQ(WEXITSTATUS(result->wait_status), 2);
  EXPECT_NE(result->stderr_text.find("no-such-flag"), std::string::npos) << result->stderr_text;
}

}  // namespace
}  // namespace xdsd::testing

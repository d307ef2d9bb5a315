// xdsd as a real process, driven by real xDS clients: gRPC C++'s own xDS client (a "proxyless"
// gRPC channel, xds:///echo.test), through config reloads, a refused config and a restart of
// xdsd; a raw ADS stream; plus the command line's contract.

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
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
#include "integration/grpc_xds_client_support.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"
#include "support/poll.h"

namespace xdsd::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);

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
                                               status.error_code(), ": ", status.error_message()));
  }
  return response;
}

// The xdsd configuration of the switch-over scenario: the route echo-route sends everything as
// `route_action` says (YAML flow style, on one line); the EDS clusters echo-a and echo-b, whose
// one endpoint each is backend A's and backend B's port.
std::string TwoBackendConfigYaml(int port_a, int port_b, const std::string& route_action) {
  return EchoConfigYaml({{"echo-a", port_a}, {"echo-b", port_b}}, route_action);
}

// The 1-based number of the first line of `text` that contains `needle`; 0 when none does.
int LineContaining(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// xdsd's GET /v1/config, parsed; a null JSON when it did not answer.
nlohmann::json ConfigStatus(const XdsdProcess& xdsd) {
  absl::StatusOr<std::string> body = xdsd.HttpGet("/v1/config");
  if (!body.ok()) return nullptr;
  nlohmann::json status = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  return status.is_discarded() ? nlohmann::json() : status;
}

TEST(GrpcCppXdsClientTest, ProxylessChannelReachesBackendThroughXdsd) {
  if (!FirstXdsClientUserOfThisProcess()) {
    RunThisCaseInAChildProcess();
    return;
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string bootstrap_path = UseBootstrapFileIn(dir.path());
  EchoBackend backend("backend-1");
  ASSERT_GT(backend.port(), 0);

  const std::string config_path = dir.path() + "/echo.yaml";
  ASSERT_TRUE(WriteFile(config_path, EchoConfigYaml(backend.port())).ok());
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd = XdsdProcess::Start(
      {"--config=" + config_path, "--log-level=debug"}, dir.path(), kStartTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();

  ASSERT_TRUE(
      WriteFile(bootstrap_path,
                BootstrapJson(absl::StrCat("127.0.0.1:", (*xdsd)->xds_port()), "grpc-cpp-test"))
          .ok());

  auto channel = grpc::CreateChannel("xds:///echo.test", grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);

  absl::StatusOr<std::string> answer;
  const bool reached = PollUntil(
      absl::Seconds(30),
      [&] {
        answer = CallWho(stub, absl::Seconds(2));
        return answer.ok();
      },
      absl::Milliseconds(200));
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
  const bool synced = PollUntil(
      absl::Seconds(10),
      [&] {
        absl::StatusOr<std::string> body = (*xdsd)->HttpGet("/v1/nodes");
        if (!body.ok()) return false;
        nodes = *body;
        for (const std::string& type : types) {
          if (SyncState(nodes, "grpc-cpp-test", type) != "SYNCED") return false;
        }
        return true;
      },
      kIntegrationPollInterval);
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

// The scenario of a client's whole life with a control plane that is reconfigured under it:
// A → B (no call fails), an 80/20 split, a broken config refused while the last good one keeps
// working (and the error is reported with its line), and a restart of xdsd after which the
// client, which kept its config, is found up to date and sent nothing.
TEST(GrpcCppXdsClientTest, SwitchesSplitsSurvivesABrokenConfigAndAnXdsdRestart) {
  if (!FirstXdsClientUserOfThisProcess()) {
    RunThisCaseInAChildProcess();
    return;
  }
  constexpr char kNodeId[] = "grpc-cpp-scenario";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string bootstrap_path = UseBootstrapFileIn(dir.path());
  EchoBackend backend_a("backend-a");
  EchoBackend backend_b("backend-b");
  EchoBackend backend_c("backend-c");  // echo-b's endpoint moves here in step 3b
  ASSERT_GT(backend_a.port(), 0);
  ASSERT_GT(backend_b.port(), 0);
  ASSERT_GT(backend_c.port(), 0);
  const std::string to_a =
      TwoBackendConfigYaml(backend_a.port(), backend_b.port(), "{cluster: echo-a}");
  const std::string to_b =
      TwoBackendConfigYaml(backend_a.port(), backend_b.port(), "{cluster: echo-b}");
  constexpr char kSplit[] =
      "{weighted_clusters: {clusters: [{name: echo-a, weight: 80}, {name: echo-b, weight: 20}]}}";
  const std::string split = TwoBackendConfigYaml(backend_a.port(), backend_b.port(), kSplit);
  const std::string moved = TwoBackendConfigYaml(backend_a.port(), backend_c.port(), kSplit);
  const std::string broken =
      TwoBackendConfigYaml(backend_a.port(), backend_b.port(), "{cluster: no-such-cluster}");

  // 1. Routed to A.
  const std::string config_path = dir.path() + "/echo.yaml";
  ASSERT_TRUE(WriteFile(config_path, to_a).ok());
  absl::StatusOr<std::unique_ptr<XdsdProcess>> started = XdsdProcess::Start(
      {"--config=" + config_path, "--log-level=debug"}, dir.path(), kStartTimeout);
  ASSERT_TRUE(started.ok()) << started.status();
  XdsdProcess& xdsd = **started;
  ASSERT_TRUE(
      WriteFile(bootstrap_path, BootstrapJson(absl::StrCat("127.0.0.1:", xdsd.xds_port()), kNodeId))
          .ok());

  auto channel = grpc::CreateChannel("xds:///echo.test", grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  absl::StatusOr<std::string> answer;
  const absl::Time first_call = absl::Now();
  const bool reached_a = PollUntil(
      absl::Seconds(30),
      [&] {
        answer = CallWho(stub, absl::Seconds(2));
        return answer.ok();
      },
      absl::Milliseconds(100));
  ASSERT_TRUE(reached_a) << "last error: " << answer.status() << "\nxdsd log:\n" << xdsd.Log();
  EXPECT_EQ(*answer, backend_a.name());
  std::cout << "[scenario] first call answered after " << MillisecondsSince(first_call) << " ms\n";

  // From here on, calls run without a pause through every change: none may fail.
  ContinuousCaller caller(channel);
  ASSERT_TRUE(PollUntil(
      absl::Seconds(5), [&] { return caller.tally().calls >= 20; }, kIntegrationPollInterval));
  EXPECT_EQ(caller.tally().answers[backend_a.name()], caller.tally().calls)
      << Describe(caller.tally());

  // 2. Routed to B: within 5 s of the save, and no call fails meanwhile.
  const nlohmann::json before_b = ConfigStatus(xdsd);
  ASSERT_TRUE(before_b.is_object());
  const absl::Time saved_b = absl::Now();
  ASSERT_TRUE(ReplaceFile(config_path, to_b).ok());
  int main_failures = 0;
  const bool reached_b = PollUntil(
      absl::Seconds(5),
      [&] {
        answer = CallWho(stub, absl::Seconds(2));
        if (!answer.ok()) ++main_failures;
        return answer.ok() && *answer == backend_b.name();
      },
      absl::Milliseconds(10));
  const int64_t switch_ms = MillisecondsSince(saved_b);
  ASSERT_TRUE(reached_b) << "last answer: " << answer.status() << " " << answer.value_or("")
                         << "\n/v1/config: " << ConfigStatus(xdsd).dump() << "\nxdsd log:\n"
                         << xdsd.Log();
  EXPECT_EQ(main_failures, 0);
  EXPECT_EQ(caller.tally().failures, 0) << Describe(caller.tally());
  const nlohmann::json after_b = ConfigStatus(xdsd);
  EXPECT_NE(after_b.value("version", ""), before_b.value("version", ""));
  EXPECT_EQ(after_b.value("reloads_succeeded", 0), before_b.value("reloads_succeeded", 0) + 1)
      << after_b.dump();
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
    ASSERT_TRUE(who.ok()) << "call " << i << " after the switch to B: " << who.status();
    EXPECT_EQ(*who, backend_b.name()) << "call " << i << " after the switch to B";
  }
  std::cout << "[scenario] A -> B: calls reach B " << switch_ms << " ms after the save; "
            << Describe(caller.tally()) << "\n";

  // 3. 80/20 between A and B, picked per call.
  // Saves `config` and calls until `backend` answers (within 5 s); the milliseconds that took.
  auto save_until_answered = [&](const std::string& config, const EchoBackend& backend) {
    const absl::Time saved = absl::Now();
    EXPECT_TRUE(ReplaceFile(config_path, config).ok());
    const bool answered = PollUntil(
        absl::Seconds(5),
        [&] {
          answer = CallWho(stub, absl::Seconds(2));
          if (!answer.ok()) ++main_failures;
          return answer.ok() && *answer == backend.name();
        },
        absl::Milliseconds(10));
    EXPECT_TRUE(answered) << backend.name() << " never answered after the save; xdsd log:\n"
                          << xdsd.Log();
    return answered ? MillisecondsSince(saved) : int64_t{-1};
  };
  const int64_t split_ms = save_until_answered(split, backend_a);
  ASSERT_GE(split_ms, 0);
  EXPECT_EQ(main_failures, 0);
  // 400 calls at p = 0.8: a standard deviation of 0.02, so ± 0.08 is four of them.
  constexpr int kSplitCalls = 400;
  auto expect_split = [&](const EchoBackend& second) {
    std::map<std::string, int> shares;
    for (int i = 0; i < kSplitCalls; ++i) {
      absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
      if (!who.ok()) ADD_FAILURE() << "call " << i << " of the split: " << who.status();
      ++shares[who.value_or("(failed)")];
    }
    const double a_share = static_cast<double>(shares[backend_a.name()]) / kSplitCalls;
    EXPECT_EQ(shares[backend_a.name()] + shares[second.name()], kSplitCalls);
    EXPECT_NEAR(a_share, 0.80, 0.08) << "A answered " << shares[backend_a.name()] << ", "
                                     << second.name() << " " << shares[second.name()];
    EXPECT_EQ(caller.tally().failures, 0) << Describe(caller.tally());
    return a_share;
  };
  double a_share = expect_split(backend_b);
  std::cout << "[scenario] split: A first answered " << split_ms << " ms after the save; A share "
            << a_share << " of " << kSplitCalls << " calls\n";

  // 3b. Only echo-b's endpoint changes (to C): the EDS response carries echo-b alone (PROTOCOL
  // 32), and the client keeps echo-a's endpoints, which it leaves out.
  const int64_t moved_ms = save_until_answered(moved, backend_c);
  ASSERT_GE(moved_ms, 0);
  EXPECT_EQ(main_failures, 0);
  a_share = expect_split(backend_c);
  std::cout << "[scenario] echo-b moved to C: C first answered " << moved_ms
            << " ms after the save; A share " << a_share << " of " << kSplitCalls << " calls\n";

  // 4. A broken config: refused, reported with its file, line and field; calls go on as the last
  // good config says.
  const nlohmann::json before_broken = ConfigStatus(xdsd);
  ASSERT_TRUE(before_broken.is_object());
  const absl::Time saved_broken = absl::Now();
  ASSERT_TRUE(ReplaceFile(config_path, broken).ok());
  nlohmann::json refused;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(5),
      [&] {
        refused = ConfigStatus(xdsd);
        return refused.is_object() &&
               refused.value("reloads_failed", 0) > before_broken.value("reloads_failed", 0);
      },
      kIntegrationPollInterval))
      << "/v1/config: " << refused.dump() << "\nxdsd log:\n"
      << xdsd.Log();
  const int64_t refused_ms = MillisecondsSince(saved_broken);
  EXPECT_EQ(refused.value("version", ""), before_broken.value("version", ""));
  ASSERT_TRUE(refused["last_error"].is_object()) << refused.dump();
  const std::string message = refused["last_error"].value("message", "");
  const int broken_line = LineContaining(broken, "no-such-cluster");
  ASSERT_GT(broken_line, 0);
  EXPECT_NE(message.find(absl::StrCat("echo.yaml:", broken_line, ":")), std::string::npos)
      << message;
  EXPECT_NE(message.find("route.cluster"), std::string::npos) << message;
  EXPECT_NE(message.find("no-such-cluster"), std::string::npos) << message;
  std::map<std::string, int> after_refusal;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
    ASSERT_TRUE(who.ok()) << "call " << i << " after the broken config: " << who.status();
    ++after_refusal[*who];
  }
  EXPECT_GT(after_refusal[backend_a.name()], 0);
  EXPECT_GT(after_refusal[backend_c.name()], 0);
  EXPECT_EQ(after_refusal[backend_a.name()] + after_refusal[backend_c.name()], 100);
  EXPECT_EQ(caller.tally().failures, 0) << Describe(caller.tally());
  std::cout << "[scenario] broken config refused " << refused_ms
            << " ms after the save: " << message << "\n";

  // 5. xdsd restarts with the last good config, on the ports the client knows. The client keeps
  // calling meanwhile, on the config it holds; once back, it names the versions it holds and
  // xdsd, serving the same content, has nothing to send.
  std::map<std::string, nlohmann::json> held;
  std::string nodes;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        nodes = xdsd.HttpGet("/v1/nodes").value_or("");
        held = NodeTypes(nodes, kNodeId);
        return AllTypesSynced(held);
      },
      kIntegrationPollInterval))
      << "/v1/nodes before the restart:\n"
      << nodes;
  const std::string served_version = ConfigStatus(xdsd).value("version", "");

  const absl::Time stopping = absl::Now();
  absl::StatusOr<int> stopped = xdsd.Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status() << "\nxdsd log:\n" << xdsd.Log();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << "wait status " << *stopped;
  const int64_t stop_ms = MillisecondsSince(stopping);
  ASSERT_TRUE(ReplaceFile(config_path, moved).ok());
  const ContinuousCaller::Tally at_stop = caller.tally();
  // A second without xdsd: long enough for the client to notice (its ADS stream fails and it
  // starts retrying), while calls go on from the config it holds.
  const absl::Time away_until = absl::Now() + absl::Seconds(1);
  for (int i = 0; absl::Now() < away_until; ++i) {
    absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
    ASSERT_TRUE(who.ok()) << "call " << i << " while xdsd is away: " << who.status();
  }
  const size_t log_before_restart = xdsd.Log().size();
  const absl::Time restarting = absl::Now();
  absl::Status restarted = xdsd.Restart(kStartTimeout);
  ASSERT_TRUE(restarted.ok()) << restarted;
  const int64_t restart_ms = MillisecondsSince(restarting);
  const ContinuousCaller::Tally at_restart = caller.tally();
  EXPECT_GT(at_restart.calls, at_stop.calls);
  EXPECT_EQ(ConfigStatus(xdsd).value("version", ""), served_version);

  std::map<std::string, nlohmann::json> after_restart;
  const absl::Time reconnecting = absl::Now();
  const bool resynced = PollUntil(
      absl::Seconds(30),
      [&] {
        nodes = xdsd.HttpGet("/v1/nodes").value_or("");
        after_restart = NodeTypes(nodes, kNodeId);
        return after_restart.size() == GrpcClientTypes().size() && AllTypesSynced(after_restart);
      },
      absl::Milliseconds(100));
  const int64_t resync_ms = MillisecondsSince(reconnecting);
  const std::string log_since_restart = xdsd.Log().substr(log_before_restart);
  ASSERT_TRUE(resynced) << "/v1/nodes after the restart:\n"
                        << nodes << "\nxdsd log since the restart:\n"
                        << log_since_restart;
  for (const std::string& type_url : GrpcClientTypes()) {
    const nlohmann::json& type = after_restart[type_url];
    EXPECT_EQ(type.value("version_sent", "?"), "")
        << type_url << " was sent again after the restart:\n"
        << type.dump(2) << "\nxdsd log since the restart:\n"
        << log_since_restart;
    EXPECT_EQ(type.value("version_acked", ""), held[type_url].value("version_acked", "?"))
        << type_url << ": the client holds another version than it acked before the restart";
  }
  EXPECT_EQ(log_since_restart.find("response to node"), std::string::npos)
      << "xdsd responded to the client after the restart:\n"
      << log_since_restart;

  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::string> who = CallWho(stub, absl::Seconds(5));
    ASSERT_TRUE(who.ok()) << "call " << i << " after the restart: " << who.status();
  }
  caller.Stop();
  const ContinuousCaller::Tally total = caller.tally();
  EXPECT_EQ(total.failures, 0) << Describe(total);
  std::cout << "[scenario] restart: stop took " << stop_ms << " ms, the new xdsd served after "
            << restart_ms << " ms, the client was SYNCED again " << resync_ms
            << " ms later; calls while xdsd was away: " << at_restart.calls - at_stop.calls
            << "; in all " << Describe(total) << "\n";

  stopped = xdsd.Stop(kStopTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << xdsd.Log();
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
    EXPECT_TRUE(PollUntil(
        absl::Seconds(10),
        [&] {
          absl::StatusOr<std::string> body = (*xdsd)->HttpGet("/v1/nodes/nacker");
          if (!body.ok()) return false;
          nodes = *body;
          return nodes.find("NACKED") != std::string::npos;
        },
        kIntegrationPollInterval))
        << nodes;
    EXPECT_NE(nodes.find("port 10000 is taken"), std::string::npos) << nodes;
    EXPECT_TRUE(PollUntil(
        absl::Seconds(10),
        [&] {
          const std::string log = (*xdsd)->Log();
          return log.find("warn") != std::string::npos &&
                 log.find("NACK from node nacker") != std::string::npos &&
                 log.find("port 10000 is taken") != std::string::npos;
        },
        kIntegrationPollInterval))
        << (*xdsd)->Log();
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
    EXPECT_NE(result->stdout_text.find(flag), std::string::npos) << flag << " missing from:\n"
                                                                 << result->stdout_text;
  }
  for (const char* detail :
       {"18000", "19001", "trace", "error", "serve", "/healthz", "/v1/nodes"}) {
    EXPECT_NE(result->stdout_text.find(detail), std::string::npos) << detail << " missing from:\n"
                                                                   << result->stdout_text;
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

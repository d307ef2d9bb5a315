// What an operator's signals do to the real daemon: SIGHUP reloads the config and xdsd lives
// on; SIGTERM turns /readyz to 503 at once, keeps serving xDS for the drain time, then exits 0.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"

namespace xdsd {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using testing::kIntegrationPollInterval;
using testing::PollUntil;

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

std::string ConfigWithCluster(const std::string& name) {
  return absl::StrCat(R"(resources:
  clusters:
  - name: )",
                      name, R"(
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: )",
                      name, R"(
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}
)");
}

TEST(SignalsTest, HangupReloadsAChangedConfigAndXdsdLivesOn) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/config.yaml";
  ASSERT_TRUE(testing::WriteFile(config, ConfigWithCluster("before")).ok());
  // Renaming the only cluster removes all that is served: allowed here, the reload is the test.
  auto xdsd = testing::XdsdProcess::Start({"--config=" + config, "--max-removal=100%"}, dir.path(),
                                          absl::Seconds(30));
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  absl::StatusOr<std::string> before = (*xdsd)->HttpGet("/v1/config");
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string version_before = nlohmann::json::parse(*before)["version"];
  ASSERT_TRUE(testing::ReplaceFile(config, ConfigWithCluster("after")).ok());
  (*xdsd)->Signal(SIGHUP);
  EXPECT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        absl::StatusOr<std::string> now = (*xdsd)->HttpGet("/v1/config");
        return now.ok() && nlohmann::json::parse(*now)["version"] != version_before;
      },
      kIntegrationPollInterval));
  EXPECT_NE((*xdsd)->Log().find("received SIGHUP: reloading"), std::string::npos) << (*xdsd)->Log();
  EXPECT_TRUE((*xdsd)->Running());
  EXPECT_TRUE((*xdsd)->HttpGet("/healthz").ok());
}

TEST(SignalsTest, TermDrainsThenExits) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/config.yaml";
  ASSERT_TRUE(testing::WriteFile(config, ConfigWithCluster("backend")).ok());
  constexpr absl::Duration kDrain = absl::Seconds(3);
  auto xdsd = testing::XdsdProcess::Start(
      {"--config=" + config, absl::StrCat("--drain-time=", absl::FormatDuration(kDrain))},
      dir.path(), absl::Seconds(30));
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  ASSERT_TRUE((*xdsd)->HttpGet("/readyz").ok());

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*xdsd)->xds_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->StreamAggregatedResources(&context);
  DiscoveryRequest request;
  request.mutable_node()->set_id("draining");
  request.set_type_url(kClusterType);
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_EQ(response.resources_size(), 1);

  const absl::Time term_sent = absl::Now();
  (*xdsd)->Signal(SIGTERM);
  EXPECT_TRUE(PollUntil(
      absl::Seconds(2),
      [&] {
        absl::StatusOr<std::string> ready = (*xdsd)->HttpGet("/readyz");
        return !ready.ok() && ready.status().message().find("503") != std::string::npos;
      },
      kIntegrationPollInterval));
  // While draining, the stream is still served: a request for another type is answered.
  DiscoveryRequest ack = request;
  ack.clear_node();
  ack.set_version_info(response.version_info());
  ack.set_response_nonce(response.nonce());
  ASSERT_TRUE(stream->Write(ack));
  DiscoveryRequest listeners;
  listeners.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  ASSERT_TRUE(stream->Write(listeners));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.type_url(), listeners.type_url());
  EXPECT_LT(absl::Now() - term_sent, kDrain);

  // Then it closes the stream and exits 0, within the drain time and a margin.
  absl::StatusOr<int> exit = (*xdsd)->Wait(kDrain + absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << *exit;
  EXPECT_GE(absl::Now() - term_sent, kDrain);
  EXPECT_FALSE(stream->Read(&response));
}

}  // namespace
}  // namespace xdsd

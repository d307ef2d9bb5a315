// examples/embed as a real process: it serves what it builds, tells when a node connects, and
// publishes one more cluster and listener for each line on its stdin.

#include <sys/wait.h>

#include <memory>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::testing {
namespace {

using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;

constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";

std::set<std::string> ListenerNames(const DiscoveryResponse& response) {
  std::set<std::string> names;
  for (const auto& any : response.resources()) {
    envoy::config::listener::v3::Listener listener;
    if (any.UnpackTo(&listener)) names.insert(listener.name());
  }
  return names;
}

TEST(EmbedExampleTest, PublishesOneMoreListenerPerLineOfInput) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string out_path = dir.path() + "/stdout";
  const std::string err_path = dir.path() + "/stderr";
  absl::StatusOr<std::unique_ptr<Subprocess>> example =
      Subprocess::Start({XDSD_EMBED_EXAMPLE, "0"}, out_path, err_path, /*pipe_stdin=*/true);
  ASSERT_TRUE(example.ok()) << example.status();
  auto output = [&] { return ReadFileOrEmpty(out_path) + ReadFileOrEmpty(err_path); };

  int port = 0;
  static const std::regex kServing(R"(serving xDS on [0-9.]+:(\d+))");
  ASSERT_TRUE(PollUntil(
      absl::Seconds(20),
      [&] {
        std::smatch match;
        const std::string text = ReadFileOrEmpty(out_path);
        return std::regex_search(text, match, kServing) && absl::SimpleAtoi(match[1].str(), &port);
      },
      kIntegrationPollInterval))
      << output();

  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  auto stub = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = stub->StreamAggregatedResources(&context);

  DiscoveryRequest request;
  request.mutable_node()->set_id("embed-probe");
  request.set_type_url(kListenerType);
  ASSERT_TRUE(stream->Write(request));
  DiscoveryResponse first;
  ASSERT_TRUE(stream->Read(&first)) << output();
  EXPECT_EQ(ListenerNames(first), (std::set<std::string>{"listener_0"}));

  ASSERT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        return ReadFileOrEmpty(out_path).find("node \"embed-probe\" connected") !=
               std::string::npos;
      },
      kIntegrationPollInterval))
      << output();

  // ACK, then ask for one more listener.
  request.clear_node();
  request.set_version_info(first.version_info());
  request.set_response_nonce(first.nonce());
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE((*example)->WriteStdin("\n").ok());
  DiscoveryResponse second;
  ASSERT_TRUE(stream->Read(&second)) << output();
  EXPECT_EQ(ListenerNames(second), (std::set<std::string>{"listener_0", "listener_1"}));
  EXPECT_NE(second.version_info(), first.version_info());
  EXPECT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        return ReadFileOrEmpty(out_path).find("published configuration 2") != std::string::npos;
      },
      kIntegrationPollInterval))
      << output();

  context.TryCancel();
  stream->Finish();
  (*example)->CloseStdin();  // end of input stops it
  absl::StatusOr<int> exited = (*example)->Wait(absl::Seconds(10));
  ASSERT_TRUE(exited.ok()) << exited.status() << "\n" << output();
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0) << output();
}

}  // namespace
}  // namespace xdsd::testing

// `xdsd status` against a real `xdsd serve` and a raw ADS client that ACKs and NACKs when the
// test says so: exit codes and tables as a deploy script sees them.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::cli {
namespace {

using ::envoy::service::discovery::v3::AggregatedDiscoveryService;
using ::envoy::service::discovery::v3::DiscoveryRequest;
using ::envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using xdsd::testing::kIntegrationPollInterval;
using xdsd::testing::PollUntil;
using xdsd::testing::Subprocess;
using xdsd::testing::TempDir;
using xdsd::testing::XdsdBinary;
using xdsd::testing::XdsdProcess;

constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr char kNodeId[] = "status-test-envoy";
constexpr absl::Duration kTimeout = absl::Seconds(20);

using StatusRun = xdsd::testing::XdsdRun;

StatusRun RunStatusCommand(const std::string& scratch, const std::vector<std::string>& flags) {
  std::vector<std::string> args = {"status"};
  args.insert(args.end(), flags.begin(), flags.end());
  return xdsd::testing::RunXdsd(scratch, args);
}

// Runs `xdsd status` until it exits `exit_code` with `text` in its table, or the deadline;
// returns the last run.
StatusRun PollStatus(const std::string& scratch, const std::vector<std::string>& flags,
                     int exit_code, const std::string& text) {
  StatusRun run;
  PollUntil(
      kTimeout,
      [&] {
        run = RunStatusCommand(scratch, flags);
        return run.exit_code == exit_code && run.out.find(text) != std::string::npos;
      },
      kIntegrationPollInterval);
  return run;
}

// The table row of `type` for the test's node, "" when there is none.
std::string Row(const std::string& table, const std::string& type) {
  const std::string start = absl::StrCat(kNodeId, "  ", type, " ");
  const size_t at = table.find(start);
  if (at == std::string::npos) return "";
  return table.substr(at, table.find('\n', at) - at);
}

// An ADS stream of its own, where the test decides what to send and when.
class RawAdsClient {
 public:
  explicit RawAdsClient(int port)
      : stub_(AggregatedDiscoveryService::NewStub(grpc::CreateChannel(
            absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(3)));
    stream_ = stub_->StreamAggregatedResources(&context_);
  }
  ~RawAdsClient() {
    context_.TryCancel();
    stream_->Finish().ok();
  }

  // Sends a request for every resource of `type_url`; version and nonce say what it ACKs, and
  // `error` makes it a NACK.
  bool Send(const std::string& type_url, const std::string& version, const std::string& nonce,
            const std::string& error = "") {
    DiscoveryRequest request;
    request.mutable_node()->set_id(kNodeId);
    request.mutable_node()->set_cluster("status-test");
    request.mutable_node()->set_user_agent_name("raw-ads-client");
    request.set_type_url(type_url);
    request.set_version_info(version);
    request.set_response_nonce(nonce);
    if (!error.empty()) {
      request.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT
      request.mutable_error_detail()->set_message(error);
    }
    return stream_->Write(request);
  }

  bool Read(DiscoveryResponse* response) { return stream_->Read(response); }

 private:
  std::unique_ptr<AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<DiscoveryRequest, DiscoveryResponse>> stream_;
};

TEST(XdsdStatusTest, ExitCodeFollowsAcksAndNacksOfARealClient) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd = XdsdProcess::Start({}, dir.path(), kTimeout);
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  const std::vector<std::string> http = {"--http",
                                         absl::StrCat("http://127.0.0.1:", (*xdsd)->http_port())};

  // Nobody connected: nothing lags behind.
  StatusRun run = RunStatusCommand(dir.path(), http);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, MatchesRegex("config <built-in demo> version [0-9a-f]+ \\(loaded "
                                    "[0-9T:.Z-]+\\)\nno connected nodes\n"));

  // Subscribed to clusters, sent them, no ACK yet: PENDING, exit 1.
  RawAdsClient client((*xdsd)->xds_port());
  ASSERT_TRUE(client.Send(kClusterType, "", ""));
  DiscoveryResponse clusters;
  ASSERT_TRUE(client.Read(&clusters));
  ASSERT_EQ(clusters.type_url(), kClusterType);
  const std::string short_version = clusters.version_info().substr(0, 8);
  run = PollStatus(dir.path(), http, 1, "PENDING");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_THAT(Row(run.out, "clusters"),
              MatchesRegex(absl::StrCat(kNodeId, " +clusters +", short_version, " +- +PENDING")))
      << run.out;
  EXPECT_THAT(run.out, HasSubstr("1 connected node: 1 not in sync\n"));

  // `--wait` started before the ACK returns 0 once the node has ACKed.
  absl::StatusOr<std::unique_ptr<Subprocess>> waiting =
      Subprocess::Start({XdsdBinary(), "status", http[0], http[1], "--wait", "30s"},
                        dir.path() + "/wait.out", dir.path() + "/wait.err");
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  ASSERT_TRUE(client.Send(kClusterType, clusters.version_info(), clusters.nonce()));
  absl::StatusOr<int> waited = (*waiting)->Wait(absl::Seconds(30));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_TRUE(WIFEXITED(*waited) && WEXITSTATUS(*waited) == 0)
      << xdsd::testing::ReadFileOrEmpty(dir.path() + "/wait.out")
      << xdsd::testing::ReadFileOrEmpty(dir.path() + "/wait.err");
  EXPECT_THAT(xdsd::testing::ReadFileOrEmpty(dir.path() + "/wait.out"), HasSubstr("SYNCED"));

  // ACKed: SYNCED, exit 0.
  run = RunStatusCommand(dir.path(), http);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(Row(run.out, "clusters"),
              MatchesRegex(absl::StrCat(kNodeId, " +clusters +", short_version, " +", short_version,
                                        " +SYNCED")))
      << run.out;
  EXPECT_THAT(run.out, HasSubstr("1 connected node: all in sync\n"));

  // Listeners NACKed: exit 1, the client's error in the table, clusters still SYNCED.
  ASSERT_TRUE(client.Send(kListenerType, "", ""));
  DiscoveryResponse listeners;
  ASSERT_TRUE(client.Read(&listeners));
  ASSERT_EQ(listeners.type_url(), kListenerType);
  ASSERT_TRUE(client.Send(kListenerType, "", listeners.nonce(),
                          "listener 'demo' port 10000:\nAddress already in use"));
  run = PollStatus(dir.path(), http, 1, "NACKED");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_THAT(
      Row(run.out, "listeners"),
      MatchesRegex(absl::StrCat(kNodeId, " +listeners +", listeners.version_info().substr(0, 8),
                                " +- +NACKED +listener 'demo' port 10000: Address "
                                "already in use")))
      << run.out;
  EXPECT_THAT(Row(run.out, "clusters"), HasSubstr("SYNCED")) << run.out;
  // Clusters come before listeners.
  EXPECT_LT(run.out.find(Row(run.out, "clusters")), run.out.find(Row(run.out, "listeners")));

  // --wait that runs out: exit 1 with the final table.
  const absl::Time start = absl::Now();
  run = RunStatusCommand(dir.path(), {http[0], http[1], "--wait=1s"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_THAT(run.out, HasSubstr("NACKED"));

  // --node: only the matching nodes count.
  run = RunStatusCommand(dir.path(), {http[0], http[1], "--node", "other-*"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("no connected nodes matching \"other-*\""));
  run = RunStatusCommand(dir.path(), {http[0], http[1], "--node", "status-test-*"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;

  // Output to a pipe is not coloured.
  EXPECT_THAT(run.out, Not(HasSubstr("\033[")));

  // xdsd's gRPC port is no admin HTTP server: exit 3.
  run = RunStatusCommand(dir.path(), {"--http", absl::StrCat("127.0.0.1:", (*xdsd)->xds_port())});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("xdsd status: ")) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(XdsdStatusTest, UnreachableXdsdExitsThree) {
  TempDir dir;
  const int port = testing::UnusedLoopbackPort();
  ASSERT_NE(port, 0);
  StatusRun run = RunStatusCommand(dir.path(), {"--http", absl::StrCat("http://127.0.0.1:", port)});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err,
              HasSubstr(absl::StrCat("xdsd status: cannot reach xdsd at http://127.0.0.1:", port)));
}

TEST(XdsdStatusTest, CommandLineErrorsExitTwo) {
  TempDir dir;
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--wait=soon"}, {"--http=ftp://x:1"}, {"--node-id=n"}, {"extra"}}) {
    const StatusRun run = RunStatusCommand(dir.path(), flags);
    EXPECT_EQ(run.exit_code, 2) << flags[0] << run.err;
    EXPECT_EQ(run.out, "");
  }
}

}  // namespace
}  // namespace xdsd::cli

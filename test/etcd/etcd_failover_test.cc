// A real xDS client, gRPC C++'s own (a proxyless channel in this process), bootstrapped as
// `xdsd bootstrap --format grpc --xds-address A,B,C` writes it for three replicas that follow
// one config in a real etcd cluster: the replica it is connected to is killed with SIGKILL; the
// client moves to another, which finds it up to date and sends it nothing; and no call to its
// backend fails meanwhile.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/etcd_cluster.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "integration/grpc_xds_client_support.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::testing {
namespace {

constexpr char kNodeId[] = "grpc-cpp-failover";
constexpr absl::Duration kStartTimeout = absl::Seconds(30);

TEST(EtcdFailoverTest, AGrpcClientOfAKilledReplicaMovesToAnotherIsSentNothingAndNoCallFails) {
  if (!FirstXdsClientUserOfThisProcess()) {
    RunThisCaseInAChildProcess();
    return;
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string bootstrap_path = UseBootstrapFileIn(dir.path());
  EchoBackend backend("backend-1");
  ASSERT_GT(backend.port(), 0);

  std::filesystem::create_directories(dir.path() + "/etcd");
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd =
      EtcdCluster::Start(3, dir.path() + "/etcd", kStartTimeout);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string url = (*etcd)->Url("xdsd");
  const std::string config_path = dir.path() + "/echo.yaml";
  ASSERT_TRUE(WriteFile(config_path, EchoConfigYaml(backend.port())).ok());
  const XdsdRun applied = RunXdsd(dir.path(), {"apply", config_path, "--to", url});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

  std::vector<std::unique_ptr<XdsdProcess>> replicas;
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) {
    const std::string replica_dir = absl::StrCat(dir.path(), "/replica", i);
    std::filesystem::create_directories(replica_dir);
    absl::StatusOr<std::unique_ptr<XdsdProcess>> replica = XdsdProcess::Start(
        {"--config", url, "--drain-time=0s", "--log-level=debug"}, replica_dir, kStartTimeout);
    ASSERT_TRUE(replica.ok()) << replica.status();
    addresses.push_back(absl::StrCat("127.0.0.1:", (*replica)->xds_port()));
    replicas.push_back(*std::move(replica));
  }
  // The bootstrap xdsd writes for these three replicas.
  const XdsdRun bootstrap = RunXdsd(dir.path(), {"bootstrap", "--format=grpc", "--node-id", kNodeId,
                                                 "--xds-address", absl::StrJoin(addresses, ",")});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.err;
  EXPECT_NE(bootstrap.out.find(absl::StrCat("\"ipv4:", absl::StrJoin(addresses, ","), "\"")),
            std::string::npos)
      << bootstrap.out;
  ASSERT_TRUE(WriteFile(bootstrap_path, bootstrap.out).ok());

  auto channel = grpc::CreateChannel("xds:///echo.test", grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  absl::StatusOr<std::string> answer;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(30),
      [&] {
        answer = CallWho(stub, absl::Seconds(2));
        return answer.ok();
      },
      absl::Milliseconds(200)))
      << "last error: " << answer.status();
  EXPECT_EQ(*answer, backend.name());
  ContinuousCaller caller(channel);

  // The replica the client is connected to, and the versions it ACKed there.
  int first = -1;
  std::map<std::string, nlohmann::json> held;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(10),
      [&] {
        for (int i = 0; i < 3; ++i) {
          held = NodeTypes(replicas[i]->HttpGet("/v1/nodes").value_or(""), kNodeId);
          if (AllTypesSynced(held)) {
            first = i;
            return true;
          }
        }
        return false;
      },
      kIntegrationPollInterval));
  const ContinuousCaller::Tally before_kill = caller.tally();

  replicas[first]->Signal(SIGKILL);
  ASSERT_TRUE(replicas[first]->Wait(absl::Seconds(10)).ok());
  const absl::Time killed = absl::Now();
  int second = -1;
  std::map<std::string, nlohmann::json> moved;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(30),
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (i == first) continue;
          moved = NodeTypes(replicas[i]->HttpGet("/v1/nodes").value_or(""), kNodeId);
          if (moved.size() == GrpcClientTypes().size() && AllTypesSynced(moved)) {
            second = i;
            return true;
          }
        }
        return false;
      },
      absl::Milliseconds(20)))
      << "the client reached no other replica";
  const int64_t moved_ms = MillisecondsSince(killed);
  for (const std::string& type_url : GrpcClientTypes()) {
    EXPECT_EQ(moved[type_url].value("version_sent", "?"), "")
        << type_url << " was sent again by the replica the client moved to:\n"
        << moved[type_url].dump(2) << "\n"
        << replicas[second]->Log();
    EXPECT_EQ(moved[type_url].value("version_acked", ""),
              held[type_url].value("version_acked", "?"))
        << type_url;
  }
  EXPECT_EQ(replicas[second]->Log().find("response to node"), std::string::npos)
      << replicas[second]->Log();

  // Calls go on past the move, and none failed at any moment.
  const int calls_at_move = caller.tally().calls;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(10), [&] { return caller.tally().calls >= calls_at_move + 100; },
      absl::Milliseconds(20)));
  caller.Stop();
  const ContinuousCaller::Tally total = caller.tally();
  EXPECT_EQ(total.failures, 0) << Describe(total);
  EXPECT_GT(total.calls, before_kill.calls);
  std::cout << "[failover] replica " << first << " killed; the client was SYNCED on replica "
            << second << " " << moved_ms << " ms later, sent nothing; " << Describe(total) << "\n";
  RecordProperty("failover_resync_ms", static_cast<int>(moved_ms));
}

}  // namespace
}  // namespace xdsd::testing

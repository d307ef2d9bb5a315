// Several xdsd replicas following one config in a real etcd cluster (3 members on loopback):
// `xdsd apply` and the fleet API reach every replica, under the same versions; etcd members
// failing, all of etcd failing and coming back; two applies racing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "etcd/etcd_cluster.h"
#include "grpcpp/grpcpp.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"
#include "support/poll.h"
#include "xdsd/resource_types.h"

namespace xdsd::testing {
namespace {

constexpr char kPrefix[] = "xdsd";
constexpr char kToken[] = "etcd-replicas-test-token-0123456789";

int ExitCode(const CommandResult& result) {
  return WIFEXITED(result.wait_status) ? WEXITSTATUS(result.wait_status) : -1;
}

// An ADS stream to `replica` asking for `type_url` (`name`, or every one), as a client that
// (re)connects with the version it has.
struct AdsStream {
  AdsStream(const XdsdProcess& replica, const std::string& version, absl::Duration deadline,
            std::string_view type_url = kClusterType, const std::string& name = "")
      : channel(grpc::CreateChannel(absl::StrCat("127.0.0.1:", replica.xds_port()),
                                    grpc::InsecureChannelCredentials())),
        stub(envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(channel)) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    stream = stub->StreamAggregatedResources(&context);
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.mutable_node()->set_id("moving-client");
    request.set_type_url(std::string(type_url));
    if (!name.empty()) request.add_resource_names(name);
    request.set_version_info(version);
    stream->Write(request);
  }
  // ACKs `response`.
  void Ack(const envoy::service::discovery::v3::DiscoveryResponse& response) {
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.set_type_url(std::string(kClusterType));
    request.set_version_info(response.version_info());
    request.set_response_nonce(response.nonce());
    stream->Write(request);
  }

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<envoy::service::discovery::v3::DiscoveryRequest,
                                           envoy::service::discovery::v3::DiscoveryResponse>>
      stream;
};

class EtcdReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd =
        EtcdCluster::Start(3, dir_.path(), absl::Seconds(30));
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    // The replicas need a config to start from.
    ASSERT_EQ(ExitCode(Apply(1001)), 0);
    const std::string token_file = absl::StrCat(dir_.path(), "/token");
    ASSERT_TRUE(WriteFile(token_file, kToken).ok());
    for (int i = 0; i < 3; ++i) {
      const std::string replica_dir = absl::StrCat(dir_.path(), "/replica", i);
      std::filesystem::create_directories(replica_dir);
      absl::StatusOr<std::unique_ptr<XdsdProcess>> replica = XdsdProcess::Start(
          {"--config", etcd_->Url(kPrefix), "--drain-time=0s", "--admin-token-file", token_file},
          replica_dir, absl::Seconds(30));
      ASSERT_TRUE(replica.ok()) << replica.status();
      replicas_.push_back(*std::move(replica));
    }
  }

  // Writes the config with `port` and applies it with `flags`.
  CommandResult Apply(int port, std::vector<std::string> flags = {}) {
    const std::string path = absl::StrCat(dir_.path(), "/config", port, ".yaml");
    EXPECT_TRUE(WriteFile(path, ConfigWithPort(port)).ok());
    std::vector<std::string> argv = {XdsdBinary(),       "apply", path, "--to", etcd_->Url(kPrefix),
                                     "--etcd-timeout=2s"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv, dir_.path(), absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CommandResult{.wait_status = -1};
  }

  // The revision `xdsd apply` printed ("applied at revision N"), or 0.
  static int64_t AppliedRevision(const CommandResult& result) {
    std::smatch match;
    int64_t revision = 0;
    static const std::regex kApplied("applied at revision ([0-9]+)");
    if (std::regex_search(result.stdout_text, match, kApplied)) {
      (void)absl::SimpleAtoi(match[1].str(), &revision);
    }
    return revision;
  }

  static nlohmann::json ConfigStatus(const XdsdProcess& replica) {
    absl::StatusOr<std::string> body = replica.HttpGet("/v1/config");
    if (!body.ok()) return nlohmann::json::object();
    return nlohmann::json::parse(*body, nullptr, false);
  }

  // A fleet API change (`method` POST or DELETE) on `replica`: the HTTP status and the body.
  static std::pair<int, nlohmann::json> FleetChange(const XdsdProcess& replica,
                                                    const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body = "") {
    httplib::Client client("127.0.0.1", replica.http_port());
    client.set_read_timeout(std::chrono::seconds(10));
    client.set_bearer_token_auth(kToken);
    httplib::Result result =
        method == "DELETE" ? client.Delete(path) : client.Post(path, body, "application/json");
    if (!result) return {-1, nullptr};
    return {result->status, nlohmann::json::parse(result->body, nullptr, false)};
  }

  // The fleet overlay's clusters `replica` holds: name -> version.
  static nlohmann::json FleetClusters(const XdsdProcess& replica) {
    absl::StatusOr<std::string> body = replica.HttpGet("/v1/fleet/clusters");
    if (!body.ok()) return nullptr;
    return nlohmann::json::parse(*body, nullptr, false)["resources"];
  }

  static std::string Version(const XdsdProcess& replica) {
    return ConfigStatus(replica).value("version", "");
  }

  // The versions every replica reports; the same on all, or empty.
  std::string CommonVersion() const {
    const std::string first = Version(*replicas_[0]);
    for (const auto& replica : replicas_) {
      if (Version(*replica) != first) return "";
    }
    return first;
  }

  // What a new ADS client of `replica` is sent for clusters: version_info.
  static std::string AdsClusterVersion(const XdsdProcess& replica) {
    AdsStream ads(replica, "", absl::Seconds(10));
    envoy::service::discovery::v3::DiscoveryResponse response;
    if (!ads.stream->Read(&response)) return "";
    ads.context.TryCancel();
    return response.version_info();
  }

  // How many endpoints a new ADS client of `replica` is sent for ClusterLoadAssignment `name`;
  // -1 when it is sent none.
  static int AdsEndpointCount(const XdsdProcess& replica, const std::string& name) {
    AdsStream ads(replica, "", absl::Seconds(10), kEndpointType, name);
    envoy::service::discovery::v3::DiscoveryResponse response;
    if (!ads.stream->Read(&response)) return -1;
    ads.context.TryCancel();
    envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
    if (response.resources_size() != 1 || !response.resources(0).UnpackTo(&assignment)) return -1;
    int count = 0;
    for (const auto& locality : assignment.endpoints()) count += locality.lb_endpoints_size();
    return count;
  }

  // Waits up to `timeout` until every replica serves one version other than `old_version`.
  std::string WaitForNewCommonVersion(const std::string& old_version, absl::Duration timeout) {
    std::string version;
    PollUntil(
        timeout,
        [&] {
          version = CommonVersion();
          return !version.empty() && version != old_version;
        },
        kIntegrationPollInterval);
    return version != old_version ? version : "";
  }

  TempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<XdsdProcess>> replicas_;
};

TEST_F(EtcdReplicasTest, OneApplyIsServedByEveryReplicaUnderOneVersionWithinASecond) {
  const std::string before = CommonVersion();
  ASSERT_FALSE(before.empty());
  const CommandResult applied = Apply(1002);
  ASSERT_EQ(ExitCode(applied), 0) << applied.stderr_text;
  EXPECT_NE(applied.stdout_text.find("~ xdsd/clusters/backend"), std::string::npos)
      << applied.stdout_text;
  const absl::Time written = absl::Now();
  const std::string after = WaitForNewCommonVersion(before, absl::Seconds(1));
  EXPECT_FALSE(after.empty()) << "not every replica served the apply within 1 s of it";
  for (const auto& replica : replicas_) {
    EXPECT_EQ(ConfigStatus(*replica)["etcd"]["revision"], AppliedRevision(applied));
  }
  // What a client is sent: the same cluster version from every replica.
  const std::string ads = AdsClusterVersion(*replicas_[0]);
  EXPECT_FALSE(ads.empty());
  for (const auto& replica : replicas_) EXPECT_EQ(AdsClusterVersion(*replica), ads);
  RecordProperty("apply_to_all_replicas_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(absl::Now() - written)));
}

TEST_F(EtcdReplicasTest, AFleetChangePostedToOneReplicaIsServedByEveryReplicaUnderOneVersion) {
  const std::string before = CommonVersion();
  ASSERT_FALSE(before.empty());
  const auto [status, reply] =
      FleetChange(*replicas_[0], "POST", "/v1/fleet/clusters",
                  R"({"set": [{"name": "extra", "connect_timeout": "1s", "type": "STATIC"}]})");
  ASSERT_EQ(status, 200) << reply.dump();
  const int64_t revision = reply.value("etcd_revision", int64_t{0});
  ASSERT_GT(revision, 0) << reply.dump();
  // Answered once the replica that took it serves it.
  EXPECT_EQ(ConfigStatus(*replicas_[0])["etcd"]["revision"], revision);
  EXPECT_TRUE(FleetClusters(*replicas_[0]).contains("extra"));
  const std::string after = WaitForNewCommonVersion(before, absl::Seconds(5));
  ASSERT_FALSE(after.empty()) << "the replicas did not agree on a new version";
  const nlohmann::json overlay = FleetClusters(*replicas_[0]);
  for (const auto& replica : replicas_) {
    EXPECT_EQ(ConfigStatus(*replica)["etcd"]["revision"], revision);
    EXPECT_EQ(FleetClusters(*replica), overlay);
  }
  const std::string ads = AdsClusterVersion(*replicas_[0]);
  for (const auto& replica : replicas_) EXPECT_EQ(AdsClusterVersion(*replica), ads);
  absl::StatusOr<std::string> stored = etcd_->Etcdctl({"get", "xdsd/fleet/clusters/extra"});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_NE(stored->find("\"name\":\"extra\""), std::string::npos) << *stored;

  // The same checks and errors as without etcd, and nothing is written.
  const auto [missing, missing_reply] =
      FleetChange(*replicas_[1], "DELETE", "/v1/fleet/clusters/nothing-here");
  EXPECT_EQ(missing, 404) << missing_reply.dump();
  const auto [broken, broken_reply] =
      FleetChange(*replicas_[1], "POST", "/v1/fleet/clusters",
                  R"({"set": [{"name": "eds", "connect_timeout": "1s", "type": "EDS",
                               "eds_cluster_config": {"eds_config": {"ads": {}}}}]})");
  EXPECT_EQ(broken, 400);
  EXPECT_NE(broken_reply.value("error", "").find("eds"), std::string::npos) << broken_reply.dump();
  EXPECT_EQ(ConfigStatus(*replicas_[1])["etcd"]["revision"], revision);

  // An apply leaves the overlay alone; removing it from another replica reaches every one.
  const CommandResult applied = Apply(1010);
  ASSERT_EQ(ExitCode(applied), 0) << applied.stderr_text;
  EXPECT_EQ(applied.stdout_text.find("fleet/"), std::string::npos) << applied.stdout_text;
  const auto [removed, removed_reply] =
      FleetChange(*replicas_[2], "DELETE", "/v1/fleet/clusters/extra");
  ASSERT_EQ(removed, 200) << removed_reply.dump();
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(PollUntil(
        absl::Seconds(5), [&] { return FleetClusters(*replica) == nlohmann::json::object(); },
        kIntegrationPollInterval))
        << FleetClusters(*replica).dump();
  }
}

TEST_F(EtcdReplicasTest, ReplicasOutliveEtcdAndFollowItWhenItIsBack) {
  // One member down: etcd still has a quorum, and applies still work.
  etcd_->Kill(0);
  const std::string first = CommonVersion();
  const CommandResult with_two = Apply(1003);
  ASSERT_EQ(ExitCode(with_two), 0) << with_two.stderr_text;
  const std::string second = WaitForNewCommonVersion(first, absl::Seconds(5));
  ASSERT_FALSE(second.empty());

  // All of etcd down: every replica keeps serving what it had and says etcd is unreachable.
  etcd_->Kill(1);
  etcd_->Kill(2);
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(PollUntil(
        absl::Seconds(20),
        [&] { return ConfigStatus(*replica)["etcd"].value("connected", true) == false; },
        kIntegrationPollInterval))
        << ConfigStatus(*replica).dump();
    EXPECT_TRUE(replica->HttpGet("/readyz").ok());
    EXPECT_EQ(Version(*replica), second);
    EXPECT_FALSE(AdsClusterVersion(*replica).empty());
    EXPECT_NE(ConfigStatus(*replica)["etcd"]["last_error"], nullptr);
    absl::StatusOr<std::string> metrics = replica->HttpGet("/metrics");
    ASSERT_TRUE(metrics.ok());
    EXPECT_NE(metrics->find("xdsd_etcd_connected 0"), std::string::npos);
    const XdsdRun status = RunXdsd(dir_.path(), {"status", "--http", replica->admin_url()});
    EXPECT_THAT(status.out, ::testing::ContainsRegex(absl::StrCat(
                                "\netcd: UNREACHABLE since [-0-9T:.]+Z \\(.+\\); still serving "
                                "revision ",
                                ConfigStatus(*replica)["etcd"]["revision"].get<int64_t>(), "\n")))
        << status.out << status.err;
  }
  EXPECT_EQ(ExitCode(Apply(1004)), 3);  // apply says etcd cannot be reached

  // etcd back: the next apply is served everywhere.
  ASSERT_TRUE(etcd_->RestartAll(absl::Seconds(30)).ok());
  CommandResult back;
  ASSERT_TRUE(PollUntil(
      absl::Seconds(20),
      [&] {
        back = Apply(1005);
        return ExitCode(back) == 0;
      },
      absl::Milliseconds(200)))
      << back.stderr_text;
  EXPECT_FALSE(WaitForNewCommonVersion(second, absl::Seconds(10)).empty());
  for (const auto& replica : replicas_) {
    EXPECT_EQ(ConfigStatus(*replica)["etcd"]["connected"], true);
    const XdsdRun status = RunXdsd(dir_.path(), {"status", "--http", replica->admin_url()});
    EXPECT_THAT(status.out, ::testing::ContainsRegex(absl::StrCat(
                                "\netcd: connected to 127.0.0.1:[0-9]+ at revision ",
                                ConfigStatus(*replica)["etcd"]["revision"].get<int64_t>(), "\n")))
        << status.out << status.err;
  }
}

TEST_F(EtcdReplicasTest, OfTwoAppliesFromTheSameRevisionOneWinsAndTheOtherWritesNothing) {
  const CommandResult base = Apply(1006);
  ASSERT_EQ(ExitCode(base), 0);
  const int64_t read = AppliedRevision(base);
  ASSERT_GT(read, 0);
  const std::string flag = absl::StrCat("--expect-revision=", read);
  // Both started together; whichever commits first wins.
  std::vector<std::unique_ptr<Subprocess>> applies;
  for (int port : {1007, 1008}) {
    const std::string path = absl::StrCat(dir_.path(), "/config", port, ".yaml");
    ASSERT_TRUE(WriteFile(path, ConfigWithPort(port)).ok());
    const std::string out = absl::StrCat(dir_.path(), "/apply", port, ".out");
    const std::string err = absl::StrCat(dir_.path(), "/apply", port, ".err");
    absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
        {XdsdBinary(), "apply", path, "--to", etcd_->Url(kPrefix), flag}, out, err);
    ASSERT_TRUE(process.ok());
    applies.push_back(*std::move(process));
  }
  std::vector<int> codes;
  for (auto& process : applies) {
    absl::StatusOr<int> status = process->Wait(absl::Seconds(30));
    ASSERT_TRUE(status.ok());
    codes.push_back(WEXITSTATUS(*status));
  }
  ASSERT_TRUE((codes == std::vector<int>{0, 4}) || (codes == std::vector<int>{4, 0}))
      << codes[0] << ", " << codes[1];
  const int winner = codes[0] == 0 ? 1007 : 1008;
  const int loser = codes[0] == 0 ? 1008 : 1007;
  EXPECT_NE(ReadFileOrEmpty(absl::StrCat(dir_.path(), "/apply", loser, ".err"))
                .find("nothing was written"),
            std::string::npos);
  // etcd holds the winner's config exactly: a diff of it changes nothing.
  absl::StatusOr<CommandResult> diff =
      RunCommand({XdsdBinary(), "diff", absl::StrCat(dir_.path(), "/config", winner, ".yaml"),
                  "--to", etcd_->Url(kPrefix)},
                 dir_.path(), absl::Seconds(30));
  ASSERT_TRUE(diff.ok());
  EXPECT_NE(diff->stdout_text.find("no change"), std::string::npos) << diff->stdout_text;
}

TEST_F(EtcdReplicasTest, AnInvalidConfigIsRefusedAsValidateRefusesItAndNothingIsWritten) {
  const std::string path = absl::StrCat(dir_.path(), "/bad.yaml");
  ASSERT_TRUE(WriteFile(path, "resources:\n  clusters:\n  - name: x\n    typo: 1\n").ok());
  absl::StatusOr<CommandResult> validate =
      RunCommand({XdsdBinary(), "validate", path}, dir_.path(), absl::Seconds(30));
  absl::StatusOr<CommandResult> apply = RunCommand(
      {XdsdBinary(), "apply", path, "--to", etcd_->Url(kPrefix)}, dir_.path(), absl::Seconds(30));
  ASSERT_TRUE(validate.ok() && apply.ok());
  EXPECT_EQ(ExitCode(*apply), 1);
  EXPECT_EQ(apply->stderr_text, validate->stderr_text);
  absl::StatusOr<std::string> keys = etcd_->Etcdctl({"get", "--prefix", "--keys-only", "xdsd/"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->find("xdsd/clusters/x"), std::string::npos);
}

TEST_F(EtcdReplicasTest, ARegisteredEndpointIsOnEveryReplicaWhileItsRegistrarLives) {
  const std::string path = absl::StrCat(dir_.path(), "/registered.yaml");
  // The whole config is replaced by one cluster: a mass removal, meant.
  ASSERT_TRUE(WriteFile(path, R"(allow_mass_removal: true
resources:
  clusters:
  - name: svc
    connect_timeout: 1s
    type: EDS
    eds_cluster_config: {eds_config: {ads: {}}}
    metadata: {filter_metadata: {xdsd: {endpoints: registrations}}}
)")
                  .ok());
  absl::StatusOr<CommandResult> applied = RunCommand(
      {XdsdBinary(), "apply", path, "--to", etcd_->Url(kPrefix)}, dir_.path(), absl::Seconds(30));
  ASSERT_TRUE(applied.ok() && ExitCode(*applied) == 0) << applied->stderr_text;
  for (const auto& replica : replicas_) {
    ASSERT_TRUE(PollUntil(
        absl::Seconds(5), [&] { return AdsEndpointCount(*replica, "svc") == 0; },
        kIntegrationPollInterval))
        << replica->Log();
  }

  constexpr absl::Duration kTtl = absl::Seconds(2);
  const std::string log = absl::StrCat(dir_.path(), "/register.log");
  absl::StatusOr<std::unique_ptr<Subprocess>> registrar = Subprocess::Start(
      {XdsdBinary(), "register", "--to", etcd_->Url(kPrefix), "--cluster", "svc", "--address",
       "127.0.0.1:9999", "--locality", "eu/a", "--ttl", absl::FormatDuration(kTtl)},
      log, log);
  ASSERT_TRUE(registrar.ok());
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(PollUntil(
        absl::Seconds(5), [&] { return AdsEndpointCount(*replica, "svc") == 1; },
        kIntegrationPollInterval))
        << ReadFileOrEmpty(log);
  }
  // The lease outlives several TTLs while the registrar renews it.
  EXPECT_FALSE(PollUntil(
      2 * kTtl, [&] { return AdsEndpointCount(*replicas_[0], "svc") != 1; },
      absl::Milliseconds(200)))
      << "the endpoint left while its registrar was renewing the lease";

  ASSERT_TRUE((*registrar)->Stop(SIGKILL, absl::Seconds(5)).ok());
  const absl::Time killed = absl::Now();
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(PollUntil(
        kTtl + absl::Seconds(1) - (absl::Now() - killed),
        [&] { return AdsEndpointCount(*replica, "svc") == 0; }, kIntegrationPollInterval))
        << "still registered " << absl::FormatDuration(absl::Now() - killed) << " after the kill";
  }
}

TEST_F(EtcdReplicasTest, AClientOfAKilledReplicaIsSentNothingNewByAnother) {
  AdsStream first(*replicas_[0], "", absl::Seconds(30));
  envoy::service::discovery::v3::DiscoveryResponse response;
  ASSERT_TRUE(first.stream->Read(&response));
  first.Ack(response);
  replicas_[0]->Signal(SIGKILL);
  EXPECT_FALSE(first.stream->Read(&response));  // the connection is gone
  // Reconnected to another replica with the version it has: nothing to send.
  AdsStream second(*replicas_[1], response.version_info(), absl::Seconds(1));
  envoy::service::discovery::v3::DiscoveryResponse resent;
  EXPECT_FALSE(second.stream->Read(&resent)) << "sent version " << resent.version_info();
  EXPECT_EQ(second.stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // A client that has nothing is sent the same version.
  AdsStream fresh(*replicas_[2], "", absl::Seconds(10));
  ASSERT_TRUE(fresh.stream->Read(&resent));
  EXPECT_EQ(resent.version_info(), response.version_info());
}

TEST_F(EtcdReplicasTest, AConnectionPastMaxConnectionAgeIsClosedSoTheClientMoves) {
  const std::string aged_dir = absl::StrCat(dir_.path(), "/aged");
  std::filesystem::create_directories(aged_dir);
  absl::StatusOr<std::unique_ptr<XdsdProcess>> aged = XdsdProcess::Start(
      {"--config", etcd_->Url(kPrefix), "--max-connection-age=1s", "--max-connection-age-grace=1s"},
      aged_dir, absl::Seconds(30));
  ASSERT_TRUE(aged.ok()) << aged.status();
  AdsStream stream(**aged, "", absl::Seconds(20));
  envoy::service::discovery::v3::DiscoveryResponse response;
  ASSERT_TRUE(stream.stream->Read(&response));
  stream.Ack(response);
  const absl::Time opened = absl::Now();
  EXPECT_FALSE(stream.stream->Read(&response));
  const grpc::Status ended = stream.stream->Finish();
  // Closed by the server after about 1 s (+-10%) and the 1 s grace, not by the 20 s deadline.
  EXPECT_NE(ended.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << ended.error_message();
  EXPECT_LT(absl::Now() - opened, absl::Seconds(10));
}

}  // namespace
}  // namespace xdsd::testing

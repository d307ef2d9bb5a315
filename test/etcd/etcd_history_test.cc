// The config's history when the config is in etcd: read from etcd (every `applied` put is a
// revision, numbered by its etcd revision), so two replicas list the same revisions, a restart
// of both keeps them, and a rollback through one replica is written to etcd and served by both.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "etcd/etcd_cluster.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"
#include "support/poll.h"

namespace xdsd::testing {
namespace {

constexpr char kPrefix[] = "xdsd";
constexpr char kToken[] = "etcd-history-test-token-0123456789";
constexpr absl::Duration kStartTimeout = absl::Seconds(30);

nlohmann::json GetJson(const XdsdProcess& replica, const std::string& path) {
  absl::StatusOr<std::string> body = replica.HttpGet(path);
  return body.ok() ? nlohmann::json::parse(*body, nullptr, false) : nlohmann::json();
}

// A POST with the admin token: the HTTP status and the body.
std::pair<int, nlohmann::json> Post(const XdsdProcess& replica, const std::string& path,
                                    const std::string& body) {
  httplib::Client client("127.0.0.1", replica.http_port());
  client.set_read_timeout(std::chrono::seconds(10));
  client.set_bearer_token_auth(kToken);
  httplib::Result result = client.Post(path, body, "application/json");
  if (!result) return {-1, nullptr};
  return {result->status, nlohmann::json::parse(result->body, nullptr, false)};
}

class EtcdHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/etcd");
    absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd =
        EtcdCluster::Start(1, dir_.path() + "/etcd", kStartTimeout);
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    Apply(1001);
    const std::string token_file = dir_.path() + "/token";
    ASSERT_TRUE(WriteFile(token_file, kToken).ok());
    for (int i = 0; i < 2; ++i) {
      const std::string replica_dir = absl::StrCat(dir_.path(), "/replica", i);
      std::filesystem::create_directories(replica_dir);
      absl::StatusOr<std::unique_ptr<XdsdProcess>> replica = XdsdProcess::Start(
          {"--config", etcd_->Url(kPrefix), "--drain-time=0s", "--admin-token-file", token_file},
          replica_dir, kStartTimeout);
      ASSERT_TRUE(replica.ok()) << replica.status();
      replicas_.push_back(*std::move(replica));
    }
  }

  void Apply(int port) {
    const std::string path = absl::StrCat(dir_.path(), "/config", port, ".yaml");
    ASSERT_TRUE(WriteFile(path, ConfigWithPort(port)).ok());
    absl::StatusOr<CommandResult> result = RunCommand(
        {XdsdBinary(), "apply", path, "--to", etcd_->Url(kPrefix)}, dir_.path(), kStartTimeout);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(WEXITSTATUS(result->wait_status), 0) << result->stderr_text;
  }

  // The revisions both replicas list once they list the same `count` (else null).
  nlohmann::json CommonHistory(size_t count) {
    nlohmann::json common;
    PollUntil(
        absl::Seconds(10),
        [&] {
          const nlohmann::json first = GetJson(*replicas_[0], "/v1/config/history")["revisions"];
          const nlohmann::json second = GetJson(*replicas_[1], "/v1/config/history")["revisions"];
          if (!first.is_array() || first.size() != count || first != second) return false;
          common = first;
          return true;
        },
        absl::Milliseconds(50));
    return common;
  }

  TempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<XdsdProcess>> replicas_;
};

TEST_F(EtcdHistoryTest, ReplicasListTheSameRevisionsAfterRestartsAndARollbackReachesBoth) {
  Apply(1002);
  Apply(1003);
  const auto [status, reply] =
      Post(*replicas_[0], "/v1/fleet/clusters",
           R"({"set": [{"name": "extra", "connect_timeout": "1s", "type": "STATIC"}]})");
  ASSERT_EQ(status, 200) << reply.dump();
  const int64_t fleet_revision = reply.value("etcd_revision", int64_t{0});

  const nlohmann::json history = CommonHistory(4);
  ASSERT_EQ(history.size(), 4u) << GetJson(*replicas_[0], "/v1/config/history").dump(2) << "\n"
                                << GetJson(*replicas_[1], "/v1/config/history").dump(2);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(history[i]["source"], "xdsd apply") << history.dump(2);
  EXPECT_EQ(history[3]["source"], "fleet API");
  EXPECT_EQ(history[0]["loaded_at"].get<std::string>().substr(0, 2), "20") << history.dump(2);
  EXPECT_EQ(history[3]["revision"], fleet_revision);
  EXPECT_TRUE(history[3]["changes"].contains("clusters")) << history[3].dump(2);
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_GT(history[i]["revision"].get<int64_t>(), history[i - 1]["revision"].get<int64_t>());
  }
  // What each replica serves is the newest revision's content.
  for (const auto& replica : replicas_) {
    EXPECT_EQ(GetJson(*replica, "/v1/config")["version"], history[3]["version"]);
    EXPECT_EQ(GetJson(*replica, "/v1/config/history")["served"], fleet_revision);
  }

  // Both replicas restarted: the history is etcd's, still there.
  for (const auto& replica : replicas_) ASSERT_TRUE(replica->Stop(absl::Seconds(15)).ok());
  for (const auto& replica : replicas_) ASSERT_TRUE(replica->Restart(kStartTimeout).ok());
  EXPECT_EQ(CommonHistory(4), history);

  // A rollback to the second revision through one replica: written to etcd, served by both.
  const int64_t target = history[1]["revision"].get<int64_t>();
  const auto [rolled_status, rolled] =
      Post(*replicas_[1], "/v1/config/rollback", absl::StrCat(R"({"revision": )", target, "}"));
  ASSERT_EQ(rolled_status, 200) << rolled.dump();
  EXPECT_EQ(rolled["version"], history[1]["version"]);
  EXPECT_EQ(rolled["changed"], true);
  const nlohmann::json after = CommonHistory(5);
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[4]["source"], absl::StrCat("rollback to r", target));
  EXPECT_EQ(after[4]["revision"], rolled["revision"]);
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(PollUntil(
        absl::Seconds(5),
        [&] { return GetJson(*replica, "/v1/config")["version"] == history[1]["version"]; },
        absl::Milliseconds(50)))
        << GetJson(*replica, "/v1/config").dump(2);
    EXPECT_FALSE(GetJson(*replica, "/v1/fleet/clusters")["resources"].contains("extra"));
  }
  // A revision the history does not have.
  EXPECT_EQ(Post(*replicas_[0], "/v1/config/rollback", R"({"revision": 999999})").first, 404);
}

}  // namespace
}  // namespace xdsd::testing

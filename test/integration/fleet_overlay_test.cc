// The fleet API of the real daemon: an overlay of named resources on top of the config, checked
// like the config, kept across a reload and, with --state-dir, across a restart. And the
// history of the config served (every accepted change a revision), with the CLI's rollback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"

namespace xdsd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "fleet-overlay-test-token-0123456789";
constexpr char kConfig[] = R"(resources:
  clusters:
  - {name: web, connect_timeout: 1s, type: STATIC}
  - {name: api, connect_timeout: 1s, type: STATIC}
)";
constexpr absl::Duration kTimeout = absl::Seconds(30);

class FleetOverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    // The config in a folder of its own: the log, beside it, changes with every request.
    std::filesystem::create_directories(dir_.path() + "/config");
    ASSERT_TRUE(testing::WriteFile(config_, kConfig).ok());
    ASSERT_TRUE(testing::WriteFile(dir_.path() + "/token", kToken).ok());
    absl::StatusOr<std::unique_ptr<testing::XdsdProcess>> started = testing::XdsdProcess::Start(
        {"--config=" + config_, "--admin-token-file=" + dir_.path() + "/token",
         "--state-dir=" + dir_.path() + "/state"},
        dir_.path(), kTimeout);
    ASSERT_TRUE(started.ok()) << started.status();
    xdsd_ = *std::move(started);
  }

  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", xdsd_->http_port());
    client.set_read_timeout(std::chrono::seconds(5));
    client.set_bearer_token_auth(kToken);
    return client;
  }
  int Put(const std::string& path, const std::string& body) const {
    httplib::Result result = Client().Put(path, body, "application/json");
    return result ? result->status : -1;
  }
  int Post(const std::string& path, const std::string& body) const {
    httplib::Result result = Client().Post(path, body, "application/json");
    return result ? result->status : -1;
  }
  // The names of the clusters a node is served, through the REST gateway.
  std::vector<std::string> ServedClusters() const {
    httplib::Result result =
        Client().Post("/v3/discovery:clusters", R"({"node": {"id": "n"}})", "application/json");
    std::vector<std::string> names;
    if (!result || result->status != 200) {
      ADD_FAILURE() << "POST /v3/discovery:clusters: "
                    << (result ? result->body : httplib::to_string(result.error()));
      return names;
    }
    const nlohmann::json response = nlohmann::json::parse(result->body);
    for (const auto& cluster : response["resources"]) {
      names.push_back(cluster["name"].get<std::string>());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // Runs `xdsd COMMAND ARGS --http=...`: the exit code, and stdout then stderr.
  std::pair<int, std::string> Xdsd(std::vector<std::string> args) const {
    args.insert(args.begin(), testing::XdsdBinary());
    args.push_back(absl::StrCat("--http=127.0.0.1:", xdsd_->http_port()));
    absl::StatusOr<testing::CommandResult> run =
        testing::RunCommand(args, dir_.path(), absl::Seconds(30));
    if (!run.ok() || !WIFEXITED(run->wait_status)) {
      ADD_FAILURE() << "xdsd " << args[1] << " did not exit";
      return {-1, ""};
    }
    return {WEXITSTATUS(run->wait_status), run->stdout_text + run->stderr_text};
  }
  bool Serves(const std::vector<std::string>& clusters) const {
    return testing::PollUntil(
        kTimeout, [&] { return ServedClusters() == clusters; }, testing::kIntegrationPollInterval);
  }

  testing::TempDir dir_;
  const std::string config_ = dir_.path() + "/config/config.yaml";
  std::unique_ptr<testing::XdsdProcess> xdsd_;
};

TEST_F(FleetOverlayTest, APutAddsToTheConfigAndSurvivesRestartAndReload) {
  ASSERT_EQ(Put("/v1/fleet/clusters/extra",
                R"({"name": "extra", "connect_timeout": "1s", "type": "STATIC"})"),
            200);
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "extra", "web"));
  EXPECT_NE(xdsd_->Log().find("admin change by token"), std::string::npos);

  // Nothing the overlay does not hold can be removed; a cluster without endpoints is refused.
  EXPECT_EQ(Post("/v1/fleet/clusters", R"({"remove": ["does-not-exist"]})"), 404);
  EXPECT_EQ(Put("/v1/fleet/clusters/eds", R"({"name": "eds", "connect_timeout": "1s",
                "type": "EDS", "eds_cluster_config": {"eds_config": {"ads": {}}}})"),
            400);
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "extra", "web"));

  ASSERT_TRUE(xdsd_->Stop(kTimeout).ok());
  ASSERT_TRUE(xdsd_->Restart(kTimeout).ok());
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "extra", "web"));
  absl::StatusOr<std::string> listed = xdsd_->HttpGet("/v1/fleet/clusters");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(nlohmann::json::parse(*listed)["resources"].contains("extra")) << *listed;

  ASSERT_TRUE(testing::ReplaceFile(config_, std::string(kConfig) +
                                                "  - {name: new, connect_timeout: 1s, type: "
                                                "STATIC}\n")
                  .ok());
  EXPECT_TRUE(testing::PollUntil(
      kTimeout,
      [&] {
        return ServedClusters() == std::vector<std::string>{"api", "extra", "new", "web"};
      },
      testing::kIntegrationPollInterval))
      << xdsd_->Log();

  // Removing the overlay's cluster leaves the config's.
  httplib::Result removed = Client().Delete("/v1/fleet/clusters/extra");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "new", "web"));
}

TEST_F(FleetOverlayTest, ARollbackByTheCliHoldsAcrossARestartUntilTheConfigChanges) {
  // r1: the config; r2: a fleet API change; r3: an edit of the file.
  ASSERT_EQ(Put("/v1/fleet/clusters/extra",
                R"({"name": "extra", "connect_timeout": "1s", "type": "STATIC"})"),
            200);
  ASSERT_TRUE(testing::ReplaceFile(config_, R"(resources:
  clusters:
  - {name: web, connect_timeout: 2s, type: STATIC}
)")
                  .ok());
  ASSERT_TRUE(Serves({"extra", "web"})) << xdsd_->Log();

  auto [code, history] = Xdsd({"history"});
  EXPECT_EQ(code, 0) << history;
  EXPECT_THAT(history, HasSubstr("  r1 "));
  EXPECT_THAT(history, HasSubstr("fleet API (by token (from 127.0.0.1:"));
  EXPECT_THAT(history, HasSubstr("* r3 "));
  const std::string token_flag = "--admin-token-file=" + dir_.path() + "/token";
  auto [diff_code, diff] = Xdsd({"history", "1", "3", token_flag});
  EXPECT_EQ(diff_code, 0) << diff;
  EXPECT_THAT(diff, HasSubstr("+ clusters extra\n- clusters api\n~ clusters web\n"
                              "    connect_timeout: \"1s\" -> \"2s\"\n"));

  // A rollback needs the token.
  auto [refused_code, refused] = Xdsd({"rollback", "1"});
  EXPECT_EQ(refused_code, 1) << refused;
  EXPECT_THAT(refused, HasSubstr("token"));
  EXPECT_THAT(ServedClusters(), ElementsAre("extra", "web"));
  auto [rollback_code, rolled_back] = Xdsd({"rollback", "r1", token_flag});
  EXPECT_EQ(rollback_code, 0) << rolled_back;
  EXPECT_THAT(rolled_back, HasSubstr("serving r4, the content of r1"));
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "web"));
  EXPECT_THAT(xdsd_->Log(), HasSubstr("): rollback: {\"revision\":1}"));

  // What is served is not the source: `xdsd status` and the history say so, also after a
  // restart.
  ASSERT_TRUE(xdsd_->Stop(kTimeout).ok());
  ASSERT_TRUE(xdsd_->Restart(kTimeout).ok());
  EXPECT_THAT(ServedClusters(), ElementsAre("api", "web"));
  auto [status_code, status] = Xdsd({"status"});
  EXPECT_THAT(status, HasSubstr("serving r4, a rollback: not the source")) << status_code;
  EXPECT_THAT(Xdsd({"history"}).second, HasSubstr("* r4 "));

  // The next change of the source is served.
  ASSERT_TRUE(testing::ReplaceFile(config_, kConfig).ok());
  ASSERT_TRUE(Serves({"api", "extra", "web"})) << xdsd_->Log();
  EXPECT_THAT(Xdsd({"history"}).second, HasSubstr("* r5 "));
  EXPECT_THAT(Xdsd({"status"}).second, Not(HasSubstr("rollback")));
}

}  // namespace
}  // namespace xdsd

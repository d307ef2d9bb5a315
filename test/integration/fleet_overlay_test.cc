// The fleet API of the real daemon: an overlay of named resources on top of the config, checked
// like the config, kept across a reload and, with --state-dir, across a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"

namespace xdsd {
namespace {

using ::testing::ElementsAre;

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

}  // namespace
}  // namespace xdsd

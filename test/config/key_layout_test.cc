#include "config/key_layout.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "config/config_publisher.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// A config file in a fresh temporary directory; removed with the fixture.
class KeyLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("key_layout_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

constexpr char kConfig[] = R"(
resources:
  clusters:
    - name: backend
      type: EDS
      eds_cluster_config: { eds_config: { ads: {} } }
  endpoints:
    - cluster_name: backend
      endpoints:
        - lb_endpoints:
            - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8080 } } }
  routes:
    - name: web/route
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes: [{ match: { prefix: "/" }, route: { cluster: backend } }]
groups:
  - name: edge
    match: { cluster: "edge-*" }
    resources:
      clusters:
        - { name: edge_backend, type: STATIC, load_assignment: { cluster_name: edge_backend } }
)";

TEST_F(KeyLayoutTest, OneKeyPerResourceAndOneKeyPerSection) {
  absl::StatusOr<ConfigKeys> keys = ConfigKeysFromFile(Write("a.yaml", kConfig));
  ASSERT_TRUE(keys.ok()) << Message(keys.status());
  std::vector<std::string> names;
  for (const auto& [key, value] : *keys) names.push_back(key);
  EXPECT_THAT(names,
              ElementsAre("clusters/backend", "endpoints/backend", "groups", "routes/web/route"));
  EXPECT_THAT(keys->at("clusters/backend"), HasSubstr(R"("name":"backend","type":"EDS")"));
}

TEST_F(KeyLayoutTest, TheKeysBuildTheSameVersionsAsTheFile) {
  const std::string path = Write("a.yaml", kConfig);
  absl::StatusOr<Config> from_file = LoadConfigFile(path);
  absl::StatusOr<ConfigKeys> keys = ConfigKeysFromFile(path);
  ASSERT_TRUE(from_file.ok() && keys.ok());
  absl::StatusOr<Config> from_keys = ConfigFromKeys(*keys, "etcd:xdsd/");
  ASSERT_TRUE(from_keys.ok()) << Message(from_keys.status());
  EXPECT_EQ(ConfigVersion(*from_keys), ConfigVersion(*from_file));
  ASSERT_EQ(from_keys->groups.size(), 1u);
  EXPECT_EQ(from_keys->groups[0].name, "edge");
}

TEST_F(KeyLayoutTest, AllowMassRemovalIsKeptAsAFlag) {
  const std::string path = Write("a.yaml", absl::StrCat("allow_mass_removal: true\n", kConfig));
  absl::StatusOr<ConfigKeys> keys = ConfigKeysFromFile(path);
  ASSERT_TRUE(keys.ok()) << Message(keys.status());
  EXPECT_EQ(keys->at("allow_mass_removal"), "true");
  absl::StatusOr<Config> from_keys = ConfigFromKeys(*keys, "etcd:xdsd/");
  ASSERT_TRUE(from_keys.ok()) << Message(from_keys.status());
  EXPECT_TRUE(from_keys->allow_mass_removal);
}

TEST_F(KeyLayoutTest, TheRolloutPolicyIsAKeyOfItsOwn) {
  const std::string path =
      Write("a.yaml", absl::StrCat("rollout: {waves: [{nodes: [\"canary-*\"]}, {percent: 100}], "
                                   "bake: 30s}\n",
                                   kConfig));
  absl::StatusOr<ConfigKeys> keys = ConfigKeysFromFile(path);
  ASSERT_TRUE(keys.ok()) << Message(keys.status());
  EXPECT_EQ(keys->at("rollout"),
            R"({"waves":[{"nodes":["canary-*"]},{"percent":100}],"bake":"30s"})");
  absl::StatusOr<Config> from_keys = ConfigFromKeys(*keys, "etcd:xdsd/");
  ASSERT_TRUE(from_keys.ok()) << Message(from_keys.status());
  ASSERT_TRUE(from_keys->rollout.has_value());
  EXPECT_EQ(from_keys->rollout->waves.size(), 2u);
  EXPECT_EQ(from_keys->rollout->bake, absl::Seconds(30));
  // A mistake in it names the key and the field, as a file's would.
  (*keys)["rollout"] = R"({"waves": []})";
  absl::StatusOr<Config> bad = ConfigFromKeys(*keys, "etcd:xdsd/");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("etcd:xdsd/rollout:1: rollout.waves: must be a non-empty list"));
}

TEST_F(KeyLayoutTest, AnInvalidFileGivesTheLoadersErrors) {
  const std::string path = Write("bad.yaml", R"(
resources:
  routes:
    - name: r
      virtual_hosts: [{ name: v, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: nope } }] }]
)");
  absl::StatusOr<ConfigKeys> keys = ConfigKeysFromFile(path);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(Message(keys.status()), Message(LoadConfigFile(path).status()));
}

TEST_F(KeyLayoutTest, AKeyThatIsNotTheResourcesNameIsAnError) {
  ConfigKeys keys = {{"clusters/a", R"({"name":"b","type":"STATIC"})"}};
  absl::StatusOr<Config> config = ConfigFromKeys(keys, "etcd:xdsd/");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("etcd:xdsd/clusters/a:1"));
  EXPECT_THAT(Message(config.status()), HasSubstr("not its key's \"a\""));
}

TEST_F(KeyLayoutTest, AnUnknownKeyIsAnErrorButAppliedAndRegistrationsAreNot) {
  EXPECT_FALSE(ConfigFromKeys({{"clustres/a", "{}"}}, "p/").ok());
  EXPECT_TRUE(ConfigFromKeys(
                  {{std::string(kAppliedKey), "{}"}, {"registrations/x/127.0.0.1:1", "{}"}}, "p/")
                  .ok());
}

TEST_F(KeyLayoutTest, FleetKeysAreTheOverlayNotTheConfigAndAreCheckedAsTheFleetApiChecksThem) {
  const std::string extra = R"({"name":"extra","connect_timeout":"1s","type":"STATIC"})";
  absl::StatusOr<Config> config =
      ConfigFromKeys({{"clusters/a", R"({"name":"a","connect_timeout":"1s","type":"STATIC"})"},
                      {FleetKey(kClusterType, "extra"), extra}},
                     "p/");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->default_snapshot->Resources(kClusterType).contains("extra"));
  ASSERT_TRUE(config->fleet_overlay.has_value());
  EXPECT_TRUE((*config->fleet_overlay)[std::string(kClusterType)].contains("extra"));
  EXPECT_FALSE(IsConfigKey("fleet/clusters/extra"));

  absl::StatusOr<Config> misnamed = ConfigFromKeys({{"fleet/clusters/other", extra}}, "p/");
  EXPECT_THAT(Message(misnamed.status()), HasSubstr("p/fleet/clusters/other"));
  EXPECT_THAT(Message(misnamed.status()), HasSubstr("not its key's \"other\""));
  EXPECT_FALSE(ConfigFromKeys({{"fleet/clusters/x", R"({"name":"x","typo":1})"}}, "p/").ok());
  EXPECT_FALSE(ConfigFromKeys({{"fleet/nothing/x", extra}}, "p/").ok());
}

TEST_F(KeyLayoutTest, ARegisteredClusterGetsItsEndpointsFromTheRegistrations) {
  const std::string cluster =
      R"({"name":"svc","type":"EDS","eds_cluster_config":{"eds_config":{"ads":{}}},)"
      R"("metadata":{"filter_metadata":{"xdsd":{"endpoints":"registrations"}}}})";
  // Valid in a file: no ClusterLoadAssignment needed.
  const std::string path =
      Write("r.json", std::string(R"({"resources":{"clusters":[)") + cluster + "]}}");
  ASSERT_TRUE(LoadConfigFile(path).ok()) << Message(LoadConfigFile(path).status());

  const Registration a{
      .cluster = "svc", .host = "10.0.0.1", .port = 80, .region = "eu", .zone = "a"};
  const Registration b{.cluster = "svc", .host = "10.0.0.2", .port = 81};
  const Registration other{.cluster = "other", .host = "10.0.0.3", .port = 82};
  EXPECT_EQ(RegistrationKey(a), "registrations/svc/10.0.0.1:80");
  ConfigKeys keys = {{"clusters/svc", cluster},
                     {RegistrationKey(a), RegistrationValue(a)},
                     {RegistrationKey(b), RegistrationValue(b)},
                     {RegistrationKey(other), RegistrationValue(other)}};
  absl::StatusOr<Config> config = ConfigFromKeys(keys, "p/");
  ASSERT_TRUE(config.ok()) << Message(config.status());
  const ResourceMap& endpoints = config->default_snapshot->Resources(kEndpointType);
  ASSERT_EQ(endpoints.size(), 1u);
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  ASSERT_TRUE(assignment.ParseFromString(std::string(endpoints.begin()->second->bytes())));
  EXPECT_EQ(assignment.cluster_name(), "svc");
  ASSERT_EQ(assignment.endpoints_size(), 2);  // no locality, then eu/a
  EXPECT_EQ(assignment.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().address(),
            "10.0.0.2");
  EXPECT_EQ(assignment.endpoints(1).locality().zone(), "a");

  // With none registered the cluster is served with no endpoints.
  absl::StatusOr<Config> none = ConfigFromKeys({{"clusters/svc", cluster}}, "p/");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->default_snapshot->Resources(kEndpointType).size(), 1u);
}

TEST(KeyChangesTest, SaysWhatIsAddedChangedAndRemovedOfTheConfigKeysOnly) {
  const ConfigKeys from = {
      {"clusters/a", "1"}, {"clusters/b", "2"}, {"applied", "x"}, {"registrations/c/h:1", "y"}};
  const ConfigKeys to = {{"clusters/b", "3"}, {"routes/c", "4"}};
  const KeyChanges changes = DiffConfigKeys(from, to);
  EXPECT_THAT(changes.added, ElementsAre("routes/c"));
  EXPECT_THAT(changes.changed, ElementsAre("clusters/b"));
  EXPECT_THAT(changes.removed, ElementsAre("clusters/a"));
  EXPECT_TRUE(DiffConfigKeys(to, to).empty());
}

}  // namespace
}  // namespace xdsd::config

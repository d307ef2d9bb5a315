#include "config/config_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

template <typename T>
T Decode(const ResourcePtr& resource) {
  T message;
  EXPECT_NE(resource, nullptr);
  if (resource != nullptr) {
    EXPECT_TRUE(message.ParseFromArray(resource->bytes().data(),
                                       static_cast<int>(resource->bytes().size())));
  }
  return message;
}

// The message as a std::string (gtest prints Debian's absl::string_view as characters).
std::string Message(const absl::Status& status) { return std::string(status.message()); }

std::vector<std::string> ErrorLines(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n');
}

envoy::config::core::v3::Node MakeNode(std::string cluster, std::string id) {
  envoy::config::core::v3::Node node;
  node.set_cluster(std::move(cluster));
  node.set_id(std::move(id));
  return node;
}

// A self-contained, valid set: a listener whose RDS route sends to an EDS cluster.
constexpr std::string_view kValidConfig = R"yaml(
resources:
  listeners:
    - name: http
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: http
                rds: { route_config_name: main, config_source: { ads: {} } }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  routes:
    - name: main
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: payments }
  clusters:
    - name: payments
      type: EDS
      connect_timeout: 0.25s
      eds_cluster_config: { eds_config: { ads: {} } }
  endpoints:
    - cluster_name: payments
      endpoints:
        - lb_endpoints:
            - endpoint: { address: { socket_address: { address: 10.0.0.1, port_value: "9000" } } }
)yaml";

TEST(ConfigLoaderTest, DemoServesOneListenerRouteAndCluster) {
  absl::StatusOr<Config> config = LoadDemoConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  const Snapshot& snapshot = *config->default_snapshot;
  EXPECT_THAT(snapshot.Resources(kListenerType), SizeIs(1));
  EXPECT_THAT(snapshot.Resources(kRouteType), SizeIs(1));
  EXPECT_THAT(snapshot.Resources(kClusterType), SizeIs(1));
  EXPECT_EQ(snapshot.size(), 3u);
  EXPECT_TRUE(config->groups.empty());

  auto listener =
      Decode<envoy::config::listener::v3::Listener>(snapshot.Find(kListenerType, "listener_0"));
  EXPECT_EQ(listener.address().socket_address().address(), "0.0.0.0");
  EXPECT_EQ(listener.address().socket_address().port_value(), 10000u);
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  ASSERT_EQ(listener.filter_chains_size(), 1);
  ASSERT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&hcm));
  EXPECT_EQ(hcm.stat_prefix(), "ingress_http");
  EXPECT_EQ(hcm.rds().route_config_name(), "local_route");
  EXPECT_TRUE(hcm.rds().config_source().has_ads());
  EXPECT_EQ(hcm.rds().config_source().resource_api_version(), envoy::config::core::v3::V3);
  ASSERT_EQ(hcm.http_filters_size(), 1);
  EXPECT_EQ(hcm.http_filters(0).typed_config().type_url(),
            "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");

  auto routes = Decode<envoy::config::route::v3::RouteConfiguration>(
      snapshot.Find(kRouteType, "local_route"));
  ASSERT_EQ(routes.virtual_hosts_size(), 1);
  EXPECT_EQ(routes.virtual_hosts(0).name(), "local_service");
  EXPECT_THAT(routes.virtual_hosts(0).domains(), ElementsAre("*"));
  ASSERT_EQ(routes.virtual_hosts(0).routes_size(), 1);
  const auto& route = routes.virtual_hosts(0).routes(0);
  EXPECT_EQ(route.match().prefix(), "/");
  EXPECT_EQ(route.route().cluster(), "service_bbc");
  EXPECT_EQ(route.route().host_rewrite_literal(), "www.bbc.com");
  EXPECT_EQ(route.route().prefix_rewrite(), "/robots.txt");

  auto cluster =
      Decode<envoy::config::cluster::v3::Cluster>(snapshot.Find(kClusterType, "service_bbc"));
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::LOGICAL_DNS);
  EXPECT_EQ(cluster.dns_lookup_family(), envoy::config::cluster::v3::Cluster::V4_ONLY);
  EXPECT_EQ(cluster.connect_timeout().seconds(), 5);
  const auto& socket_address =
      cluster.load_assignment().endpoints(0).lb_endpoints(0).endpoint().address().socket_address();
  EXPECT_EQ(socket_address.address(), "www.bbc.com");
  EXPECT_EQ(socket_address.port_value(), 443u);
  EXPECT_EQ(cluster.transport_socket().name(), "envoy.transport_sockets.tls");
  envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext tls;
  ASSERT_TRUE(cluster.transport_socket().typed_config().UnpackTo(&tls));
  EXPECT_EQ(tls.sni(), "www.bbc.com");
}

TEST(ConfigLoaderTest, DemoYamlExampleIsTheBuiltInDemo) {
  EXPECT_EQ(ReadFile(XDSD_EXAMPLES_DIR "/demo.yaml"), DemoConfigYaml());
}

TEST(ConfigLoaderTest, DemoYamlExampleLoadsFromFile) {
  absl::StatusOr<Config> config = LoadConfigFile(XDSD_EXAMPLES_DIR "/demo.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->default_snapshot->size(), 3u);
}

TEST(ConfigLoaderTest, EnvoyBootstrapExampleIsAValidBootstrap) {
  const std::string path = XDSD_EXAMPLES_DIR "/envoy/envoy.yaml";
  const std::string text = ReadFile(path);
  absl::StatusOr<std::string> bytes =
      ParseYamlAs("envoy.config.bootstrap.v3.Bootstrap", text, path);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  envoy::config::bootstrap::v3::Bootstrap bootstrap;
  ASSERT_TRUE(bootstrap.ParseFromString(*bytes));
  EXPECT_FALSE(bootstrap.node().id().empty());
  EXPECT_FALSE(bootstrap.node().cluster().empty());
  EXPECT_EQ(bootstrap.admin().address().socket_address().port_value(), 19000u);
  const auto& ads = bootstrap.dynamic_resources().ads_config();
  EXPECT_EQ(ads.api_type(), envoy::config::core::v3::ApiConfigSource::GRPC);
  EXPECT_EQ(ads.transport_api_version(), envoy::config::core::v3::V3);
  ASSERT_EQ(ads.grpc_services_size(), 1);
  EXPECT_EQ(ads.grpc_services(0).envoy_grpc().cluster_name(), "xds_cluster");
  EXPECT_TRUE(bootstrap.dynamic_resources().cds_config().has_ads());
  EXPECT_TRUE(bootstrap.dynamic_resources().lds_config().has_ads());

  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const auto& xds_cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(xds_cluster.name(), "xds_cluster");
  EXPECT_EQ(xds_cluster.type(), envoy::config::cluster::v3::Cluster::STRICT_DNS);
  const auto& address = xds_cluster.load_assignment()
                            .endpoints(0)
                            .lb_endpoints(0)
                            .endpoint()
                            .address()
                            .socket_address();
  EXPECT_EQ(address.address(), "host.docker.internal");
  EXPECT_EQ(address.port_value(), 18000u);
  // xDS is gRPC: the cluster must speak HTTP/2.
  ASSERT_TRUE(xds_cluster.typed_extension_protocol_options().contains(
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"));
  EXPECT_THAT(xds_cluster.typed_extension_protocol_options()
                  .at("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                  .type_url(),
              HasSubstr("HttpProtocolOptions"));

  // The same parser rejects an unknown field in a bootstrap, so the check above means
  // something.
  absl::StatusOr<std::string> bad =
      ParseYamlAs("envoy.config.bootstrap.v3.Bootstrap", text + "\nstatic_resoures: {}\n", path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(Message(bad.status()), HasSubstr("static_resoures"));
}

TEST(ConfigLoaderTest, ValidConfigBuildsSnapshot) {
  absl::StatusOr<Config> config = ParseConfig(kValidConfig, "valid.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->default_snapshot->size(), 4u);
  auto endpoints = Decode<envoy::config::endpoint::v3::ClusterLoadAssignment>(
      config->default_snapshot->Find(kEndpointType, "payments"));
  // A quoted number is still a number for a numeric field.
  EXPECT_EQ(
      endpoints.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().port_value(),
      9000u);
  auto cluster = Decode<envoy::config::cluster::v3::Cluster>(
      config->default_snapshot->Find(kClusterType, "payments"));
  EXPECT_EQ(cluster.connect_timeout().nanos(), 250'000'000);
}

TEST(ConfigLoaderTest, QuotedScalarsStayStrings) {
  // A cluster named "123" and a true-looking string: quoted, they must not become numbers or
  // booleans (protobuf would reject them for a string field).
  absl::StatusOr<Config> config = ParseConfig(R"yaml(
resources:
  clusters:
    - name: "123"
      connect_timeout: 1s
      alt_stat_name: 'true'
)yaml",
                                              "quoted.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  auto cluster = Decode<envoy::config::cluster::v3::Cluster>(
      config->default_snapshot->Find(kClusterType, "123"));
  EXPECT_EQ(cluster.alt_stat_name(), "true");
}

TEST(ConfigLoaderTest, EmptyFileGivesEmptySnapshot) {
  absl::StatusOr<Config> config = ParseConfig("", "empty.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_NE(config->default_snapshot, nullptr);
  EXPECT_EQ(config->default_snapshot->size(), 0u);
}

TEST(ConfigLoaderTest, UnknownFieldNamesFileLineAndPath) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  listeners:
    - name: l
      address:
        socket_address:
          adress: 0.0.0.0
          port_value: 80
)yaml",
                                              "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  // Line 6 is the misspelled key, and the path leads to it.
  EXPECT_THAT(Message(config.status()),
              HasSubstr("bad.yaml:6: listeners[0].address.socket_address.adress: unknown field "
                        "\"adress\" of envoy.config.core.v3.SocketAddress (did you mean "
                        "\"address\"?)"));
}

TEST(ConfigLoaderTest, UnknownFieldInsideTypedConfigNamesItsLine) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  listeners:
    - name: l
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: http
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
                      supress_envoy_headers: true
)yaml",
                                              "any.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("any.yaml:14: listeners[0].filter_chains[0].filters[0]."
                                    "typed_config.http_filters[0].typed_config."
                                    "supress_envoy_headers: unknown field")));
}

TEST(ConfigLoaderTest, BadValueNamesItsLine) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - name: a
      connect_timeout: 5
)yaml",
                                              "value.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre("value.yaml:4: clusters[0].connect_timeout: invalid value \"5\": "
                          "expected a duration such as \"1s\" or \"0.25s\""));
}

TEST(ConfigLoaderTest, DirectoryIgnoresHiddenFilesAndEditorLeftovers) {
  const std::string dir = testing::TempDir() + "/hidden_files_dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.yaml") << kValidConfig;
  std::ofstream(dir + "/a.yaml~") << "not: [yaml";
  std::ofstream(dir + "/.a.yaml.swp") << "\x01binary";
  std::ofstream(dir + "/.hidden.yaml") << "not: [yaml";
  // emacs' lock file: a symbolic link to nowhere.
  std::filesystem::create_symlink("user@host.1234:1", dir + "/.#a.yaml");
  absl::StatusOr<Config> config = LoadConfigFile(dir);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->default_snapshot->size(), 4u);
  EXPECT_FALSE(IsConfigFileName(".#a.yaml"));
  EXPECT_FALSE(IsConfigFileName("a.yaml~"));
  EXPECT_TRUE(IsConfigFileName("a.yaml"));
}

TEST(ConfigLoaderTest, AllowMassRemovalIsATopLevelKey) {
  absl::StatusOr<Config> config = ParseConfig("allow_mass_removal: true\n", "allow.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->allow_mass_removal);
  config = ParseConfig("resources: {}\n", "default.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->allow_mass_removal);
  config = ParseConfig("allow_mass_removal: maybe\n", "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()),
              HasSubstr("bad.yaml:1: allow_mass_removal: must be true or false"));
}

TEST(ConfigLoaderTest, EveryBadResourceIsReported) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - name: a
      conect_timeout: 1s
    - name: b
      connect_timeout: 1s
    - name: c
      typo: 1
)yaml",
                                              "many.yaml");
  ASSERT_FALSE(config.ok());
  std::vector<std::string> errors = ErrorLines(config.status());
  ASSERT_THAT(errors, SizeIs(2)) << config.status();
  EXPECT_THAT(errors[0], HasSubstr("many.yaml:4: clusters[0].conect_timeout: "));
  EXPECT_THAT(errors[0], HasSubstr("conect_timeout"));
  EXPECT_THAT(errors[1], HasSubstr("many.yaml:8: clusters[2].typo: "));
  EXPECT_THAT(errors[1], HasSubstr("typo"));
}

TEST(ConfigLoaderTest, UnknownKeysAndTypesAreErrors) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clustres: []
resource: {}
)yaml",
                                              "keys.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("keys.yaml:2: resources.clustres: unknown resource type"),
                          HasSubstr("keys.yaml:3: resource: unknown key")));
}

TEST(ConfigLoaderTest, YamlSyntaxErrorNamesLine) {
  absl::StatusOr<Config> config = ParseConfig("resources:\n  clusters: [\n", "syntax.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr("syntax.yaml:"));
}

TEST(ConfigLoaderTest, RouteToMissingClusterGivesExactPath) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - { name: payments, connect_timeout: 1s }
  routes:
    - name: main
      virtual_hosts:
        - name: first
          domains: ["a"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: payments }
        - name: second
          domains: ["b"]
          routes:
            - match: { prefix: "/a" }
              route: { cluster: payments }
            - match: { prefix: "/b" }
              route: { cluster: payments }
            - match: { prefix: "/c" }
              redirect: { path_redirect: "/" }
            - match: { prefix: "/d" }
              route:
                cluster: paymnts
)yaml",
                                              "routes.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre("routes.yaml:23: routes[0].virtual_hosts[1].routes[3].route.cluster: "
                          "no cluster named \"paymnts\""));
}

TEST(ConfigLoaderTest, WeightedClusterMustExist) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - { name: a, connect_timeout: 1s }
  routes:
    - name: main
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route:
                weighted_clusters:
                  clusters:
                    - { name: a, weight: 90 }
                    - { name: b, weight: 10 }
)yaml",
                                              "weighted.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre("weighted.yaml:15: routes[0].virtual_hosts[0].routes[0].route."
                          "weighted_clusters.clusters[1].name: no cluster named \"b\""));
}

TEST(ConfigLoaderTest, RdsNameMustExist) {
  std::string text(kValidConfig);
  text.replace(text.find("route_config_name: main"), 23, "route_config_name: mian");
  absl::StatusOr<Config> config = ParseConfig(text, "rds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("listeners[0].filter_chains[0].filters[0].typed_config.rds."
                                    "route_config_name: no route configuration named \"mian\"")));
}

TEST(ConfigLoaderTest, EdsClusterNeedsItsEndpoints) {
  std::string text(kValidConfig);
  text.replace(text.find("cluster_name: payments"), 22, "cluster_name: paymentz");
  absl::StatusOr<Config> config = ParseConfig(text, "eds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      ErrorLines(config.status()),
      ElementsAre(HasSubstr("clusters[0].name: EDS cluster \"payments\" has no endpoints")));
}

TEST(ConfigLoaderTest, EdsServiceNameFindsEndpoints) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - name: payments
      type: EDS
      connect_timeout: 1s
      eds_cluster_config: { service_name: payments-v2, eds_config: { ads: {} } }
  endpoints:
    - cluster_name: payments-v2
)yaml",
                                              "service.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(ConfigLoaderTest, DuplicateNamesAreErrors) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - { name: a, connect_timeout: 1s }
    - { name: a, connect_timeout: 2s }
  endpoints:
    - cluster_name: a
)yaml",
                                              "dup.yaml");
  ASSERT_FALSE(config.ok());
  // A cluster and a ClusterLoadAssignment may share a name; two clusters may not.
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre("dup.yaml:4: clusters[1]: cluster \"a\" is defined twice (first at "
                          "dup.yaml:3: clusters[0])"));
}

TEST(ConfigLoaderTest, ListenersMustNotShareAddress) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  listeners:
    - name: one
      address: { socket_address: { address: 0.0.0.0, port_value: 80 } }
    - name: two
      address: { socket_address: { address: 0.0.0.0, port_value: 80 } }
)yaml",
                                              "ports.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("ports.yaml:6: listeners[1].address: listener \"two\" uses "
                                    "0.0.0.0:80, as listener \"one\" does")));
}

// Finding the line of one error must not disturb the YAML the next error is looked up in.
TEST(ConfigLoaderTest, SeveralErrorsInOneResourceEachGetTheirLine) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(resources:
  clusters:
    - { name: a, connect_timeout: 1s }
  routes:
    - name: main
      virtual_hosts:
        - name: first
          domains: ["a"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: x }
        - name: second
          domains: ["b"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: a }
            - match: { prefix: "/y" }
              route: { cluster: y }
)yaml",
                                              "two.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre("two.yaml:11: routes[0].virtual_hosts[0].routes[0].route.cluster: "
                          "no cluster named \"x\"",
                          "two.yaml:18: routes[0].virtual_hosts[1].routes[1].route.cluster: "
                          "no cluster named \"y\""));
}

TEST(ConfigLoaderTest, JsonConfigIsAccepted) {
  absl::StatusOr<Config> config = ParseConfig(
      R"json({"resources": {"clusters": [{"name": "a", "connect_timeout": "1s",
              "type": "STATIC", "lb_policy": "ROUND_ROBIN"}]}})json",
      "config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_NE(config->default_snapshot->Find(kClusterType, "a"), nullptr);
}

class ConfigDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        std::filesystem::path(::testing::TempDir()) / (std::string("xdsd_config_") + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, std::string_view text) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigDirectoryTest, MergesYamlYmlAndJsonFiles) {
  Write("clusters.yaml",
        "resources:\n  clusters:\n    - { name: payments, connect_timeout: 1s }\n");
  Write("routes.yml", R"yaml(resources:
  routes:
    - name: main
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes: [ { match: { prefix: "/" }, route: { cluster: payments } } ]
)yaml");
  Write("secrets.json", R"({"resources": {"secrets": [{"name": "token",
      "generic_secret": {"secret": {"inline_string": "s3cret"}}}]}})");
  Write("README.md", "not a config file: ignored");

  absl::StatusOr<Config> config = LoadConfigFile(dir_.string());
  ASSERT_TRUE(config.ok()) << config.status();
  const Snapshot& snapshot = *config->default_snapshot;
  EXPECT_NE(snapshot.Find(kClusterType, "payments"), nullptr);
  EXPECT_NE(snapshot.Find(kRouteType, "main"), nullptr);
  EXPECT_NE(snapshot.Find(kSecretType, "token"), nullptr);
  EXPECT_EQ(snapshot.size(), 3u);
}

TEST_F(ConfigDirectoryTest, NameDefinedInTwoFilesIsAnError) {
  Write("a.yaml", "resources:\n  clusters:\n    - { name: payments, connect_timeout: 1s }\n");
  Write("b.yaml", "resources:\n  clusters:\n\n    - { name: payments, connect_timeout: 2s }\n");
  absl::StatusOr<Config> config = LoadConfigFile(dir_.string());
  ASSERT_FALSE(config.ok());
  const std::string a = (dir_ / "a.yaml").string();
  const std::string b = (dir_ / "b.yaml").string();
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(b + ":4: clusters[0]: cluster \"payments\" is defined twice (first at " +
                          a + ":3: clusters[0])"));
}

TEST_F(ConfigDirectoryTest, ErrorsOfEveryFileAreReported) {
  Write("a.yaml", "resources:\n  clusters:\n    - { name: a, conect_timeout: 1s }\n");
  Write("b.yaml", "resources:\n  listeners:\n    - { name: l, adress: {} }\n");
  absl::StatusOr<Config> config = LoadConfigFile(dir_.string());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      ErrorLines(config.status()),
      ElementsAre(HasSubstr((dir_ / "a.yaml").string() + ":3: clusters[0].conect_timeout: "),
                  HasSubstr((dir_ / "b.yaml").string() + ":3: listeners[0].adress: ")));
}

TEST_F(ConfigDirectoryTest, MissingPathIsNotFound) {
  EXPECT_EQ(LoadConfigFile((dir_ / "absent.yaml").string()).status().code(),
            absl::StatusCode::kNotFound);
}

constexpr std::string_view kGroupsConfig = R"yaml(
resources:
  clusters:
    - { name: default-backend, connect_timeout: 1s }
groups:
  - name: edge
    match: { cluster: "edge-*", id: "*" }
    resources:
      clusters:
        - { name: edge-backend, connect_timeout: 1s }
  - name: canary
    match: { id: "canary-?" }
    resources:
      clusters:
        - { name: canary-backend, connect_timeout: 1s }
)yaml";

TEST(ConfigGroupsTest, NodeIsServedFirstMatchingGroup) {
  absl::StatusOr<Config> config = ParseConfig(kGroupsConfig, "groups.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_THAT(config->groups, SizeIs(2));
  EXPECT_EQ(config->groups[0].name, "edge");
  EXPECT_EQ(config->groups[0].cluster_glob, "edge-*");
  EXPECT_EQ(config->groups[1].cluster_glob, "*");  // Not given: matches every cluster.
  EXPECT_EQ(config->groups[1].id_glob, "canary-?");

  EXPECT_EQ(GroupOf(*config, MakeNode("edge-eu", "anything")), "edge");
  // First match wins: an edge node with a canary id is in "edge".
  EXPECT_EQ(GroupOf(*config, MakeNode("edge-us", "canary-1")), "edge");
  EXPECT_EQ(GroupOf(*config, MakeNode("internal", "canary-1")), "canary");
  EXPECT_EQ(GroupOf(*config, MakeNode("internal", "canary-12")), "");
  EXPECT_EQ(GroupOf(*config, MakeNode("edge", "x")), "");  // "edge-*" needs the dash.

  // A group's resources replace the default ones.
  SnapshotPtr edge = SnapshotFor(*config, MakeNode("edge-eu", "x"));
  EXPECT_NE(edge->Find(kClusterType, "edge-backend"), nullptr);
  EXPECT_EQ(edge->Find(kClusterType, "default-backend"), nullptr);
  SnapshotPtr other = SnapshotFor(*config, MakeNode("internal", "x"));
  EXPECT_NE(other->Find(kClusterType, "default-backend"), nullptr);
}

TEST(ConfigGroupsTest, GroupErrorsNameTheGroupPath) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(groups:
  - name: edge
    match: { cluster: "edge-*", zone: "eu" }
  - name: other
    resources:
      routes:
        - name: r
          virtual_hosts:
            - name: v
              domains: ["*"]
              routes: [ { match: { prefix: "/" }, route: { cluster: x } } ]
)yaml",
                                              "groups.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      ErrorLines(config.status()),
      ElementsAre(HasSubstr("groups.yaml:3: groups[0].match.zone: unknown key"),
                  "groups.yaml:11: groups[1].resources.routes[0].virtual_hosts[0].routes[0].route."
                  "cluster: no cluster named \"x\""));
}

TEST(ConfigGroupsTest, AGroupNameCannotHoldTheRolloutKeyMark) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(groups:
  - name: edge@r2
    match: { cluster: "edge-*" }
)yaml",
                                              "groups.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("groups.yaml:2: groups[0].name: a group name cannot contain "
                                    "'@'")));
}

}  // namespace
}  // namespace xdsd::config

namespace xdsd::config {
namespace {

TEST(ConfigTtlTest, ATtlBesideAResourceMakesItExpire) {
  auto config = ParseConfig(R"(resources:
  clusters:
  - name: short-lived
    ttl: 30s
    connect_timeout: 1s
  - name: plain
    connect_timeout: 1s
)",
                            "ttl.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const Snapshot& snapshot = *config->default_snapshot;
  EXPECT_EQ(snapshot.Find(kClusterType, "short-lived")->ttl(), std::chrono::seconds(30));
  EXPECT_EQ(snapshot.Find(kClusterType, "plain")->ttl().count(), 0);
}

TEST(ConfigTtlTest, ABadTtlIsAnErrorWithItsLine) {
  auto config = ParseConfig(R"(resources:
  clusters:
  - name: c
    ttl: soon
)",
                            "ttl.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("ttl.yaml:4: clusters[0].ttl: must be a positive"),
            std::string::npos)
      << config.status().message();
}

TEST(ConfigLoaderTest, AuthorizationRulesAndCsdsIdentitiesAreRead) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(authorization:
  - identity: "spiffe://example.org/ns/edge/*"
    nodes: ["edge-*"]
    clusters: [edge]
  - identity: "*.ops.example.org"
    nodes: ["*"]
csds_identities: ["spiffe://example.org/ops/*"]
)yaml",
                                              "auth.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->authorization.has_value());
  ASSERT_EQ(config->authorization->size(), 2u);
  const AuthorizationRule& edge = (*config->authorization)[0];
  EXPECT_EQ(edge.identity_glob, "spiffe://example.org/ns/edge/*");
  EXPECT_THAT(edge.node_id_globs, ElementsAre("edge-*"));
  EXPECT_THAT(edge.cluster_globs, ElementsAre("edge"));
  EXPECT_EQ(edge.where, "auth.yaml:2");
  EXPECT_TRUE((*config->authorization)[1].cluster_globs.empty());
  ASSERT_TRUE(config->csds_identities.has_value());
  EXPECT_THAT(*config->csds_identities, ElementsAre("spiffe://example.org/ops/*"));
}

TEST(ConfigLoaderTest, NoAuthorizationSectionIsNotAnEmptyOne) {
  absl::StatusOr<Config> absent = ParseConfig("resources: {}\n", "a.yaml");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->authorization.has_value());
  EXPECT_FALSE(absent->csds_identities.has_value());
  absl::StatusOr<Config> empty = ParseConfig("authorization: []\n", "e.yaml");
  ASSERT_TRUE(empty.ok()) << empty.status();
  ASSERT_TRUE(empty->authorization.has_value());
  EXPECT_TRUE(empty->authorization->empty());
}

TEST(ConfigLoaderTest, AuthorizationErrorsNameFileLineAndPath) {
  absl::StatusOr<Config> config = ParseConfig(R"yaml(authorization:
  - identity: "spiffe://a/*"
    node: ["x"]
  - nodes: ["y"]
  - identity: "spiffe://b/*"
    nodes: "z"
csds_identities: "spiffe://ops"
)yaml",
                                              "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(HasSubstr("bad.yaml:3: authorization[0].node: unknown key"),
                          HasSubstr("bad.yaml:4: authorization[1]: a rule needs an identity"),
                          HasSubstr("bad.yaml:6: authorization[2].nodes: must be a list"),
                          HasSubstr("bad.yaml:7: csds_identities: must be a list")));
}

}  // namespace
}  // namespace xdsd::config

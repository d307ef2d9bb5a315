#include "cli/bootstrap.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "config/config_loader.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kBootstrapType[] = "envoy.config.bootstrap.v3.Bootstrap";
constexpr char kHttpOptionsType[] = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

BootstrapOptions Options(std::string node_id) {
  BootstrapOptions options;
  options.node_id = std::move(node_id);
  return options;
}

// The Envoy output of `options`, parsed the way xdsd parses configuration: against the whole v3
// API, unknown fields rejected.
envoy::config::bootstrap::v3::Bootstrap ParseEnvoyBootstrap(const BootstrapOptions& options) {
  const std::string yaml = EnvoyBootstrapYaml(options);
  absl::StatusOr<std::string> bytes = config::ParseYamlAs(kBootstrapType, yaml, "bootstrap.yaml");
  envoy::config::bootstrap::v3::Bootstrap bootstrap;
  EXPECT_TRUE(bytes.ok()) << bytes.status() << "\n" << yaml;
  if (bytes.ok()) {
    EXPECT_TRUE(bootstrap.ParseFromString(*bytes));
  }
  return bootstrap;
}

const envoy::config::core::v3::SocketAddress& XdsClusterAddress(
    const envoy::config::cluster::v3::Cluster& cluster) {
  return cluster.load_assignment()
      .endpoints(0)
      .lb_endpoints(0)
      .endpoint()
      .address()
      .socket_address();
}

TEST(BootstrapTest, EnvoyBootstrapGetsEverythingOverAdsFromXdsd) {
  BootstrapOptions options = Options("n1");
  options.node_cluster = "edge";
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
  EXPECT_EQ(bootstrap.node().id(), "n1");
  EXPECT_EQ(bootstrap.node().cluster(), "edge");
  EXPECT_EQ(bootstrap.admin().address().socket_address().address(), "0.0.0.0");
  EXPECT_EQ(bootstrap.admin().address().socket_address().port_value(), 19000u);

  const auto& ads = bootstrap.dynamic_resources().ads_config();
  EXPECT_EQ(ads.api_type(), envoy::config::core::v3::ApiConfigSource::GRPC);
  EXPECT_EQ(ads.transport_api_version(), envoy::config::core::v3::V3);
  ASSERT_EQ(ads.grpc_services_size(), 1);
  EXPECT_EQ(ads.grpc_services(0).envoy_grpc().cluster_name(), "xds_cluster");
  EXPECT_TRUE(ads.set_node_on_first_message_only());
  for (const auto* source :
       {&bootstrap.dynamic_resources().cds_config(), &bootstrap.dynamic_resources().lds_config()}) {
    EXPECT_TRUE(source->has_ads());
    EXPECT_EQ(source->resource_api_version(), envoy::config::core::v3::V3);
  }
}

TEST(BootstrapTest, EnvoyXdsClusterIsStaticHttp2ToLocalhostByDefault) {
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(Options("n1"));
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const envoy::config::cluster::v3::Cluster& cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(cluster.name(), "xds_cluster");
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STATIC);
  EXPECT_EQ(cluster.connect_timeout().seconds(), 1);
  ASSERT_EQ(cluster.load_assignment().endpoints_size(), 1);
  ASSERT_EQ(cluster.load_assignment().endpoints(0).lb_endpoints_size(), 1);
  EXPECT_EQ(XdsClusterAddress(cluster).address(), "127.0.0.1");
  EXPECT_EQ(XdsClusterAddress(cluster).port_value(), 18000u);

  // xDS is gRPC: without HTTP/2 to xds_cluster Envoy never gets a response.
  ASSERT_TRUE(cluster.typed_extension_protocol_options().contains(kHttpOptionsType));
  const google::protobuf::Any& any =
      cluster.typed_extension_protocol_options().at(kHttpOptionsType);
  EXPECT_EQ(any.type_url(), std::string("type.googleapis.com/") + kHttpOptionsType);
  absl::StatusOr<std::string> json =
      api::EnvoyApi::Get().BinaryToJson(kHttpOptionsType, any.value());
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json http_options = nlohmann::json::parse(*json);
  EXPECT_TRUE(http_options["explicit_http_config"]["http2_protocol_options"].is_object()) << *json;
}

TEST(BootstrapTest, EnvoyXdsClusterOnDockerHostIsStrictDns) {
  BootstrapOptions options = Options("n1");
  options.xds_host = std::string(kDockerHost);
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const envoy::config::cluster::v3::Cluster& cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STRICT_DNS);
  EXPECT_EQ(XdsClusterAddress(cluster).address(), "host.docker.internal");
  EXPECT_EQ(XdsClusterAddress(cluster).port_value(), 18000u);
}

TEST(BootstrapTest, EnvoyXdsClusterOnIpv6AddressIsStatic) {
  BootstrapOptions options = Options("n1");
  options.xds_host = "::1";
  options.xds_port = 18001;
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const envoy::config::cluster::v3::Cluster& cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STATIC);
  EXPECT_EQ(XdsClusterAddress(cluster).address(), "::1");
  EXPECT_EQ(XdsClusterAddress(cluster).port_value(), 18001u);
}

TEST(BootstrapTest, NodeIdThatLooksLikeYamlStaysAString) {
  for (const std::string id : {"1", "yes", "null", "a: b", "quote\" and \\ back", "#x", "ünï"}) {
    BootstrapOptions options = Options(id);
    options.node_cluster = "[c]";
    const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
    EXPECT_EQ(bootstrap.node().id(), id);
    EXPECT_EQ(bootstrap.node().cluster(), "[c]");
  }
}

TEST(BootstrapTest, ParserUsedAboveRejectsUnknownFields) {
  // So that the tests above mean something: a misspelt field in a bootstrap is an error.
  const std::string yaml = EnvoyBootstrapYaml(Options("n1")) + "static_resoures: {}\n";
  absl::StatusOr<std::string> bytes = config::ParseYamlAs(kBootstrapType, yaml, "b.yaml");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("static_resoures"));
}

TEST(BootstrapTest, GrpcBootstrapIsJsonWithOneInsecureV3Server) {
  BootstrapOptions options = Options("client-0");
  options.format = BootstrapOptions::Format::kGrpc;
  const std::string text = RenderBootstrap(options);
  ASSERT_TRUE(nlohmann::json::accept(text)) << text;
  const nlohmann::json json = nlohmann::json::parse(text);
  ASSERT_TRUE(json["xds_servers"].is_array());
  ASSERT_EQ(json["xds_servers"].size(), 1u);
  const nlohmann::json& server = json["xds_servers"][0];
  EXPECT_EQ(server["server_uri"], "127.0.0.1:18000");
  EXPECT_EQ(server["channel_creds"], nlohmann::json::parse(R"([{"type": "insecure"}])"));
  EXPECT_EQ(server["server_features"], nlohmann::json::parse(R"(["xds_v3"])"));
  EXPECT_EQ(json["node"]["id"], "client-0");
  EXPECT_EQ(json["node"]["cluster"], "xdsd");
  EXPECT_EQ(json["node"]["locality"], nlohmann::json::object());
  // Pretty-printed, and one line at the end, for a file or a terminal.
  EXPECT_THAT(text, HasSubstr("\n  \"node\": {\n"));
  EXPECT_EQ(text.back(), '\n');
}

BootstrapOptions MutualTlsOptions() {
  BootstrapOptions options = Options("edge-1");
  options.xds_host = "xdsd.example.org";
  options.tls_ca = "/etc/xdsd/ca.pem";
  options.tls_cert = "/etc/envoy/client.pem";
  options.tls_key = "/etc/envoy/client.key";
  return options;
}

TEST(BootstrapTest, EnvoyXdsClusterSpeaksMutualTlsWithFileCertificates) {
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(MutualTlsOptions());
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const envoy::config::cluster::v3::Cluster& cluster = bootstrap.static_resources().clusters(0);
  ASSERT_TRUE(cluster.has_transport_socket());
  EXPECT_EQ(cluster.transport_socket().name(), "envoy.transport_sockets.tls");
  envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext tls;
  ASSERT_TRUE(cluster.transport_socket().typed_config().UnpackTo(&tls));
  EXPECT_EQ(tls.sni(), "xdsd.example.org");
  const auto& common = tls.common_tls_context();
  EXPECT_EQ(common.validation_context().trusted_ca().filename(), "/etc/xdsd/ca.pem");
  ASSERT_EQ(common.tls_certificates_size(), 1);
  EXPECT_EQ(common.tls_certificates(0).certificate_chain().filename(), "/etc/envoy/client.pem");
  EXPECT_EQ(common.tls_certificates(0).private_key().filename(), "/etc/envoy/client.key");
  EXPECT_EQ(common.tls_params().tls_minimum_protocol_version(),
            envoy::extensions::transport_sockets::tls::v3::TlsParameters::TLSv1_2);
}

TEST(BootstrapTest, EnvoyXdsClusterWithOnlyCaIsServerAuthenticatedTls) {
  BootstrapOptions options = MutualTlsOptions();
  options.tls_cert.clear();
  options.tls_key.clear();
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
  envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext tls;
  ASSERT_TRUE(
      bootstrap.static_resources().clusters(0).transport_socket().typed_config().UnpackTo(&tls));
  EXPECT_EQ(tls.common_tls_context().validation_context().trusted_ca().filename(),
            "/etc/xdsd/ca.pem");
  EXPECT_EQ(tls.common_tls_context().tls_certificates_size(), 0);
}

TEST(BootstrapTest, EnvoyXdsClusterIsPlaintextWithoutTlsFlags) {
  const envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(Options("n1"));
  EXPECT_FALSE(bootstrap.static_resources().clusters(0).has_transport_socket());
}

TEST(BootstrapTest, GrpcBootstrapHasTlsChannelCredsOfGrfcA65) {
  BootstrapOptions options = MutualTlsOptions();
  options.format = BootstrapOptions::Format::kGrpc;
  const nlohmann::json json = nlohmann::json::parse(RenderBootstrap(options));
  EXPECT_EQ(json["xds_servers"][0]["server_uri"], "xdsd.example.org:18000");
  EXPECT_EQ(json["xds_servers"][0]["channel_creds"], nlohmann::json::parse(R"([{
    "type": "tls",
    "config": {"ca_certificate_file": "/etc/xdsd/ca.pem",
               "certificate_file": "/etc/envoy/client.pem",
               "private_key_file": "/etc/envoy/client.key"}}])"));
}

TEST(BootstrapTest, GrpcServerUriPutsIpv6InBrackets) {
  BootstrapOptions options = Options("c");
  options.xds_host = "::1";
  options.xds_port = 5;
  EXPECT_EQ(nlohmann::json::parse(GrpcBootstrapJson(options))["xds_servers"][0]["server_uri"],
            "[::1]:5");
  options.xds_host = std::string(kDockerHost);
  EXPECT_EQ(nlohmann::json::parse(GrpcBootstrapJson(options))["xds_servers"][0]["server_uri"],
            "host.docker.internal:5");
}

TEST(BootstrapTest, EnvoyReachesEveryReplicaThroughOneXdsCluster) {
  BootstrapOptions options = Options("n1");
  options.xds_host = "10.0.0.1";
  options.other_replicas = {{"10.0.0.2", 18000}, {"::1", 18001}};
  envoy::config::bootstrap::v3::Bootstrap bootstrap = ParseEnvoyBootstrap(options);
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const envoy::config::cluster::v3::Cluster& cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(cluster.name(), "xds_cluster");
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STATIC);
  ASSERT_EQ(cluster.load_assignment().endpoints_size(), 1);
  std::vector<std::string> endpoints;
  for (const auto& endpoint : cluster.load_assignment().endpoints(0).lb_endpoints()) {
    const auto& address = endpoint.endpoint().address().socket_address();
    endpoints.push_back(absl::StrCat(address.address(), " ", address.port_value()));
  }
  EXPECT_THAT(endpoints, ::testing::ElementsAre("10.0.0.1 18000", "10.0.0.2 18000", "::1 18001"));
  // One host name among them: Envoy resolves the names.
  options.other_replicas[0].host = "xdsd-b.internal";
  EXPECT_EQ(ParseEnvoyBootstrap(options).static_resources().clusters(0).type(),
            envoy::config::cluster::v3::Cluster::STRICT_DNS);
}

TEST(BootstrapTest, GrpcDialsOneTargetThatListsEveryReplica) {
  BootstrapOptions options = Options("c");
  options.format = BootstrapOptions::Format::kGrpc;
  options.xds_host = "127.0.0.1";
  options.xds_port = 18000;
  options.other_replicas = {{"127.0.0.2", 18000}, {"127.0.0.3", 18001}};
  ASSERT_TRUE(CheckGrpcTarget(options).ok());
  const nlohmann::json json = nlohmann::json::parse(GrpcBootstrapJson(options));
  ASSERT_EQ(json["xds_servers"].size(), 1u);
  EXPECT_EQ(json["xds_servers"][0]["server_uri"],
            "ipv4:127.0.0.1:18000,127.0.0.2:18000,127.0.0.3:18001");
  options.xds_host = "::1";
  options.other_replicas = {{"::2", 18000}};
  EXPECT_EQ(nlohmann::json::parse(GrpcBootstrapJson(options))["xds_servers"][0]["server_uri"],
            "ipv6:[::1]:18000,[::2]:18000");

  // No one target reaches host names or both families: refused, saying what works.
  for (const std::string other : {"xdsd-b.internal", "127.0.0.2"}) {
    options.other_replicas = {{other, 18000}};
    const absl::Status refused = CheckGrpcTarget(options);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("one DNS name")) << other;
  }
  options.format = BootstrapOptions::Format::kEnvoy;
  EXPECT_TRUE(CheckGrpcTarget(options).ok());
}

TEST(BootstrapTest, RenderBootstrapPicksTheFormat) {
  BootstrapOptions options = Options("n1");
  EXPECT_EQ(RenderBootstrap(options), EnvoyBootstrapYaml(options));
  options.format = BootstrapOptions::Format::kGrpc;
  EXPECT_EQ(RenderBootstrap(options), GrpcBootstrapJson(options) + "\n");
}

TEST(XdsAddressTest, EmptyMeansTheDefaults) {
  absl::StatusOr<XdsAddress> address = ParseXdsAddress("", {"d", 7});
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host, "d");
  EXPECT_EQ(address->port, 7);
}

TEST(XdsAddressTest, EveryFormTakesWhatItGives) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c :
       {Case{"xdsd.internal:18001", "xdsd.internal", 18001}, Case{"10.0.0.1:5", "10.0.0.1", 5},
        Case{"[::1]:6", "::1", 6}, Case{"[fe80::1]", "fe80::1", 7}, Case{":8", "d", 8},
        Case{"my_host", "my_host", 7}}) {
    absl::StatusOr<XdsAddress> address = ParseXdsAddress(c.text, {"d", 7});
    ASSERT_TRUE(address.ok()) << c.text << ": " << address.status();
    EXPECT_EQ(address->host, c.host) << c.text;
    EXPECT_EQ(address->port, c.port) << c.text;
  }
}

TEST(XdsAddressTest, MalformedAddressIsRejectedNamingTheFlag) {
  for (const char* text : {"::1", "[::1", "[::1]x", "[10.0.0.1]:5", "host:", "host:0", "host:65536",
                           "host:http", "a b:1", "http://host:1"}) {
    absl::StatusOr<XdsAddress> address = ParseXdsAddress(text, {"d", 7});
    ASSERT_FALSE(address.ok()) << text;
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(address.status().message()), HasSubstr("--xds-address")) << text;
  }
}

TEST(XdsAddressTest, IpAddressesAreToldFromHostNames) {
  EXPECT_TRUE(IsIpAddress("127.0.0.1"));
  EXPECT_TRUE(IsIpAddress("::1"));
  EXPECT_FALSE(IsIpAddress("host.docker.internal"));
  EXPECT_FALSE(IsIpAddress("localhost"));
  EXPECT_FALSE(IsIpAddress("1.2.3"));
}

}  // namespace
}  // namespace xdsd::cli

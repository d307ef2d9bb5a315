// The configs under examples/ are what users copy: each must load as it is in the tree, and
// must do what its comments say it does.

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gtest/gtest.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::config {
namespace {

namespace fs = std::filesystem;
using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy;
using envoy::extensions::transport_sockets::tls::v3::Secret;
using envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext;

const std::string kExamples = XDSD_EXAMPLES_DIR;

// Loads examples/<name> (a file or a directory); fails the test when it does not load.
Config Load(const std::string& name) {
  absl::StatusOr<Config> config = LoadConfigFile(kExamples + "/" + name);
  EXPECT_TRUE(config.ok()) << name << ": " << std::string(config.status().message());
  return config.ok() ? *std::move(config) : Config{};
}

// The resource of `type_url` named `name` in `snapshot`, decoded as T. Fails the test when it
// is missing or does not decode.
template <typename T>
T Get(const SnapshotPtr& snapshot, std::string_view type_url, std::string_view name) {
  T message;
  ResourcePtr resource = snapshot == nullptr ? nullptr : snapshot->Find(type_url, name);
  EXPECT_NE(resource, nullptr) << "no " << TypeShortName(type_url) << " named " << name;
  if (resource != nullptr) {
    EXPECT_TRUE(message.ParseFromArray(resource->bytes().data(),
                                       static_cast<int>(resource->bytes().size())))
        << name;
  }
  return message;
}

bool Has(const SnapshotPtr& snapshot, std::string_view type_url, std::string_view name) {
  return snapshot != nullptr && snapshot->Find(type_url, name) != nullptr;
}

// The HTTP connection manager of a listener's first filter chain.
HttpConnectionManager FirstChainHcm(const Listener& listener) {
  HttpConnectionManager hcm;
  EXPECT_GT(listener.filter_chains_size(), 0) << listener.name();
  if (listener.filter_chains_size() == 0) return hcm;
  const auto& chain = listener.filter_chains(0);
  EXPECT_GT(chain.filters_size(), 0) << listener.name();
  if (chain.filters_size() == 0) return hcm;
  EXPECT_TRUE(chain.filters(0).typed_config().UnpackTo(&hcm)) << listener.name();
  return hcm;
}

// The number of endpoints of a ClusterLoadAssignment, over all its localities.
int EndpointCount(const ClusterLoadAssignment& assignment) {
  int count = 0;
  for (const auto& locality : assignment.endpoints()) count += locality.lb_endpoints_size();
  return count;
}

envoy::config::core::v3::Node NodeOf(const std::string& cluster, const std::string& id) {
  envoy::config::core::v3::Node node;
  node.set_cluster(cluster);
  node.set_id(id);
  return node;
}

// ------------------------------------------------------------------------------------------

TEST(ExamplesTest, EveryExampleLoads) {
  std::set<std::string> loaded;
  for (const fs::directory_entry& entry : fs::directory_iterator(kExamples)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    Config config = Load(name);
    ASSERT_NE(config.default_snapshot, nullptr);
    EXPECT_GT(config.default_snapshot->size(), 0u);
    loaded.insert(name);
  }
  // The directory listing found the examples (and not, say, an empty directory).
  for (const char* name :
       {"demo.yaml", "canary.yaml", "grpc-proxyless.yaml", "tls-upstream.yaml"}) {
    EXPECT_TRUE(loaded.contains(name)) << name;
  }

  Config groups = Load("groups");
  ASSERT_NE(groups.default_snapshot, nullptr);
  EXPECT_GT(groups.default_snapshot->size(), 0u);
  ASSERT_EQ(groups.groups.size(), 2u);
  for (const NodeGroup& group : groups.groups) {
    ASSERT_NE(group.snapshot, nullptr) << group.name;
    EXPECT_GT(group.snapshot->size(), 0u) << group.name;
  }
}

TEST(ExamplesTest, CanarySplitsNinetyTenBetweenTwoEdsClusters) {
  Config config = Load("canary.yaml");
  const SnapshotPtr& snapshot = config.default_snapshot;
  ASSERT_NE(snapshot, nullptr);

  auto listener = Get<Listener>(snapshot, kListenerType, "web_listener");
  EXPECT_EQ(listener.address().socket_address().address(), "0.0.0.0");
  EXPECT_EQ(listener.address().socket_address().port_value(), 10000u);
  HttpConnectionManager hcm = FirstChainHcm(listener);
  EXPECT_EQ(hcm.rds().route_config_name(), "web_route");
  EXPECT_TRUE(hcm.rds().config_source().has_ads());

  auto routes = Get<RouteConfiguration>(snapshot, kRouteType, "web_route");
  ASSERT_EQ(routes.virtual_hosts_size(), 1);
  ASSERT_EQ(routes.virtual_hosts(0).routes_size(), 1);
  const auto& action = routes.virtual_hosts(0).routes(0).route();
  ASSERT_TRUE(action.has_weighted_clusters());
  const auto& weighted = action.weighted_clusters();
  ASSERT_EQ(weighted.clusters_size(), 2);
  EXPECT_EQ(weighted.clusters(0).name(), "web-stable");
  EXPECT_EQ(weighted.clusters(0).weight().value(), 90u);
  EXPECT_EQ(weighted.clusters(1).name(), "web-canary");
  EXPECT_EQ(weighted.clusters(1).weight().value(), 10u);
  // The weights are shares of their sum: 90% and 10%.
  EXPECT_EQ(weighted.clusters(0).weight().value() + weighted.clusters(1).weight().value(), 100u);

  for (const char* name : {"web-stable", "web-canary"}) {
    SCOPED_TRACE(name);
    auto cluster = Get<Cluster>(snapshot, kClusterType, name);
    EXPECT_EQ(cluster.type(), Cluster::EDS);
    EXPECT_TRUE(cluster.eds_cluster_config().eds_config().has_ads());
    auto assignment = Get<ClusterLoadAssignment>(snapshot, kEndpointType, name);
    EXPECT_GE(EndpointCount(assignment), 2);
  }
}

TEST(ExamplesTest, GrpcProxylessListenerIsAnApiListenerNamedAsTheTarget) {
  Config config = Load("grpc-proxyless.yaml");
  const SnapshotPtr& snapshot = config.default_snapshot;
  ASSERT_NE(snapshot, nullptr);

  // xds:///echo.example asks for the listener "echo.example".
  auto listener = Get<Listener>(snapshot, kListenerType, "echo.example");
  ASSERT_TRUE(listener.has_api_listener());
  EXPECT_FALSE(listener.has_address());
  EXPECT_EQ(listener.filter_chains_size(), 0);
  HttpConnectionManager hcm;
  ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
  EXPECT_TRUE(hcm.rds().config_source().has_ads());

  // gRPC requires the router filter, last.
  ASSERT_GT(hcm.http_filters_size(), 0);
  const auto& last = hcm.http_filters(hcm.http_filters_size() - 1);
  EXPECT_TRUE(last.typed_config().Is<envoy::extensions::filters::http::router::v3::Router>());

  auto routes = Get<RouteConfiguration>(snapshot, kRouteType, hcm.rds().route_config_name());
  ASSERT_GT(routes.virtual_hosts_size(), 0);
  ASSERT_GT(routes.virtual_hosts(0).routes_size(), 0);
  const std::string& cluster_name = routes.virtual_hosts(0).routes(0).route().cluster();
  EXPECT_EQ(cluster_name, "echo-server");

  auto cluster = Get<Cluster>(snapshot, kClusterType, cluster_name);
  EXPECT_EQ(cluster.type(), Cluster::EDS);
  EXPECT_EQ(cluster.lb_policy(), Cluster::ROUND_ROBIN);
  EXPECT_TRUE(cluster.eds_cluster_config().eds_config().has_ads());

  // gRPC drops a locality of weight 0 (or none): every one must have a weight.
  auto assignment = Get<ClusterLoadAssignment>(snapshot, kEndpointType, cluster_name);
  ASSERT_GT(assignment.endpoints_size(), 0);
  for (const auto& locality : assignment.endpoints()) {
    SCOPED_TRACE(locality.locality().zone());
    EXPECT_GT(locality.load_balancing_weight().value(), 0u);
    ASSERT_GT(locality.lb_endpoints_size(), 0);
    for (const auto& endpoint : locality.lb_endpoints()) {
      EXPECT_GT(endpoint.load_balancing_weight().value(), 0u);
    }
  }
}

TEST(ExamplesTest, TlsUpstreamClusterVerifiesWithTheSdsSecret) {
  Config config = Load("tls-upstream.yaml");
  const SnapshotPtr& snapshot = config.default_snapshot;
  ASSERT_NE(snapshot, nullptr);

  auto listener = Get<Listener>(snapshot, kListenerType, "egress_listener");
  HttpConnectionManager hcm = FirstChainHcm(listener);
  auto routes = Get<RouteConfiguration>(snapshot, kRouteType, hcm.rds().route_config_name());
  ASSERT_GT(routes.virtual_hosts_size(), 0);
  ASSERT_GT(routes.virtual_hosts(0).routes_size(), 0);
  const std::string& cluster_name = routes.virtual_hosts(0).routes(0).route().cluster();

  auto cluster = Get<Cluster>(snapshot, kClusterType, cluster_name);
  EXPECT_EQ(cluster.transport_socket().name(), "envoy.transport_sockets.tls");
  UpstreamTlsContext tls;
  ASSERT_TRUE(cluster.transport_socket().typed_config().UnpackTo(&tls));
  EXPECT_EQ(tls.sni(), "www.example.com");
  // The SNI is the host the cluster connects to, and the name its certificate must carry.
  EXPECT_EQ(cluster.load_assignment()
                .endpoints(0)
                .lb_endpoints(0)
                .endpoint()
                .address()
                .socket_address()
                .address(),
            tls.sni());
  const auto& validation = tls.common_tls_context().combined_validation_context();
  ASSERT_EQ(validation.default_validation_context().match_typed_subject_alt_names_size(), 1);
  EXPECT_EQ(
      validation.default_validation_context().match_typed_subject_alt_names(0).matcher().exact(),
      tls.sni());

  const auto& sds = validation.validation_context_sds_secret_config();
  EXPECT_EQ(sds.name(), "system-ca");
  EXPECT_TRUE(sds.sds_config().has_ads());
  auto secret = Get<Secret>(snapshot, kSecretType, sds.name());
  ASSERT_TRUE(secret.has_validation_context());
  EXPECT_EQ(secret.validation_context().trusted_ca().filename(),
            "/etc/ssl/certs/ca-certificates.crt");
}

TEST(ExamplesTest, GroupsDirectoryServesEachNodeClusterItsOwnSet) {
  Config config = Load("groups");
  ASSERT_EQ(config.groups.size(), 2u);

  EXPECT_EQ(GroupOf(config, NodeOf("edge-1", "envoy-a")), "edge");
  EXPECT_EQ(GroupOf(config, NodeOf("edge-eu-west", "envoy-b")), "edge");
  EXPECT_EQ(GroupOf(config, NodeOf("internal-7", "envoy-c")), "internal");
  EXPECT_EQ(GroupOf(config, NodeOf("other", "envoy-d")), "");
  // The globs match the whole of node.cluster: "edge" alone is not "edge-*".
  EXPECT_EQ(GroupOf(config, NodeOf("edge", "envoy-e")), "");
  EXPECT_EQ(GroupOf(config, NodeOf("demo", "envoy-demo-0")), "");  // examples/envoy's node

  // Each node gets its group's resources and none of the defaults (a group replaces them).
  SnapshotPtr edge = SnapshotFor(config, NodeOf("edge-1", "envoy-a"));
  SnapshotPtr internal = SnapshotFor(config, NodeOf("internal-7", "envoy-c"));
  SnapshotPtr other = SnapshotFor(config, NodeOf("other", "envoy-d"));
  ASSERT_NE(edge, nullptr);
  ASSERT_NE(internal, nullptr);
  ASSERT_NE(other, nullptr);

  EXPECT_TRUE(Has(edge, kListenerType, "edge_http"));
  EXPECT_FALSE(Has(edge, kListenerType, "default_http"));
  EXPECT_FALSE(Has(edge, kListenerType, "internal_http"));

  EXPECT_TRUE(Has(internal, kListenerType, "internal_http"));
  EXPECT_TRUE(Has(internal, kListenerType, "internal_postgres"));
  EXPECT_FALSE(Has(internal, kListenerType, "default_http"));
  EXPECT_FALSE(Has(internal, kListenerType, "edge_http"));

  EXPECT_TRUE(Has(other, kListenerType, "default_http"));
  EXPECT_FALSE(Has(other, kListenerType, "edge_http"));
  EXPECT_FALSE(Has(other, kListenerType, "internal_http"));

  // The edge sends /api/ and / to two EDS clusters, whose endpoints come from endpoints.yaml.
  auto edge_routes = Get<RouteConfiguration>(edge, kRouteType, "edge_route");
  ASSERT_EQ(edge_routes.virtual_hosts_size(), 1);
  std::vector<std::string> edge_clusters;
  for (const auto& route : edge_routes.virtual_hosts(0).routes()) {
    edge_clusters.push_back(route.route().cluster());
  }
  EXPECT_TRUE((edge_clusters == std::vector<std::string>{"api", "web"}));
  for (const std::string& name : edge_clusters) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Get<Cluster>(edge, kClusterType, name).type(), Cluster::EDS);
    EXPECT_GE(EndpointCount(Get<ClusterLoadAssignment>(edge, kEndpointType, name)), 1);
  }

  // The internal group proxies TCP to its database.
  auto postgres = Get<Listener>(internal, kListenerType, "internal_postgres");
  ASSERT_GT(postgres.filter_chains_size(), 0);
  ASSERT_GT(postgres.filter_chains(0).filters_size(), 0);
  TcpProxy tcp_proxy;
  ASSERT_TRUE(postgres.filter_chains(0).filters(0).typed_config().UnpackTo(&tcp_proxy));
  EXPECT_EQ(tcp_proxy.cluster(), "postgres");
  EXPECT_GE(EndpointCount(Get<ClusterLoadAssignment>(internal, kEndpointType, "postgres")), 1);

  // Both groups have a cluster "api"; they are different resources.
  EXPECT_EQ(Get<Cluster>(edge, kClusterType, "api").lb_policy(), Cluster::LEAST_REQUEST);
  EXPECT_EQ(Get<Cluster>(internal, kClusterType, "api").lb_policy(), Cluster::ROUND_ROBIN);

  // The defaults serve a STATIC cluster: nothing to fetch over EDS.
  EXPECT_EQ(Get<Cluster>(other, kClusterType, "web").type(), Cluster::STATIC);
  EXPECT_EQ(other->Resources(kEndpointType).size(), 0u);
}

}  // namespace
}  // namespace xdsd::config

// The on-demand resource kinds of the config file: scoped routes (SRDS), extension configs
// (ECDS) and the virtual hosts of route configurations with `vhds` (VHDS).

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "config/config_loader.h"
#include "envoy/config/core/v3/extension.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/config/route/v3/scoped_route.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::config {
namespace {

using envoy::config::core::v3::TypedExtensionConfig;
using envoy::config::route::v3::RouteConfiguration;
using envoy::config::route::v3::ScopedRouteConfiguration;
using envoy::config::route::v3::VirtualHost;
using ::testing::ElementsAre;

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

std::vector<std::string> ErrorLines(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n');
}

// The 1-based line of `text` that first contains `needle` (0 when none does): errors are
// checked against the line they must name without counting lines by hand.
int LineContaining(const std::string& text, const std::string& needle) {
  int line = 1;
  for (absl::string_view row : absl::StrSplit(text, '\n')) {
    if (row.find(needle) != absl::string_view::npos) return line;
    ++line;
  }
  return 0;
}

// A listener whose HCM takes routes from RDS and runs one ECDS filter, named FILTER_NAME,
// accepting TYPE_URLS.
std::string ListenerWithEcdsFilter(const std::string& filter_name, const std::string& type_urls) {
  return absl::StrCat(R"yaml(
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
                  - name: envoy.filters.http.on_demand
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.on_demand.v3.OnDemand
                  - name: )yaml",
                      filter_name, R"yaml(
                    config_discovery:
                      config_source: { ads: {} }
                      type_urls: )yaml",
                      type_urls, R"yaml(
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
)yaml");
}

constexpr char kClustersAndMainRoute[] = R"yaml(
  clusters:
    - { name: web, connect_timeout: 1s }
    - { name: api, connect_timeout: 1s }
  routes:
    - name: main
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: web }
)yaml";

constexpr char kLuaExtension[] = R"yaml(
  extension_configs:
    - name: add-header
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
        default_source_code: { inline_string: "function envoy_on_response(h) end" }
)yaml";

constexpr char kLuaType[] = "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua";

// ---------------------------------------------------------------------------------------
// SRDS.

TEST(ScopedRoutesConfigTest, ScopedRoutesLoadAsScopedRouteConfigurations) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  scoped_routes:
    - name: tenant-a
      route_configuration_name: main
      key: { fragments: [ { string_key: a } ] }
    - name: tenant-b
      route_configuration_name: main
      key: { fragments: [ { string_key: b } ] }
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "scopes.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  const Snapshot& snapshot = *config->default_snapshot;
  ASSERT_EQ(snapshot.Resources(kScopedRouteType).size(), 2u);
  ResourcePtr scope = snapshot.Find(kScopedRouteType, "tenant-b");
  ASSERT_NE(scope, nullptr);
  EXPECT_EQ(scope->type_url(), kScopedRouteType);
  EXPECT_EQ(scope->name(), "tenant-b");
  auto decoded = Decode<ScopedRouteConfiguration>(scope);
  EXPECT_EQ(decoded.route_configuration_name(), "main");
  ASSERT_EQ(decoded.key().fragments_size(), 1);
  EXPECT_EQ(decoded.key().fragments(0).string_key(), "b");
}

TEST(ScopedRoutesConfigTest, ScopeToMissingRouteConfigurationNamesFileLineAndPath) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  scoped_routes:
    - name: tenant-a
      route_configuration_name: main
      key: { fragments: [ { string_key: a } ] }
    - name: tenant-b
      route_configuration_name: mian
      key: { fragments: [ { string_key: b } ] }
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "scopes.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat(
                  "scopes.yaml:", LineContaining(text, "route_configuration_name: mian"),
                  ": scoped_routes[1].route_configuration_name: no route "
                  "configuration named \"mian\"")));
}

TEST(ScopedRoutesConfigTest, ScopeWithNeitherNameNorInlineRoutesIsAnError) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  scoped_routes:
    - name: lonely
      key: { fragments: [ { string_key: a } ] }
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "scopes.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat("scopes.yaml:", LineContaining(text, "name: lonely"),
                                       ": scoped_routes[0]: scoped route configuration "
                                       "\"lonely\" needs a route_configuration_name or a "
                                       "route_configuration")));
}

TEST(ScopedRoutesConfigTest, HcmWithScopedRdsIsAccepted) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  scoped_routes:
    - name: tenant-a
      route_configuration_name: main
      key: { fragments: [ { string_key: a } ] }
  listeners:
    - name: scoped
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: scoped
                scoped_routes:
                  name: tenants
                  scope_key_builder:
                    fragments:
                      - header_value_extractor: { name: x-tenant, element_separator: ",", index: 0 }
                  rds_config_source: { ads: {} }
                  scoped_rds: { scoped_rds_config_source: { ads: {} } }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "srds.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  EXPECT_NE(config->default_snapshot->Find(kListenerType, "scoped"), nullptr);
  EXPECT_NE(config->default_snapshot->Find(kScopedRouteType, "tenant-a"), nullptr);
}

TEST(ScopedRoutesConfigTest, InlineScopesOfAnHcmAreChecked) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  listeners:
    - name: scoped
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: scoped
                scoped_routes:
                  name: tenants
                  scope_key_builder:
                    fragments:
                      - header_value_extractor: { name: x-tenant, index: 0 }
                  rds_config_source: { ads: {} }
                  scoped_route_configurations_list:
                    scoped_route_configurations:
                      - name: a
                        route_configuration_name: main
                        key: { fragments: [ { string_key: a } ] }
                      - name: b
                        route_configuration_name: missing
                        key: { fragments: [ { string_key: b } ] }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "srds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat(
                  "srds.yaml:", LineContaining(text, "route_configuration_name: missing"),
                  ": listeners[0].filter_chains[0].filters[0].typed_config.scoped_routes."
                  "scoped_route_configurations_list.scoped_route_configurations[1]."
                  "route_configuration_name: no route configuration named \"missing\"")));
}

// ---------------------------------------------------------------------------------------
// ECDS.

TEST(ExtensionConfigsTest, ExtensionConfigsLoadAsTypedExtensionConfigs) {
  std::string text =
      absl::StrCat("resources:", kClustersAndMainRoute, kLuaExtension,
                   ListenerWithEcdsFilter("add-header", absl::StrCat("[", kLuaType, "]")));
  absl::StatusOr<Config> config = ParseConfig(text, "ecds.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  ResourcePtr extension = config->default_snapshot->Find(kExtensionConfigType, "add-header");
  ASSERT_NE(extension, nullptr);
  EXPECT_EQ(extension->type_url(), kExtensionConfigType);
  EXPECT_EQ(extension->name(), "add-header");
  auto decoded = Decode<TypedExtensionConfig>(extension);
  EXPECT_EQ(decoded.name(), "add-header");
  EXPECT_EQ(decoded.typed_config().type_url(), kLuaType);
}

TEST(ExtensionConfigsTest, FilterWithoutItsExtensionConfigNamesFileLineAndPath) {
  std::string text =
      absl::StrCat("resources:", kClustersAndMainRoute, kLuaExtension,
                   ListenerWithEcdsFilter("add-heder", absl::StrCat("[", kLuaType, "]")));
  absl::StatusOr<Config> config = ParseConfig(text, "ecds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat(
                  // The line of config_discovery's value: the one after its key.
                  "ecds.yaml:", LineContaining(text, "config_discovery:") + 1,
                  ": listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1]."
                  "config_discovery: no extension config named \"add-heder\"")));
}

TEST(ExtensionConfigsTest, ExtensionConfigOfAnotherTypeIsAnError) {
  constexpr char kRouterType[] =
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
  std::string text =
      absl::StrCat("resources:", kClustersAndMainRoute, kLuaExtension,
                   ListenerWithEcdsFilter("add-header", absl::StrCat("[", kRouterType, "]")));
  absl::StatusOr<Config> config = ParseConfig(text, "ecds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat(
                  "ecds.yaml:", LineContaining(text, "type_urls:"),
                  ": listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1]."
                  "config_discovery.type_urls: extension config \"add-header\" is a "
                  "envoy.extensions.filters.http.lua.v3.Lua, not one of the type_urls (",
                  kRouterType, ")")));
}

TEST(ExtensionConfigsTest, NetworkAndListenerFiltersFromEcdsAreCheckedToo) {
  std::string text = absl::StrCat("resources:", kClustersAndMainRoute, R"yaml(
  listeners:
    - name: tcp
      address: { socket_address: { address: 0.0.0.0, port_value: 9000 } }
      listener_filters:
        - name: tls-inspector
          config_discovery:
            config_source: { ads: {} }
            type_urls: [type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector]
      filter_chains:
        - filters:
            - name: tcp-proxy
              config_discovery:
                config_source: { ads: {} }
                type_urls: [type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy]
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "ecds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      ErrorLines(config.status()),
      ElementsAre(absl::StrCat("ecds.yaml:", LineContaining(text, "- name: tls-inspector") + 2,
                               ": listeners[0].listener_filters[0].config_discovery: no "
                               "extension config named \"tls-inspector\""),
                  absl::StrCat("ecds.yaml:", LineContaining(text, "- name: tcp-proxy") + 2,
                               ": listeners[0].filter_chains[0].filters[0]."
                               "config_discovery: no extension config named "
                               "\"tcp-proxy\"")));
}

// The API requires it ((validate.rules).any.required), and the loader says so as Envoy would.
TEST(ExtensionConfigsTest, ExtensionConfigNeedsATypedConfig) {
  std::string text = absl::StrCat("resources:", R"yaml(
  extension_configs:
    - name: empty
)yaml");
  absl::StatusOr<Config> config = ParseConfig(text, "ecds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat("ecds.yaml:", LineContaining(text, "name: empty"),
                                       ": extension_configs[0].typed_config: value is required")));
}

// ---------------------------------------------------------------------------------------
// VHDS.

constexpr char kVhdsConfig[] = R"yaml(resources:
  clusters:
    - { name: web, connect_timeout: 1s }
    - { name: api, connect_timeout: 1s }
  routes:
    - name: plain
      virtual_hosts:
        - name: all
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: web }
    - name: on_demand
      vhds:
        config_source:
          api_config_source:
            api_type: DELTA_GRPC
            grpc_services: [ { envoy_grpc: { cluster_name: xds_cluster } } ]
      virtual_hosts:
        - name: www
          domains: ["www.example.com", "www.example.com:8080"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: web }
        - name: api
          domains: ["api.example.com"]
          routes:
            - match: { prefix: "/" }
              route: { cluster: api }
)yaml";

TEST(VhdsConfigTest, VhdsRouteConfigurationSplitsIntoVirtualHosts) {
  absl::StatusOr<Config> config = ParseConfig(kVhdsConfig, "vhds.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  const Snapshot& snapshot = *config->default_snapshot;

  // The route configuration keeps vhds and loses its virtual hosts.
  ResourcePtr route_resource = snapshot.Find(kRouteType, "on_demand");
  ASSERT_NE(route_resource, nullptr);
  auto trimmed = Decode<RouteConfiguration>(route_resource);
  EXPECT_EQ(trimmed.name(), "on_demand");
  EXPECT_TRUE(trimmed.has_vhds());
  EXPECT_EQ(trimmed.vhds()
                .config_source()
                .api_config_source()
                .grpc_services(0)
                .envoy_grpc()
                .cluster_name(),
            "xds_cluster");
  EXPECT_EQ(trimmed.virtual_hosts_size(), 0);

  // A route configuration without vhds is served whole.
  EXPECT_EQ(Decode<RouteConfiguration>(snapshot.Find(kRouteType, "plain")).virtual_hosts_size(), 1);

  // One VirtualHost per virtual host, named "<route config>/<virtual host>".
  ASSERT_EQ(snapshot.Resources(kVirtualHostType).size(), 2u);
  ResourcePtr www = snapshot.Find(kVirtualHostType, "on_demand/www");
  ASSERT_NE(www, nullptr);
  EXPECT_EQ(www->type_url(), kVirtualHostType);
  EXPECT_THAT(www->aliases(),
              ElementsAre("on_demand/www.example.com", "on_demand/www.example.com:8080"));
  auto www_host = Decode<VirtualHost>(www);
  EXPECT_EQ(www_host.name(), "www");
  EXPECT_THAT(www_host.domains(), ElementsAre("www.example.com", "www.example.com:8080"));
  ASSERT_EQ(www_host.routes_size(), 1);
  EXPECT_EQ(www_host.routes(0).route().cluster(), "web");

  ResourcePtr api = snapshot.Find(kVirtualHostType, "on_demand/api");
  ASSERT_NE(api, nullptr);
  EXPECT_THAT(api->aliases(), ElementsAre("on_demand/api.example.com"));
  EXPECT_EQ(Decode<VirtualHost>(api).routes(0).route().cluster(), "api");

  // What Envoy asks for, "<route config>/<Host header>", finds the virtual host.
  EXPECT_EQ(snapshot.FindByNameOrAlias(kVirtualHostType, "on_demand/www.example.com:8080"), www);
  EXPECT_EQ(snapshot.FindByNameOrAlias(kVirtualHostType, "on_demand/api.example.com"), api);

  // The same file gives the same versions.
  absl::StatusOr<Config> again = ParseConfig(kVhdsConfig, "vhds.yaml");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->default_snapshot->Version(kRouteType), snapshot.Version(kRouteType));
  EXPECT_EQ(again->default_snapshot->Version(kVirtualHostType), snapshot.Version(kVirtualHostType));
}

TEST(VhdsConfigTest, RouteToMissingClusterInsideAVhdsVirtualHostIsCaught) {
  std::string text(kVhdsConfig);
  text.replace(text.find("route: { cluster: api }"), 23, "route: { cluster: apj }");
  absl::StatusOr<Config> config = ParseConfig(text, "vhds.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat("vhds.yaml:", LineContaining(text, "cluster: apj"),
                                       ": routes[1].virtual_hosts[1].routes[0].route.cluster: "
                                       "no cluster named \"apj\"")));
}

TEST(VhdsConfigTest, ADomainOfTwoVirtualHostsIsAnError) {
  std::string text(kVhdsConfig);
  text.replace(text.find("[\"api.example.com\"]"), 19, "[\"www.example.com\"]");
  absl::StatusOr<Config> config = ParseConfig(text, "vhds.yaml");
  ASSERT_FALSE(config.ok());
  // The line after the second virtual host's name: its domains.
  EXPECT_THAT(ErrorLines(config.status()),
              ElementsAre(absl::StrCat(
                  "vhds.yaml:", LineContaining(text, "- name: api") + 1,
                  ": routes[1].virtual_hosts[1].domains[0]: \"on_demand/www.example.com\" "
                  "already names virtual host \"www\" (with vhds, a name or domain of a virtual "
                  "host names it alone)")));
}

TEST(VhdsConfigTest, VirtualHostsOfAGroupAreServedToTheGroup) {
  std::string text = "groups:\n  - name: edge\n    match: { cluster: edge }\n    ";
  // The resources of kVhdsConfig, indented under the group.
  for (absl::string_view row : absl::StrSplit(kVhdsConfig, '\n')) {
    if (row.empty()) continue;
    absl::StrAppend(&text, row == "resources:" ? "" : "    ", row, "\n");
  }
  absl::StatusOr<Config> config = ParseConfig(text, "groups.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  ASSERT_EQ(config->groups.size(), 1u);
  EXPECT_NE(config->groups[0].snapshot->Find(kVirtualHostType, "on_demand/www"), nullptr);
  EXPECT_EQ(config->default_snapshot->Find(kVirtualHostType, "on_demand/www"), nullptr);
}

// ---------------------------------------------------------------------------------------
// The example.

TEST(OnDemandExampleTest, ServesVirtualHostsExtensionConfigAndScopes) {
  absl::StatusOr<Config> config = LoadConfigFile(XDSD_EXAMPLES_DIR "/on-demand.yaml");
  ASSERT_TRUE(config.ok()) << std::string(config.status().message());
  const Snapshot& snapshot = *config->default_snapshot;

  auto shop_routes = Decode<RouteConfiguration>(snapshot.Find(kRouteType, "shop_routes"));
  EXPECT_TRUE(shop_routes.has_vhds());
  EXPECT_EQ(shop_routes.virtual_hosts_size(), 0);
  ResourcePtr shop = snapshot.FindByNameOrAlias(kVirtualHostType, "shop_routes/shop.example.com");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->name(), "shop_routes/shop");
  EXPECT_NE(snapshot.FindByNameOrAlias(kVirtualHostType, "shop_routes/blog.example.com:10000"),
            nullptr);

  auto extension =
      Decode<TypedExtensionConfig>(snapshot.Find(kExtensionConfigType, "add-served-by"));
  EXPECT_EQ(extension.typed_config().type_url(), kLuaType);

  EXPECT_EQ(Decode<ScopedRouteConfiguration>(snapshot.Find(kScopedRouteType, "tenant-a"))
                .route_configuration_name(),
            "tenant_a_routes");
  EXPECT_EQ(Decode<ScopedRouteConfiguration>(snapshot.Find(kScopedRouteType, "tenant-b"))
                .route_configuration_name(),
            "tenant_b_routes");
}

}  // namespace
}  // namespace xdsd::config

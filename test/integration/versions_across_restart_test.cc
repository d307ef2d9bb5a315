// The version xdsd serves a configuration under depends on its content only: the same config,
// written another way and loaded by a new process, gets the same version, so a restart (or
// another replica) pushes nothing new to the fleet.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "integration/xdsd_process.h"
#include "nlohmann/json.hpp"

namespace xdsd {
namespace {

constexpr char kBlockYaml[] = R"(resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 127.0.0.1, port_value: 10000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          rds: {route_config_name: local, config_source: {ads: {}}}
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  routes:
  - name: local
    virtual_hosts:
    - {name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: backend}}]}
  clusters:
  - name: backend
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}
)";

// The same content as JSON, every object's keys in another order, 1.000s for 1s.
constexpr char kReorderedJson[] = R"({"resources": {
  "clusters": [{"load_assignment": {"endpoints": [{"lb_endpoints": [{"endpoint": {"address":
      {"socket_address": {"port_value": 8080, "address": "127.0.0.1"}}}}]}],
      "cluster_name": "backend"}, "type": "STATIC", "connect_timeout": "1.000s",
      "name": "backend"}],
  "routes": [{"virtual_hosts": [{"routes": [{"route": {"cluster": "backend"},
      "match": {"prefix": "/"}}], "domains": ["*"], "name": "all"}], "name": "local"}],
  "listeners": [{"filter_chains": [{"filters": [{"typed_config": {
      "http_filters": [{"typed_config": {"@type":
        "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
        "name": "envoy.filters.http.router"}],
      "rds": {"config_source": {"ads": {}}, "route_config_name": "local"},
      "stat_prefix": "ingress",
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"},
    "name": "envoy.filters.network.http_connection_manager"}]}],
    "address": {"socket_address": {"port_value": 10000, "address": "127.0.0.1"}},
    "name": "ingress"}]
}})";

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ServedVersion(const testing::XdsdProcess& xdsd) {
  absl::StatusOr<std::string> body = xdsd.HttpGet("/v1/config");
  EXPECT_TRUE(body.ok()) << body.status();
  if (!body.ok()) return "";
  return nlohmann::json::parse(*body).at("version").get<std::string>();
}

TEST(VersionsAcrossRestartTest, ARestartWithTheConfigRewrittenServesTheSameVersion) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/config.yaml";
  Write(config, kBlockYaml);
  auto xdsd = testing::XdsdProcess::Start({"--config=" + config}, dir.path(), absl::Seconds(30));
  ASSERT_TRUE(xdsd.ok()) << xdsd.status();
  const std::string before = ServedVersion(**xdsd);
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE((*xdsd)->Stop(absl::Seconds(30)).ok());

  Write(config, kReorderedJson);
  ASSERT_TRUE((*xdsd)->Restart(absl::Seconds(30)).ok());
  EXPECT_EQ(ServedVersion(**xdsd), before);
  ASSERT_TRUE((*xdsd)->Stop(absl::Seconds(30)).ok());

  // And a real change is a new version.
  std::string changed = kBlockYaml;
  changed.replace(changed.find("port_value: 8080"), 16, "port_value: 8081");
  Write(config, changed);
  ASSERT_TRUE((*xdsd)->Restart(absl::Seconds(30)).ok());
  EXPECT_NE(ServedVersion(**xdsd), before);
}

}  // namespace
}  // namespace xdsd

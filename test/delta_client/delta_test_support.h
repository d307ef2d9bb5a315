#pragma once

// Helpers shared by the tests of test/delta_client: xdsd configurations written as text, and a
// fixture that runs the real daemon on one of them.

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "delta_client/delta_xds_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integration/xdsd_process.h"
#include "support/poll.h"

namespace xdsd::testing {

inline constexpr absl::Duration kStartTimeout = absl::Seconds(30);
inline constexpr absl::Duration kStopTimeout = absl::Seconds(10);
// A response that is due: the config reloads within about a second of a save.
inline constexpr absl::Duration kResponseTimeout = absl::Seconds(10);

// One entry of each resource list, in YAML flow style (one line each).
inline std::string StaticCluster(const std::string& name, int port,
                                 const std::string& connect_timeout = "1s") {
  return absl::StrCat("{name: ", name, ", type: STATIC, connect_timeout: ", connect_timeout,
                      ", load_assignment: {cluster_name: ", name,
                      ", endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: "
                      "{address: 127.0.0.1, port_value: ",
                      port, "}}}}]}]}}");
}

inline std::string EdsCluster(const std::string& name, const std::string& connect_timeout = "1s") {
  return absl::StrCat("{name: ", name, ", type: EDS, connect_timeout: ", connect_timeout,
                      ", eds_cluster_config: {eds_config: {ads: {}, resource_api_version: V3}}}");
}

inline std::string Endpoints(const std::string& cluster, int port) {
  return absl::StrCat("{cluster_name: ", cluster,
                      ", endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: "
                      "{address: 127.0.0.1, port_value: ",
                      port, "}}}}]}]}");
}

inline std::string Listener(const std::string& name, int port, const std::string& route,
                            const std::string& stat_prefix = "ingress") {
  return absl::StrCat(
      "{name: ", name, ", address: {socket_address: {address: 0.0.0.0, port_value: ", port,
      "}}, filter_chains: [{filters: [{name: envoy.filters.network.http_connection_manager, "
      "typed_config: {\"@type\": type.googleapis.com/"
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, "
      "stat_prefix: ",
      stat_prefix, ", rds: {route_config_name: ", route,
      ", config_source: {ads: {}, resource_api_version: V3}}, http_filters: [{name: "
      "envoy.filters.http.router, typed_config: {\"@type\": "
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]}}]}]}");
}

inline std::string Route(const std::string& name, const std::string& cluster,
                         const std::string& prefix = "/") {
  return absl::StrCat("{name: ", name, ", virtual_hosts: [{name: vh, domains: [\"*\"], ",
                      "routes: [{match: {prefix: \"", prefix, "\"}, route: {cluster: ", cluster,
                      "}}]}]}");
}

// The default resources of a configuration file.
struct ConfigText {
  std::vector<std::string> clusters, endpoints, listeners, routes;

  std::string Yaml() const {
    std::string yaml = "resources:\n";
    auto section = [&](const char* key, const std::vector<std::string>& entries) {
      if (entries.empty()) return;
      absl::StrAppend(&yaml, "  ", key, ":\n");
      for (const std::string& entry : entries) absl::StrAppend(&yaml, "  - ", entry, "\n");
    };
    section("clusters", clusters);
    section("endpoints", endpoints);
    section("listeners", listeners);
    section("routes", routes);
    return yaml;
  }
};

inline envoy::config::core::v3::Node TestNode(const std::string& id) {
  envoy::config::core::v3::Node node;
  node.set_id(id);
  node.set_cluster("delta-test");
  return node;
}

inline std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

// Waits until the client holds exactly `names` of `type_url`.
inline bool WaitHolds(const DeltaXdsClient& client, const std::string& type_url,
                      std::set<std::string> names) {
  return client.WaitUntil(
      [&](const DeltaClientState& state) {
        std::set<std::string> held;
        auto it = state.held.find(type_url);
        if (it != state.held.end()) {
          for (const auto& [name, resource] : it->second) held.insert(name);
        }
        return held == names;
      },
      kResponseTimeout);
}

// A barrier on ADS: subscribes a listener name that does not exist and waits for the
// server to report it (PROTOCOL 24). The server answers requests in order, and answers
// clusters before listeners, so a cluster response that was due has arrived by then.
inline void Barrier(DeltaXdsClient& client, const std::string& name) {
  const size_t from = client.ResponseCount();
  ASSERT_TRUE(client.Subscribe(kListenerType, {name}).ok());
  ASSERT_TRUE(client.WaitUntil(
      [&](const DeltaClientState& state) {
        for (const ReceivedResponse* r : state.ResponsesOf(kListenerType, from)) {
          if (std::find(r->removed.begin(), r->removed.end(), name) != r->removed.end()) {
            return true;
          }
        }
        return false;
      },
      kResponseTimeout))
      << "no answer to the barrier " << name;
}

inline std::string TypeShort(const std::string& type_url) {
  return type_url.substr(type_url.rfind('.') + 1);
}

// The responses from index `from` on, one a line.
inline std::string Describe(const DeltaClientState& state, size_t from = 0) {
  std::string text;
  for (size_t i = from; i < state.responses.size(); ++i) {
    const ReceivedResponse& r = state.responses[i];
    absl::StrAppend(&text, "  #", r.index, " stream ", r.stream, " ", TypeShort(r.type_url),
                    " nonce=", r.nonce, " version=", r.system_version, " [",
                    absl::StrJoin(r.names, ","), "] removed=[", absl::StrJoin(r.removed, ","), "]",
                    r.nacked ? " NACKED" : "", "\n");
  }
  return text;
}

// Runs xdsd on a configuration file it watches; the file can be rewritten while it runs.
class XdsdFixture : public ::testing::Test {
 protected:
  std::string config_path() const { return dir_.path() + "/xdsd.yaml"; }
  std::string address() const { return absl::StrCat("127.0.0.1:", xdsd_->xds_port()); }

  void StartXdsd(const std::string& yaml) {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(WriteFile(config_path(), yaml).ok());
    absl::StatusOr<std::unique_ptr<XdsdProcess>> xdsd =
        XdsdProcess::Start({"--config=" + config_path()}, dir_.path(), kStartTimeout);
    ASSERT_TRUE(xdsd.ok()) << xdsd.status();
    xdsd_ = *std::move(xdsd);
  }

  // The version of the config being served, "" when the admin server does not answer.
  std::string ConfigVersion() const {
    absl::StatusOr<std::string> body = xdsd_->HttpGet("/v1/config");
    if (!body.ok()) return "";
    const size_t at = body->find("\"version\"");
    if (at == std::string::npos) return "";
    const size_t open = body->find('"', body->find(':', at));
    const size_t close = body->find('"', open + 1);
    return body->substr(open + 1, close - open - 1);
  }

  // Saves `yaml` over the config file (as an editor does) and waits until xdsd serves it.
  void EditConfig(const std::string& yaml) {
    const std::string before = ConfigVersion();
    ASSERT_TRUE(ReplaceFile(config_path(), yaml).ok());
    ASSERT_TRUE(PollUntil(
        kResponseTimeout,
        [&] {
          const std::string now = ConfigVersion();
          return !now.empty() && now != before;
        },
        kIntegrationPollInterval))
        << "xdsd did not reload " << config_path() << "; its log:\n"
        << xdsd_->Log();
  }

  std::unique_ptr<DeltaXdsClient> NewClient(const std::string& node_id,
                                            const std::string& stream_type_url = "") {
    auto client = std::make_unique<DeltaXdsClient>(
        DeltaXdsClient::Options{address(), stream_type_url, TestNode(node_id)});
    const absl::Status connected = client->Connect(kStartTimeout);
    EXPECT_TRUE(connected.ok()) << connected;
    return client;
  }

  TempDir dir_;
  std::unique_ptr<XdsdProcess> xdsd_;
};

}  // namespace xdsd::testing

// Equal content gives equal bytes and versions, however it is spelled: the version of a
// resource must not change when a file is reformatted, or every node would be pushed to again
// and two replicas reading equivalent files would disagree.
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gtest/gtest.h"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

struct Spelling {
  std::string what;  // what differs from the first spelling of the case
  std::string text;
};

struct EquivalenceCase {
  std::string name;
  std::string type_url;
  std::string resource_name;
  std::vector<Spelling> spellings;  // all the same content
};

ResourcePtr LoadOne(const std::string& text, const std::string& type_url, const std::string& name) {
  absl::StatusOr<Config> config = ParseConfig(text, "equivalence.yaml");
  EXPECT_TRUE(config.ok()) << config.status();
  if (!config.ok()) return nullptr;
  ResourcePtr resource = config->default_snapshot->Find(type_url, name);
  EXPECT_NE(resource, nullptr) << "no " << type_url << " " << name;
  return resource;
}

const std::vector<EquivalenceCase>& Cases() {
  static const auto* cases = new std::vector<EquivalenceCase>{
      {"cluster",
       std::string(kClusterType),
       "backend",
       {
           {"block style",
            "resources:\n"
            "  clusters:\n"
            "  - name: backend\n"
            "    type: STATIC\n"
            "    connect_timeout: 1s\n"
            "    lb_policy: ROUND_ROBIN\n"
            "    load_assignment:\n"
            "      cluster_name: backend\n"
            "      endpoints:\n"
            "      - lb_endpoints:\n"
            "        - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: "
            "80}}}\n"},
           {"keys in another order",
            "resources:\n"
            "  clusters:\n"
            "  - load_assignment:\n"
            "      endpoints:\n"
            "      - lb_endpoints:\n"
            "        - endpoint: {address: {socket_address: {port_value: 80, address: 10.0.0.1}}}\n"
            "      cluster_name: backend\n"
            "    lb_policy: ROUND_ROBIN\n"
            "    connect_timeout: 1s\n"
            "    type: STATIC\n"
            "    name: backend\n"},
           {"flow style",
            "resources: {clusters: [{name: backend, type: STATIC, connect_timeout: 1s, "
            "lb_policy: ROUND_ROBIN, load_assignment: {cluster_name: backend, endpoints: "
            "[{lb_endpoints: [{endpoint: {address: {socket_address: {address: 10.0.0.1, "
            "port_value: 80}}}}]}]}}]}\n"},
           {"JSON",
            R"({"resources": {"clusters": [{"name": "backend", "type": "STATIC",
               "connect_timeout": "1s", "lb_policy": "ROUND_ROBIN",
               "load_assignment": {"cluster_name": "backend", "endpoints": [{"lb_endpoints":
               [{"endpoint": {"address": {"socket_address": {"address": "10.0.0.1",
               "port_value": 80}}}}]}]}}]}})"},
           {"lowerCamelCase keys",
            R"({"resources": {"clusters": [{"name": "backend", "type": "STATIC",
               "connectTimeout": "1s", "lbPolicy": "ROUND_ROBIN",
               "loadAssignment": {"clusterName": "backend", "endpoints": [{"lbEndpoints":
               [{"endpoint": {"address": {"socketAddress": {"address": "10.0.0.1",
               "portValue": 80}}}}]}]}}]}})"},
           {"1.000s for 1s, a default value written",
            "resources:\n"
            "  clusters:\n"
            "  - name: backend\n"
            "    type: STATIC\n"
            "    connect_timeout: 1.000s\n"
            "    lb_policy: ROUND_ROBIN\n"
            "    per_connection_buffer_limit_bytes: null\n"
            "    load_assignment:\n"
            "      cluster_name: backend\n"
            "      endpoints:\n"
            "      - priority: 0\n"
            "        lb_endpoints:\n"
            "        - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 80,"
            " protocol: TCP}}}\n"},
       }},
      {"listener with an HTTP connection manager inside an Any",
       std::string(kListenerType),
       "ingress",
       {
           {"block style",
            "resources:\n"
            "  listeners:\n"
            "  - name: ingress\n"
            "    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}\n"
            "    filter_chains:\n"
            "    - filters:\n"
            "      - name: envoy.filters.network.http_connection_manager\n"
            "        typed_config:\n"
            "          \"@type\": type.googleapis.com/envoy.extensions.filters.network."
            "http_connection_manager.v3.HttpConnectionManager\n"
            "          stat_prefix: ingress\n"
            "          stream_idle_timeout: 300s\n"
            "          route_config:\n"
            "            name: local\n"
            "            virtual_hosts:\n"
            "            - {name: all, domains: ['*'], routes: [{match: {prefix: /}, "
            "direct_response: {status: 200}}]}\n"
            "          http_filters:\n"
            "          - name: envoy.filters.http.router\n"
            "            typed_config:\n"
            "              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router."
            "v3.Router\n"
            "              suppress_envoy_headers: true\n"
            "              start_child_span: true\n"},
           {"keys inside the Anys in another order, @type last, 300.0s",
            "resources:\n"
            "  listeners:\n"
            "  - filter_chains:\n"
            "    - filters:\n"
            "      - typed_config:\n"
            "          http_filters:\n"
            "          - typed_config:\n"
            "              start_child_span: true\n"
            "              suppress_envoy_headers: true\n"
            "              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router."
            "v3.Router\n"
            "            name: envoy.filters.http.router\n"
            "          route_config:\n"
            "            virtual_hosts:\n"
            "            - {routes: [{direct_response: {status: 200}, match: {prefix: /}}], "
            "domains: ['*'], name: all}\n"
            "            name: local\n"
            "          stream_idle_timeout: 300.0s\n"
            "          stat_prefix: ingress\n"
            "          \"@type\": type.googleapis.com/envoy.extensions.filters.network."
            "http_connection_manager.v3.HttpConnectionManager\n"
            "        name: envoy.filters.network.http_connection_manager\n"
            "    address: {socket_address: {port_value: 10000, address: 0.0.0.0}}\n"
            "    name: ingress\n"},
       }},
      {"cluster with a map (metadata) in another order",
       std::string(kClusterType),
       "meta",
       {
           {"a before b",
            "resources:\n"
            "  clusters:\n"
            "  - name: meta\n"
            "    connect_timeout: 1s\n"
            "    metadata: {filter_metadata: {a: {x: 1, y: two}, b: {z: true}}}\n"},
           {"b before a",
            "resources:\n"
            "  clusters:\n"
            "  - name: meta\n"
            "    connect_timeout: 1s\n"
            "    metadata: {filter_metadata: {b: {z: true}, a: {y: two, x: 1}}}\n"},
       }},
  };
  return *cases;
}

TEST(CanonicalVersionsTest, EquivalentSpellingsGiveIdenticalBytesAndVersions) {
  for (const EquivalenceCase& c : Cases()) {
    ResourcePtr first = LoadOne(c.spellings[0].text, c.type_url, c.resource_name);
    ASSERT_NE(first, nullptr) << c.name;
    for (size_t i = 1; i < c.spellings.size(); ++i) {
      ResourcePtr other = LoadOne(c.spellings[i].text, c.type_url, c.resource_name);
      ASSERT_NE(other, nullptr) << c.name << ": " << c.spellings[i].what;
      EXPECT_EQ(other->version(), first->version()) << c.name << ": " << c.spellings[i].what;
      EXPECT_TRUE(other->bytes() == first->bytes()) << c.name << ": " << c.spellings[i].what;
    }
  }
}

TEST(CanonicalVersionsTest, WholeSnapshotVersionsAgreeAcrossSpellings) {
  const EquivalenceCase& c = Cases()[0];
  absl::StatusOr<Config> a = ParseConfig(c.spellings[0].text, "a.yaml");
  absl::StatusOr<Config> b = ParseConfig(c.spellings[1].text, "b.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->default_snapshot->Version(kClusterType), b->default_snapshot->Version(kClusterType));
}

TEST(CanonicalVersionsTest, ADifferentValueGivesADifferentVersion) {
  const EquivalenceCase& c = Cases()[0];
  std::string changed = c.spellings[0].text;
  changed.replace(changed.find("port_value: 80"), 14, "port_value: 81");
  ResourcePtr first = LoadOne(c.spellings[0].text, c.type_url, c.resource_name);
  ResourcePtr other = LoadOne(changed, c.type_url, c.resource_name);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->version(), first->version());
}

// A program that builds the same listener with the generated types (PackFrom) serves it under
// the version the config file gives it.
TEST(CanonicalVersionsTest, FromMessageAgreesWithTheLoader) {
  const EquivalenceCase& c = Cases()[1];
  ResourcePtr loaded = LoadOne(c.spellings[0].text, c.type_url, c.resource_name);
  ASSERT_NE(loaded, nullptr);
  envoy::config::listener::v3::Listener listener;
  ASSERT_TRUE(
      listener.ParseFromArray(loaded->bytes().data(), static_cast<int>(loaded->bytes().size())));
  // Re-pack the connection manager with its fields set in another order.
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  ASSERT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&hcm));
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager rebuilt;
  *rebuilt.mutable_http_filters() = hcm.http_filters();
  *rebuilt.mutable_route_config() = hcm.route_config();
  *rebuilt.mutable_stream_idle_timeout() = hcm.stream_idle_timeout();
  rebuilt.set_stat_prefix(hcm.stat_prefix());
  listener.mutable_filter_chains(0)->mutable_filters(0)->mutable_typed_config()->PackFrom(rebuilt);
  absl::StatusOr<ResourcePtr> built = Resource::FromMessage(listener);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->version(), loaded->version());
  EXPECT_EQ(CanonicalBytes(listener), std::string(loaded->bytes()));
}

}  // namespace
}  // namespace xdsd::config

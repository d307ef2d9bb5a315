// A config file of plain JSON is read in place, one resource's text at a time; whatever path
// reads it, a user sees the same config and the same errors on the same lines. A JSON text
// followed by a YAML comment is no longer plain JSON and is read as YAML: the tests compare the
// two paths on one text.

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "api/json_scan.h"
#include "config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::vector<std::string> ErrorLines(const absl::Status& status) {
  return absl::StrSplit(status.message(), '\n');
}

// The same text, read by the YAML path.
std::string AsYaml(const std::string& json) { return json + "\n# read as YAML\n"; }

constexpr char kValid[] = R"json({
  "resources": {
    "clusters": [
      {"name": "a", "connect_timeout": "1s", "ttl": "30s", "type": "EDS",
       "eds_cluster_config": {"eds_config": {"ads": {}}}},
      {"name": "b", "connectTimeout": "2.5s", "lb_policy": "RING_HASH"}
    ],
    "endpoints": [
      {"cluster_name": "a", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
        {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}}]}]}
    ],
    "routes": [
      {"name": "r", "vhds": {"config_source": {"ads": {}}},
       "virtual_hosts": [{"name": "v", "domains": ["v.example", "w.example"],
                          "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "b"}}]}]}
    ]
  },
  "groups": [
    {"name": "edge", "resources": {"clusters": [{"name": "e", "connect_timeout": "1s"}]},
     "match": {"cluster": "edge-*"}}
  ],
  "authorization": [{"identity": "spiffe://example.org/*", "nodes": ["*"]}],
  "csds_identities": ["spiffe://example.org/ops/*"],
  "allow_mass_removal": true
})json";

TEST(JsonConfigTest, AConfigReadInPlaceIsTheConfigReadAsYaml) {
  ASSERT_TRUE(api::CheckPlainJson(kValid, 100).ok());  // read in place
  absl::StatusOr<Config> json = ParseConfig(kValid, "c.json");
  absl::StatusOr<Config> yaml = ParseConfig(AsYaml(kValid), "c.json");
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  for (const ResourceType& type : kResourceTypes) {
    EXPECT_EQ(json->default_snapshot->Version(type.type_url),
              yaml->default_snapshot->Version(type.type_url))
        << type.type_url;
  }
  const Snapshot& snapshot = *json->default_snapshot;
  EXPECT_EQ(snapshot.Find(kClusterType, "a")->ttl(), std::chrono::seconds(30));
  EXPECT_EQ(snapshot.Find(kClusterType, "b")->ttl().count(), 0);
  EXPECT_NE(snapshot.Find(kVirtualHostType, "r/v"), nullptr);
  ASSERT_EQ(json->groups.size(), 1u);
  EXPECT_EQ(json->groups[0].cluster_glob, "edge-*");
  EXPECT_NE(json->groups[0].snapshot->Find(kClusterType, "e"), nullptr);
  EXPECT_EQ(json->groups[0].snapshot->Version(kClusterType),
            yaml->groups[0].snapshot->Version(kClusterType));
  ASSERT_TRUE(json->authorization.has_value());
  EXPECT_EQ(json->authorization->size(), 1u);
  EXPECT_EQ(json->csds_identities, yaml->csds_identities);
  EXPECT_TRUE(json->allow_mass_removal);
}

// Every kind of mistake the loader reports, one per line.
constexpr char kMistakes[] = R"json({
  "resources": {
    "clusters": [
      {"name": "dup", "connect_timeout": "1s"},
      {"name": "dup", "connect_timeout": "1s"},
      {"name": "late", "ttl": "soon", "connect_timeout": "1s"},
      {"name": "typo", "conect_timeout": "1s"},
      {"name": "port", "load_assignment": {"cluster_name": "port", "endpoints": [
        {"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
          "address": "10.0.0.1", "port_value": 70000}}}}]}]}},
      "not a map"
    ],
    "routes": [
      {"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
        {"match": {"prefix": "/"},
         "route": {"cluster": "missing"}}]}]}
    ],
    "listeners": [
      {"name": "l", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 1}},
       "filter_chains": [{"filters": [{"name": "hcm", "typed_config": {
         "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
         "stat_prefx": "x"}}]}]}
    ],
    "gadgets": []
  },
  "groups": [
    {"name": "g", "match": {"colour": "red"}},
    {"name": "h", "resources": {"clusters": [{"name": "in-h", "connect_timeout": "soon"}]}}
  ],
  "authorization": [{"identity": "x"}],
  "allow_mass_removal": "perhaps",
  "extra": 1
})json";

TEST(JsonConfigTest, ErrorsAreTheYamlPathsOnTheSameLines) {
  ASSERT_TRUE(api::CheckPlainJson(kMistakes, 100).ok());  // read in place
  absl::StatusOr<Config> json = ParseConfig(kMistakes, "m.json");
  absl::StatusOr<Config> yaml = ParseConfig(AsYaml(kMistakes), "m.json");
  ASSERT_FALSE(json.ok());
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(json.status().message(), yaml.status().message());
  const std::vector<std::string> lines = ErrorLines(json.status());
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:6: clusters[2].ttl: must be a positive")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:7: clusters[3]")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:10: clusters[4].load_assignment")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:11: clusters[5]: a cluster must be a map")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:16: routes[0].virtual_hosts[0].routes[0].route."
                                        "cluster")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:22: listeners[0].filter_chains[0].filters[0]."
                                        "typed_config.stat_prefx: unknown field")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:24: resources.gadgets: unknown resource type")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:27: groups[0].match.colour: unknown key")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:28: groups[1].resources.clusters[0]")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:30: authorization[0]: a rule needs nodes")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:31: allow_mass_removal: must be true or false")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:32: extra: unknown key")));
  EXPECT_THAT(lines, Contains(HasSubstr("m.json:5: clusters[1]: cluster \"dup\" is defined twice "
                                        "(first at m.json:4: clusters[0])")));
}

TEST(JsonConfigTest, JsonThatIsNotPlainIsReadAsYamlWithItsErrors) {
  // A key written twice, text that is not UTF-8, nesting past the limit: the YAML path's
  // errors, at their lines.
  absl::StatusOr<Config> twice = ParseConfig(
      "{\"resources\": {\"clusters\": [\n{\"name\": \"a\",\n \"name\": \"b\"}]}}", "twice.json");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()),
              HasSubstr("twice.json:3: clusters[0]: duplicate key \"name\""));

  absl::StatusOr<Config> latin1 = ParseConfig(
      "{\"resources\": {\"clusters\": [\n{\"name\": \"caf\xe9\", \"connect_timeout\": \"1s\"}]}}",
      "latin1.json");
  ASSERT_FALSE(latin1.ok());
  EXPECT_THAT(std::string(latin1.status().message()),
              HasSubstr("latin1.json:2: clusters[0]: not valid UTF-8"));

  std::string deep = "{\"resources\": {\"clusters\": [{\"name\": \"a\", \"metadata\": ";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  deep += "}]}}";
  absl::StatusOr<Config> too_deep = ParseConfig(deep, "deep.json");
  ASSERT_FALSE(too_deep.ok());
  EXPECT_THAT(std::string(too_deep.status().message()), HasSubstr("nest more than 100 deep"));
}

}  // namespace
}  // namespace xdsd::config

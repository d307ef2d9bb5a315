// Writes the corpus that xdsd's validator and go-control-plane's generated Validate() must
// judge alike (test/validate/oracle_test.sh compares them), one resource a line:
//
//   VERDICT<TAB>TYPE_URL<TAB>JSON
//
// VERDICT is xdsd's: valid, invalid, or unparsable (the JSON does not parse as the type, or
// the resource has no name: not comparable). The corpus: every resource of every example config,
// a violating and a satisfying case of each rule kind written below, and resources mutated at
// random (seeded, so every run writes the same corpus) from the examples.
//
//   oracle_corpus EXAMPLES_DIR [--mutations 600] [--seed 12]

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_replace.h"
#include "api/envoy_api.h"
#include "api/resource_parser.h"
#include "config/config_loader.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::validate {
namespace {

struct Case {
  std::string type_url;
  std::string json;
};

constexpr char kCluster[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr char kRoute[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
constexpr char kEndpoint[] = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// A satisfying and a violating value for one rule: `json` with `{}` replaced by each.
struct RuleCase {
  const char* type_url;
  const char* json;
  const char* good;
  const char* bad;
};

// One rule kind each, on fields both API versions know.
const RuleCase kRuleCases[] = {
    // duration.gt
    {kCluster, R"({"name": "c", "connect_timeout": {}})", R"("1s")", R"("0s")"},
    {kCluster, R"({"name": "c", "type": "STRICT_DNS", "dns_refresh_rate": {}})", R"("1s")",
     R"("0.0005s")"},
    // enum.defined_only
    {kCluster, R"({"name": "c", "lb_policy": {}})", R"("RING_HASH")", "77"},
    // uint32.lte on a port; string.min_len on an address
    {kEndpoint,
     R"({"cluster_name": "c", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
       {"socket_address": {"address": "10.0.0.1", "port_value": {}}}}}]}]})",
     "8080", "70000"},
    {kEndpoint,
     R"({"cluster_name": "c", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
       {"socket_address": {"address": {}, "port_value": 80}}}}]}]})",
     R"("10.0.0.1")", R"("")"},
    // enum on a socket address's protocol
    {kEndpoint,
     R"({"cluster_name": "c", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
       {"socket_address": {"address": "10.0.0.1", "port_value": 80, "protocol": {}}}}}]}]})",
     R"("UDP")", "9"},
    // uint32 wrapper gte 1 (load_balancing_weight), uint32.lte (priority)
    {kEndpoint,
     R"({"cluster_name": "c", "endpoints": [{"lb_endpoints": [{"load_balancing_weight": {}}]}]})",
     "1", "0"},
    {kEndpoint, R"({"cluster_name": "c", "endpoints": [{"priority": {}}]})", "1", "200"},
    // string.min_len
    {kCluster, R"({"name": "c", "load_assignment": {"cluster_name": {}}})", R"("c")", R"("")"},
    // duration.required, message.required (a wrapper)
    {kCluster,
     R"({"name": "c", "health_checks": [{"interval": "5s", "unhealthy_threshold": 2,
        "healthy_threshold": 2, "tcp_health_check": {}, "timeout": {}}]})",
     R"("1s")", "null"},
    {kCluster,
     R"({"name": "c", "health_checks": [{"interval": "5s", "timeout": "1s", "tcp_health_check": {},
        "unhealthy_threshold": 2, "healthy_threshold": {}}]})",
     "3", "null"},
    // double gte/lte on a Percent
    {kCluster, R"({"name": "c", "common_lb_config": {"healthy_panic_threshold": {"value": {}}}})",
     "50", "150"},
    // uint32 wrapper gte 2
    {kCluster,
     R"({"name": "c", "lb_policy": "LEAST_REQUEST", "least_request_lb_config": {"choice_count": {}}})",
     "2", "1"},
    // repeated.min_items
    {kRoute, R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": {}}]})", R"(["*"])", "[]"},
    // string.well_known_regex HTTP_HEADER_NAME
    {kRoute,
     R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [{"match":
       {"prefix": "/", "headers": [{"name": {}, "present_match": true}]},
       "route": {"cluster": "c"}}]}]})",
     R"("x-canary")", R"("x-a\nb")"},
    // oneof.required (a route's action)
    {kRoute,
     R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [{"match":
       {"prefix": "/"}, "route": {}}]}]})",
     R"({"cluster": "c"})", "null"},
    // string.min_len inside a oneof member (a safe_regex)
    {kRoute,
     R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [{"match":
       {"safe_regex": {"regex": {}}}, "route": {"cluster": "c"}}]}]})",
     R"("/a.*")", R"("")"},
    // string.min_len on a virtual host's name
    {kRoute, R"({"name": "r", "virtual_hosts": [{"name": {}, "domains": ["*"]}]})", R"("v")",
     R"("")"},
    // string well_known_regex HTTP_HEADER_VALUE on a header to add
    {kRoute,
     R"({"name": "r", "request_headers_to_add": [{"header": {"key": "x-a", "value": {}}}]})",
     R"("ok")", R"("a\u0000b")"},
};

// The xdsd verdict of one resource.
std::string Verdict(const Case& c) {
  const ResourceType* type = FindResourceType(c.type_url);
  if (type == nullptr) return "unparsable";
  std::vector<Violation> violations;
  absl::StatusOr<api::DecodedResource> decoded = api::DecodeResource(*type, c.json, &violations);
  if (!decoded.ok()) return "unparsable";
  return violations.empty() ? "valid" : "invalid";
}

// The resources of every example config, as Envoy's JSON.
std::vector<Case> ExampleCases(const std::string& dir) {
  std::vector<Case> cases;
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml" || entry.path().filename() == "groups") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  const api::EnvoyApi& api = api::EnvoyApi::Get();
  for (const std::string& path : paths) {
    absl::StatusOr<config::Config> config = config::LoadConfigFile(path);
    if (!config.ok()) continue;
    std::vector<SnapshotPtr> snapshots = {config->default_snapshot};
    for (const config::NodeGroup& group : config->groups) snapshots.push_back(group.snapshot);
    for (const SnapshotPtr& snapshot : snapshots) {
      if (snapshot == nullptr) continue;
      for (const ResourceType& type : kResourceTypes) {
        for (const auto& [name, resource] : snapshot->Resources(type.type_url)) {
          absl::StatusOr<std::string> json =
              api.BinaryToJson(api::FullTypeName(type.type_url), resource->bytes());
          if (json.ok()) cases.push_back({std::string(type.type_url), *json});
        }
      }
    }
  }
  return cases;
}

// `base` with one value, chosen at random, replaced by one that often breaks a rule: mostly of
// the same JSON type (zero, negative, too large; empty, a header-breaking newline, a bad
// duration), sometimes an undefined enum number or an empty list in its place.
Case Mutate(const Case& base, std::mt19937* random) {
  static const char* const kNumbers[] = {"0", "-1", "70000", "4294967295", "77", "101", "1000"};
  static const char* const kStrings[] = {"\"\"",  "\"0s\"",      "\"-1s\"",           "\"a\\nb\"",
                                         "\"x\"", "\"0.0001s\"", "\"999999999999s\"", "\"a b\""};
  // No null: protobuf 3.21's C++ JSON parser sets a oneof member written as null, Go's leaves it
  // unset, a parser difference rather than a validation one.
  static const char* const kOthers[] = {"77", "[]", "true"};
  nlohmann::json doc = nlohmann::json::parse(base.json);
  std::vector<std::string> keys;
  const nlohmann::json flat = doc.flatten();
  for (const auto& item : flat.items()) {
    if (item.key().find("@type") == std::string::npos) keys.push_back(item.key());
  }
  if (keys.empty()) return base;
  const std::string& key = keys[(*random)() % keys.size()];
  const nlohmann::json& old = flat[key];
  const char* value = nullptr;
  if ((*random)() % 5 == 0) {
    value = kOthers[(*random)() % std::size(kOthers)];
  } else if (old.is_number()) {
    value = kNumbers[(*random)() % std::size(kNumbers)];
  } else if (old.is_string()) {
    value = kStrings[(*random)() % std::size(kStrings)];
  } else if (old.is_boolean()) {
    value = old.get<bool>() ? "false" : "true";
  } else {
    value = kOthers[(*random)() % std::size(kOthers)];
  }
  // A list's element stands for the list: sometimes the list itself is emptied.
  nlohmann::json::json_pointer pointer(key);
  if (std::string_view(value) == "[]" && !pointer.empty() && !pointer.parent_pointer().empty() &&
      doc[pointer.parent_pointer()].is_array()) {
    pointer = pointer.parent_pointer();
  }
  doc[pointer] = nlohmann::json::parse(value);
  return {base.type_url, doc.dump()};
}

int Run(const std::string& examples, int mutations, unsigned seed) {
  std::vector<Case> cases = ExampleCases(examples);
  const size_t example_count = cases.size();
  for (const RuleCase& rule : kRuleCases) {
    for (const char* value : {rule.good, rule.bad}) {
      cases.push_back({rule.type_url, absl::StrReplaceAll(rule.json, {{"{}", value}})});
    }
  }
  std::mt19937 random(seed);
  for (int i = 0; i < mutations && example_count > 0; ++i) {
    cases.push_back(Mutate(cases[random() % example_count], &random));
  }
  for (Case& c : cases) {
    // One line each: the JSON is written compactly.
    std::string json = nlohmann::json::parse(c.json).dump();
    std::printf("%s\t%s\t%s\n", Verdict(c).c_str(), c.type_url.c_str(), json.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace xdsd::validate

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: oracle_corpus EXAMPLES_DIR [--mutations N] [--seed S]\n");
    return 2;
  }
  int mutations = 600;
  unsigned seed = 12;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string_view(argv[i]) == "--mutations") mutations = std::atoi(argv[i + 1]);
    if (std::string_view(argv[i]) == "--seed") seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
  }
  return xdsd::validate::Run(argv[1], mutations, seed);
}

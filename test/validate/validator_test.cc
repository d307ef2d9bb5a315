// The API's own validation rules (protoc-gen-validate annotations), checked as Envoy checks
// them: the nine one-field-away configs Envoy NACKs, every rule kind the embedded API uses, and
// the config loader's errors.

#include "validate/validator.h"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/envoy_api.h"
#include "api/resource_parser.h"
#include "api_descriptors.h"
#include "config/config_loader.h"
#include "config/config_publisher.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "rest/fleet_api.h"
#include "xdsd/refusals.h"
#include "xdsd/resource_types.h"
#include "xdsd/snapshot_cache.h"
#include "xdsd/validate.h"

namespace xdsd::validate {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// The error ParseResource gives `json` as a resource of `type_url`; empty when it parses.
std::string Refusal(std::string_view type_url, const std::string& json) {
  absl::StatusOr<ResourcePtr> parsed = api::ParseResource(*FindResourceType(type_url), json);
  return parsed.ok() ? "" : Message(parsed.status());
}

constexpr std::string_view kClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
constexpr std::string_view kListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr std::string_view kRouteType =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
constexpr std::string_view kEndpointType =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// A cluster with a load assignment and a health check; `extra` is spliced into its fields.
std::string Cluster(absl::string_view port, absl::string_view health_check,
                    absl::string_view extra = "") {
  return absl::StrCat(R"({"name": "backend", "connect_timeout": "1s", )", extra,
                      R"("load_assignment": {"cluster_name": "backend", "endpoints": [{
      "lb_endpoints": [{"endpoint": {"address": {"socket_address": {
        "address": "10.0.0.1", "port_value": )",
                      port, R"(}}}}]}]},
    "health_checks": [)",
                      health_check, "]}");
}
constexpr absl::string_view kHealthCheck =
    R"({"timeout": "1s", "interval": "5s", "unhealthy_threshold": 2, "healthy_threshold": 2,
        "http_health_check": {"path": "/healthz"}})";

std::string Listener(absl::string_view stat_prefix) {
  return absl::StrCat(R"({"name": "ingress",
    "address": {"socket_address": {"address": "0.0.0.0", "port_value": 10000}},
    "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
      "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": ")",
                      stat_prefix, R"(",
        "rds": {"route_config_name": "routes", "config_source": {"ads": {}}},
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
          "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}]}]})");
}

std::string Routes(absl::string_view domains, absl::string_view header_name) {
  return absl::StrCat(R"({"name": "routes", "virtual_hosts": [{"name": "all", "domains": )",
                      domains, R"(, "routes": [{"match": {"prefix": "/", "headers": [
        {"name": ")",
                      header_name, R"(", "present_match": true}]},
      "route": {"cluster": "backend"}}]}]})");
}

TEST(ValidatorTest, TheBaseResourcesAreValid) {
  EXPECT_EQ(Refusal(kClusterType, Cluster("8080", kHealthCheck)), "");
  EXPECT_EQ(Refusal(kListenerType, Listener("ingress_http")), "");
  EXPECT_EQ(Refusal(kRouteType, Routes(R"(["*"])", "x-canary")), "");
  EXPECT_EQ(Refusal(kEndpointType, R"({"cluster_name": "backend"})"), "");
}

TEST(ValidatorTest, ZeroConnectTimeoutIsRefused) {
  std::string json = Cluster("8080", kHealthCheck);
  json.replace(json.find(R"("connect_timeout": "1s")"), 23, R"("connect_timeout": "0s")");
  EXPECT_EQ(Refusal(kClusterType, json), "connect_timeout: value must be greater than 0s");
}

TEST(ValidatorTest, PortAbove65535IsRefused) {
  EXPECT_EQ(Refusal(kClusterType, Cluster("70000", kHealthCheck)),
            "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address."
            "port_value: value must be less than or equal to 65535");
}

TEST(ValidatorTest, EmptyStatPrefixInsideAnAnyIsRefused) {
  EXPECT_EQ(Refusal(kListenerType, Listener("")),
            "filter_chains[0].filters[0].typed_config.stat_prefix: value length must be at least "
            "1 runes");
}

TEST(ValidatorTest, HeaderNameWithANewlineIsRefused) {
  EXPECT_EQ(Refusal(kRouteType, Routes(R"(["*"])", "x-canary\\nx-evil")),
            "virtual_hosts[0].routes[0].match.headers[0].name: value must be a valid HTTP header "
            "name");
}

TEST(ValidatorTest, VirtualHostWithoutDomainsIsRefused) {
  EXPECT_EQ(Refusal(kRouteType, Routes("[]", "x-canary")),
            "virtual_hosts[0].domains: value must contain at least 1 item(s)");
}

TEST(ValidatorTest, UndefinedLbPolicyIsRefused) {
  EXPECT_EQ(Refusal(kClusterType, Cluster("8080", kHealthCheck, R"("lb_policy": 77, )")),
            "lb_policy: value must be one of the defined enum values");
}

TEST(ValidatorTest, HealthCheckWithoutTimeoutIsRefused) {
  std::string check(kHealthCheck);
  check.erase(check.find(R"("timeout": "1s", )"), 17);
  EXPECT_EQ(Refusal(kClusterType, Cluster("8080", check)),
            "health_checks[0].timeout: value is required");
}

TEST(ValidatorTest, LoadAssignmentWithEmptyClusterNameIsRefused) {
  std::string json = Cluster("8080", kHealthCheck);
  json.replace(json.find(R"("cluster_name": "backend")"), 25, R"("cluster_name": "")");
  EXPECT_EQ(Refusal(kClusterType, json),
            "load_assignment.cluster_name: value length must be at least 1 runes");
  // As a resource of its own, the name is missing first.
  EXPECT_THAT(Refusal(kEndpointType, R"({"cluster_name": ""})"), HasSubstr("cluster_name"));
}

TEST(ValidatorTest, HealthCheckWithoutHealthyThresholdIsRefused) {
  std::string check(kHealthCheck);
  check.erase(check.find(R"("healthy_threshold": 2,)"), 23);
  EXPECT_EQ(Refusal(kClusterType, Cluster("8080", check)),
            "health_checks[0].healthy_threshold: value is required");
}

TEST(ValidatorTest, EveryViolationIsListed) {
  std::string check(kHealthCheck);
  check.erase(check.find(R"("timeout": "1s", )"), 17);
  EXPECT_EQ(Refusal(kClusterType, Cluster("70000", check, R"("lb_policy": 77, )")),
            "lb_policy: value must be one of the defined enum values; "
            "load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address."
            "port_value: value must be less than or equal to 65535; "
            "health_checks[0].timeout: value is required");
}

uint64_t RuleRefusals() {
  for (const auto& [reason, count] : RefusalCounts()) {
    if (reason == "api_rule_violated") return count;
  }
  return 0;
}

TEST(ValidatorTest, EachRefusedResourceIsCountedOnce) {
  const uint64_t before = RuleRefusals();
  std::string check(kHealthCheck);
  check.erase(check.find(R"("timeout": "1s", )"), 17);
  EXPECT_NE(Refusal(kClusterType, Cluster("70000", check)), "");
  EXPECT_EQ(RuleRefusals(), before + 1);
  EXPECT_EQ(Refusal(kClusterType, Cluster("8080", kHealthCheck)), "");
  EXPECT_EQ(RuleRefusals(), before + 1);
}

TEST(ValidatorTest, PublicValidateChecksGeneratedMessages) {
  envoy::config::cluster::v3::Cluster cluster;
  cluster.set_name("backend");
  EXPECT_TRUE(xdsd::Validate(cluster).ok());
  cluster.mutable_connect_timeout()->set_seconds(-1);
  EXPECT_EQ(Message(xdsd::Validate(cluster)), "connect_timeout: value must be greater than 0s");
  cluster.mutable_connect_timeout()->set_seconds(1);
  cluster.mutable_connect_timeout()->set_nanos(-5);
  EXPECT_EQ(Message(xdsd::Validate(cluster)), "connect_timeout: value is not a valid duration");
}

TEST(ValidatorTest, OneofRequiredIsChecked) {
  // A route must say what it does: route, redirect, direct_response, ...
  EXPECT_EQ(Refusal(kRouteType, R"({"name": "r", "virtual_hosts": [{"name": "v",
      "domains": ["*"], "routes": [{"match": {"prefix": "/"}}]}]})"),
            "virtual_hosts[0].routes[0].action: value is required");
}

TEST(ValidatorTest, FleetApiRefusesAViolatingResourceAndServesNothing) {
  SnapshotCache cache;
  config::ConfigPublisher publisher("");  // the built-in demo
  ASSERT_TRUE(publisher.Load().ok());
  publisher.PublishTo(&cache);
  rest::FleetApi fleet(&publisher);
  rest::HttpReply reply = fleet.Put("endpoints", "payments", R"({"cluster_name": "payments",
      "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address":
        {"address": "10.0.0.7", "port_value": 70000}}}}]}]})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_THAT(reply.body, HasSubstr("port_value: value must be less than or equal to 65535"));
  EXPECT_TRUE(publisher.OverlayResources(kEndpointType).empty());
}

TEST(ValidatorTest, ConfigFileErrorsPointAtTheFieldsLine) {
  absl::StatusOr<config::Config> config = config::ParseConfig(R"(resources:
  clusters:
  - name: backend
    connect_timeout: 0s
  - name: other
    lb_policy: 77
    connect_timeout: 1s
)",
                                                              "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(Message(config.status()),
            "bad.yaml:4: clusters[0].connect_timeout: value must be greater than 0s\n"
            "bad.yaml:6: clusters[1].lb_policy: value must be one of the defined enum values");
}

// Every rule kind written anywhere in the embedded Envoy API must be one the validator
// implements, so that a newer API with a new kind of rule fails here rather than passing
// unchecked.
TEST(ValidatorTest, EveryRuleKindInTheEmbeddedApiIsImplemented) {
  google::protobuf::FileDescriptorSet set;
  const std::string_view bytes = proto::EmbeddedApiDescriptorSet();
  ASSERT_TRUE(set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  const google::protobuf::DescriptorPool& pool = api::EnvoyApi::Get().pool();
  const std::vector<std::string>& supported = SupportedRuleKinds();
  std::set<std::string> used;
  std::vector<const google::protobuf::Descriptor*> pending;
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    const google::protobuf::FileDescriptor* descriptor = pool.FindFileByName(file.name());
    ASSERT_NE(descriptor, nullptr) << file.name();
    for (int i = 0; i < descriptor->message_type_count(); ++i) {
      pending.push_back(descriptor->message_type(i));
    }
  }
  while (!pending.empty()) {
    const google::protobuf::Descriptor* type = pending.back();
    pending.pop_back();
    for (int i = 0; i < type->nested_type_count(); ++i) pending.push_back(type->nested_type(i));
    for (int i = 0; i < type->field_count(); ++i) {
      for (std::string& kind : RuleKindsOf(*type->field(i))) {
        if (std::find(supported.begin(), supported.end(), kind) == supported.end()) {
          ADD_FAILURE() << type->field(i)->full_name() << " uses the rule " << kind
                        << ", which the validator does not implement";
        }
        used.insert(std::move(kind));
      }
    }
  }
  // The scan reads the rules at all: the kinds of the nine refusals above are among them.
  for (const char* kind :
       {"duration.gt", "uint32.lte", "string.min_len", "string.well_known_regex",
        "repeated.min_items", "enum.defined_only", "duration.required", "message.required"}) {
    EXPECT_TRUE(used.count(kind)) << kind;
  }
  EXPECT_GT(used.size(), 40u);
}

}  // namespace
}  // namespace xdsd::validate

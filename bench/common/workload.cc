#include "common/workload.h"

#include <cstdlib>
#include <string_view>

#include "absl/strings/str_format.h"
#include "envoy/extensions/filters/http/router/v3/router.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "google/protobuf/util/json_util.h"

namespace xdsd::bench {

using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;

std::string ClusterName(int i) { return absl::StrFormat("cluster-%05d", i); }
std::string ListenerName(int i) { return absl::StrFormat("listener-%d", i); }
std::string RouteName(int i) { return absl::StrFormat("route-%d", i); }

Cluster MakeCluster(int i) {
  Cluster cluster;
  cluster.set_name(ClusterName(i));
  cluster.set_type(Cluster::EDS);
  auto* eds = cluster.mutable_eds_cluster_config()->mutable_eds_config();
  eds->mutable_ads();
  eds->set_resource_api_version(envoy::config::core::v3::V3);
  cluster.mutable_connect_timeout()->set_seconds(1);
  cluster.set_lb_policy(Cluster::ROUND_ROBIN);
  return cluster;
}

ClusterLoadAssignment MakeEndpoints(int i, int endpoints, uint64_t generation) {
  ClusterLoadAssignment cla;
  cla.set_cluster_name(ClusterName(i));
  auto* locality = cla.add_endpoints();
  locality->mutable_locality()->set_region("region-1");
  locality->mutable_locality()->set_zone(absl::StrFormat("zone-%d", i % 3));
  locality->mutable_load_balancing_weight()->set_value(1);
  for (int j = 0; j < endpoints; ++j) {
    auto* address = locality->add_lb_endpoints()
                        ->mutable_endpoint()
                        ->mutable_address()
                        ->mutable_socket_address();
    address->set_address(absl::StrFormat("10.%d.%d.%d", (i >> 8) & 255, i & 255, j + 1));
    uint32_t port = 8000 + static_cast<uint32_t>(j);
    if (j == 0 && generation > 0) port = 20000 + static_cast<uint32_t>(generation % 40000);
    address->set_port_value(port);
  }
  return cla;
}

Listener MakeListener(int i) {
  Listener listener;
  listener.set_name(ListenerName(i));
  auto* address = listener.mutable_address()->mutable_socket_address();
  address->set_address("0.0.0.0");
  address->set_port_value(10000 + static_cast<uint32_t>(i));
  HttpConnectionManager hcm;
  hcm.set_stat_prefix(absl::StrFormat("ingress_%d", i));
  auto* rds = hcm.mutable_rds();
  rds->set_route_config_name(RouteName(i));
  rds->mutable_config_source()->mutable_ads();
  rds->mutable_config_source()->set_resource_api_version(envoy::config::core::v3::V3);
  auto* router = hcm.add_http_filters();
  router->set_name("envoy.filters.http.router");
  router->mutable_typed_config()->PackFrom(envoy::extensions::filters::http::router::v3::Router());
  auto* filter = listener.add_filter_chains()->add_filters();
  filter->set_name("envoy.filters.network.http_connection_manager");
  filter->mutable_typed_config()->PackFrom(hcm);
  return listener;
}

RouteConfiguration MakeRoute(int i, int clusters) {
  RouteConfiguration route;
  route.set_name(RouteName(i));
  auto* host = route.add_virtual_hosts();
  host->set_name(absl::StrFormat("vhost-%d", i));
  host->add_domains("*");
  for (int k = 0; k < 10; ++k) {
    auto* r = host->add_routes();
    r->mutable_match()->set_prefix(absl::StrFormat("/svc-%d/", k));
    r->mutable_route()->set_cluster(ClusterName((i * 10 + k) % clusters));
  }
  return route;
}

namespace {

std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace

std::string EndpointsJson(int i, int endpoints, uint64_t generation) {
  return Json(MakeEndpoints(i, endpoints, generation));
}

WorkloadJson MakeWorkloadJson(const WorkloadSize& size) {
  WorkloadJson json;
  for (int i = 0; i < size.clusters; ++i) {
    json.clusters.push_back(Json(MakeCluster(i)));
    json.endpoints.push_back(EndpointsJson(i, size.endpoints_per_cluster, 0));
  }
  for (int i = 0; i < size.listeners; ++i) {
    json.listeners.push_back(Json(MakeListener(i)));
    json.routes.push_back(Json(MakeRoute(i, size.clusters)));
  }
  return json;
}

std::string WorkloadJson::Config() const {
  std::string out = "{\"resources\": {";
  const char* separator = "\n";
  for (const auto& [key, list] :
       {std::pair{"clusters", &clusters}, std::pair{"endpoints", &endpoints},
        std::pair{"listeners", &listeners}, std::pair{"routes", &routes}}) {
    out += absl::StrFormat("%s\"%s\": [\n", separator, key);
    for (size_t i = 0; i < list->size(); ++i) out += (i ? ",\n" : "") + (*list)[i];
    out += "]";
    separator = ",\n";
  }
  return out + "}}\n";
}

BenchFlags ParseBenchFlags(int argc, char** argv, BenchFlags flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--clusters") flags.clusters = value;
    if (flag == "--endpoints") flags.endpoints = value;
    if (flag == "--repeat") flags.repeat = value;
  }
  return flags;
}

}  // namespace xdsd::bench

#include "config/reference_checks.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/envoy_api.h"
#include "config/key_layout.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/core/v3/extension.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/config/route/v3/scoped_route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"

namespace xdsd::config {
namespace {

using api::FullTypeName;
using envoy::config::cluster::v3::Cluster;
using envoy::config::core::v3::ExtensionConfigSource;
using envoy::config::core::v3::TypedExtensionConfig;
using envoy::config::listener::v3::FilterChain;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::config::route::v3::ScopedRouteConfiguration;
using envoy::config::route::v3::VirtualHost;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy;
using google::protobuf::DynamicCastToGenerated;

constexpr std::string_view kHcmTypeUrl =
    "type.googleapis.com/"
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
constexpr std::string_view kTcpProxyTypeUrl =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

using NameSet = std::set<std::string, std::less<>>;

// What the resources of one set may refer to.
struct References {
  const NameSet& clusters;
  const NameSet& route_configs;
  // Each extension config's name, and the type URL of its typed_config.
  const std::map<std::string, std::string, std::less<>>& extension_types;
  // The extension configs that did not load (their own error is reported).
  const NameSet& unloaded_extensions;
};

// Checks the resources of one set against what the set defines.
//
// Thread-compatible.
class ReferenceChecker {
 public:
  explicit ReferenceChecker(LoadErrors* errors) : errors_(errors) {}

  void CheckSet(const ResourceSet& set);

 private:
  void CheckRouteConfig(const ParsedResource& where, absl::string_view relative_path,
                        const RouteConfiguration& routes, const NameSet& clusters);
  void CheckVirtualHost(const ParsedResource& where, absl::string_view relative_path,
                        const VirtualHost& virtual_host, const NameSet& clusters);
  void CheckScopedRoute(const ParsedResource& where, absl::string_view relative_path,
                        const ScopedRouteConfiguration& scope, const References& refs);
  void CheckCluster(const ParsedResource& where, const Cluster& cluster, const NameSet& endpoints);
  void CheckListener(const ParsedResource& where, const Listener& listener, const References& refs);
  void CheckNetworkFilter(const ParsedResource& where, absl::string_view relative_path,
                          const google::protobuf::Any& typed_config, const References& refs);
  // A filter named `filter_name` configured through ECDS: an extension config of that name
  // must exist, of one of the source's type_urls.
  void CheckExtensionSource(const ParsedResource& where, absl::string_view relative_path,
                            const std::string& filter_name, const ExtensionConfigSource& source,
                            const References& refs);

  LoadErrors* const errors_;
  // Each listener's "[udp ]address:port", and the first listener that uses it.
  std::map<std::string, const ParsedResource*> addresses_;
};

void ReferenceChecker::CheckRouteConfig(const ParsedResource& where,
                                        absl::string_view relative_path,
                                        const RouteConfiguration& routes, const NameSet& clusters) {
  std::string prefix = relative_path.empty() ? "" : absl::StrCat(relative_path, ".");
  for (int v = 0; v < routes.virtual_hosts_size(); ++v) {
    CheckVirtualHost(where, absl::StrCat(prefix, "virtual_hosts[", v, "]"), routes.virtual_hosts(v),
                     clusters);
  }
}

void ReferenceChecker::CheckVirtualHost(const ParsedResource& where,
                                        absl::string_view relative_path,
                                        const VirtualHost& virtual_host, const NameSet& clusters) {
  auto check = [&](const std::string& cluster, const std::string& path) {
    if (!clusters.contains(cluster)) {
      errors_->AddAt(where, path, absl::StrCat("no cluster named \"", cluster, "\""));
    }
  };
  std::string prefix = relative_path.empty() ? "" : absl::StrCat(relative_path, ".");
  for (int r = 0; r < virtual_host.routes_size(); ++r) {
    const auto& route = virtual_host.routes(r);
    if (!route.has_route()) continue;
    std::string path = absl::StrCat(prefix, "routes[", r, "].route");
    const auto& action = route.route();
    if (action.cluster_specifier_case() == action.kCluster) {
      check(action.cluster(), absl::StrCat(path, ".cluster"));
    } else if (action.has_weighted_clusters()) {
      for (int w = 0; w < action.weighted_clusters().clusters_size(); ++w) {
        const auto& weighted = action.weighted_clusters().clusters(w);
        // A weighted cluster may name its cluster through a header instead.
        if (weighted.name().empty()) continue;
        check(weighted.name(), absl::StrCat(path, ".weighted_clusters.clusters[", w, "].name"));
      }
    }
    for (int m = 0; m < action.request_mirror_policies_size(); ++m) {
      const auto& mirror = action.request_mirror_policies(m);
      if (mirror.cluster().empty()) continue;
      check(mirror.cluster(), absl::StrCat(path, ".request_mirror_policies[", m, "].cluster"));
    }
  }
}

void ReferenceChecker::CheckScopedRoute(const ParsedResource& where,
                                        absl::string_view relative_path,
                                        const ScopedRouteConfiguration& scope,
                                        const References& refs) {
  std::string prefix = relative_path.empty() ? "" : absl::StrCat(relative_path, ".");
  if (scope.has_route_configuration()) {
    CheckRouteConfig(where, absl::StrCat(prefix, "route_configuration"),
                     scope.route_configuration(), refs.clusters);
  } else if (scope.route_configuration_name().empty()) {
    errors_->AddAt(where, relative_path,
                   absl::StrCat("scoped route configuration \"", scope.name(),
                                "\" needs a route_configuration_name or a route_configuration"));
  } else if (!refs.route_configs.contains(scope.route_configuration_name())) {
    errors_->AddAt(
        where, absl::StrCat(prefix, "route_configuration_name"),
        absl::StrCat("no route configuration named \"", scope.route_configuration_name(), "\""));
  }
}

void ReferenceChecker::CheckExtensionSource(const ParsedResource& where,
                                            absl::string_view relative_path,
                                            const std::string& filter_name,
                                            const ExtensionConfigSource& source,
                                            const References& refs) {
  auto it = refs.extension_types.find(filter_name);
  if (it == refs.extension_types.end()) {
    if (refs.unloaded_extensions.contains(filter_name)) return;
    errors_->AddAt(where, relative_path,
                   absl::StrCat("no extension config named \"", filter_name, "\""));
    return;
  }
  // Type URLs are compared by the type they name: the prefix before the last '/' is free.
  std::string_view type = FullTypeName(it->second);
  for (const std::string& allowed : source.type_urls()) {
    if (FullTypeName(allowed) == type) return;
  }
  errors_->AddAt(
      where, absl::StrCat(relative_path, ".type_urls"),
      absl::StrCat("extension config \"", filter_name, "\" is a ", AbslView(type),
                   ", not one of the type_urls (", absl::StrJoin(source.type_urls(), ", "), ")"));
}

void ReferenceChecker::CheckNetworkFilter(const ParsedResource& where,
                                          absl::string_view relative_path,
                                          const google::protobuf::Any& typed_config,
                                          const References& refs) {
  if (typed_config.type_url() == kHcmTypeUrl) {
    HttpConnectionManager hcm;
    if (!typed_config.UnpackTo(&hcm)) return;  // Parsed from the same schema: cannot happen.
    if (hcm.has_rds() && !refs.route_configs.contains(hcm.rds().route_config_name())) {
      errors_->AddAt(
          where, absl::StrCat(relative_path, ".rds.route_config_name"),
          absl::StrCat("no route configuration named \"", hcm.rds().route_config_name(), "\""));
    }
    if (hcm.has_route_config()) {
      CheckRouteConfig(where, absl::StrCat(relative_path, ".route_config"), hcm.route_config(),
                       refs.clusters);
    }
    // Scoped routes from SRDS (scoped_rds) need no check here: the scopes are resources of
    // their own, checked one by one. Inline scopes are checked as those are.
    if (hcm.has_scoped_routes() && hcm.scoped_routes().has_scoped_route_configurations_list()) {
      const auto& list = hcm.scoped_routes().scoped_route_configurations_list();
      for (int i = 0; i < list.scoped_route_configurations_size(); ++i) {
        CheckScopedRoute(where,
                         absl::StrCat(relative_path,
                                      ".scoped_routes.scoped_route_configurations_list."
                                      "scoped_route_configurations[",
                                      i, "]"),
                         list.scoped_route_configurations(i), refs);
      }
    }
    for (int f = 0; f < hcm.http_filters_size(); ++f) {
      const auto& filter = hcm.http_filters(f);
      if (!filter.has_config_discovery()) continue;
      CheckExtensionSource(where,
                           absl::StrCat(relative_path, ".http_filters[", f, "].config_discovery"),
                           filter.name(), filter.config_discovery(), refs);
    }
  } else if (typed_config.type_url() == kTcpProxyTypeUrl) {
    TcpProxy tcp_proxy;
    if (!typed_config.UnpackTo(&tcp_proxy)) return;
    if (tcp_proxy.cluster_specifier_case() == tcp_proxy.kCluster &&
        !refs.clusters.contains(tcp_proxy.cluster())) {
      errors_->AddAt(where, absl::StrCat(relative_path, ".cluster"),
                     absl::StrCat("no cluster named \"", tcp_proxy.cluster(), "\""));
    }
    for (int w = 0; w < tcp_proxy.weighted_clusters().clusters_size(); ++w) {
      const std::string& name = tcp_proxy.weighted_clusters().clusters(w).name();
      if (!refs.clusters.contains(name)) {
        errors_->AddAt(where,
                       absl::StrCat(relative_path, ".weighted_clusters.clusters[", w, "].name"),
                       absl::StrCat("no cluster named \"", name, "\""));
      }
    }
  }
}

void ReferenceChecker::CheckSet(const ResourceSet& set) {
  // Unique names per type.
  std::map<std::pair<absl::string_view, absl::string_view>, const ParsedResource*> by_name;
  std::map<std::string_view, NameSet> names;
  std::map<std::string, std::string, std::less<>> extension_types;
  for (const ParsedResource& parsed : set.resources) {
    const Resource& resource = *parsed.resource;
    auto [it, inserted] = by_name.emplace(
        std::pair<absl::string_view, absl::string_view>(resource.type_url(), resource.name()),
        &parsed);
    if (!inserted) {
      errors_->Add(parsed.file, parsed.source.line(), parsed.path,
                   absl::StrCat(AbslView(parsed.kind->noun), " \"", resource.name(),
                                "\" is defined twice (first at ", it->second->file, ":",
                                it->second->source.line(), ": ", it->second->path, ")"));
    }
    names[resource.type_url()].insert(resource.name());
    if (const auto* extension =
            DynamicCastToGenerated<TypedExtensionConfig>(parsed.message.get())) {
      extension_types.emplace(resource.name(), extension->typed_config().type_url());
    }
  }
  for (const auto& [type_url, unloaded] : set.unloaded_names) {
    const ResourceType* type = FindResourceType(type_url);
    if (type != nullptr) names[type->type_url].insert(unloaded.begin(), unloaded.end());
  }
  const NameSet& clusters = names[kClusterType];
  static const NameSet kNone;
  auto unloaded = set.unloaded_names.find(kExtensionConfigType);
  const References refs{clusters, names[kRouteType], extension_types,
                        unloaded == set.unloaded_names.end() ? kNone : unloaded->second};

  // References, and listener addresses.
  for (const ParsedResource& parsed : set.resources) {
    const google::protobuf::Message* message = parsed.message.get();
    if (const auto* routes = DynamicCastToGenerated<RouteConfiguration>(message)) {
      CheckRouteConfig(parsed, "", *routes, clusters);
    } else if (const auto* virtual_host = DynamicCastToGenerated<VirtualHost>(message)) {
      CheckVirtualHost(parsed, "", *virtual_host, clusters);
    } else if (const auto* scope = DynamicCastToGenerated<ScopedRouteConfiguration>(message)) {
      CheckScopedRoute(parsed, "", *scope, refs);
    } else if (const auto* cluster = DynamicCastToGenerated<Cluster>(message)) {
      CheckCluster(parsed, *cluster, names[kEndpointType]);
    } else if (const auto* listener = DynamicCastToGenerated<Listener>(message)) {
      CheckListener(parsed, *listener, refs);
    }
  }
}

void ReferenceChecker::CheckCluster(const ParsedResource& where, const Cluster& cluster,
                                    const NameSet& endpoints) {
  // Its endpoints are the registrations of the moment (key_layout.h), which may be none.
  if (cluster.type() != Cluster::EDS || EndpointsFromRegistrations(cluster)) return;
  const std::string& service_name = cluster.eds_cluster_config().service_name();
  const std::string& wanted = service_name.empty() ? cluster.name() : service_name;
  if (!endpoints.contains(wanted)) {
    errors_->AddAt(
        where, service_name.empty() ? "name" : "eds_cluster_config.service_name",
        absl::StrCat("EDS cluster \"", cluster.name(),
                     "\" has no endpoints: no ClusterLoadAssignment named \"", wanted, "\""));
  }
}

void ReferenceChecker::CheckListener(const ParsedResource& where, const Listener& listener,
                                     const References& refs) {
  auto check_chain = [&](const FilterChain& chain, const std::string& path) {
    for (int f = 0; f < chain.filters_size(); ++f) {
      const auto& filter = chain.filters(f);
      if (filter.has_config_discovery()) {
        CheckExtensionSource(where, absl::StrCat(path, ".filters[", f, "].config_discovery"),
                             filter.name(), filter.config_discovery(), refs);
      }
      if (!filter.has_typed_config()) continue;
      CheckNetworkFilter(where, absl::StrCat(path, ".filters[", f, "].typed_config"),
                         filter.typed_config(), refs);
    }
  };
  for (int f = 0; f < listener.listener_filters_size(); ++f) {
    const auto& filter = listener.listener_filters(f);
    if (!filter.has_config_discovery()) continue;
    CheckExtensionSource(where, absl::StrCat("listener_filters[", f, "].config_discovery"),
                         filter.name(), filter.config_discovery(), refs);
  }
  for (int c = 0; c < listener.filter_chains_size(); ++c) {
    check_chain(listener.filter_chains(c), absl::StrCat("filter_chains[", c, "]"));
  }
  if (listener.has_default_filter_chain()) {
    check_chain(listener.default_filter_chain(), "default_filter_chain");
  }
  if (listener.has_api_listener() && listener.api_listener().has_api_listener()) {
    CheckNetworkFilter(where, "api_listener.api_listener", listener.api_listener().api_listener(),
                       refs);
  }
  if (listener.address().has_socket_address()) {
    const auto& socket = listener.address().socket_address();
    std::string key = absl::StrCat(socket.protocol() == socket.UDP ? "udp " : "", socket.address(),
                                   ":", socket.port_value());
    auto [it, inserted] = addresses_.emplace(key, &where);
    if (!inserted) {
      errors_->AddAt(
          where, "address",
          absl::StrCat("listener \"", listener.name(), "\" uses ", key, ", as listener \"",
                       it->second->resource->name(), "\" does (", it->second->path, ")"));
    }
  }
}
}  // namespace

void CheckResourceSet(const ResourceSet& set, LoadErrors* errors) {
  ReferenceChecker(errors).CheckSet(set);
}

std::unique_ptr<google::protobuf::Message> NewCheckedMessage(std::string_view type_url) {
  if (type_url == kRouteType) return std::make_unique<RouteConfiguration>();
  if (type_url == kVirtualHostType) return std::make_unique<VirtualHost>();
  if (type_url == kScopedRouteType) return std::make_unique<ScopedRouteConfiguration>();
  if (type_url == kClusterType) return std::make_unique<Cluster>();
  if (type_url == kListenerType) return std::make_unique<Listener>();
  if (type_url == kExtensionConfigType) return std::make_unique<TypedExtensionConfig>();
  return nullptr;
}

}  // namespace xdsd::config

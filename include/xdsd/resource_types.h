#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace xdsd {

// Type URLs of the resource types xdsd serves.
inline constexpr std::string_view kClusterType =
    "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr std::string_view kEndpointType =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
inline constexpr std::string_view kListenerType =
    "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr std::string_view kRouteType =
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr std::string_view kScopedRouteType =
    "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration";
inline constexpr std::string_view kVirtualHostType =
    "type.googleapis.com/envoy.config.route.v3.VirtualHost";
inline constexpr std::string_view kSecretType =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
inline constexpr std::string_view kRuntimeType =
    "type.googleapis.com/envoy.service.runtime.v3.Runtime";
inline constexpr std::string_view kExtensionConfigType =
    "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";

// Everything xdsd knows about one resource type. The one place where a type's names are
// spelled: the config file, the fleet API, metrics, logs, the admin JSON, the dashboard and
// `xdsd status` all use `name`; the REST gateway uses Envoy's own REST path.
struct ResourceType {
  std::string_view type_url;
  // The type's one spelling: the key under `resources:` in a config file, the path segment of
  // the fleet API (/v1/fleet/<name>), the `type` label of metrics and admin JSON.
  std::string_view name;
  // How messages call one resource of the type.
  std::string_view noun;
  // The field that names a resource of the type.
  std::string_view name_field;
  // POST /v3/discovery:<rest_path>, as Envoy's API annotates its Fetch method.
  std::string_view rest_path;
  // The per-type gRPC service and its method suffix (Stream<suffix>, Delta<suffix>,
  // Fetch<suffix>).
  std::string_view grpc_service;
  std::string_view method_suffix;
  // The key a config file writes the type under; false for the virtual hosts, which a route
  // configuration with `vhds` makes (see the config loader).
  bool in_config;
  // State-of-the-world responses always carry every subscribed resource, so that a missing
  // one means "deleted" (listeners and clusters; PROTOCOL 13).
  bool full_state;
  // The type has a Fetch method (VHDS is delta only).
  bool fetchable;
};

// Every type xdsd serves, in the order an ADS stream sends them after a change: make before
// break (clusters and their endpoints before the listeners and routes that use them;
// PROTOCOL 18).
inline constexpr std::array<ResourceType, 9> kResourceTypes = {{
    {kClusterType, "clusters", "cluster", "name", "clusters",
     "envoy.service.cluster.v3.ClusterDiscoveryService", "Clusters", true, true, true},
    {kEndpointType, "endpoints", "ClusterLoadAssignment", "cluster_name", "endpoints",
     "envoy.service.endpoint.v3.EndpointDiscoveryService", "Endpoints", true, false, true},
    {kListenerType, "listeners", "listener", "name", "listeners",
     "envoy.service.listener.v3.ListenerDiscoveryService", "Listeners", true, true, true},
    {kRouteType, "routes", "route configuration", "name", "routes",
     "envoy.service.route.v3.RouteDiscoveryService", "Routes", true, false, true},
    {kScopedRouteType, "scoped_routes", "scoped route configuration", "name", "scoped-routes",
     "envoy.service.route.v3.ScopedRoutesDiscoveryService", "ScopedRoutes", true, false, true},
    {kVirtualHostType, "virtual_hosts", "virtual host", "name", "",
     "envoy.service.route.v3.VirtualHostDiscoveryService", "VirtualHosts", false, false, false},
    {kSecretType, "secrets", "secret", "name", "secrets",
     "envoy.service.secret.v3.SecretDiscoveryService", "Secrets", true, false, true},
    {kRuntimeType, "runtimes", "runtime", "name", "runtime",
     "envoy.service.runtime.v3.RuntimeDiscoveryService", "Runtime", true, false, true},
    {kExtensionConfigType, "extension_configs", "extension config", "name", "extension_configs",
     "envoy.service.extension.v3.ExtensionConfigDiscoveryService", "ExtensionConfigs", true, false,
     true},
}};

// The type URLs of kResourceTypes, in the same (ADS) order.
inline constexpr std::array<std::string_view, kResourceTypes.size()> kAdsOrder = [] {
  std::array<std::string_view, kResourceTypes.size()> order{};
  for (size_t i = 0; i < kResourceTypes.size(); ++i) order[i] = kResourceTypes[i].type_url;
  return order;
}();

// The entry of a type URL, or null for a type xdsd does not serve.
constexpr const ResourceType* FindResourceType(std::string_view type_url) {
  for (const ResourceType& type : kResourceTypes) {
    if (type.type_url == type_url) return &type;
  }
  return nullptr;
}

// The entry whose `name` is `name`, or null.
constexpr const ResourceType* FindResourceTypeByName(std::string_view name) {
  for (const ResourceType& type : kResourceTypes) {
    if (type.name == name) return &type;
  }
  return nullptr;
}

// The entry whose REST path is `rest_path`, or null.
constexpr const ResourceType* FindResourceTypeByRestPath(std::string_view rest_path) {
  for (const ResourceType& type : kResourceTypes) {
    if (!type.rest_path.empty() && type.rest_path == rest_path) return &type;
  }
  return nullptr;
}

// The position of a type in kResourceTypes (its ADS rank), or kResourceTypes.size() for a
// type xdsd does not serve.
constexpr size_t ResourceTypeIndex(std::string_view type_url) {
  for (size_t i = 0; i < kResourceTypes.size(); ++i) {
    if (kResourceTypes[i].type_url == type_url) return i;
  }
  return kResourceTypes.size();
}

// True for a type URL xdsd serves.
constexpr bool IsKnownType(std::string_view type_url) {
  return FindResourceType(type_url) != nullptr;
}

// True for the types whose state-of-the-world responses carry every resource (see
// ResourceType::full_state).
constexpr bool IsFullStateType(std::string_view type_url) {
  const ResourceType* type = FindResourceType(type_url);
  return type != nullptr && type->full_state;
}

// The type's name ("clusters", "scoped_routes", ...); the type URL itself for an unknown type.
constexpr std::string_view TypeShortName(std::string_view type_url) {
  const ResourceType* type = FindResourceType(type_url);
  return type != nullptr ? type->name : type_url;
}

// The type URL of a type's name, or "" when there is none.
constexpr std::string_view TypeUrlFromShortName(std::string_view name) {
  const ResourceType* type = FindResourceTypeByName(name);
  return type != nullptr ? type->type_url : std::string_view();
}

}  // namespace xdsd

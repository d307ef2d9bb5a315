#include "config/config_loader.h"

#include <algorithm>
#include <chrono>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "api/envoy_api.h"
#include "api/resource_parser.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/glob.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/core/v3/extension.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/config/route/v3/scoped_route.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::config {
namespace {

using api::FullTypeName;
using api::LineOf;
using api::LineOfPath;
using api::LineOfProtobufError;
using api::MapValue;

using Json = nlohmann::ordered_json;
using envoy::config::core::v3::ExtensionConfigSource;
using envoy::config::listener::v3::Listener;
using envoy::config::route::v3::RouteConfiguration;
using envoy::config::route::v3::ScopedRouteConfiguration;
using envoy::config::route::v3::VirtualHost;
using envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager;
using envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy;

constexpr std::string_view kHcmTypeUrl =
    "type.googleapis.com/"
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
constexpr std::string_view kTcpProxyTypeUrl =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

// Debian's Abseil is built with its own absl::string_view, distinct from std::string_view.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The type written under `key` in `resources:`, or null.
const ResourceType* FindKind(absl::string_view key) {
  const ResourceType* type = FindResourceTypeByName(std::string_view(key.data(), key.size()));
  return type != nullptr && type->in_config ? type : nullptr;
}

std::string KindKeys() {
  std::vector<absl::string_view> keys;
  for (const ResourceType& type : kResourceTypes) {
    if (type.in_config) keys.push_back(AbslView(type.name));
  }
  return absl::StrJoin(keys, ", ");
}


// ---------------------------------------------------------------------------------------
// Loading.

// One resource as parsed, with where it was written.
struct ParsedResource {
  const ResourceType* kind = nullptr;
  ResourcePtr resource;
  std::string file;
  // "listeners[0]", or "groups[1].resources.listeners[0]".
  std::string path;
  // The resource's YAML, to find the line of a nested value.
  YAML::Node node;
};

// The resources served to one set of nodes (the default set, or one group's).
struct ResourceSet {
  std::vector<ParsedResource> resources;
};

using NameSet = std::set<std::string, std::less<>>;

// What the resources of one set may refer to.
struct References {
  const NameSet& clusters;
  const NameSet& route_configs;
  // Each extension config's name, and the type URL of its typed_config.
  const std::map<std::string, std::string, std::less<>>& extension_types;
};

struct GroupSpec {
  std::string name;
  std::string cluster_glob = "*";
  std::string id_glob = "*";
  bool has_match = false;
  std::string file;
  int line = 0;
  ResourceSet set;
};

// Builds a Config from one or more files; collects every error instead of stopping at the
// first.
//
// Thread-compatible.
class ConfigBuilder {
 public:
  ConfigBuilder() : api_(api::EnvoyApi::Get()) {}

  void AddFile(absl::string_view text, absl::string_view file_name);

  // Validates every set and builds the snapshots. InvalidArgument with one error per line
  // when anything added or built was wrong.
  absl::StatusOr<Config> Build();

 private:
  void AddError(absl::string_view file, int line, absl::string_view path,
                absl::string_view message) {
    std::string error = absl::StrCat(file, ":", line, ": ");
    if (!path.empty()) absl::StrAppend(&error, path, ": ");
    absl::StrAppend(&error, message);
    errors_.push_back(std::move(error));
  }
  void AddError(absl::string_view file, const YAML::Mark& mark, absl::string_view path,
                absl::string_view message) {
    AddError(file, LineOf(mark), path, message);
  }
  // An error at `relative_path` inside a parsed resource.
  void AddResourceError(const ParsedResource& where, absl::string_view relative_path,
                        absl::string_view message) {
    std::string path = where.path;
    if (!relative_path.empty()) absl::StrAppend(&path, ".", relative_path);
    AddError(where.file, LineOfPath(where.node, relative_path), path, message);
  }

  void AddResources(const YAML::Node& node, absl::string_view file, absl::string_view prefix,
                    ResourceSet* set);
  void AddResource(const YAML::Node& node, absl::string_view file, const ResourceType& kind,
                   std::string path, ResourceSet* set);
  // Adds one VirtualHost resource per virtual host of `route_config` (which has `vhds`),
  // named "<route config>/<virtual host>" with the aliases "<route config>/<domain>", and
  // returns `route_config` serialized without them.
  std::string SplitVhds(RouteConfiguration route_config, const ParsedResource& parsed,
                        std::chrono::milliseconds ttl, std::vector<ParsedResource>* out);
  void AddGroup(const YAML::Node& node, absl::string_view file, absl::string_view path);

  // Checks names and references of `set`, then makes its snapshot; null after an error.
  SnapshotPtr BuildSet(const ResourceSet& set);
  void CheckRouteConfig(const ParsedResource& where, absl::string_view relative_path,
                        const RouteConfiguration& routes, const NameSet& clusters);
  void CheckVirtualHost(const ParsedResource& where, absl::string_view relative_path,
                        const VirtualHost& virtual_host, const NameSet& clusters);
  void CheckScopedRoute(const ParsedResource& where, absl::string_view relative_path,
                        const ScopedRouteConfiguration& scope, const References& refs);
  void CheckNetworkFilter(const ParsedResource& where, absl::string_view relative_path,
                          const google::protobuf::Any& typed_config, const References& refs);
  // A filter named `filter_name` configured through ECDS: an extension config of that name
  // must exist, of one of the source's type_urls.
  void CheckExtensionSource(const ParsedResource& where, absl::string_view relative_path,
                            const std::string& filter_name, const ExtensionConfigSource& source,
                            const References& refs);

  const api::EnvoyApi& api_;
  std::vector<std::string> errors_;
  ResourceSet defaults_;
  std::vector<GroupSpec> groups_;
};

void ConfigBuilder::AddFile(absl::string_view text, absl::string_view file_name) {
  int error_line = 0;
  absl::StatusOr<YAML::Node> loaded =
      api::LoadYaml(std::string_view(text.data(), text.size()), &error_line);
  if (!loaded.ok()) {
    AddError(file_name, error_line, "", loaded.status().message());
    return;
  }
  const YAML::Node& root = *loaded;
  if (root.IsNull()) return;  // An empty file configures nothing.
  if (!root.IsMap()) {
    AddError(file_name, root.Mark(), "", "the file must be a map with the keys resources, groups");
    return;
  }
  for (const auto& entry : root) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "resources") {
      AddResources(entry.second, file_name, "", &defaults_);
    } else if (key == "groups") {
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsSequence()) {
        AddError(file_name, entry.second.Mark(), "groups", "must be a list of groups");
        continue;
      }
      for (size_t i = 0; i < entry.second.size(); ++i) {
        AddGroup(entry.second[i], file_name, absl::StrCat("groups[", i, "]"));
      }
    } else {
      AddError(file_name, entry.first.Mark(), key,
               "unknown key (the file's keys are resources, groups)");
    }
  }
}

void ConfigBuilder::AddResources(const YAML::Node& node, absl::string_view file,
                                 absl::string_view prefix, ResourceSet* set) {
  std::string where = absl::StrCat(prefix, "resources");
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    AddError(file, node.Mark(), where, absl::StrCat("must be a map with the keys ", KindKeys()));
    return;
  }
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const ResourceType* kind = FindKind(key);
    if (kind == nullptr) {
      AddError(file, entry.first.Mark(), absl::StrCat(where, ".", key),
               absl::StrCat("unknown resource type (known: ", KindKeys(), ")"));
      continue;
    }
    if (entry.second.IsNull()) continue;
    if (!entry.second.IsSequence()) {
      AddError(file, entry.second.Mark(), absl::StrCat(where, ".", key),
               absl::StrCat("must be a list of ", AbslView(kind->noun), " resources"));
      continue;
    }
    for (size_t i = 0; i < entry.second.size(); ++i) {
      // Default resources are "listeners[0]", a group's "groups[1].resources.listeners[0]".
      std::string path = prefix.empty() ? absl::StrCat(key, "[", i, "]")
                                        : absl::StrCat(where, ".", key, "[", i, "]");
      AddResource(entry.second[i], file, *kind, std::move(path), set);
    }
  }
}

void ConfigBuilder::AddResource(const YAML::Node& node, absl::string_view file,
                                const ResourceType& kind, std::string path, ResourceSet* set) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path, absl::StrCat("a ", AbslView(kind.noun), " must be a map"));
    return;
  }
  std::string_view type_name = FullTypeName(kind.type_url);
  // `ttl` beside a resource's own fields (no resource type has one of that name) makes it
  // expire at clients that support TTLs unless xdsd keeps renewing it.
  std::chrono::milliseconds ttl{0};
  YAML::Node fields = node;
  if (node["ttl"] && api_.FindType(type_name) != nullptr &&
      api_.FindType(type_name)->FindFieldByName("ttl") == nullptr) {
    const YAML::Node ttl_node = node["ttl"];
    absl::Duration duration;
    if (!ttl_node.IsScalar() || !absl::ParseDuration(ttl_node.Scalar(), &duration) ||
        duration <= absl::ZeroDuration()) {
      AddError(file, ttl_node.Mark(), absl::StrCat(path, ".ttl"),
               "must be a positive duration such as \"30s\" or \"1.5s\"");
      return;
    }
    ttl = absl::ToChronoMilliseconds(duration);
    fields.reset(YAML::Clone(node));
    fields.remove("ttl");
  }
  int error_line = 0;
  absl::StatusOr<Json> json = api::YamlToJson(fields, &error_line);
  if (!json.ok()) {
    AddError(file, error_line, path, json.status().message());
    return;
  }
  ParsedResource parsed{&kind, nullptr, std::string(file), std::move(path), node};
  absl::StatusOr<api::DecodedResource> decoded = api::DecodeResource(kind, json->dump());
  if (!decoded.ok()) {
    // A message that names no field (an unnamed resource) points at the resource itself.
    absl::string_view message = decoded.status().message();
    AddError(file, LineOfProtobufError(node, message), parsed.path, message);
    return;
  }
  std::unique_ptr<google::protobuf::Message> message = std::move(decoded->message);
  std::optional<std::string> name = std::move(decoded->name);
  std::optional<std::string> bytes = message->SerializeAsString();
  std::vector<ParsedResource> virtual_hosts;
  if (kind.type_url == kRouteType) {
    RouteConfiguration route_config;
    if (route_config.ParseFromString(*bytes) && route_config.has_vhds() &&
        route_config.virtual_hosts_size() > 0) {
      *bytes = SplitVhds(std::move(route_config), parsed, ttl, &virtual_hosts);
    }
  } else if (kind.type_url == kExtensionConfigType) {
    envoy::config::core::v3::TypedExtensionConfig extension;
    if (extension.ParseFromString(*bytes) && !extension.has_typed_config()) {
      AddResourceError(parsed, "typed_config",
                       absl::StrCat("extension config \"", *name,
                                    "\" needs a typed_config (with its \"@type\")"));
      return;
    }
  }
  // Stored canonically: the JSON parser writes fields (and the values of Anys) in the order
  // they were written, and a reordered file must not change a version.
  if (kind.type_url == kRouteType && !message->ParseFromString(*bytes)) {
    AddError(file, node.Mark(), parsed.path, "internal error: the parsed resource does not decode");
    return;
  }
  parsed.resource = Resource::FromBytes(kind.type_url, *std::move(name), CanonicalBytes(*message),
                                        ttl);
  set->resources.push_back(std::move(parsed));
  for (ParsedResource& virtual_host : virtual_hosts) {
    set->resources.push_back(std::move(virtual_host));
  }
}

std::string ConfigBuilder::SplitVhds(RouteConfiguration route_config, const ParsedResource& parsed,
                                     std::chrono::milliseconds ttl,
                                     std::vector<ParsedResource>* out) {
  const std::string& prefix = route_config.name();
  const YAML::Node yaml_hosts = MapValue(parsed.node, "virtual_hosts");
  // What follows "<route config>/" in a resource name or alias, and the index of the virtual
  // host it names: Envoy asks for "<route config>/<host header>", so each must be one host.
  std::map<std::string, int, std::less<>> owners;
  for (int v = 0; v < route_config.virtual_hosts_size(); ++v) {
    owners.emplace(route_config.virtual_hosts(v).name(), v);
  }
  for (int v = 0; v < route_config.virtual_hosts_size(); ++v) {
    const VirtualHost& virtual_host = route_config.virtual_hosts(v);
    YAML::Node yaml = parsed.node;
    if (yaml_hosts.IsSequence() && static_cast<size_t>(v) < yaml_hosts.size()) {
      yaml.reset(yaml_hosts[v]);
    }
    ParsedResource host{FindResourceType(kVirtualHostType), nullptr, parsed.file,
                        absl::StrCat(parsed.path, ".virtual_hosts[", v, "]"), yaml};
    if (virtual_host.name().empty()) {
      AddResourceError(host, "", "a virtual host needs a name");
      continue;
    }
    std::string name = absl::StrCat(prefix, "/", virtual_host.name());
    std::vector<std::string> aliases;
    for (int d = 0; d < virtual_host.domains_size(); ++d) {
      const std::string& domain = virtual_host.domains(d);
      auto [it, inserted] = owners.emplace(domain, v);
      if (!inserted && it->second != v) {
        AddResourceError(host, absl::StrCat("domains[", d, "]"),
                         absl::StrCat("\"", prefix, "/", domain,
                                      "\" already names virtual host \"",
                                      route_config.virtual_hosts(it->second).name(),
                                      "\" (with vhds, a name or domain of a virtual host names "
                                      "it alone)"));
        continue;
      }
      std::string alias = absl::StrCat(prefix, "/", domain);
      if (alias != name && std::find(aliases.begin(), aliases.end(), alias) == aliases.end()) {
        aliases.push_back(std::move(alias));
      }
    }
    host.resource = Resource::FromBytes(kVirtualHostType, std::move(name),
                                        CanonicalBytes(virtual_host), ttl, std::move(aliases));
    out->push_back(std::move(host));
  }
  // Envoy fetches the virtual hosts on demand, over VHDS.
  route_config.clear_virtual_hosts();
  return CanonicalBytes(route_config);
}

void ConfigBuilder::AddGroup(const YAML::Node& node, absl::string_view file,
                             absl::string_view path) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path, "a group must be a map with the keys name, match, resources");
    return;
  }
  GroupSpec group;
  group.file = std::string(file);
  group.line = LineOf(node.Mark());
  YAML::Node resources;
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "name") {
      if (!entry.second.IsScalar() || entry.second.Scalar().empty()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".name"),
                 "must be a non-empty string");
        return;
      }
      group.name = entry.second.Scalar();
    } else if (key == "match") {
      group.has_match = true;
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".match"),
                 "must be a map with the keys cluster, id");
        return;
      }
      for (const auto& glob : entry.second) {
        std::string glob_key = glob.first.IsScalar() ? glob.first.Scalar() : "";
        std::string* target = glob_key == "cluster" ? &group.cluster_glob
                              : glob_key == "id"    ? &group.id_glob
                                                    : nullptr;
        if (target == nullptr) {
          AddError(file, glob.first.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "unknown key (a match has the keys cluster, id)");
          return;
        }
        if (!glob.second.IsScalar()) {
          AddError(file, glob.second.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "must be a glob string");
          return;
        }
        *target = glob.second.Scalar();
      }
    } else if (key == "resources") {
      resources = entry.second;
    } else {
      AddError(file, entry.first.Mark(), absl::StrCat(path, ".", key),
               "unknown key (a group has the keys name, match, resources)");
      return;
    }
  }
  if (group.name.empty()) {
    AddError(file, node.Mark(), path, "a group needs a name");
    return;
  }
  // Groups of the same name (from several files of a directory) form one group.
  GroupSpec* target = nullptr;
  for (GroupSpec& existing : groups_) {
    if (existing.name == group.name) target = &existing;
  }
  if (target == nullptr) {
    groups_.push_back(std::move(group));
    target = &groups_.back();
  } else if (group.has_match) {
    if (target->has_match && (target->cluster_glob != group.cluster_glob ||
                              target->id_glob != group.id_glob)) {
      AddError(file, group.line, absl::StrCat(path, ".match"),
               absl::StrCat("group \"", group.name, "\" is also defined at ", target->file, ":",
                            target->line, " with a different match"));
      return;
    }
    target->cluster_glob = group.cluster_glob;
    target->id_glob = group.id_glob;
    target->has_match = true;
  }
  if (resources.IsDefined()) {
    AddResources(resources, file, absl::StrCat(path, "."), &target->set);
  }
}

void ConfigBuilder::CheckRouteConfig(const ParsedResource& where, absl::string_view relative_path,
                                     const RouteConfiguration& routes, const NameSet& clusters) {
  std::string prefix = relative_path.empty() ? "" : absl::StrCat(relative_path, ".");
  for (int v = 0; v < routes.virtual_hosts_size(); ++v) {
    CheckVirtualHost(where, absl::StrCat(prefix, "virtual_hosts[", v, "]"),
                     routes.virtual_hosts(v), clusters);
  }
}

void ConfigBuilder::CheckVirtualHost(const ParsedResource& where, absl::string_view relative_path,
                                     const VirtualHost& virtual_host, const NameSet& clusters) {
  auto check = [&](const std::string& cluster, const std::string& path) {
    if (!clusters.contains(cluster)) {
      AddResourceError(where, path, absl::StrCat("no cluster named \"", cluster, "\""));
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

void ConfigBuilder::CheckScopedRoute(const ParsedResource& where, absl::string_view relative_path,
                                     const ScopedRouteConfiguration& scope,
                                     const References& refs) {
  std::string prefix = relative_path.empty() ? "" : absl::StrCat(relative_path, ".");
  if (scope.has_route_configuration()) {
    CheckRouteConfig(where, absl::StrCat(prefix, "route_configuration"),
                     scope.route_configuration(), refs.clusters);
  } else if (scope.route_configuration_name().empty()) {
    AddResourceError(where, relative_path,
                     absl::StrCat("scoped route configuration \"", scope.name(),
                                  "\" needs a route_configuration_name or a route_configuration"));
  } else if (!refs.route_configs.contains(scope.route_configuration_name())) {
    AddResourceError(where, absl::StrCat(prefix, "route_configuration_name"),
                     absl::StrCat("no route configuration named \"",
                                  scope.route_configuration_name(), "\""));
  }
}

void ConfigBuilder::CheckExtensionSource(const ParsedResource& where,
                                         absl::string_view relative_path,
                                         const std::string& filter_name,
                                         const ExtensionConfigSource& source,
                                         const References& refs) {
  auto it = refs.extension_types.find(filter_name);
  if (it == refs.extension_types.end()) {
    AddResourceError(where, relative_path,
                     absl::StrCat("no extension config named \"", filter_name, "\""));
    return;
  }
  // Type URLs are compared by the type they name: the prefix before the last '/' is free.
  std::string_view type = FullTypeName(it->second);
  for (const std::string& allowed : source.type_urls()) {
    if (FullTypeName(allowed) == type) return;
  }
  AddResourceError(where, absl::StrCat(relative_path, ".type_urls"),
                   absl::StrCat("extension config \"", filter_name, "\" is a ", AbslView(type),
                                ", not one of the type_urls (",
                                absl::StrJoin(source.type_urls(), ", "), ")"));
}

void ConfigBuilder::CheckNetworkFilter(const ParsedResource& where,
                                       absl::string_view relative_path,
                                       const google::protobuf::Any& typed_config,
                                       const References& refs) {
  if (typed_config.type_url() == kHcmTypeUrl) {
    HttpConnectionManager hcm;
    if (!typed_config.UnpackTo(&hcm)) return;  // Parsed from the same schema: cannot happen.
    if (hcm.has_rds() && !refs.route_configs.contains(hcm.rds().route_config_name())) {
      AddResourceError(where, absl::StrCat(relative_path, ".rds.route_config_name"),
                       absl::StrCat("no route configuration named \"",
                                    hcm.rds().route_config_name(), "\""));
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
      CheckExtensionSource(
          where, absl::StrCat(relative_path, ".http_filters[", f, "].config_discovery"),
          filter.name(), filter.config_discovery(), refs);
    }
  } else if (typed_config.type_url() == kTcpProxyTypeUrl) {
    TcpProxy tcp_proxy;
    if (!typed_config.UnpackTo(&tcp_proxy)) return;
    if (tcp_proxy.cluster_specifier_case() == tcp_proxy.kCluster &&
        !refs.clusters.contains(tcp_proxy.cluster())) {
      AddResourceError(where, absl::StrCat(relative_path, ".cluster"),
                       absl::StrCat("no cluster named \"", tcp_proxy.cluster(), "\""));
    }
    for (int w = 0; w < tcp_proxy.weighted_clusters().clusters_size(); ++w) {
      const std::string& name = tcp_proxy.weighted_clusters().clusters(w).name();
      if (!refs.clusters.contains(name)) {
        AddResourceError(
            where, absl::StrCat(relative_path, ".weighted_clusters.clusters[", w, "].name"),
            absl::StrCat("no cluster named \"", name, "\""));
      }
    }
  }
}

SnapshotPtr ConfigBuilder::BuildSet(const ResourceSet& set) {
  size_t errors_before = errors_.size();

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
      AddError(parsed.file, parsed.node.Mark(), parsed.path,
               absl::StrCat(AbslView(parsed.kind->noun), " \"", resource.name(),
                            "\" is defined twice (first at ", it->second->file, ":",
                            LineOf(it->second->node.Mark()), ": ", it->second->path, ")"));
    }
    names[resource.type_url()].insert(resource.name());
    if (resource.type_url() == kExtensionConfigType) {
      envoy::config::core::v3::TypedExtensionConfig extension;
      if (extension.ParseFromArray(resource.bytes().data(),
                                   static_cast<int>(resource.bytes().size()))) {
        extension_types.emplace(resource.name(), extension.typed_config().type_url());
      }
    }
  }
  const auto& clusters = names[kClusterType];
  const auto& endpoints = names[kEndpointType];
  const References refs{clusters, names[kRouteType], extension_types};

  // References, and listener addresses.
  std::map<std::string, const ParsedResource*> addresses;
  for (const ParsedResource& parsed : set.resources) {
    const Resource& resource = *parsed.resource;
    if (resource.type_url() == kRouteType) {
      RouteConfiguration routes;
      if (routes.ParseFromArray(resource.bytes().data(),
                                static_cast<int>(resource.bytes().size()))) {
        CheckRouteConfig(parsed, "", routes, clusters);
      }
    } else if (resource.type_url() == kVirtualHostType) {
      VirtualHost virtual_host;
      if (virtual_host.ParseFromArray(resource.bytes().data(),
                                      static_cast<int>(resource.bytes().size()))) {
        CheckVirtualHost(parsed, "", virtual_host, clusters);
      }
    } else if (resource.type_url() == kScopedRouteType) {
      ScopedRouteConfiguration scope;
      if (scope.ParseFromArray(resource.bytes().data(),
                               static_cast<int>(resource.bytes().size()))) {
        CheckScopedRoute(parsed, "", scope, refs);
      }
    } else if (resource.type_url() == kClusterType) {
      envoy::config::cluster::v3::Cluster cluster;
      if (!cluster.ParseFromArray(resource.bytes().data(),
                                  static_cast<int>(resource.bytes().size())) ||
          cluster.type() != envoy::config::cluster::v3::Cluster::EDS) {
        continue;
      }
      const std::string& service_name = cluster.eds_cluster_config().service_name();
      const std::string& wanted = service_name.empty() ? cluster.name() : service_name;
      if (!endpoints.contains(wanted)) {
        AddResourceError(parsed, service_name.empty() ? "name" : "eds_cluster_config.service_name",
                         absl::StrCat("EDS cluster \"", cluster.name(),
                                      "\" has no endpoints: no ClusterLoadAssignment named \"",
                                      wanted, "\""));
      }
    } else if (resource.type_url() == kListenerType) {
      Listener listener;
      if (!listener.ParseFromArray(resource.bytes().data(),
                                   static_cast<int>(resource.bytes().size()))) {
        continue;
      }
      auto check_chain = [&](const envoy::config::listener::v3::FilterChain& chain,
                             const std::string& path) {
        for (int f = 0; f < chain.filters_size(); ++f) {
          const auto& filter = chain.filters(f);
          if (filter.has_config_discovery()) {
            CheckExtensionSource(parsed, absl::StrCat(path, ".filters[", f, "].config_discovery"),
                                 filter.name(), filter.config_discovery(), refs);
          }
          if (!filter.has_typed_config()) continue;
          CheckNetworkFilter(parsed, absl::StrCat(path, ".filters[", f, "].typed_config"),
                             filter.typed_config(), refs);
        }
      };
      for (int f = 0; f < listener.listener_filters_size(); ++f) {
        const auto& filter = listener.listener_filters(f);
        if (!filter.has_config_discovery()) continue;
        CheckExtensionSource(parsed, absl::StrCat("listener_filters[", f, "].config_discovery"),
                             filter.name(), filter.config_discovery(), refs);
      }
      for (int c = 0; c < listener.filter_chains_size(); ++c) {
        check_chain(listener.filter_chains(c), absl::StrCat("filter_chains[", c, "]"));
      }
      if (listener.has_default_filter_chain()) {
        check_chain(listener.default_filter_chain(), "default_filter_chain");
      }
      if (listener.has_api_listener() && listener.api_listener().has_api_listener()) {
        CheckNetworkFilter(parsed, "api_listener.api_listener",
                           listener.api_listener().api_listener(), refs);
      }
      if (listener.address().has_socket_address()) {
        const auto& socket = listener.address().socket_address();
        std::string key = absl::StrCat(socket.protocol() == socket.UDP ? "udp " : "",
                                       socket.address(), ":", socket.port_value());
        auto [it, inserted] = addresses.emplace(key, &parsed);
        if (!inserted) {
          AddResourceError(parsed, "address",
                           absl::StrCat("listener \"", listener.name(), "\" uses ", key,
                                        ", as listener \"", it->second->resource->name(),
                                        "\" does (", it->second->path, ")"));
        }
      }
    }
  }
  if (errors_.size() != errors_before) return nullptr;

  std::vector<ResourcePtr> resources;
  resources.reserve(set.resources.size());
  for (const ParsedResource& parsed : set.resources) resources.push_back(parsed.resource);
  absl::StatusOr<SnapshotPtr> snapshot = Snapshot::Create(std::move(resources));
  if (!snapshot.ok()) {
    errors_.push_back(std::string(snapshot.status().message()));
    return nullptr;
  }
  return *std::move(snapshot);
}

absl::StatusOr<Config> ConfigBuilder::Build() {
  Config config;
  config.default_snapshot = BuildSet(defaults_);
  for (const GroupSpec& spec : groups_) {
    NodeGroup group;
    group.name = spec.name;
    group.cluster_glob = spec.cluster_glob;
    group.id_glob = spec.id_glob;
    group.snapshot = BuildSet(spec.set);
    config.groups.push_back(std::move(group));
  }
  if (!errors_.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  return config;
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path.string(), ": read failed"));
  return std::move(text).str();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name) {
  ConfigBuilder builder;
  builder.AddFile(AbslView(text), AbslView(file_name));
  return builder.Build();
}

absl::StatusOr<std::string> ParseYamlAs(std::string_view full_type_name, std::string_view text,
                                        std::string_view std_file_name) {
  absl::string_view file_name = AbslView(std_file_name);
  // Every error reads "FILE:LINE: message".
  auto located = [&](const absl::Status& status, int line) {
    return absl::Status(status.code(), absl::StrCat(file_name, ":", line, ": ", status.message()));
  };
  int error_line = 0;
  absl::StatusOr<YAML::Node> root = api::LoadYaml(text, &error_line);
  if (!root.ok()) return located(root.status(), error_line);
  absl::StatusOr<Json> json = api::YamlToJson(*root, &error_line);
  if (!json.ok()) return located(json.status(), error_line);
  if (json->is_null()) *json = Json::object();
  absl::StatusOr<std::string> bytes = api::EnvoyApi::Get().JsonToBinary(full_type_name, json->dump());
  if (!bytes.ok()) return located(bytes.status(), LineOfProtobufError(*root, bytes.status().message()));
  return bytes;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    return ParseConfig(*text, path);
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    std::string extension = it->path().extension().string();
    if ((extension == ".yaml" || extension == ".yml" || extension == ".json") &&
        !fs::is_directory(it->path())) {
      files.push_back(it->path());
    }
  }
  if (error) return absl::NotFoundError(absl::StrCat(path, ": ", error.message()));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no *.yaml, *.yml or *.json file"));
  }
  std::sort(files.begin(), files.end());
  ConfigBuilder builder;
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    builder.AddFile(*text, file.string());
  }
  return builder.Build();
}

std::string GroupOf(const Config& config, const envoy::config::core::v3::Node& node) {
  for (const NodeGroup& group : config.groups) {
    if (GlobMatches(group.cluster_glob, node.cluster()) && GlobMatches(group.id_glob, node.id())) {
      return group.name;
    }
  }
  return "";
}

SnapshotPtr SnapshotFor(const Config& config, const envoy::config::core::v3::Node& node) {
  for (const NodeGroup& group : config.groups) {
    if (GlobMatches(group.cluster_glob, node.cluster()) && GlobMatches(group.id_glob, node.id())) {
      return group.snapshot;
    }
  }
  return config.default_snapshot;
}

absl::StatusOr<Config> LoadDemoConfig() { return ParseConfig(DemoConfigYaml(), "<demo>"); }

}  // namespace xdsd::config

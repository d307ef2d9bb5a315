#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/rollout_policy.h"
#include "envoy/config/core/v3/base.pb.h"
#include "xdsd/snapshot.h"

namespace xdsd::config {

// The configuration file format. A file is YAML (or JSON, which is YAML). A file of plain JSON
// is read in place and a YAML file one resource at a time (config_builder.h): neither is held
// as a tree, so a load peaks at 11 (JSON) to 14 (YAML) times the file's size.
//
//   resources:                 # served to every node that no group matches
//     clusters:  [ ... ]       # envoy.config.cluster.v3.Cluster
//     endpoints: [ ... ]       # envoy.config.endpoint.v3.ClusterLoadAssignment
//     listeners: [ ... ]       # envoy.config.listener.v3.Listener
//     routes:    [ ... ]       # envoy.config.route.v3.RouteConfiguration
//     scoped_routes: [ ... ]   # envoy.config.route.v3.ScopedRouteConfiguration (SRDS)
//     secrets:   [ ... ]       # envoy.extensions.transport_sockets.tls.v3.Secret
//     runtimes:  [ ... ]       # envoy.service.runtime.v3.Runtime
//     extension_configs: [ ... ]  # envoy.config.core.v3.TypedExtensionConfig (ECDS)
//   groups:                    # optional; a node is served the first group that matches it
//     - name: edge
//       match: { cluster: "edge-*", id: "*" }   # globs (config/glob.h) on node.cluster, node.id
//       resources: { clusters: [ ... ], ... }   # same shape as above
//   authorization:             # optional; needs mutual TLS on the xDS port (docs/mtls.md)
//     - identity: "spiffe://example.org/ns/edge/*"  # a glob on a client certificate's URI or
//       nodes: ["edge-*"]                           # DNS SANs; globs on node.id
//       clusters: ["edge"]                          # optional: globs on node.cluster
//   csds_identities: ["spiffe://example.org/ops/*"] # optional: who may read CSDS under mTLS
//   allow_mass_removal: true   # optional: this config may remove most of what is served
//                              # (config/mass_removal.h); false by default
//   rollout: { waves: [...], bake: 30s }  # optional: a change reaches the default resources'
//                              # nodes in waves (config/rollout_policy.h); a group has its own
//
// Each resource is written exactly as in Envoy's own v3 YAML or JSON, "@type" inside Any
// included; any type of the Envoy API may appear inside an Any. A group's resources replace
// the default resources for the nodes it matches (they are not merged with them), so each
// set is validated on its own:
//   - names are unique per type;
//   - a route's cluster (and weighted cluster, mirror cluster) exists;
//   - an HTTP connection manager's rds.route_config_name names a route configuration;
//   - a scoped route configuration's route_configuration_name names a route configuration
//     (in scoped_routes:, and inline in an HTTP connection manager's scoped_routes);
//   - a filter configured through ECDS (`config_discovery`: HTTP, network and listener
//     filters) is named after an extension config whose typed_config is of one of its
//     type_urls;
//   - a tcp_proxy's cluster exists;
//   - a cluster of type EDS has a ClusterLoadAssignment named after its
//     eds_cluster_config.service_name, or its own name;
//   - no two listeners share an address and port.
// Unknown keys, unknown resource types and unknown fields are errors.
//
// A route configuration R with `vhds` serves its virtual hosts on demand (VHDS): each
// virtual host V becomes a VirtualHost resource named "R/V.name", with the aliases
// "R/<domain>" for each of V's domains (Envoy asks for "R/<host header>"), and R itself is
// served without its virtual_hosts. A name or domain may then name one virtual host of R only.
//
// Every error names the file, the 1-based line and the path of the offending value:
//   demo.yaml:14: routes[0].virtual_hosts[1].routes[3].route.cluster: no cluster named "x"
// All errors are collected; a failed load returns one InvalidArgument status with one error
// per line of its message.

// The resources served to the nodes of one group.
struct NodeGroup {
  std::string name;
  std::string cluster_glob = "*";
  std::string id_glob = "*";
  SnapshotPtr snapshot;
  // The group's own `rollout:`; without one a change reaches its nodes at once.
  std::optional<RolloutPolicy> rollout;
};

// Which nodes the clients holding one identity may claim (`authorization:`).
struct AuthorizationRule {
  std::string identity_glob;               // matches any one of the certificate's identities
  std::vector<std::string> node_id_globs;  // node.id must match one of them
  std::vector<std::string> cluster_globs;  // node.cluster must match one; empty: any cluster
  std::string where;                       // "FILE:LINE", for messages
};

// A loaded configuration. Immutable once built; share it freely.
struct Config {
  // Served to every node that no group matches. Never null (possibly empty).
  SnapshotPtr default_snapshot;
  // In file order (for a directory: in file name order, then file order).
  std::vector<NodeGroup> groups;
  // `authorization:` in file order; nullopt when no file has the key (an empty list refuses
  // every node).
  std::optional<std::vector<AuthorizationRule>> authorization;
  // `csds_identities:` (globs); nullopt when no file has the key.
  std::optional<std::vector<std::string>> csds_identities;
  // `allow_mass_removal: true` in any file: a reload to this config skips CheckMassRemoval.
  bool allow_mass_removal = false;
  // The fleet overlay (fleet_overlay.h), when the source keeps it beside the config (an etcd
  // prefix: key_layout.h): the publisher serves this one instead of its own. nullopt for files.
  std::optional<std::map<std::string, ResourceMap, std::less<>>> fleet_overlay;
  // The top-level `rollout:`, for the default resources. Not part of a revision's content.
  std::optional<RolloutPolicy> rollout;
};

// Loads a file, or a directory whose *.yaml, *.yml and *.json files (not recursive) are
// merged in name order: their default resources form one set, groups of the same name form
// one group. A resource name defined twice (in one set) is an error. Hidden files and editor
// leftovers (.#a.yaml, .a.yaml.swp, a.yaml~) are skipped.
//
// Only regular files are read (a symlink to one is followed): a FIFO, a device or a socket is
// an error, never a read that blocks or never ends. The files together may hold at most
// `max_bytes` (--max-config-bytes); past that the load fails with ResourceExhausted.
// Whether a directory's entry named `path` is one of its config files: *.yaml, *.yml or *.json,
// neither hidden nor an editor's leftover.
bool IsConfigFileName(const std::filesystem::path& path);

inline constexpr size_t kDefaultMaxConfigBytes = size_t{64} << 20;
absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      size_t max_bytes = kDefaultMaxConfigBytes);

// The files LoadConfigFile reads, in the order it reads them, with their text: `path` itself,
// or a directory's files in name order. The same checks and limits as LoadConfigFile.
struct ConfigFile {
  std::string name;
  std::string text;
};
absl::StatusOr<std::vector<ConfigFile>> ReadConfigFiles(const std::string& path,
                                                        size_t max_bytes = kDefaultMaxConfigBytes);

// Parses one file's text; `file_name` is only used in error messages.
absl::StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name);

// Parses one message of `full_type_name` (any message type of the Envoy API, e.g.
// "envoy.config.bootstrap.v3.Bootstrap") written as Envoy YAML or JSON, and returns it
// serialized. Unknown fields are errors; an error reads "FILE:LINE: <protobuf message>".
absl::StatusOr<std::string> ParseYamlAs(std::string_view full_type_name, std::string_view text,
                                        std::string_view file_name);

// The group a node is served: the name of the first group whose globs match node.cluster
// and node.id, or "" for the default resources.
std::string GroupOf(const Config& config, const envoy::config::core::v3::Node& node);

// The snapshot a node is served: its group's, or the default one.
SnapshotPtr SnapshotFor(const Config& config, const envoy::config::core::v3::Node& node);

// The built-in demo configuration (also examples/demo.yaml): listener_0 on 0.0.0.0:10000
// routes every request to https://www.bbc.com, rewriting the host and the path to
// /robots.txt.
std::string_view DemoConfigYaml();

// DemoConfigYaml(), parsed. Only fails on a defect in the demo or the API.
absl::StatusOr<Config> LoadDemoConfig();

}  // namespace xdsd::config

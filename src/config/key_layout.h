#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config_loader.h"
#include "config/fleet_overlay.h"
#include "envoy/config/cluster/v3/cluster.pb.h"

namespace xdsd::config {

// The configuration as keys and values, the way a key-value store (etcd) holds it under a
// prefix. Keys here are relative to the prefix (docs/high-availability.md):
//
//   <type>/<name>      one resource: <type> a key of `resources:` (clusters, listeners, ...),
//                      <name> the resource's name (it may hold "/"), the value the resource as
//                      Envoy JSON, exactly as one item of that list in a file
//   groups             the `groups:` list as JSON (kept whole: its order is the match order)
//   authorization      the `authorization:` list as JSON
//   csds_identities    the `csds_identities:` list as JSON
//   allow_mass_removal `allow_mass_removal: true` when the config says so
//   rollout            the top-level `rollout:` policy as JSON (a group's is in `groups`)
//   applied            written by every writer (`xdsd apply`, the fleet API): what it read and
//                      changed; not config
//   registrations/...  endpoint registrations (below); not config
//   fleet/<type>/<name> one resource of the fleet overlay (fleet_overlay.h), written by the fleet
//                      API, as Envoy JSON; served on top of the config, not part of it
//
// Every other key is an error, as an unknown key in a file is. The same config always gives
// the same keys and the same bytes (JSON without spaces, fields in the order written), so
// comparing values tells what an apply changes.
using ConfigKeys = std::map<std::string, std::string, std::less<>>;

inline constexpr char kAppliedKey[] = "applied";
inline constexpr char kRegistrationsDir[] = "registrations/";
inline constexpr char kFleetDir[] = "fleet/";
// The single keys that hold a whole top-level section of the file format.
inline constexpr const char* kSectionKeys[] = {"groups", "authorization", "csds_identities",
                                               "allow_mass_removal", "rollout"};

// True for the keys that hold config (not `applied`, not registrations, not the fleet overlay).
bool IsConfigKey(std::string_view key);

// The keys of the file or directory at `path`, which must load (LoadConfigFile); the error is
// the loader's, as `xdsd validate` reports it. A resource with no name is an error.
absl::StatusOr<ConfigKeys> ConfigKeysFromFile(const std::string& path,
                                              size_t max_bytes = kDefaultMaxConfigBytes);

// Builds the config that `keys` hold, with the same checks as a file; errors name
// "<where><key>:<line>". A resource whose name is not its key's is an error. The fleet/ keys
// become the config's fleet_overlay (always set, possibly empty), each resource checked as the
// fleet API checks it; registrations and `applied` are not config.
absl::StatusOr<Config> ConfigFromKeys(const ConfigKeys& keys, std::string_view where);

// Endpoint registration (`xdsd register`, or any program that holds an etcd lease):
//
//   registrations/<cluster>/<host>:<port>   {"address": HOST, "port": PORT,
//                                            "locality": {"region": R, "zone": Z}}
//
// An EDS cluster whose metadata says so takes its endpoints from the registrations of its name:
//
//   metadata: { filter_metadata: { xdsd: { endpoints: registrations } } }
//
// ConfigFromKeys then makes its ClusterLoadAssignment (named after eds_cluster_config's
// service_name, or the cluster) from them, one locality per region/zone in key order; with none
// registered, it has no endpoints. Such a cluster needs no ClusterLoadAssignment in the config
// (and must not have one); in a file config it has no endpoints. Default resources only.
struct Registration {
  std::string cluster;
  std::string host;
  int port = 0;
  std::string region;  // both empty: no locality
  std::string zone;
};
std::string RegistrationKey(const Registration& registration);
std::string RegistrationValue(const Registration& registration);
// True when `cluster`'s metadata says xdsd.endpoints: registrations.
bool EndpointsFromRegistrations(const envoy::config::cluster::v3::Cluster& cluster);

// The key of a fleet overlay resource: fleet/<type name>/<name>.
std::string FleetKey(std::string_view type_url, std::string_view name);

// What turns `from` into `to` (config keys only).
struct KeyChanges {
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};
KeyChanges DiffConfigKeys(const ConfigKeys& from, const ConfigKeys& to);

}  // namespace xdsd::config

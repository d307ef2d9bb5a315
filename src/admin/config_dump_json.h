#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "xdsd/snapshot_cache.h"

namespace xdsd::admin {

// What one node is served, as served by GET /v1/config_dump?node=ID: the snapshot of the node's
// key, each resource as Envoy's JSON (extension types inside Any included, resolved through the
// whole embedded Envoy API), grouped by type in the order ADS sends them:
//
//   {"node": "envoy-1", "snapshot_key": "edge", "has_snapshot": true,
//    "types": [{"type_url": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
//               "type": "clusters", "version": "0123456789abcdef",
//               "resources": [{"name": "backend", "version": "...", "resource": {...}}]},
//              ...]}
//
// Types without resources are left out. A resource that does not convert (it cannot happen for
// resources the loader built) carries "error" instead of "resource".
//
// NotFound when the cache never saw the node. The node's key is computed now, from the node as
// it first connected, with the cache's current node hash.
absl::StatusOr<nlohmann::json> ConfigDumpToJson(const SnapshotCache& cache,
                                                const std::string& node_id);

}  // namespace xdsd::admin

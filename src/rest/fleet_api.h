#pragma once

#include <string_view>

#include "rest/rest_gateway.h"
#include "xdsd/snapshot_cache.h"

namespace xdsd::rest {

// The daemon's face of the incremental cache (SnapshotCache's fleet-wide types): one resource
// type served to every node, changed one resource at a time over HTTP, e.g. by a service
// registry that follows endpoints as they come and go.
//
//   GET    /v1/fleet/{type}          the names and versions served fleet-wide, JSON
//   PUT    /v1/fleet/{type}/{name}   body: the resource as Envoy JSON; adds or replaces it
//   DELETE /v1/fleet/{type}/{name}   removes it (404 when it is not served)
//   POST   /v1/fleet/{type}          body: {"set": [resources...], "remove": [names...]}, as
//                                    one change
//
// {type} is a short type name (clusters, endpoints, listeners, routes, secrets, ...). Once a
// type is served fleet-wide it replaces that type of the config file for every node. A
// resource that does not parse, or whose name differs from the path, is refused (400) and
// nothing changes.
//
// Thread-safe. The cache must outlive it.
class FleetApi {
 public:
  explicit FleetApi(SnapshotCache* cache) : cache_(cache) {}

  HttpReply Get(std::string_view type) const;
  HttpReply Put(std::string_view type, std::string_view name, std::string_view body) const;
  HttpReply Delete(std::string_view type, std::string_view name) const;
  HttpReply Post(std::string_view type, std::string_view body) const;

 private:
  SnapshotCache* const cache_;
};

}  // namespace xdsd::rest

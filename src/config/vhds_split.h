#pragma once

#include <chrono>
#include <vector>

#include "config/parsed_resource.h"
#include "envoy/config/route/v3/route.pb.h"

namespace xdsd::config {

// VHDS: a route configuration R with `vhds` serves its virtual hosts on demand. Returns one
// VirtualHost resource per virtual host V of `route_config` (R), named "R/V.name" with the
// aliases "R/<domain>" for each of V's domains (Envoy asks for "R/<host header>"), and leaves
// `route_config` without its virtual hosts, as R itself is served. A name or domain may name
// one virtual host of R only; a virtual host without a name, or a domain that names another,
// is an error at its place in `parsed` (R as parsed), and that host or alias is left out.
std::vector<ParsedResource> SplitVhds(envoy::config::route::v3::RouteConfiguration* route_config,
                                      const ParsedResource& parsed, std::chrono::milliseconds ttl,
                                      LoadErrors* errors);

}  // namespace xdsd::config

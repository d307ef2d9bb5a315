#pragma once

#include <memory>
#include <string_view>

#include "config/parsed_resource.h"
#include "google/protobuf/message.h"

namespace xdsd::config {

// The checks a set of resources (the default set, or one group's) must pass before it is
// served, each error at the place it was written (config_loader.h lists them):
//   - names are unique per type;
//   - routes name clusters that exist (route configurations, virtual hosts, scoped routes'
//     inline route configurations, HTTP connection managers' inline route_config);
//   - an HTTP connection manager's rds names a route configuration, a scoped route
//     configuration its route configuration;
//   - a filter configured through ECDS names an extension config of one of its type_urls;
//   - a tcp_proxy's clusters exist;
//   - an EDS cluster has its ClusterLoadAssignment;
//   - no two listeners share an address and port.
// They read each resource's ParsedResource::message; nothing is decoded again.
void CheckResourceSet(const ResourceSet& set, LoadErrors* errors);

// A new, empty message of the generated type of `type_url` when CheckResourceSet reads
// resources of that type, else null: what a ParsedResource's `message` must hold.
std::unique_ptr<google::protobuf::Message> NewCheckedMessage(std::string_view type_url);

}  // namespace xdsd::config

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config_publisher.h"
#include "nlohmann/json.hpp"
#include "rest/rest_gateway.h"

namespace xdsd::rest {

// The fleet overlay over HTTP: named resources served to every node on top of the config,
// e.g. set by a service registry that follows endpoints as they come and go. An overlay
// resource replaces the config's resource of the same type and name, in the default set and
// in every group; the config's other resources stay. Merged and checked by ConfigPublisher.
//
//   GET    /v1/fleet/{type}          the overlay's names and versions, JSON
//   PUT    /v1/fleet/{type}/{name}   body: the resource as Envoy JSON; adds or replaces it
//   DELETE /v1/fleet/{type}/{name}   removes it from the overlay (the config's own resource
//                                    of that name, if any, is served again); 404 when the
//                                    overlay has no such name
//   POST   /v1/fleet/{type}          body: {"set": [resources...], "remove": [names...]}, as
//                                    one change
//
// {type} is a short type name (clusters, endpoints, listeners, routes, secrets, ...). A
// resource that does not parse, whose name differs from the path, or with which some set
// would fail the config's reference checks (an EDS cluster without endpoints, a route to a
// missing cluster, ...) is refused (400, with the errors) and nothing changes.
//
// `who` made the change (AdminAuth::Who), for the revision it becomes (ConfigHistory).
//
// With a Writer (the config is in etcd), a change is not made here but written to the shared
// store, which every replica follows; the reply adds "etcd_revision": the store's revision of
// the write.
//
// Thread-safe. The publisher (and the writer) must outlive it.
class FleetApi {
 public:
  // Writes one change (checked as ConfigPublisher::ChangeOverlay does); the store's revision.
  using Writer = std::function<absl::StatusOr<int64_t>(
      std::string_view type_url, const std::vector<ResourcePtr>& upserts,
      const std::vector<std::string>& removals, std::string_view who)>;

  explicit FleetApi(config::ConfigPublisher* publisher, Writer writer = nullptr)
      : publisher_(publisher), writer_(std::move(writer)) {}

  HttpReply Get(std::string_view type) const;
  HttpReply Put(std::string_view type, std::string_view name, std::string_view body,
                std::string_view who = "") const;
  HttpReply Delete(std::string_view type, std::string_view name, std::string_view who = "") const;
  HttpReply Post(std::string_view type, std::string_view body, std::string_view who = "") const;

 private:
  // The overlay change, as a reply: 200 with `ok` on success, the status's error otherwise.
  HttpReply Change(std::string_view type_url, const std::vector<ResourcePtr>& upserts,
                   const std::vector<std::string>& removals, nlohmann::json ok,
                   std::string_view who) const;

  config::ConfigPublisher* const publisher_;
  const Writer writer_;
};

}  // namespace xdsd::rest

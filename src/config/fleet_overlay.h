#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/config_loader.h"
#include "xdsd/resource_map.h"

namespace xdsd::config {

// The fleet overlay: named resources set over the fleet API, served to every node on top of
// the config (an overlay resource replaces the config's resource of its type and name, in the
// default set and in every group). By type URL; a type without resources has no entry.
using FleetOverlay = std::map<std::string, ResourceMap, std::less<>>;

// Adds or replaces `upserts` and removes `removals` (resources of `type_url`) in `overlay`.
// NotFound when a removal names no resource of the overlay; then `overlay` is unchanged.
absl::Status ChangeFleetOverlay(FleetOverlay* overlay, std::string_view type_url,
                                const std::vector<ResourcePtr>& upserts,
                                const std::vector<std::string>& removals);

// `config` with `overlay` applied to the default set and to every group. Each snapshot shares
// every type the overlay does not touch; O(overlay size) per set.
Config ApplyOverlay(const Config& config, const FleetOverlay& overlay);

// The config's reference checks (reference_checks.h) over every set of an overlaid config:
// InvalidArgument with one error a line, each naming the set ("default resources", or
// group "NAME") and the resource. Decodes the checked types of every set, so it costs about
// as much as checking the config did.
absl::Status CheckOverlaidConfig(const Config& overlaid);

// One overlay resource as Envoy JSON (compact; the same bytes for the same resource).
absl::StatusOr<std::string> OverlayResourceJson(std::string_view type_url,
                                                const Resource& resource);

// The overlay as one JSON document: {"fleet_overlay": {"<type short name>": [<resource as
// Envoy JSON>, ...]}}. Secrets are written as they are: keep the file private.
absl::StatusOr<std::string> OverlayToJson(const FleetOverlay& overlay);
// The inverse; every resource is parsed and checked as the fleet API does. `file` names the
// document in errors.
absl::StatusOr<FleetOverlay> OverlayFromJson(std::string_view json, std::string_view file);

// Writes `contents` to `path` so that a crash leaves either the old file or the new one:
// a temporary file beside it, fsync, rename, fsync of the directory. Mode 0600.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace xdsd::config

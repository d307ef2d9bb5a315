#pragma once

// The guard against a reload that would take (nearly) everything away from the fleet: an empty
// or truncated save, a config tool that wrote half a file. Pure functions: thread-safe.

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "config/config_loader.h"

namespace xdsd::config {

// The names of what a config serves, by type name ("clusters", ...): a default resource as its
// name, a group's as "NAME (group G)". Types without resources are absent.
using ServedNames = std::map<std::string, std::set<std::string>, std::less<>>;

// What `config` serves (default resources and every group; virtual hosts are not counted, they
// come with their route configuration).
ServedNames ServedNamesOf(const Config& config);

// ServedNames as JSON, {"clusters": ["a", "b (group edge)"], ...} (GET /v1/config/resources),
// and back. Parsing fails with InvalidArgument when `json` is not such an object.
std::string ServedNamesToJson(const ServedNames& names);
absl::StatusOr<ServedNames> ServedNamesFromJson(absl::string_view json);

// --max-removal: "50%" (or "50") into 0.5; from 0% to 100%.
absl::Status ParseRemovalShare(absl::string_view text, double* share);

// FailedPrecondition when going from `served` to `next` would remove every resource of a type
// served now, or more than `max_share` (0 to 1) of all the resources served now; the message
// names what would go and how to allow it. OK when `served` is empty (nothing is served yet),
// when `max_share` is 1 (100%: no guard), or when the change stays within both bounds. The caller
// skips it for a config that says `allow_mass_removal: true`.
absl::Status CheckMassRemoval(const ServedNames& served, const ServedNames& next, double max_share);

}  // namespace xdsd::config

#include "config/mass_removal.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

// How many names of what would go a refusal lists per type; the rest are counted.
constexpr size_t kNamesListed = 5;

void AddNames(const Snapshot* snapshot, absl::string_view group, ServedNames* names) {
  if (snapshot == nullptr) return;
  for (const ResourceType& type : kResourceTypes) {
    if (!type.in_config) continue;  // virtual hosts come with their route configuration
    const ResourceMap& resources = snapshot->Resources(type.type_url);
    if (resources.empty()) continue;
    std::set<std::string>& set = (*names)[std::string(type.name)];
    for (const auto& [name, resource] : resources) {
      set.insert(group.empty() ? name : absl::StrCat(name, " (group ", group, ")"));
    }
  }
}

size_t Total(const ServedNames& names) {
  size_t total = 0;
  for (const auto& [type, set] : names) total += set.size();
  return total;
}

std::string Percent(double share) { return absl::StrCat(std::lround(share * 100), "%"); }

}  // namespace

ServedNames ServedNamesOf(const Config& config) {
  ServedNames names;
  AddNames(config.default_snapshot.get(), "", &names);
  for (const NodeGroup& group : config.groups) AddNames(group.snapshot.get(), group.name, &names);
  return names;
}

std::string ServedNamesToJson(const ServedNames& names) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [type, set] : names) json[type] = set;
  return json.dump(2) + "\n";
}

absl::StatusOr<ServedNames> ServedNamesFromJson(absl::string_view json) {
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("not a JSON object of resource names by type");
  }
  ServedNames names;
  for (const auto& [type, list] : parsed.items()) {
    if (!list.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", type, "\" is not a list of names"));
    }
    for (const nlohmann::json& name : list) {
      if (!name.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("\"", type, "\" holds a non-string name"));
      }
      names[type].insert(name.get<std::string>());
    }
  }
  return names;
}

absl::Status ParseRemovalShare(absl::string_view text, double* share) {
  absl::string_view number = text;
  absl::ConsumeSuffix(&number, "%");
  double percent = 0;
  if (!absl::SimpleAtod(number, &percent) || !(percent >= 0 && percent <= 100)) {
    return absl::InvalidArgumentError("must be a percentage from 0% to 100%, e.g. 50%");
  }
  *share = percent / 100;
  return absl::OkStatus();
}

absl::Status CheckMassRemoval(const ServedNames& served, const ServedNames& next,
                              double max_share) {
  const size_t served_total = Total(served);
  if (served_total == 0 || max_share >= 1) return absl::OkStatus();  // nothing to lose; no guard
  size_t removed_total = 0;
  std::vector<std::string> emptied;  // types that would have no resource left
  std::vector<std::string> removals;
  for (const auto& [type, names] : served) {
    auto it = next.find(type);
    std::vector<std::string> gone;
    for (const std::string& name : names) {
      if (it == next.end() || !it->second.contains(name)) gone.push_back(name);
    }
    if (gone.empty()) continue;
    removed_total += gone.size();
    if (it == next.end() || it->second.empty()) emptied.push_back(type);
    std::string listed = absl::StrJoin(
        gone.begin(),
        gone.begin() + static_cast<std::ptrdiff_t>(std::min(gone.size(), kNamesListed)), ", ");
    if (gone.size() > kNamesListed)
      absl::StrAppend(&listed, " and ", gone.size() - kNamesListed, " more");
    removals.push_back(absl::StrCat(type, " ", listed));
  }
  const double share = static_cast<double>(removed_total) / static_cast<double>(served_total);
  if (emptied.empty() && share <= max_share) return absl::OkStatus();
  std::string why;
  if (!emptied.empty()) {
    why = absl::StrCat("it would remove every one of the ", absl::StrJoin(emptied, ", "),
                       " served now");
  } else {
    why = absl::StrCat("it would remove ", removed_total, " of the ", served_total,
                       " resources served now (", Percent(share), ", more than --max-removal ",
                       Percent(max_share), ")");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "mass removal refused: ", why, ": ", absl::StrJoin(removals, "; "),
      ". If that is meant, add `allow_mass_removal: true` at the top level of the config, or "
      "serve with --max-removal 100%"));
}

}  // namespace xdsd::config

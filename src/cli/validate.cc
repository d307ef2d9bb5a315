#include "cli/validate.h"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/admin_client.h"
#include "config/config_loader.h"
#include "config/config_publisher.h"
#include "config/mass_removal.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::cli {
namespace {

// The mass-removal guard of a reload of the xdsd at `target` to `config`.
absl::Status CheckAgainst(const AdminTarget& target, const config::Config& config,
                          double max_removal) {
  absl::StatusOr<AdminAnswer> answer = AdminGet(target, "/v1/config/resources");
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) {
    return absl::UnavailableError(absl::StrCat(target.http_url,
                                               "/v1/config/resources answered HTTP ",
                                               answer->status, ": is it xdsd's admin HTTP port?"));
  }
  absl::StatusOr<config::ServedNames> served = config::ServedNamesFromJson(answer->body);
  if (!served.ok()) {
    return absl::UnavailableError(
        absl::StrCat(target.http_url, " does not answer as xdsd: ", served.status().message()));
  }
  absl::Status checked =
      config::CheckMassRemoval(*served, config::ServedNamesOf(config), max_removal);
  if (checked.ok()) return checked;
  return absl::FailedPreconditionError(
      absl::StrCat("the xdsd at ", target.http_url, " would refuse it: ", checked.message()));
}

}  // namespace

absl::StatusOr<std::string> ValidateConfig(const ValidateOptions& options) {
  const std::string& path = options.config_path;
  // The loader would say "cannot open", which does not tell a missing path from an unreadable
  // one.
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": ", error ? error.message() : "no such file or directory"));
  }
  absl::StatusOr<config::Config> config = config::LoadConfigFile(path, options.max_config_bytes);
  if (!config.ok()) return config.status();
  if (options.against.has_value() && !config->allow_mass_removal) {
    AdminTarget target = *options.against;
    target.ca_file = options.against_ca_file;
    absl::Status checked = CheckAgainst(target, *config, options.max_removal);
    if (!checked.ok()) return checked;
  }

  // Resources per type, over the default set and every group, in the order ADS sends them.
  std::vector<const Snapshot*> snapshots = {config->default_snapshot.get()};
  std::vector<std::string> group_names;
  for (const config::NodeGroup& group : config->groups) {
    snapshots.push_back(group.snapshot.get());
    group_names.push_back(group.name);
  }
  size_t total = 0;
  std::vector<std::string> counts;
  for (std::string_view type_url : kAdsOrder) {
    size_t count = 0;
    for (const Snapshot* snapshot : snapshots) {
      if (snapshot != nullptr) count += snapshot->Resources(type_url).size();
    }
    if (count == 0) continue;
    total += count;
    counts.push_back(absl::StrCat(std::string(TypeShortName(type_url)), ": ", count));
  }
  std::string summary = absl::StrCat(total, total == 1 ? " resource" : " resources");
  if (!counts.empty()) absl::StrAppend(&summary, ": ", absl::StrJoin(counts, ", "));
  if (!group_names.empty()) {
    absl::StrAppend(&summary, "; groups: ", absl::StrJoin(group_names, ", "));
  }
  return absl::StrCat(path, ": valid (", summary, ")\nversion ", config::ConfigVersion(*config));
}

}  // namespace xdsd::cli

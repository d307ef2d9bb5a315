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
#include "config/config_loader.h"
#include "xdsd/resource.h"
#include "xdsd/snapshot.h"

namespace xdsd::cli {

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
  return absl::StrCat(path, ": valid (", summary, ")");
}

}  // namespace xdsd::cli

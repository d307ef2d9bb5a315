#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "config/config_loader.h"
#include "config/parsed_resource.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::config {

// Builds a Config from one or more files (config_loader.h describes the format): reads the
// keys, groups and resources of each file, then checks each set of resources
// (reference_checks.h) and makes its snapshot. Collects every error instead of stopping at
// the first.
//
// Thread-compatible.
class ParsedResourceCache;

class ConfigBuilder {
 public:
  // `cache`, when given, holds resources parsed by earlier loads by a hash of their text: an
  // unchanged resource is taken from it instead of parsed and checked again, and what this load
  // parses is added to it. It must outlive the builder.
  explicit ConfigBuilder(ParsedResourceCache* cache = nullptr) : cache_(cache) {}

  // Adds the default resources and the groups of one file; `file_name` is only used in errors.
  void AddFile(absl::string_view text, absl::string_view file_name);

  // Validates every set and builds the snapshots. InvalidArgument with one error per line
  // when anything added or built was wrong.
  absl::StatusOr<Config> Build();

 private:
  // A group as written: groups of the same name (from several files) are merged.
  struct GroupSpec {
    std::string name;
    std::string cluster_glob = "*";
    std::string id_glob = "*";
    bool has_match = false;
    std::string file;
    int line = 0;
    ResourceSet set;
    std::optional<RolloutPolicy> rollout;
  };

  void AddError(absl::string_view file, int line, absl::string_view path,
                absl::string_view message) {
    errors_.Add(file, line, path, message);
  }
  void AddError(absl::string_view file, const YAML::Mark& mark, absl::string_view path,
                absl::string_view message);

  void AddResources(const YAML::Node& node, absl::string_view file, absl::string_view prefix,
                    ResourceSet* set);
  void AddResource(const YAML::Node& node, absl::string_view file, const ResourceType& kind,
                   std::string path, ResourceSet* set);
  void AddGroup(const YAML::Node& node, absl::string_view file, absl::string_view path);
  void AddAuthorization(const YAML::Node& node, absl::string_view file);
  // Reads a `rollout:` section into `target`; a second section for the same set is an error.
  void AddRollout(const YAML::Node& node, absl::string_view file, absl::string_view path,
                  std::optional<RolloutPolicy>* target);
  // A list of glob strings at `path`; false (and an error) when it is not one.
  bool ReadGlobList(const YAML::Node& node, absl::string_view file, absl::string_view path,
                    std::vector<std::string>* globs);

  // Checks names and references of `set`, then makes its snapshot; null after an error.
  SnapshotPtr BuildSet(const ResourceSet& set);

  ParsedResourceCache* const cache_;
  LoadErrors errors_;
  // How many values the file being added may still expand to (api::MaxYamlValues): aliases
  // share nodes in the document, so this bounds what converting its resources builds.
  size_t yaml_values_left_ = 0;
  ResourceSet defaults_;
  std::vector<GroupSpec> groups_;
  std::optional<std::vector<AuthorizationRule>> authorization_;
  std::optional<std::vector<std::string>> csds_identities_;
  bool allow_mass_removal_ = false;
  std::optional<RolloutPolicy> rollout_;
};

}  // namespace xdsd::config

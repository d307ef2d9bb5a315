#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/json_scan.h"
#include "api/yaml_location.h"
#include "config/config_loader.h"
#include "config/parsed_resource.h"
#include "config/yaml_resource_lists.h"
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
  // A file of plain JSON (api::CheckPlainJson; whatever its name) is read in place, one
  // resource's text at a time, and `text` is kept while the builder lives; any other file is
  // read as one YAML document.
  void AddFile(std::shared_ptr<const std::string> text, absl::string_view file_name);
  void AddFile(absl::string_view text, absl::string_view file_name) {
    AddFile(std::make_shared<const std::string>(text), file_name);
  }

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

  // The keys of a file, and of `resources:`.
  static constexpr char kFileKeys[] =
      "resources, groups, authorization, csds_identities, allow_mass_removal, rollout";
  static std::string KindKeys();
  // The type written under `key` in `resources:`, or null.
  static const ResourceType* FindKind(absl::string_view key);

  void AddYamlFile(const std::shared_ptr<const std::string>& text, absl::string_view file_name);
  // The items of a resource list that SplitYamlResourceLists found, each parsed alone.
  void AddYamlListItems(const std::vector<YamlListItem>& items, absl::string_view file,
                        absl::string_view list_path, const ResourceType& kind,
                        absl::string_view prefix, ResourceSet* set);
  // A key of the file other than resources and groups (authorization, ...); AddSettingKey
  // returns false for any other key.
  static bool IsSettingKey(absl::string_view key) {
    return key == "authorization" || key == "csds_identities" || key == "allow_mass_removal" ||
           key == "rollout";
  }
  bool AddSettingKey(const std::string& key, const YAML::Node& value, absl::string_view file);
  void AddResources(const YAML::Node& node, absl::string_view file, absl::string_view prefix,
                    ResourceSet* set);
  // True when the resource loaded.
  bool AddResource(const YAML::Node& node, absl::string_view file, const ResourceType& kind,
                   std::string path, ResourceSet* set);
  // Adds the resource cached under `key` as `*parsed` (moved from); false when there is none.
  bool AddCached(uint64_t key, ParsedResource* parsed, ResourceSet* set);
  // What both paths share once a resource is JSON text: the cache, protobuf's parser and the
  // API's rules, canonical bytes, VHDS. True when the resource loaded.
  bool AddResourceJson(const std::string& json, std::chrono::milliseconds ttl,
                       ParsedResource parsed, ResourceSet* set);
  // Adds a group's name and match, and returns the set its resources go to; null after an
  // error. A group's `resources` are left to the caller, which gets them in `*resources`.
  ResourceSet* AddGroupSpec(const YAML::Node& node, absl::string_view file, absl::string_view path,
                            YAML::Node* resources);
  void AddGroup(const YAML::Node& node, absl::string_view file, absl::string_view path);
  void AddAuthorization(const YAML::Node& node, absl::string_view file);
  // Reads a `rollout:` section into `target`; a second section for the same set is an error.
  void AddRollout(const YAML::Node& node, absl::string_view file, absl::string_view path,
                  std::optional<RolloutPolicy>* target);
  // A list of glob strings at `path`; false (and an error) when it is not one.
  bool ReadGlobList(const YAML::Node& node, absl::string_view file, absl::string_view path,
                    std::vector<std::string>* globs);

  // The JSON path (config_builder_json.cc): the same checks and errors as the YAML path, on a
  // text that passed api::CheckPlainJson.
  void AddJsonFile(const std::shared_ptr<const std::string>& text, absl::string_view file);
  void AddJsonResources(api::JsonReader& reader, const api::JsonValue& value,
                        absl::string_view file, absl::string_view prefix, ResourceSet* set);
  void AddJsonResource(api::JsonReader& reader, const api::JsonValue& value, absl::string_view file,
                       const ResourceType& kind, std::string path, ResourceSet* set);
  // `text`, a part of a JSON file other than resources that starts on `line`, read as YAML
  // with its marks on the file's lines.
  YAML::Node JsonPartAsYaml(std::string_view text, int line, absl::string_view file);

  // The file's line of a line of the YAML being read (0: unknown).
  int Line(int yaml_line) const { return yaml_line > 0 ? yaml_line + line_offset_ : 0; }
  // The file's line of a mark in the YAML being read.
  int Line(const YAML::Mark& mark) const { return Line(api::LineOf(mark)); }

  // Checks names and references of `set`, then makes its snapshot; null after an error.
  SnapshotPtr BuildSet(const ResourceSet& set);

  ParsedResourceCache* const cache_;
  LoadErrors errors_;
  // How many values the file being added may still expand to (api::MaxYamlValues): aliases
  // share nodes in the document, so this bounds what converting its resources builds.
  size_t yaml_values_left_ = 0;
  // What to add to a line of the YAML being read when it is a part of the file parsed from where
  // it starts (0 for a whole file).
  int line_offset_ = 0;
  // The text of the JSON file being added: its resources' sources point into it.
  std::shared_ptr<const std::string> json_text_;
  // While a YAML file is added: its text and its resource lists (null when read whole), and
  // the source of the list item being added.
  std::shared_ptr<const std::string> yaml_text_;
  const YamlResourceLists* yaml_lists_ = nullptr;
  std::optional<ResourceSource> item_source_;
  ResourceSet defaults_;
  std::vector<GroupSpec> groups_;
  std::optional<std::vector<AuthorizationRule>> authorization_;
  std::optional<std::vector<std::string>> csds_identities_;
  bool allow_mass_removal_ = false;
  std::optional<RolloutPolicy> rollout_;
};

}  // namespace xdsd::config

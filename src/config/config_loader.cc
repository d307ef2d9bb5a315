#include "config/config_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/config_builder.h"
#include "config/glob.h"
#include "config/parsed_resource.h"
#include "nlohmann/json.hpp"

namespace xdsd::config {
namespace {

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path.string(), ": read failed"));
  return std::move(text).str();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name) {
  ConfigBuilder builder;
  builder.AddFile(AbslView(text), AbslView(file_name));
  return builder.Build();
}

absl::StatusOr<std::string> ParseYamlAs(std::string_view full_type_name, std::string_view text,
                                        std::string_view std_file_name) {
  absl::string_view file_name = AbslView(std_file_name);
  // Every error reads "FILE:LINE: message".
  auto located = [&](const absl::Status& status, int line) {
    return absl::Status(status.code(), absl::StrCat(file_name, ":", line, ": ", status.message()));
  };
  int error_line = 0;
  absl::StatusOr<YAML::Node> root = api::LoadYaml(text, &error_line);
  if (!root.ok()) return located(root.status(), error_line);
  absl::StatusOr<nlohmann::ordered_json> json = api::YamlToJson(*root, &error_line);
  if (!json.ok()) return located(json.status(), error_line);
  if (json->is_null()) *json = nlohmann::ordered_json::object();
  absl::StatusOr<std::string> bytes = api::EnvoyApi::Get().JsonToBinary(
      full_type_name, json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!bytes.ok())
    return located(bytes.status(), api::LineOfProtobufError(*root, bytes.status().message()));
  return bytes;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    return ParseConfig(*text, path);
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    std::string extension = it->path().extension().string();
    if ((extension == ".yaml" || extension == ".yml" || extension == ".json") &&
        !fs::is_directory(it->path())) {
      files.push_back(it->path());
    }
  }
  if (error) return absl::NotFoundError(absl::StrCat(path, ": ", error.message()));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no *.yaml, *.yml or *.json file"));
  }
  std::sort(files.begin(), files.end());
  ConfigBuilder builder;
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    builder.AddFile(*text, file.string());
  }
  return builder.Build();
}

namespace {

// The group `node` belongs to, or null for the default resources.
const NodeGroup* FindGroup(const Config& config, const envoy::config::core::v3::Node& node) {
  for (const NodeGroup& group : config.groups) {
    if (GlobMatches(group.cluster_glob, node.cluster()) && GlobMatches(group.id_glob, node.id())) {
      return &group;
    }
  }
  return nullptr;
}

}  // namespace

std::string GroupOf(const Config& config, const envoy::config::core::v3::Node& node) {
  const NodeGroup* group = FindGroup(config, node);
  return group != nullptr ? group->name : "";
}

SnapshotPtr SnapshotFor(const Config& config, const envoy::config::core::v3::Node& node) {
  const NodeGroup* group = FindGroup(config, node);
  return group != nullptr ? group->snapshot : config.default_snapshot;
}

absl::StatusOr<Config> LoadDemoConfig() { return ParseConfig(DemoConfigYaml(), "<demo>"); }

}  // namespace xdsd::config

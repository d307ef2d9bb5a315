#include "config/config_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "api/envoy_api.h"
#include "api/input_limits.h"
#include "api/redaction.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/config_builder.h"
#include "config/config_load_cache.h"
#include "config/glob.h"
#include "config/parsed_resource.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"
#include "xdsd/refusals.h"

namespace xdsd::config {
namespace {

// Reads the regular file at `path` (a symlink is followed to one), at most `*bytes_left`
// bytes of it (`max_bytes` is the whole config's cap, for the error), and lowers `*bytes_left` by
// what it read. Anything else (a FIFO, a device, a socket) is refused without reading: opening with
// O_NONBLOCK cannot block on a FIFO, and fstat of the opened file cannot be raced by a rename.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes,
                                     size_t* bytes_left) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  absl::Cleanup closer = [fd] { close(fd); };
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    CountRefusal("config_not_regular_file", path);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file (only regular files are read)"));
  }
  auto too_large = [&] {
    CountRefusal("config_too_large", path);
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": the configuration is larger than --max-config-bytes (", max_bytes, " bytes)"));
  };
  if (static_cast<uint64_t>(info.st_size) > *bytes_left) return too_large();
  std::string text;
  text.resize(static_cast<size_t>(info.st_size));
  size_t size = 0;
  // One byte past the size stat gave tells a file that grew while being read.
  char extra = 0;
  while (true) {
    char* into = size < text.size() ? text.data() + size : &extra;
    const size_t room = size < text.size() ? text.size() - size : 1;
    const ssize_t got = read(fd, into, room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::DataLossError(absl::StrCat(path, ": read failed"));
    if (got == 0) break;
    if (into == &extra) return too_large();  // grew past what stat said; refuse rather than chase
    size += static_cast<size_t>(got);
  }
  text.resize(size);
  *bytes_left -= size;
  return text;
}

}  // namespace

namespace {

absl::StatusOr<Config> ParseConfigUnredacted(std::string_view text, std::string_view file_name) {
  ConfigBuilder builder;
  builder.AddFile(AbslView(text), AbslView(file_name));
  return builder.Build();
}

}  // namespace

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
  size_t values_left = api::MaxYamlValues(text.size());
  absl::StatusOr<nlohmann::ordered_json> json = api::YamlToJson(*root, &error_line, &values_left);
  if (!json.ok()) return located(json.status(), error_line);
  if (json->is_null()) *json = nlohmann::ordered_json::object();
  absl::StatusOr<std::string> bytes = api::EnvoyApi::Get().JsonToBinary(
      full_type_name, json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!bytes.ok())
    return located(bytes.status(), api::LineOfProtobufError(*root, bytes.status().message()));
  return bytes;
}

bool IsConfigFileName(const std::filesystem::path& path) {
  // Hidden files and what editors leave beside the file they edit (emacs' lock link .#a.yaml,
  // vim's .a.yaml.swp, backups a.yaml~) are not the config.
  const std::string name = path.filename().string();
  if (name.starts_with(".") || name.ends_with("~")) return false;
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

absl::StatusOr<std::vector<ConfigFile>> ReadConfigFiles(const std::string& path, size_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code error;
  size_t bytes_left = max_bytes;
  std::vector<ConfigFile> read;
  if (!fs::is_directory(path, error)) {
    absl::StatusOr<std::string> text = ReadFile(path, max_bytes, &bytes_left);
    if (!text.ok()) return text.status();
    read.push_back({path, *std::move(text)});
    return read;
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    if (!IsConfigFileName(it->path())) {
      const std::string name = it->path().filename().string();
      if (name.starts_with(".") || name.ends_with("~")) {
        spdlog::debug("config {}: ignoring {} (hidden, or an editor's file)", path, name);
      }
      continue;
    }
    if (!fs::is_directory(it->path())) files.push_back(it->path());
  }
  if (error) return absl::NotFoundError(absl::StrCat(path, ": ", error.message()));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no *.yaml, *.yml or *.json file"));
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file.string(), max_bytes, &bytes_left);
    if (!text.ok()) return text.status();
    read.push_back({file.string(), *std::move(text)});
  }
  return read;
}

namespace {

absl::StatusOr<Config> LoadConfigFileUnredacted(const std::string& path, size_t max_bytes) {
  absl::StatusOr<std::vector<ConfigFile>> files = ReadConfigFiles(path, max_bytes);
  if (!files.ok()) return files.status();
  ConfigBuilder builder;
  for (ConfigFile& file : *files) {
    builder.AddFile(std::make_shared<const std::string>(std::move(file.text)), file.name);
  }
  return builder.Build();
}

}  // namespace

// An error may quote a value of the config, a secret one too: errors go out redacted.
absl::StatusOr<Config> ParseConfig(std::string_view text, std::string_view file_name) {
  absl::StatusOr<Config> config = ParseConfigUnredacted(text, file_name);
  if (!config.ok()) return api::RedactSecretText(config.status());
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, size_t max_bytes) {
  absl::StatusOr<Config> config = LoadConfigFileUnredacted(path, max_bytes);
  if (!config.ok()) return api::RedactSecretText(config.status());
  return config;
}

ResourcePtr ParsedResourceCache::Find(uint64_t key) {
  if (auto it = current_.find(key); it != current_.end()) {
    ++hits_;
    return it->second;
  }
  auto it = previous_.find(key);
  if (it == previous_.end()) return nullptr;
  ++hits_;
  return current_.emplace(key, it->second).first->second;
}

void ParsedResourceCache::Add(uint64_t key, ResourcePtr resource) {
  current_.insert_or_assign(key, std::move(resource));
}

void ParsedResourceCache::EndLoad() {
  previous_ = std::move(current_);
  current_.clear();
}

absl::StatusOr<std::shared_ptr<const Config>> ConfigLoadCache::Load(const std::string& path,
                                                                    size_t max_bytes) {
  absl::StatusOr<std::vector<ConfigFile>> files = ReadConfigFiles(path, max_bytes);
  if (!files.ok()) return files.status();
  uint64_t digest = files->size();
  for (const ConfigFile& file : *files) {
    digest = XXH3_64bits_withSeed(file.name.data(), file.name.size(), digest);
    digest = XXH3_64bits_withSeed(file.text.data(), file.text.size(), digest);
  }
  if (last_ != nullptr && digest == digest_) return last_;  // nothing changed: nothing to do
  ConfigBuilder builder(&resources_);
  for (ConfigFile& file : *files) {
    builder.AddFile(std::make_shared<const std::string>(std::move(file.text)), file.name);
  }
  absl::StatusOr<Config> built = builder.Build();
  resources_.EndLoad();
  if (!built.ok()) return api::RedactSecretText(built.status());
  digest_ = digest;
  last_ = std::make_shared<const Config>(*std::move(built));
  return last_;
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

#include "config/config_history.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/envoy_api.h"
#include "api/redaction.h"
#include "config/config_publisher.h"
#include "config/fleet_overlay.h"
#include "config/parsed_resource.h"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

constexpr std::string_view kTypeUrlPrefix = "type.googleapis.com/";
constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E3SZ";

// Every resource of `config` of one type, by qualified name: "NAME" in the default set,
// "GROUP/NAME" in a group.
std::map<std::string, ResourcePtr> Flatten(const Config& config, std::string_view type_url) {
  std::map<std::string, ResourcePtr> out;
  if (config.default_snapshot != nullptr) {
    for (const auto& [name, resource] : config.default_snapshot->Resources(type_url)) {
      out.emplace(name, resource);
    }
  }
  for (const NodeGroup& group : config.groups) {
    if (group.snapshot == nullptr) continue;
    for (const auto& [name, resource] : group.snapshot->Resources(type_url)) {
      out.emplace(absl::StrCat(group.name, "/", name), resource);
    }
  }
  return out;
}

// Calls `visit(name, before, after)` for every name of a type present in either config (a
// null side: absent).
template <typename Visit>
void ForEachResource(const Config* from, const Config& to, std::string_view type_url, Visit visit) {
  const std::map<std::string, ResourcePtr> before =
      from == nullptr ? std::map<std::string, ResourcePtr>() : Flatten(*from, type_url);
  const std::map<std::string, ResourcePtr> after = Flatten(to, type_url);
  std::set<std::string> names;
  for (const auto& [name, resource] : before) names.insert(name);
  for (const auto& [name, resource] : after) names.insert(name);
  for (const std::string& name : names) {
    auto b = before.find(name);
    auto a = after.find(name);
    visit(name, b == before.end() ? nullptr : b->second, a == after.end() ? nullptr : a->second);
  }
}

// The resource as Envoy JSON with its secrets redacted; null when it does not decode.
nlohmann::json RedactedJson(const Resource& resource) {
  const std::string redacted = api::RedactedBytes(resource.type_url(), resource.bytes());
  absl::StatusOr<std::string> json = api::EnvoyApi::Get().BinaryToJson(
      std::string_view(resource.type_url()).substr(kTypeUrlPrefix.size()), redacted);
  if (!json.ok()) return nullptr;
  return nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
}

// Appends the leaves where `a` and `b` differ, as {"path", "from", "to"}.
void DiffJson(const nlohmann::json& a, const nlohmann::json& b, const std::string& path,
              nlohmann::json* out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto& [key, value] : a.items()) keys.insert(key);
    for (const auto& [key, value] : b.items()) keys.insert(key);
    for (const std::string& key : keys) {
      const std::string child = path.empty() ? key : absl::StrCat(path, ".", key);
      DiffJson(a.value(key, nlohmann::json()), b.value(key, nlohmann::json()), child, out);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      DiffJson(a[i], b[i], absl::StrCat(path, "[", i, "]"), out);
    return;
  }
  out->push_back({{"path", path}, {"from", a}, {"to", b}});
}

std::string Rfc3339(absl::Time t) { return absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone()); }

// The resources of one set: {TYPE: [{"name", "bytes" (base64), "aliases"?, "ttl_ms"?}]}.
nlohmann::json SnapshotToJson(const Snapshot* snapshot) {
  nlohmann::json types = nlohmann::json::object();
  if (snapshot == nullptr) return types;
  for (const ResourceType& kind : kResourceTypes) {
    const ResourceMap& resources = snapshot->Resources(kind.type_url);
    if (resources.empty()) continue;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, resource] : resources) {
      nlohmann::json entry = {{"name", name},
                              {"bytes", absl::Base64Escape(AbslView(resource->bytes()))}};
      if (!resource->aliases().empty()) entry["aliases"] = resource->aliases();
      if (resource->ttl().count() > 0) entry["ttl_ms"] = resource->ttl().count();
      list.push_back(std::move(entry));
    }
    types[std::string(kind.name)] = std::move(list);
  }
  return types;
}

// The inverse of SnapshotToJson. Throws nlohmann::json::exception on a wrong shape.
absl::StatusOr<SnapshotPtr> SnapshotFromJson(const nlohmann::json& types) {
  std::vector<ResourcePtr> resources;
  for (const auto& [type, list] : types.items()) {
    const ResourceType* kind = FindResourceTypeByName(type);
    if (kind == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown type ", type));
    for (const nlohmann::json& entry : list) {
      std::string bytes;
      if (!absl::Base64Unescape(entry.at("bytes").get<std::string>(), &bytes)) {
        return absl::InvalidArgumentError(absl::StrCat(type, ": bytes are not base64"));
      }
      std::vector<std::string> aliases;
      if (entry.contains("aliases")) aliases = entry["aliases"].get<std::vector<std::string>>();
      resources.push_back(Resource::FromBytes(
          kind->type_url, entry.at("name").get<std::string>(), bytes,
          std::chrono::milliseconds(entry.value("ttl_ms", int64_t{0})), std::move(aliases)));
    }
  }
  return Snapshot::Create(std::move(resources));
}

nlohmann::json ChangesToJson(const ChangeSummary& changes) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [type, c] : changes) {
    json[type] = {{"added", c.added}, {"removed", c.removed}, {"changed", c.changed}};
  }
  return json;
}

// The file a revision is kept in: its number zero-padded, so that names sort by number.
std::string RevisionFileName(int64_t number) { return absl::StrFormat("r%010d.json", number); }

std::string RevisionToFile(const Revision& revision) {
  nlohmann::json json = RevisionToJson(revision);
  nlohmann::json groups = nlohmann::json::array();
  for (const NodeGroup& group : revision.content->groups) {
    groups.push_back({{"name", group.name},
                      {"cluster", group.cluster_glob},
                      {"id", group.id_glob},
                      {"resources", SnapshotToJson(group.snapshot.get())}});
  }
  json["content"] = {{"default", SnapshotToJson(revision.content->default_snapshot.get())},
                     {"groups", std::move(groups)}};
  return json.dump() + "\n";
}

absl::StatusOr<RevisionPtr> RevisionFromFile(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("content")) {
    return absl::InvalidArgumentError("not a revision");
  }
  try {
    auto revision = std::make_shared<Revision>();
    revision->number = json.at("revision").get<int64_t>();
    revision->version = json.at("version").get<std::string>();
    revision->source_version = json.at("source_version").get<std::string>();
    revision->source = json.at("source").get<std::string>();
    revision->who = json.value("who", "");
    std::string error;
    if (!absl::ParseTime(kTimeFormat, json.at("loaded_at").get<std::string>(), &revision->loaded_at,
                         &error)) {
      return absl::InvalidArgumentError(absl::StrCat("loaded_at: ", error));
    }
    for (const auto& [type, c] : json.at("changes").items()) {
      revision->changes[type] = {c.at("added").get<std::vector<std::string>>(),
                                 c.at("removed").get<std::vector<std::string>>(),
                                 c.at("changed").get<std::vector<std::string>>()};
    }
    Config content;
    absl::StatusOr<SnapshotPtr> default_snapshot = SnapshotFromJson(json["content"].at("default"));
    if (!default_snapshot.ok()) return default_snapshot.status();
    content.default_snapshot = *std::move(default_snapshot);
    for (const nlohmann::json& g : json["content"].at("groups")) {
      absl::StatusOr<SnapshotPtr> snapshot = SnapshotFromJson(g.at("resources"));
      if (!snapshot.ok()) return snapshot.status();
      content.groups.push_back({g.at("name").get<std::string>(), g.at("cluster").get<std::string>(),
                                g.at("id").get<std::string>(), *std::move(snapshot)});
    }
    if (ConfigVersion(content) != revision->version) {
      return absl::DataLossError("the content does not match its version");
    }
    revision->content = std::make_shared<const Config>(std::move(content));
    return revision;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

}  // namespace

ChangeSummary SummarizeChanges(const Config* from, const Config& to) {
  ChangeSummary summary;
  for (const ResourceType& kind : kResourceTypes) {
    TypeChanges changes;
    ForEachResource(
        from, to, kind.type_url,
        [&](const std::string& name, const ResourcePtr& before, const ResourcePtr& after) {
          if (before == nullptr) {
            changes.added.push_back(name);
          } else if (after == nullptr) {
            changes.removed.push_back(name);
          } else if (before->version() != after->version()) {
            changes.changed.push_back(name);
          }
        });
    if (changes != TypeChanges{}) summary.emplace(std::string(kind.name), std::move(changes));
  }
  return summary;
}

ConfigHistory::ConfigHistory(size_t max_revisions)
    : max_revisions_(std::max<size_t>(1, max_revisions)) {}

absl::Status ConfigHistory::KeepIn(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "r") && absl::EndsWith(name, ".json")) files.push_back(entry.path());
  }
  if (error) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", error.message()));
  std::sort(files.begin(), files.end());
  if (files.size() > max_revisions_) {
    for (size_t i = 0; i + max_revisions_ < files.size(); ++i)
      std::filesystem::remove(files[i], error);
    files.erase(files.begin(), files.end() - static_cast<std::ptrdiff_t>(max_revisions_));
  }
  std::vector<RevisionPtr> loaded;
  for (const std::filesystem::path& path : files) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) return absl::InternalError(absl::StrCat("cannot read ", path.string()));
    absl::StatusOr<RevisionPtr> revision = RevisionFromFile(text.str());
    if (!revision.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": ", revision.status().message()));
    }
    loaded.push_back(*std::move(revision));
  }
  absl::MutexLock lock(&mu_);
  revisions_ = std::move(loaded);
  dir_ = dir;
  return absl::OkStatus();
}

absl::StatusOr<RevisionPtr> ConfigHistory::Add(std::shared_ptr<const Config> content,
                                               std::string source, std::string who,
                                               std::string source_version, absl::Time now) {
  auto revision = std::make_shared<Revision>();
  revision->version = ConfigVersion(*content);
  revision->source_version = std::move(source_version);
  revision->loaded_at = now;
  revision->source = std::move(source);
  revision->who = std::move(who);
  absl::MutexLock lock(&mu_);
  const Revision* latest = revisions_.empty() ? nullptr : revisions_.back().get();
  revision->number = latest == nullptr ? 1 : latest->number + 1;
  revision->changes =
      SummarizeChanges(latest == nullptr ? nullptr : latest->content.get(), *content);
  revision->content = std::move(content);
  if (!dir_.empty()) {
    const std::string path =
        (std::filesystem::path(dir_) / RevisionFileName(revision->number)).string();
    if (absl::Status written = WriteFileAtomically(path, RevisionToFile(*revision));
        !written.ok()) {
      return written;
    }
  }
  revisions_.push_back(revision);
  while (revisions_.size() > max_revisions_) {
    if (!dir_.empty()) {
      std::error_code ignored;  // a file left behind is removed by the next KeepIn
      std::filesystem::remove(
          std::filesystem::path(dir_) / RevisionFileName(revisions_.front()->number), ignored);
    }
    revisions_.erase(revisions_.begin());
  }
  return revision;
}

RevisionPtr ConfigHistory::Get(int64_t number) const {
  absl::MutexLock lock(&mu_);
  for (const RevisionPtr& revision : revisions_) {
    if (revision->number == number) return revision;
  }
  return nullptr;
}

RevisionPtr ConfigHistory::Latest() const {
  absl::MutexLock lock(&mu_);
  return revisions_.empty() ? nullptr : revisions_.back();
}

std::vector<RevisionPtr> ConfigHistory::All() const {
  absl::MutexLock lock(&mu_);
  return revisions_;
}

nlohmann::json RevisionToJson(const Revision& revision) {
  return {{"revision", revision.number},
          {"version", revision.version},
          {"source_version", revision.source_version},
          {"loaded_at", Rfc3339(revision.loaded_at)},
          {"source", revision.source},
          {"who", revision.who},
          {"changes", ChangesToJson(revision.changes)}};
}

nlohmann::json DiffConfigs(const Config& from, const Config& to) {
  nlohmann::json diff = nlohmann::json::object();
  for (const ResourceType& kind : kResourceTypes) {
    nlohmann::json added = nlohmann::json::array();
    nlohmann::json removed = nlohmann::json::array();
    nlohmann::json changed = nlohmann::json::array();
    ForEachResource(
        &from, to, kind.type_url,
        [&](const std::string& name, const ResourcePtr& before, const ResourcePtr& after) {
          if (before == nullptr) {
            added.push_back(name);
          } else if (after == nullptr) {
            removed.push_back(name);
          } else if (before->version() != after->version()) {
            nlohmann::json fields = nlohmann::json::array();
            DiffJson(RedactedJson(*before), RedactedJson(*after), "", &fields);
            changed.push_back({{"name", name}, {"fields", std::move(fields)}});
          }
        });
    if (added.empty() && removed.empty() && changed.empty()) continue;
    diff[std::string(kind.name)] = {{"added", std::move(added)},
                                    {"removed", std::move(removed)},
                                    {"changed", std::move(changed)}};
  }
  return diff;
}

}  // namespace xdsd::config

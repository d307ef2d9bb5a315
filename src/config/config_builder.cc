#include "config/config_builder.h"

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/envoy_api.h"
#include "api/resource_parser.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/reference_checks.h"
#include "config/vhds_split.h"
#include "envoy/config/core/v3/extension.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

using api::LineOf;
using envoy::config::core::v3::TypedExtensionConfig;
using envoy::config::route::v3::RouteConfiguration;

// The type written under `key` in `resources:`, or null.
const ResourceType* FindKind(absl::string_view key) {
  const ResourceType* type = FindResourceTypeByName(std::string_view(key.data(), key.size()));
  return type != nullptr && type->in_config ? type : nullptr;
}

std::string KindKeys() {
  std::vector<absl::string_view> keys;
  for (const ResourceType& type : kResourceTypes) {
    if (type.in_config) keys.push_back(AbslView(type.name));
  }
  return absl::StrJoin(keys, ", ");
}

}  // namespace

void ConfigBuilder::AddError(absl::string_view file, const YAML::Mark& mark, absl::string_view path,
                             absl::string_view message) {
  errors_.Add(file, LineOf(mark), path, message);
}

void ConfigBuilder::AddFile(absl::string_view text, absl::string_view file_name) {
  int error_line = 0;
  absl::StatusOr<YAML::Node> loaded =
      api::LoadYaml(std::string_view(text.data(), text.size()), &error_line);
  if (!loaded.ok()) {
    AddError(file_name, error_line, "", loaded.status().message());
    return;
  }
  const YAML::Node& root = *loaded;
  if (root.IsNull()) return;  // An empty file configures nothing.
  if (!root.IsMap()) {
    AddError(file_name, root.Mark(), "", "the file must be a map with the keys resources, groups");
    return;
  }
  for (const auto& entry : root) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "resources") {
      AddResources(entry.second, file_name, "", &defaults_);
    } else if (key == "groups") {
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsSequence()) {
        AddError(file_name, entry.second.Mark(), "groups", "must be a list of groups");
        continue;
      }
      for (size_t i = 0; i < entry.second.size(); ++i) {
        AddGroup(entry.second[i], file_name, absl::StrCat("groups[", i, "]"));
      }
    } else {
      AddError(file_name, entry.first.Mark(), key,
               "unknown key (the file's keys are resources, groups)");
    }
  }
}

void ConfigBuilder::AddResources(const YAML::Node& node, absl::string_view file,
                                 absl::string_view prefix, ResourceSet* set) {
  std::string where = absl::StrCat(prefix, "resources");
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    AddError(file, node.Mark(), where, absl::StrCat("must be a map with the keys ", KindKeys()));
    return;
  }
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const ResourceType* kind = FindKind(key);
    if (kind == nullptr) {
      AddError(file, entry.first.Mark(), absl::StrCat(where, ".", key),
               absl::StrCat("unknown resource type (known: ", KindKeys(), ")"));
      continue;
    }
    if (entry.second.IsNull()) continue;
    if (!entry.second.IsSequence()) {
      AddError(file, entry.second.Mark(), absl::StrCat(where, ".", key),
               absl::StrCat("must be a list of ", AbslView(kind->noun), " resources"));
      continue;
    }
    for (size_t i = 0; i < entry.second.size(); ++i) {
      // Default resources are "listeners[0]", a group's "groups[1].resources.listeners[0]".
      std::string path = prefix.empty() ? absl::StrCat(key, "[", i, "]")
                                        : absl::StrCat(where, ".", key, "[", i, "]");
      AddResource(entry.second[i], file, *kind, std::move(path), set);
    }
  }
}

void ConfigBuilder::AddResource(const YAML::Node& node, absl::string_view file,
                                const ResourceType& kind, std::string path, ResourceSet* set) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path, absl::StrCat("a ", AbslView(kind.noun), " must be a map"));
    return;
  }
  // `ttl` beside a resource's own fields (no resource type has one of that name) makes it
  // expire at clients that support TTLs unless xdsd keeps renewing it.
  std::chrono::milliseconds ttl{0};
  YAML::Node fields = node;
  const google::protobuf::Descriptor* type =
      api::EnvoyApi::Get().FindType(api::FullTypeName(kind.type_url));
  if (node["ttl"] && type != nullptr && type->FindFieldByName("ttl") == nullptr) {
    const YAML::Node ttl_node = node["ttl"];
    absl::Duration duration;
    if (!ttl_node.IsScalar() || !absl::ParseDuration(ttl_node.Scalar(), &duration) ||
        duration <= absl::ZeroDuration()) {
      AddError(file, ttl_node.Mark(), absl::StrCat(path, ".ttl"),
               "must be a positive duration such as \"30s\" or \"1.5s\"");
      return;
    }
    ttl = absl::ToChronoMilliseconds(duration);
    fields.reset(YAML::Clone(node));
    fields.remove("ttl");
  }
  int error_line = 0;
  absl::StatusOr<nlohmann::ordered_json> json = api::YamlToJson(fields, &error_line);
  if (!json.ok()) {
    AddError(file, error_line, path, json.status().message());
    return;
  }
  ParsedResource parsed{&kind, nullptr, std::string(file), std::move(path), node, nullptr};
  absl::StatusOr<api::DecodedResource> decoded = api::DecodeResource(
      kind, json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!decoded.ok()) {
    // A message that names no field (an unnamed resource) points at the resource itself.
    absl::string_view message = decoded.status().message();
    AddError(file, api::LineOfProtobufError(node, message), parsed.path, message);
    return;
  }
  // Stored canonically: the JSON parser writes fields (and the values of Anys) in the order
  // they were written, and a reordered file must not change a version.
  absl::StatusOr<ResourcePtr> resource = Resource::FromMessage(*decoded->message, ttl);
  if (!resource.ok()) {
    AddError(file, node.Mark(), parsed.path, resource.status().message());
    return;
  }
  // The checks read the generated type, decoded here once from the canonical bytes (the
  // dynamic message is of the Envoy API's own pool, which generated code cannot read).
  std::unique_ptr<google::protobuf::Message> checked = NewCheckedMessage(kind.type_url);
  const std::string_view bytes = (*resource)->bytes();
  if (checked != nullptr &&
      !checked->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    AddError(file, node.Mark(), parsed.path, "internal error: the parsed resource does not decode");
    return;
  }
  std::vector<ParsedResource> virtual_hosts;
  if (auto* route_config =
          google::protobuf::DynamicCastToGenerated<RouteConfiguration>(checked.get());
      route_config != nullptr && route_config->has_vhds() &&
      route_config->virtual_hosts_size() > 0) {
    virtual_hosts = SplitVhds(route_config, parsed, ttl, &errors_);
    // Served without its virtual hosts, which Envoy fetches on demand.
    google::protobuf::Message& message = *decoded->message;
    message.GetReflection()->ClearField(&message,
                                        message.GetDescriptor()->FindFieldByName("virtual_hosts"));
    resource = Resource::FromMessage(message, ttl);
    if (!resource.ok()) {
      AddError(file, node.Mark(), parsed.path, resource.status().message());
      return;
    }
  } else if (auto* extension =
                 google::protobuf::DynamicCastToGenerated<TypedExtensionConfig>(checked.get());
             extension != nullptr && !extension->has_typed_config()) {
    errors_.AddAt(parsed, "typed_config",
                  absl::StrCat("extension config \"", decoded->name,
                               "\" needs a typed_config (with its \"@type\")"));
    return;
  }
  parsed.resource = *std::move(resource);
  parsed.message = std::move(checked);
  set->resources.push_back(std::move(parsed));
  for (ParsedResource& virtual_host : virtual_hosts) {
    set->resources.push_back(std::move(virtual_host));
  }
}

void ConfigBuilder::AddGroup(const YAML::Node& node, absl::string_view file,
                             absl::string_view path) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path, "a group must be a map with the keys name, match, resources");
    return;
  }
  GroupSpec group;
  group.file = std::string(file);
  group.line = LineOf(node.Mark());
  YAML::Node resources;
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "name") {
      if (!entry.second.IsScalar() || entry.second.Scalar().empty()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".name"),
                 "must be a non-empty string");
        return;
      }
      group.name = entry.second.Scalar();
    } else if (key == "match") {
      group.has_match = true;
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".match"),
                 "must be a map with the keys cluster, id");
        return;
      }
      for (const auto& glob : entry.second) {
        std::string glob_key = glob.first.IsScalar() ? glob.first.Scalar() : "";
        std::string* target = glob_key == "cluster" ? &group.cluster_glob
                              : glob_key == "id"    ? &group.id_glob
                                                    : nullptr;
        if (target == nullptr) {
          AddError(file, glob.first.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "unknown key (a match has the keys cluster, id)");
          return;
        }
        if (!glob.second.IsScalar()) {
          AddError(file, glob.second.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "must be a glob string");
          return;
        }
        *target = glob.second.Scalar();
      }
    } else if (key == "resources") {
      resources = entry.second;
    } else {
      AddError(file, entry.first.Mark(), absl::StrCat(path, ".", key),
               "unknown key (a group has the keys name, match, resources)");
      return;
    }
  }
  if (group.name.empty()) {
    AddError(file, node.Mark(), path, "a group needs a name");
    return;
  }
  // Groups of the same name (from several files of a directory) form one group.
  GroupSpec* target = nullptr;
  for (GroupSpec& existing : groups_) {
    if (existing.name == group.name) target = &existing;
  }
  if (target == nullptr) {
    groups_.push_back(std::move(group));
    target = &groups_.back();
  } else if (group.has_match) {
    if (target->has_match &&
        (target->cluster_glob != group.cluster_glob || target->id_glob != group.id_glob)) {
      AddError(file, group.line, absl::StrCat(path, ".match"),
               absl::StrCat("group \"", group.name, "\" is also defined at ", target->file, ":",
                            target->line, " with a different match"));
      return;
    }
    target->cluster_glob = group.cluster_glob;
    target->id_glob = group.id_glob;
    target->has_match = true;
  }
  if (resources.IsDefined()) {
    AddResources(resources, file, absl::StrCat(path, "."), &target->set);
  }
}

SnapshotPtr ConfigBuilder::BuildSet(const ResourceSet& set) {
  const size_t errors_before = errors_.size();
  CheckResourceSet(set, &errors_);
  if (errors_.size() != errors_before) return nullptr;

  std::vector<ResourcePtr> resources;
  resources.reserve(set.resources.size());
  for (const ParsedResource& parsed : set.resources) resources.push_back(parsed.resource);
  absl::StatusOr<SnapshotPtr> snapshot = Snapshot::Create(std::move(resources));
  if (!snapshot.ok()) {
    errors_.AddLine(std::string(snapshot.status().message()));
    return nullptr;
  }
  return *std::move(snapshot);
}

absl::StatusOr<Config> ConfigBuilder::Build() {
  Config config;
  config.default_snapshot = BuildSet(defaults_);
  for (const GroupSpec& spec : groups_) {
    NodeGroup group;
    group.name = spec.name;
    group.cluster_glob = spec.cluster_glob;
    group.id_glob = spec.id_glob;
    group.snapshot = BuildSet(spec.set);
    config.groups.push_back(std::move(group));
  }
  if (!errors_.empty()) return errors_.ToStatus();
  return config;
}

}  // namespace xdsd::config

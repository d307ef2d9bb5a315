#include "config/config_builder.h"

#include <xxhash.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/envoy_api.h"
#include "api/input_limits.h"
#include "api/parse_error_locator.h"
#include "api/resource_parser.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/config_load_cache.h"
#include "config/reference_checks.h"
#include "config/vhds_split.h"
#include "envoy/config/route/v3/route.pb.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource.h"

namespace xdsd::config {
namespace {

using envoy::config::route::v3::RouteConfiguration;

}  // namespace

const ResourceType* ConfigBuilder::FindKind(absl::string_view key) {
  const ResourceType* type = FindResourceTypeByName(std::string_view(key.data(), key.size()));
  return type != nullptr && type->in_config ? type : nullptr;
}

std::string ConfigBuilder::KindKeys() {
  std::vector<absl::string_view> keys;
  for (const ResourceType& type : kResourceTypes) {
    if (type.in_config) keys.push_back(AbslView(type.name));
  }
  return absl::StrJoin(keys, ", ");
}

void ConfigBuilder::AddError(absl::string_view file, const YAML::Mark& mark, absl::string_view path,
                             absl::string_view message) {
  errors_.Add(file, Line(mark), path, message);
}

void ConfigBuilder::AddFile(std::shared_ptr<const std::string> text, absl::string_view file_name) {
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{' &&
      api::CheckPlainJson(*text, api::kMaxNestingDepth).ok()) {
    AddJsonFile(text, file_name);
    return;
  }
  AddYamlFile(text, file_name);
}

bool ConfigBuilder::AddSettingKey(const std::string& key, const YAML::Node& value,
                                  absl::string_view file) {
  if (!IsSettingKey(key)) return false;
  if (key == "authorization") {
    AddAuthorization(value, file);
  } else if (key == "csds_identities") {
    std::vector<std::string> globs;
    if (ReadGlobList(value, file, key, &globs)) {
      if (!csds_identities_.has_value()) csds_identities_.emplace();
      csds_identities_->insert(csds_identities_->end(), globs.begin(), globs.end());
    }
  } else if (key == "rollout") {
    AddRollout(value, file, key, &rollout_);
  } else {  // allow_mass_removal
    bool allow = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, allow)) {
      AddError(file, value.Mark(), key, "must be true or false");
    } else {
      allow_mass_removal_ = allow_mass_removal_ || allow;
    }
  }
  return true;
}

bool ConfigBuilder::AddCached(uint64_t key, ParsedResource* parsed, ResourceSet* set) {
  ResourcePtr cached = cache_->Find(key);
  if (cached == nullptr) return false;
  std::unique_ptr<google::protobuf::Message> checked = NewCheckedMessage(parsed->kind->type_url);
  const std::string_view bytes = cached->bytes();
  if (checked != nullptr &&
      !checked->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return false;
  }
  parsed->message = std::move(checked);
  parsed->resource = std::move(cached);
  set->resources.push_back(std::move(*parsed));
  return true;
}

bool ConfigBuilder::AddResourceJson(const std::string& text, std::chrono::milliseconds ttl,
                                    ParsedResource parsed, ResourceSet* set) {
  const ResourceType& kind = *parsed.kind;
  const absl::string_view file = parsed.file;
  const google::protobuf::Descriptor* type =
      api::EnvoyApi::Get().FindType(api::FullTypeName(kind.type_url));
  // The same text of the same type with the same TTL parses to the same resource. Route
  // configurations are always parsed: one with VHDS is split into more resources.
  const bool cacheable = cache_ != nullptr && kind.type_url != kRouteType;
  uint64_t key = 0;
  if (cacheable) {
    key =
        XXH3_64bits_withSeed(text.data(), text.size(),
                             static_cast<uint64_t>(ttl.count()) ^ ResourceTypeIndex(kind.type_url));
    if (AddCached(key, &parsed, set)) return true;
  }
  std::vector<validate::Violation> violations;
  absl::StatusOr<api::DecodedResource> decoded = api::DecodeResource(kind, text, &violations);
  if (!decoded.ok()) {
    // The mistake at its own field and line when the walk finds it (protobuf loses the place
    // inside an Any); else protobuf's message, at the line it names. A message that names no
    // field (an unnamed resource) points at the resource itself.
    const YAML::Node node = parsed.source.Yaml();
    const std::optional<api::LocatedError> located =
        type != nullptr ? api::LocateParseError(node, *type) : std::nullopt;
    if (located.has_value()) {
      AddError(file, parsed.source.FileLine(located->line),
               absl::StrCat(parsed.path, ".", located->path), located->message);
    } else {
      absl::string_view message = decoded.status().message();
      AddError(file, parsed.source.FileLine(api::LineOfProtobufError(node, message)), parsed.path,
               message);
    }
    return false;
  }
  // The API's own rules, each broken one on the line of its field, as Envoy would NACK them.
  if (!violations.empty()) {
    for (const validate::Violation& violation : violations) {
      errors_.AddAt(parsed, violation.path, violation.message);
    }
    return false;
  }
  // Stored canonically: the JSON parser writes fields (and the values of Anys) in the order
  // they were written, and a reordered file must not change a version.
  absl::StatusOr<ResourcePtr> resource = Resource::FromMessage(*decoded->message, ttl);
  if (!resource.ok()) {
    AddError(file, parsed.source.line(), parsed.path, resource.status().message());
    return false;
  }
  // The checks read the generated type, decoded here once from the canonical bytes (the
  // dynamic message is of the Envoy API's own pool, which generated code cannot read).
  std::unique_ptr<google::protobuf::Message> checked = NewCheckedMessage(kind.type_url);
  const std::string_view bytes = (*resource)->bytes();
  if (checked != nullptr &&
      !checked->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    AddError(file, parsed.source.line(), parsed.path,
             "internal error: the parsed resource does not decode");
    return false;
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
      AddError(file, parsed.source.line(), parsed.path, resource.status().message());
      return false;
    }
  }
  parsed.resource = *std::move(resource);
  parsed.message = std::move(checked);
  if (cacheable) cache_->Add(key, parsed.resource);
  set->resources.push_back(std::move(parsed));
  for (ParsedResource& virtual_host : virtual_hosts) {
    set->resources.push_back(std::move(virtual_host));
  }
  return true;
}

void ConfigBuilder::AddGroup(const YAML::Node& node, absl::string_view file,
                             absl::string_view path) {
  YAML::Node resources;
  ResourceSet* set = AddGroupSpec(node, file, path, &resources);
  if (set != nullptr && resources.IsDefined()) {
    AddResources(resources, file, absl::StrCat(path, "."), set);
  }
}

ResourceSet* ConfigBuilder::AddGroupSpec(const YAML::Node& node, absl::string_view file,
                                         absl::string_view path, YAML::Node* resources) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path,
             "a group must be a map with the keys name, match, resources, rollout");
    return nullptr;
  }
  GroupSpec group;
  group.file = std::string(file);
  group.line = Line(node.Mark());
  std::optional<YAML::Node> rollout;
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key == "name") {
      if (!entry.second.IsScalar() || entry.second.Scalar().empty()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".name"),
                 "must be a non-empty string");
        return nullptr;
      }
      group.name = entry.second.Scalar();
    } else if (key == "match") {
      group.has_match = true;
      if (entry.second.IsNull()) continue;
      if (!entry.second.IsMap()) {
        AddError(file, entry.second.Mark(), absl::StrCat(path, ".match"),
                 "must be a map with the keys cluster, id");
        return nullptr;
      }
      for (const auto& glob : entry.second) {
        std::string glob_key = glob.first.IsScalar() ? glob.first.Scalar() : "";
        std::string* target = glob_key == "cluster" ? &group.cluster_glob
                              : glob_key == "id"    ? &group.id_glob
                                                    : nullptr;
        if (target == nullptr) {
          AddError(file, glob.first.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "unknown key (a match has the keys cluster, id)");
          return nullptr;
        }
        if (!glob.second.IsScalar()) {
          AddError(file, glob.second.Mark(), absl::StrCat(path, ".match.", glob_key),
                   "must be a glob string");
          return nullptr;
        }
        *target = glob.second.Scalar();
      }
    } else if (key == "resources") {
      resources->reset(entry.second);
    } else if (key == "rollout") {
      rollout = entry.second;
    } else {
      AddError(file, entry.first.Mark(), absl::StrCat(path, ".", key),
               "unknown key (a group has the keys name, match, resources, rollout)");
      return nullptr;
    }
  }
  if (group.name.empty()) {
    AddError(file, node.Mark(), path, "a group needs a name");
    return nullptr;
  }
  if (group.name.find('@') != std::string::npos) {
    AddError(file, node.Mark(), absl::StrCat(path, ".name"),
             "a group name cannot contain '@' (it marks the key of a rollout: GROUP@rN)");
    return nullptr;
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
      return nullptr;
    }
    target->cluster_glob = group.cluster_glob;
    target->id_glob = group.id_glob;
    target->has_match = true;
  }
  if (rollout.has_value()) {
    AddRollout(*rollout, file, absl::StrCat(path, ".rollout"), &target->rollout);
  }
  return &target->set;
}

void ConfigBuilder::AddRollout(const YAML::Node& node, absl::string_view file,
                               absl::string_view path, std::optional<RolloutPolicy>* target) {
  std::optional<RolloutPolicy> policy = ReadRolloutPolicy(node, file, path, &errors_);
  if (!policy.has_value()) return;
  if (target->has_value()) {
    AddError(file, node.Mark(), path,
             absl::StrCat("a second rollout for the same resources (the first is at ",
                          (*target)->where, ")"));
    return;
  }
  *target = std::move(policy);
}

bool ConfigBuilder::ReadGlobList(const YAML::Node& node, absl::string_view file,
                                 absl::string_view path, std::vector<std::string>* globs) {
  if (node.IsNull()) return true;
  if (!node.IsSequence()) {
    AddError(file, node.Mark(), path, "must be a list of glob strings");
    return false;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar() || node[i].Scalar().empty()) {
      AddError(file, node[i].Mark(), absl::StrCat(path, "[", i, "]"),
               "must be a non-empty glob string");
      return false;
    }
    globs->push_back(node[i].Scalar());
  }
  return true;
}

void ConfigBuilder::AddAuthorization(const YAML::Node& node, absl::string_view file) {
  // Present, even empty: then no node is authorized (the operator asked for rules).
  if (!authorization_.has_value()) authorization_.emplace();
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    AddError(file, node.Mark(), "authorization",
             "must be a list of rules {identity, nodes, clusters}");
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& entry = node[i];
    const std::string path = absl::StrCat("authorization[", i, "]");
    if (!entry.IsMap()) {
      AddError(file, entry.Mark(), path,
               "a rule must be a map with the keys identity, nodes, clusters");
      continue;
    }
    AuthorizationRule rule;
    rule.where = absl::StrCat(file, ":", Line(entry.Mark()));
    bool ok = true;
    bool has_nodes = false;
    for (const auto& field : entry) {
      const std::string key = field.first.IsScalar() ? field.first.Scalar() : "";
      const std::string field_path = absl::StrCat(path, ".", key);
      if (key == "identity") {
        if (!field.second.IsScalar() || field.second.Scalar().empty()) {
          AddError(file, field.second.Mark(), field_path, "must be a non-empty glob string");
          ok = false;
        } else {
          rule.identity_glob = field.second.Scalar();
        }
      } else if (key == "nodes") {
        has_nodes = true;
        ok = ReadGlobList(field.second, file, field_path, &rule.node_id_globs) && ok;
      } else if (key == "clusters") {
        ok = ReadGlobList(field.second, file, field_path, &rule.cluster_globs) && ok;
      } else {
        AddError(file, field.first.Mark(), field_path,
                 "unknown key (a rule has the keys identity, nodes, clusters)");
        ok = false;
      }
    }
    if (ok && rule.identity_glob.empty()) {
      AddError(file, entry.Mark(), path, "a rule needs an identity");
      ok = false;
    }
    if (ok && !has_nodes) {
      AddError(file, entry.Mark(), path, "a rule needs nodes (globs on node.id; \"*\" for any)");
      ok = false;
    }
    if (ok) authorization_->push_back(std::move(rule));
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
    group.rollout = spec.rollout;
    config.groups.push_back(std::move(group));
  }
  config.authorization = authorization_;
  config.csds_identities = csds_identities_;
  config.allow_mass_removal = allow_mass_removal_;
  config.rollout = rollout_;
  if (!errors_.empty()) return errors_.ToStatus();
  return config;
}

}  // namespace xdsd::config

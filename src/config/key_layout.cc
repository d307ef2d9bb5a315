#include "config/key_layout.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/input_limits.h"
#include "api/redaction.h"
#include "api/resource_parser.h"
#include "api/yaml_json.h"
#include "config/config_builder.h"
#include "config/parsed_resource.h"
#include "nlohmann/json.hpp"
#include "xdsd/resource_types.h"

namespace xdsd::config {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A JSON object's member under its proto name or its JSON (lowerCamel) name; null if absent.
const Json* Member(const Json& object, std::string_view proto_name) {
  if (!object.is_object()) return nullptr;
  std::string camel;
  bool upper = false;
  for (char c : proto_name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    camel += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  for (const std::string& field : {std::string(proto_name), camel}) {
    auto it = object.find(field);
    if (it != object.end()) return &*it;
  }
  return nullptr;
}

bool IsSectionKey(std::string_view key) {
  return std::any_of(std::begin(kSectionKeys), std::end(kSectionKeys),
                     [key](std::string_view section) { return section == key; });
}

// The resource type a resource key `<type>/<name>` is under, or null; `name` gets the rest.
const ResourceType* ResourceKeyType(std::string_view key, std::string_view* name) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return nullptr;
  const ResourceType* type = FindResourceTypeByName(key.substr(0, slash));
  if (type == nullptr || !type->in_config) return nullptr;
  *name = key.substr(slash + 1);
  return name->empty() ? nullptr : type;
}

// The name a resource written as `json` has, as the loader reads it (the proto field name or
// its JSON spelling); empty when it has none.
std::string NameOf(const Json& json, const ResourceType& type) {
  const Json* name = Member(json, type.name_field);
  return name != nullptr && name->is_string() ? name->get<std::string>() : "";
}

// Adds one file's sections to `keys`; `sections` collects the lists written under the section
// keys across files.
absl::Status AddFileKeys(const ConfigFile& file, ConfigKeys* keys,
                         std::map<std::string, Json>* sections) {
  int error_line = 0;
  absl::StatusOr<YAML::Node> root = api::LoadYaml(file.text, &error_line);
  size_t values_left = api::MaxYamlValues(file.text.size());
  absl::StatusOr<Json> json = root.ok() ? api::YamlToJson(*root, &error_line, &values_left)
                                        : absl::StatusOr<Json>(root.status());
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.name, ":", error_line, ": ", json.status().message()));
  }
  if (!json->is_object()) return absl::OkStatus();  // an empty file
  for (const auto& [section, value] : json->items()) {
    if (value.is_null()) continue;
    if (IsSectionKey(section)) {
      Json& kept = (*sections)[section];
      if (!value.is_array()) {  // a flag (allow_mass_removal): one file's true holds, as loaded;
                                // a map (rollout): kept as written
        if (kept != Json(true)) kept = value;
        continue;
      }
      if (kept.is_null()) kept = Json::array();
      for (const Json& item : value) kept.push_back(item);
      continue;
    }
    if (section != "resources") continue;  // the loader refused anything else already
    for (const auto& [type_name, resources] : value.items()) {
      const ResourceType* type = FindResourceTypeByName(type_name);
      if (type == nullptr || !resources.is_array()) continue;
      for (const Json& resource : resources) {
        const std::string name = NameOf(resource, *type);
        if (name.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(file.name, ": a ", AbslView(type->noun),
                                                         " without a ", AbslView(type->name_field),
                                                         " cannot be stored under a key"));
        }
        (*keys)[absl::StrCat(AbslView(type->name), "/", name)] = Dump(resource);
      }
    }
  }
  return absl::OkStatus();
}

// The name of the ClusterLoadAssignment a cluster written as `cluster` takes from the
// registrations, or empty when it does not.
std::string RegisteredAssignmentName(const Json& cluster) {
  const Json* type = Member(cluster, "type");
  const Json* metadata = Member(cluster, "metadata");
  const Json* filters = metadata != nullptr ? Member(*metadata, "filter_metadata") : nullptr;
  const Json* xdsd = filters != nullptr ? Member(*filters, "xdsd") : nullptr;
  const Json* endpoints = xdsd != nullptr ? Member(*xdsd, "endpoints") : nullptr;
  if (type == nullptr || *type != "EDS" || endpoints == nullptr || *endpoints != "registrations") {
    return "";
  }
  const Json* eds = Member(cluster, "eds_cluster_config");
  const Json* service = eds != nullptr ? Member(*eds, "service_name") : nullptr;
  if (service != nullptr && service->is_string() && !service->get<std::string>().empty()) {
    return service->get<std::string>();
  }
  const Json* name = Member(cluster, "name");
  return name != nullptr && name->is_string() ? name->get<std::string>() : "";
}

// The ClusterLoadAssignment `name` made of the registrations under `registrations/<cluster>/`
// (in key order, so that every replica makes the same bytes), as Envoy JSON.
std::string RegisteredAssignment(const ConfigKeys& keys, const std::string& cluster,
                                 const std::string& name) {
  std::map<std::pair<std::string, std::string>, Json> localities;
  const std::string dir = absl::StrCat(kRegistrationsDir, cluster, "/");
  for (auto it = keys.lower_bound(dir); it != keys.end() && it->first.starts_with(dir); ++it) {
    const Json value = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    const Json* host = Member(value, "address");
    const Json* port = Member(value, "port");
    if (host == nullptr || !host->is_string() || port == nullptr || !port->is_number_integer()) {
      continue;  // not a registration; a program writing them has a bug, the others still count
    }
    std::string region, zone;
    if (const Json* locality = Member(value, "locality")) {
      if (const Json* r = Member(*locality, "region"); r != nullptr && r->is_string()) region = *r;
      if (const Json* z = Member(*locality, "zone"); z != nullptr && z->is_string()) zone = *z;
    }
    Json& lb_endpoints = localities[{region, zone}];
    if (lb_endpoints.is_null()) lb_endpoints = Json::array();
    lb_endpoints.push_back(
        {{"endpoint",
          {{"address", {{"socket_address", {{"address", *host}, {"port_value", *port}}}}}}}});
  }
  Json endpoints = Json::array();
  for (auto& [locality, lb_endpoints] : localities) {
    Json entry = Json::object();
    if (!locality.first.empty() || !locality.second.empty()) {
      entry["locality"] = {{"region", locality.first}, {"zone", locality.second}};
    }
    entry["lb_endpoints"] = std::move(lb_endpoints);
    endpoints.push_back(std::move(entry));
  }
  return Dump(Json{{"cluster_name", name}, {"endpoints", std::move(endpoints)}});
}

// Adds the fleet overlay resource `key` (fleet/<type>/<name>) holds to `overlay`, checked as
// the fleet API checks it; an error names `file`.
void AddFleetKey(std::string_view key, const std::string& value, const std::string& file,
                 FleetOverlay* overlay, LoadErrors* errors) {
  const std::string_view rest = key.substr(std::string_view(kFleetDir).size());
  const size_t slash = rest.find('/');
  const ResourceType* type =
      slash == std::string_view::npos ? nullptr : FindResourceTypeByName(rest.substr(0, slash));
  const std::string_view name = type == nullptr ? "" : rest.substr(slash + 1);
  if (type == nullptr || name.empty()) {
    errors->Add(file, 0, "", "not a fleet overlay key (fleet/<type>/<name>)");
    return;
  }
  absl::StatusOr<ResourcePtr> resource = api::ParseResource(*type, value);
  if (!resource.ok()) {
    errors->Add(file, 0, "", std::string(resource.status().message()));
    return;
  }
  if ((*resource)->name() != name) {
    errors->Add(file, 0, "",
                absl::StrCat("the ", AbslView(type->noun), " is named \"", (*resource)->name(),
                             "\", not its key's \"", AbslView(name), "\""));
    return;
  }
  ResourceMap& resources = (*overlay)[std::string(type->type_url)];
  resources = resources.With(*std::move(resource));
}

}  // namespace

std::string RegistrationKey(const Registration& registration) {
  const bool ipv6 = registration.host.find(':') != std::string::npos;
  return absl::StrCat(kRegistrationsDir, registration.cluster, "/", ipv6 ? "[" : "",
                      registration.host, ipv6 ? "]" : "", ":", registration.port);
}

std::string RegistrationValue(const Registration& registration) {
  Json value = {{"address", registration.host}, {"port", registration.port}};
  if (!registration.region.empty() || !registration.zone.empty()) {
    value["locality"] = {{"region", registration.region}, {"zone", registration.zone}};
  }
  return Dump(value);
}

bool EndpointsFromRegistrations(const envoy::config::cluster::v3::Cluster& cluster) {
  auto xdsd = cluster.metadata().filter_metadata().find("xdsd");
  if (xdsd == cluster.metadata().filter_metadata().end()) return false;
  auto endpoints = xdsd->second.fields().find("endpoints");
  return endpoints != xdsd->second.fields().end() &&
         endpoints->second.string_value() == "registrations";
}

bool IsConfigKey(std::string_view key) {
  std::string_view name;
  return IsSectionKey(key) || ResourceKeyType(key, &name) != nullptr;
}

absl::StatusOr<ConfigKeys> ConfigKeysFromFile(const std::string& path, size_t max_bytes) {
  absl::StatusOr<std::vector<ConfigFile>> files = ReadConfigFiles(path, max_bytes);
  if (!files.ok()) return files.status();
  ConfigBuilder builder;
  for (const ConfigFile& file : *files) builder.AddFile(file.text, file.name);
  // Errors may quote a secret value of the config: they go out redacted, as the loader's do.
  if (absl::StatusOr<Config> built = builder.Build(); !built.ok()) {
    return api::RedactSecretText(built.status());
  }
  ConfigKeys keys;
  std::map<std::string, Json> sections;
  for (const ConfigFile& file : *files) {
    if (absl::Status added = AddFileKeys(file, &keys, &sections); !added.ok()) {
      return api::RedactSecretText(added);
    }
  }
  for (const auto& [section, list] : sections) keys[section] = Dump(list);
  return keys;
}

std::string FleetKey(std::string_view type_url, std::string_view name) {
  return absl::StrCat(kFleetDir, AbslView(FindResourceType(type_url)->name), "/", AbslView(name));
}

absl::StatusOr<Config> ConfigFromKeys(const ConfigKeys& keys, std::string_view where) {
  ConfigBuilder builder;
  LoadErrors errors;
  FleetOverlay overlay;
  for (const auto& [key, value] : keys) {
    if (key == kAppliedKey || key.starts_with(kRegistrationsDir)) continue;
    const std::string file = absl::StrCat(AbslView(where), key);
    if (key.starts_with(kFleetDir)) {
      AddFleetKey(key, value, file, &overlay, &errors);
      continue;
    }
    // The value starts on the text's first line, so that the loader's lines are the value's.
    if (IsSectionKey(key)) {
      builder.AddFile(absl::StrCat("{\"", key, "\": ", value, "\n}"), file);
      continue;
    }
    std::string_view name;
    const ResourceType* type = ResourceKeyType(key, &name);
    if (type == nullptr) {
      errors.Add(file, 0, "",
                 "not a key of the config layout (<type>/<name>, groups, authorization, "
                 "csds_identities, allow_mass_removal, rollout, applied, registrations/..., "
                 "fleet/...)");
      continue;
    }
    const Json json = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!json.is_discarded() && NameOf(json, *type) != name) {
      errors.Add(
          file, 1, "",
          absl::StrCat("the ", AbslView(type->noun), "'s ", AbslView(type->name_field), " is \"",
                       NameOf(json, *type), "\", not its key's \"", AbslView(name), "\""));
      continue;
    }
    builder.AddFile(
        absl::StrCat("{\"resources\": {\"", AbslView(type->name), "\": [", value, "\n]}}"), file);
    if (type->type_url == kClusterType && !json.is_discarded()) {
      if (const std::string assignment = RegisteredAssignmentName(json); !assignment.empty()) {
        builder.AddFile(
            absl::StrCat("{\"resources\": {\"endpoints\": [",
                         RegisteredAssignment(keys, std::string(name), assignment), "]}}"),
            absl::StrCat(AbslView(where), kRegistrationsDir, AbslView(name)));
      }
    }
  }
  absl::StatusOr<Config> built = builder.Build();
  if (errors.empty()) {
    if (!built.ok()) return api::RedactSecretText(built.status());
    built->fleet_overlay = std::move(overlay);
    return built;
  }
  std::string message(errors.ToStatus().message());
  if (!built.ok()) absl::StrAppend(&message, "\n", built.status().message());
  return api::RedactSecretText(absl::InvalidArgumentError(message));
}

KeyChanges DiffConfigKeys(const ConfigKeys& from, const ConfigKeys& to) {
  KeyChanges changes;
  for (const auto& [key, value] : to) {
    if (!IsConfigKey(key)) continue;
    auto it = from.find(key);
    if (it == from.end()) {
      changes.added.push_back(key);
    } else if (it->second != value) {
      changes.changed.push_back(key);
    }
  }
  for (const auto& [key, value] : from) {
    if (IsConfigKey(key) && !to.contains(key)) changes.removed.push_back(key);
  }
  return changes;
}

}  // namespace xdsd::config

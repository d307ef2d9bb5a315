// ConfigBuilder's YAML path: a YAML file is read as one document, except its resource lists,
// which are read one item at a time when SplitYamlResourceLists can cut them into whole lines
// (config/yaml_resource_lists.h), so that the file is never held as one yaml-cpp document.

#include <xxhash.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/envoy_api.h"
#include "api/input_limits.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/config_builder.h"
#include "config/config_load_cache.h"
#include "nlohmann/json.hpp"

namespace xdsd::config {
namespace {

// Keeps the cache keys of YAML list items (AddYamlListItems) apart from those of JSON texts.
constexpr uint64_t kYamlItemSeed = 0x59414d4c4954454dULL;

}  // namespace

void ConfigBuilder::AddYamlFile(const std::shared_ptr<const std::string>& text,
                                absl::string_view file_name) {
  yaml_values_left_ = api::MaxYamlValues(text->size());
  // The resource lists are parsed one item at a time (AddResources): what is parsed whole is
  // the rest of the file.
  const std::optional<YamlResourceLists> lists = SplitYamlResourceLists(*text);
  yaml_text_ = text;
  yaml_lists_ = lists.has_value() ? &*lists : nullptr;
  absl::Cleanup done = [this] {
    yaml_text_ = nullptr;
    yaml_lists_ = nullptr;
  };
  int error_line = 0;
  absl::StatusOr<YAML::Node> loaded =
      api::LoadYaml(lists.has_value() ? lists->skeleton : *text, &error_line);
  if (!loaded.ok()) {
    AddError(file_name, error_line, "", loaded.status().message());
    return;
  }
  const YAML::Node& root = *loaded;
  if (root.IsNull()) return;  // An empty file configures nothing.
  if (!root.IsMap()) {
    AddError(file_name, root.Mark(), "",
             absl::StrCat("the file must be a map with the keys ", kFileKeys));
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
    } else if (!AddSettingKey(key, entry.second, file_name)) {
      AddError(file_name, entry.first.Mark(), key,
               absl::StrCat("unknown key (the file's keys are ", kFileKeys, ")"));
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
    if (yaml_lists_ != nullptr) {
      const auto items = yaml_lists_->items_by_key_line.find(Line(entry.first.Mark()));
      if (items != yaml_lists_->items_by_key_line.end()) {
        AddYamlListItems(items->second, file, where, *kind, prefix, set);
        continue;
      }
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

void ConfigBuilder::AddYamlListItems(const std::vector<YamlListItem>& items, absl::string_view file,
                                     absl::string_view list_path, const ResourceType& kind,
                                     absl::string_view prefix, ResourceSet* set) {
  const std::string& text = *yaml_text_;
  for (size_t i = 0; i < items.size(); ++i) {
    const YamlListItem& item = items[i];
    // Each item's tree lives only while it is converted: its source is its text.
    line_offset_ = item.line - 1;
    item_source_.emplace(yaml_text_, item.begin, item.end, item.line, 0, /*list_item=*/true);
    absl::Cleanup reset = [this] {
      line_offset_ = 0;
      item_source_.reset();
    };
    const std::string_view item_text =
        std::string_view(text).substr(item.begin, item.end - item.begin);
    std::string path = prefix.empty()
                           ? absl::StrCat(AbslView(kind.name), "[", i, "]")
                           : absl::StrCat(list_path, ".", AbslView(kind.name), "[", i, "]");
    // An item's lines say all there is to it (TTL included; no aliases when the file is read
    // by items): an unchanged item is the cached resource, without reading its YAML at all.
    // Route configurations are always parsed, as in AddResourceJson.
    const bool cacheable = cache_ != nullptr && kind.type_url != kRouteType;
    const uint64_t key =
        cacheable ? XXH3_64bits_withSeed(item_text.data(), item_text.size(),
                                         kYamlItemSeed ^ ResourceTypeIndex(kind.type_url))
                  : 0;
    if (cacheable) {
      ParsedResource parsed{&kind, nullptr, std::string(file), path, *item_source_, nullptr};
      if (AddCached(key, &parsed, set)) continue;
    }
    if (!item.json.empty()) {
      // Converted while the file was cut: no tree of the item is built, unless an error needs
      // a line. A resource that does not load is still known by its name, as in AddResource.
      ParsedResource parsed{&kind, nullptr, std::string(file), path, *item_source_, nullptr};
      if (AddResourceJson(item.json, std::chrono::milliseconds(0), std::move(parsed), set)) {
        if (cacheable) cache_->Add(key, set->resources.back().resource);
      } else if (item.name.has_value()) {
        set->unloaded_names[std::string(kind.type_url)].insert(*item.name);
      }
      continue;
    }
    int error_line = 0;
    absl::StatusOr<YAML::Node> list = api::LoadYaml(item_text, &error_line);
    if (!list.ok() || !list->IsSequence() || list->size() != 1) {
      AddError(
          file, Line(error_line), list_path,
          list.ok() ? "internal error: a list item does not read alone" : list.status().message());
      continue;
    }
    const YAML::Node& items_read = *list;
    if (AddResource(items_read[0], file, kind, std::move(path), set) && cacheable) {
      cache_->Add(key, set->resources.back().resource);
    }
  }
}

bool ConfigBuilder::AddResource(const YAML::Node& node, absl::string_view file,
                                const ResourceType& kind, std::string path, ResourceSet* set) {
  if (!node.IsMap()) {
    AddError(file, node.Mark(), path, absl::StrCat("a ", AbslView(kind.noun), " must be a map"));
    return false;
  }
  // A resource that does not load is still known by its name, so that what refers to it is
  // not reported too: the error is the resource's own.
  bool loaded = false;
  absl::Cleanup remember_name = [&] {
    const YAML::Node name = api::MapValue(node, AbslView(kind.name_field));
    if (!loaded && name.IsDefined() && name.IsScalar()) {
      set->unloaded_names[std::string(kind.type_url)].insert(name.Scalar());
    }
  };
  // `ttl` beside a resource's own fields (no resource type has one of that name) makes it
  // expire at clients that support TTLs unless xdsd keeps renewing it.
  std::chrono::milliseconds ttl{0};
  const google::protobuf::Descriptor* type =
      api::EnvoyApi::Get().FindType(api::FullTypeName(kind.type_url));
  if (node["ttl"] && type != nullptr && type->FindFieldByName("ttl") == nullptr) {
    const YAML::Node ttl_node = node["ttl"];
    absl::Duration duration;
    if (!ttl_node.IsScalar() || !absl::ParseDuration(ttl_node.Scalar(), &duration) ||
        duration <= absl::ZeroDuration()) {
      AddError(file, ttl_node.Mark(), absl::StrCat(path, ".ttl"),
               "must be a positive duration such as \"30s\" or \"1.5s\"");
      return false;
    }
    ttl = absl::ToChronoMilliseconds(duration);
  }
  int error_line = 0;
  absl::StatusOr<nlohmann::ordered_json> json =
      api::YamlToJson(node, &error_line, &yaml_values_left_);
  if (!json.ok()) {
    AddError(file, Line(error_line), path, json.status().message());
    return false;
  }
  // Removed from the JSON, not from a copy of the YAML: copying would expand its aliases.
  if (ttl.count() > 0) json->erase("ttl");
  ParsedResource parsed{&kind,
                        nullptr,
                        std::string(file),
                        std::move(path),
                        item_source_.has_value() ? *item_source_ : ResourceSource(node),
                        nullptr};
  loaded = AddResourceJson(json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                           ttl, std::move(parsed), set);
  return loaded;
}

}  // namespace xdsd::config

// ConfigBuilder's JSON path: a file of plain JSON read in place. Each resource's own text goes
// to protobuf's JSON parser as written, so the file is never held as a tree (the YAML path holds
// a yaml-cpp document of about 20 nodes per cluster, and a JSON copy of each resource). The
// structure around the resources is checked as the YAML path checks it, with the same errors on
// the same lines; the small parts other than resources (a group's name and match,
// authorization, ...) are read as YAML from their own text, by the YAML path's code.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/envoy_api.h"
#include "api/json_scan.h"
#include "api/yaml_json.h"
#include "api/yaml_location.h"
#include "config/config_builder.h"

namespace xdsd::config {
namespace {

// Turns bytes [begin, end) of `text` into spaces, newlines kept: with the right span (a member
// and one comma beside it), what is left is the same JSON without that member, on the same
// lines.
void Blank(std::string* text, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < text->size(); ++i) {
    if ((*text)[i] != '\n') (*text)[i] = ' ';
  }
}

// Where one member of an object is written, to blank it.
struct MemberSpan {
  bool found = false;
  api::JsonValue value;
  size_t begin = 0;  // its key's opening quote
  size_t end = 0;    // past its value, and the comma before the next member when there is one
};

// Finds the member `key` among the members of an object, visited in order, and the span that
// removes it: the member and the comma after it, or, for the last member, the comma before it.
class MemberFinder {
 public:
  // `text` is the whole text the members' offsets are into.
  MemberFinder(std::string_view text, std::string_view key) : text_(text), key_(key) {}

  void Visit(absl::string_view key, const api::JsonValue& value) {
    const size_t key_begin = static_cast<size_t>(key.data() - text_.data()) - 1;
    if (span_.found && !next_seen_) {
      next_seen_ = true;
      span_.end = key_begin;
    } else if (!span_.found && std::string_view(key.data(), key.size()) == key_) {
      span_.found = true;
      span_.value = value;
      span_.begin = key_begin;
      comma_before_ = previous_end_;
    }
    previous_end_ = value.end;
  }

  MemberSpan Done() {
    if (span_.found && !next_seen_) {
      if (comma_before_ != 0) span_.begin = comma_before_;
      span_.end = span_.value.end;
    }
    return span_;
  }

 private:
  std::string_view text_;
  std::string_view key_;
  MemberSpan span_;
  bool next_seen_ = false;
  size_t previous_end_ = 0;  // of the previous member's value; 0 before the first
  size_t comma_before_ = 0;
};

}  // namespace

YAML::Node ConfigBuilder::JsonPartAsYaml(std::string_view text, int line, absl::string_view file) {
  // Placed on its own line by as many newlines before it, so that every mark of it, also those
  // read by code that takes lines from marks itself (ReadRolloutPolicy), is on the file's line.
  std::string placed(static_cast<size_t>(std::max(line - 1, 0)), '\n');
  placed.append(text);
  int error_line = 0;
  absl::StatusOr<YAML::Node> node = api::LoadYaml(placed, &error_line);
  if (node.ok()) return *node;
  AddError(file, error_line > 0 ? error_line : line, "", node.status().message());
  return YAML::Node(YAML::NodeType::Undefined);
}

void ConfigBuilder::AddJsonFile(const std::shared_ptr<const std::string>& text,
                                absl::string_view file) {
  json_text_ = text;
  api::JsonReader reader(*text);
  reader.ForEachMember(
      reader.Root(), [&](absl::string_view key, int key_line, const api::JsonValue& value) {
        if (key == "resources") {
          AddJsonResources(reader, value, file, "", &defaults_);
        } else if (key == "groups") {
          if (value.is_null()) return true;
          if (!value.is_array()) {
            AddError(file, value.line, "groups", "must be a list of groups");
            return true;
          }
          reader.ForEachElement(value, [&](size_t i, const api::JsonValue& group) {
            const std::string path = absl::StrCat("groups[", i, "]");
            // The group without its resources, read as YAML; then its resources, in place.
            std::string spec(reader.Text(group));
            MemberSpan resources;
            if (group.is_object()) {
              MemberFinder finder(*text, "resources");
              reader.ForEachMember(
                  group, [&](absl::string_view member_key, int, const api::JsonValue& member) {
                    finder.Visit(member_key, member);
                    return true;
                  });
              resources = finder.Done();
              if (resources.found)
                Blank(&spec, resources.begin - group.begin, resources.end - group.begin);
            }
            const YAML::Node node = JsonPartAsYaml(spec, group.line, file);
            YAML::Node unused;
            ResourceSet* set = node.IsDefined() ? AddGroupSpec(node, file, path, &unused) : nullptr;
            if (set != nullptr && resources.found) {
              AddJsonResources(reader, resources.value, file, absl::StrCat(path, "."), set);
            }
          });
        } else if (IsSettingKey(key)) {
          const YAML::Node node = JsonPartAsYaml(reader.Text(value), value.line, file);
          if (node.IsDefined()) AddSettingKey(std::string(key), node, file);
        } else {
          AddError(file, key_line, key,
                   absl::StrCat("unknown key (the file's keys are ", kFileKeys, ")"));
        }
        return true;
      });
  json_text_ = nullptr;
}

void ConfigBuilder::AddJsonResources(api::JsonReader& reader, const api::JsonValue& value,
                                     absl::string_view file, absl::string_view prefix,
                                     ResourceSet* set) {
  const std::string where = absl::StrCat(prefix, "resources");
  if (value.is_null()) return;
  if (!value.is_object()) {
    AddError(file, value.line, where, absl::StrCat("must be a map with the keys ", KindKeys()));
    return;
  }
  reader.ForEachMember(value, [&](absl::string_view key, int key_line, const api::JsonValue& list) {
    const ResourceType* kind = FindKind(key);
    if (kind == nullptr) {
      AddError(file, key_line, absl::StrCat(where, ".", key),
               absl::StrCat("unknown resource type (known: ", KindKeys(), ")"));
      return true;
    }
    if (list.is_null()) return true;
    if (!list.is_array()) {
      AddError(file, list.line, absl::StrCat(where, ".", key),
               absl::StrCat("must be a list of ", AbslView(kind->noun), " resources"));
      return true;
    }
    reader.ForEachElement(list, [&](size_t i, const api::JsonValue& item) {
      std::string path = prefix.empty() ? absl::StrCat(key, "[", i, "]")
                                        : absl::StrCat(where, ".", key, "[", i, "]");
      AddJsonResource(reader, item, file, *kind, std::move(path), set);
    });
    return true;
  });
}

void ConfigBuilder::AddJsonResource(api::JsonReader& reader, const api::JsonValue& value,
                                    absl::string_view file, const ResourceType& kind,
                                    std::string path, ResourceSet* set) {
  if (!value.is_object()) {
    AddError(file, value.line, path, absl::StrCat("a ", AbslView(kind.noun), " must be a map"));
    return;
  }
  // As in the YAML path: the name (snake_case or lowerCamelCase, the first written) of a
  // resource that does not load still counts as defined, and `ttl` is xdsd's, not the type's.
  const std::string name_field(kind.name_field);
  const std::string camel_name_field = api::LowerCamel(AbslView(kind.name_field));
  const google::protobuf::Descriptor* type =
      api::EnvoyApi::Get().FindType(api::FullTypeName(kind.type_url));
  const bool ttl_is_ours = type != nullptr && type->FindFieldByName("ttl") == nullptr;
  MemberFinder ttl_finder(*json_text_, "ttl");
  bool has_name = false;
  std::string name;
  reader.ForEachMember(value, [&](absl::string_view key, int, const api::JsonValue& member) {
    if (!has_name && (key == name_field || key == camel_name_field)) {
      has_name = true;  // the first one written, as a YAML map lookup finds
      name = reader.ScalarText(member);
    }
    if (ttl_is_ours) ttl_finder.Visit(key, member);
    return true;
  });
  const MemberSpan ttl_span = ttl_finder.Done();
  std::chrono::milliseconds ttl{0};
  std::string text(reader.Text(value));
  bool loaded = false;
  absl::Duration duration;
  if (ttl_span.found && (!absl::ParseDuration(reader.ScalarText(ttl_span.value), &duration) ||
                         duration <= absl::ZeroDuration())) {
    AddError(file, ttl_span.value.line, absl::StrCat(path, ".ttl"),
             "must be a positive duration such as \"30s\" or \"1.5s\"");
  } else {
    if (ttl_span.found) ttl = absl::ToChronoMilliseconds(duration);
    if (ttl.count() > 0) Blank(&text, ttl_span.begin - value.begin, ttl_span.end - value.begin);
    ParsedResource parsed{&kind,
                          nullptr,
                          std::string(file),
                          std::move(path),
                          ResourceSource(json_text_, value.begin, value.end, value.line, 0),
                          nullptr};
    loaded = AddResourceJson(text, ttl, std::move(parsed), set);
  }
  if (!loaded && !name.empty()) set->unloaded_names[std::string(kind.type_url)].insert(name);
}

}  // namespace xdsd::config

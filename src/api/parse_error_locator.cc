#include "api/parse_error_locator.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/envoy_api.h"
#include "api/yaml_location.h"

namespace xdsd::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// At most this many values of an enum are listed in an error.
constexpr int kEnumValuesListed = 12;

// The edit distance of two short strings, to suggest the field a typo meant.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "-?[0-9]+" from `at` on; the position after it, or npos.
size_t SkipInteger(absl::string_view text, size_t at) {
  if (at < text.size() && text[at] == '-') ++at;
  const size_t digits = at;
  while (at < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[at]))) ++at;
  return at > digits ? at : absl::string_view::npos;
}

bool IsInteger(absl::string_view text) { return SkipInteger(text, 0) == text.size(); }

// protobuf's JSON form of a Duration: seconds, up to 9 decimals, then "s" ("1s", "-0.25s").
bool IsDuration(absl::string_view text) {
  size_t at = SkipInteger(text, 0);
  if (at == absl::string_view::npos) return false;
  if (at < text.size() && text[at] == '.') {
    const size_t decimals = ++at;
    while (at < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at == decimals || at - decimals > 9) return false;
  }
  return text.substr(at) == "s";
}

// A field of `type` named `key` as protobuf's JSON parser accepts it: its name or JSON name.
const FieldDescriptor* FindField(const Descriptor& type, const std::string& key) {
  if (const FieldDescriptor* field = type.FindFieldByName(key)) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

class Locator {
 public:
  std::optional<LocatedError> error;

  // Walks `node`, a value of `type`, at `path`.
  void Message(const YAML::Node& node, const Descriptor& type, const std::string& path) {
    if (error.has_value() || !node.IsDefined() || node.IsNull()) return;
    const std::string& name = type.full_name();
    if (name == "google.protobuf.Any") return Any(node, path);
    if (name == "google.protobuf.Duration") return Duration(node, path);
    if (absl::StartsWith(name, "google.protobuf.")) return;  // Struct, Value, wrappers, ...
    if (!node.IsMap()) return;                               // protobuf says so, with the path
    Fields(node, type, path, /*in_any=*/false);
  }

 private:
  void Report(const std::string& path, const YAML::Node& where, std::string message) {
    if (!error.has_value()) error = LocatedError{path, LineOf(where.Mark()), std::move(message)};
  }

  // The fields of the map `node`, a `type`; `in_any` skips its "@type".
  void Fields(const YAML::Node& node, const Descriptor& type, const std::string& path,
              bool in_any) {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) continue;
      const std::string key = entry.first.Scalar();
      if (in_any && key == "@type") continue;
      const std::string at = path.empty() ? key : absl::StrCat(path, ".", key);
      const FieldDescriptor* field = FindField(type, key);
      if (field == nullptr) {
        Report(at, entry.first, UnknownField(type, key));
        return;
      }
      Field(entry.second, *field, at);
      if (error.has_value()) return;
    }
  }

  static std::string UnknownField(const Descriptor& type, const std::string& key) {
    std::string message = absl::StrCat("unknown field \"", key, "\" of ", type.full_name());
    const FieldDescriptor* closest = nullptr;
    size_t best = 3;  // suggest only close spellings
    for (int i = 0; i < type.field_count(); ++i) {
      const size_t distance = EditDistance(key, type.field(i)->name());
      if (distance < best) {
        best = distance;
        closest = type.field(i);
      }
    }
    if (closest != nullptr) absl::StrAppend(&message, " (did you mean \"", closest->name(), "\"?)");
    return message;
  }

  void Field(const YAML::Node& value, const FieldDescriptor& field, const std::string& path) {
    if (field.is_map()) {
      if (!value.IsMap()) return;
      const FieldDescriptor& value_field = *field.message_type()->map_value();
      for (const auto& entry : value) {
        if (!entry.first.IsScalar()) continue;
        Single(entry.second, value_field, absl::StrCat(path, "[\"", entry.first.Scalar(), "\"]"));
        if (error.has_value()) return;
      }
      return;
    }
    if (field.is_repeated() && value.IsSequence()) {
      for (size_t i = 0; i < value.size(); ++i) {
        Single(value[i], field, absl::StrCat(path, "[", i, "]"));
        if (error.has_value()) return;
      }
      return;
    }
    Single(value, field, path);
  }

  void Single(const YAML::Node& value, const FieldDescriptor& field, const std::string& path) {
    if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
      Message(value, *field.message_type(), path);
    } else if (field.type() == FieldDescriptor::TYPE_ENUM) {
      Enum(value, *field.enum_type(), path);
    }
  }

  void Enum(const YAML::Node& value, const EnumDescriptor& type, const std::string& path) {
    if (!value.IsScalar()) return;
    const std::string& text = value.Scalar();
    if (type.FindValueByName(text) != nullptr || IsInteger(text)) return;
    std::vector<std::string> names;
    for (int i = 0; i < type.value_count() && i < kEnumValuesListed; ++i) {
      names.push_back(type.value(i)->name());
    }
    if (type.value_count() > kEnumValuesListed) names.push_back("...");
    Report(path, value,
           absl::StrCat("invalid value \"", text, "\": expected one of ",
                        absl::StrJoin(names, ", "), " (", type.full_name(), ")"));
  }

  void Duration(const YAML::Node& value, const std::string& path) {
    if (value.IsScalar() && IsDuration(value.Scalar())) return;
    const std::string shown = value.IsScalar() ? absl::StrCat("\"", value.Scalar(), "\"") : "this";
    Report(
        path, value,
        absl::StrCat("invalid value ", shown, ": expected a duration such as \"1s\" or \"0.25s\""));
  }

  void Any(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) return;
    const YAML::Node type_url = MapValue(node, "@type");
    if (!type_url.IsDefined() || !type_url.IsScalar()) return;  // protobuf says it is missing
    const std::string& url = type_url.Scalar();
    const std::string type_name = url.substr(url.rfind('/') + 1);
    const Descriptor* type = EnvoyApi::Get().FindType(type_name);
    const std::string at = path.empty() ? "@type" : absl::StrCat(path, ".@type");
    if (type == nullptr) {
      Report(at, type_url,
             absl::StrCat("unknown type \"", url,
                          "\": no message of the Envoy API (or protobuf's) has that name"));
      return;
    }
    if (absl::StartsWith(type->full_name(), "google.protobuf.")) {
      Message(MapValue(node, "value"), *type,
              path.empty() ? "value" : absl::StrCat(path, ".value"));
      return;
    }
    Fields(node, *type, path, /*in_any=*/true);
  }
};

}  // namespace

std::optional<LocatedError> LocateParseError(const YAML::Node& node, const Descriptor& type) {
  Locator locator;
  locator.Message(node, type, "");
  return locator.error;
}

}  // namespace xdsd::api

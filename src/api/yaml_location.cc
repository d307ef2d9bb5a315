#include "api/yaml_location.h"

#include <charconv>
#include <string>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xdsd::api {

std::string LowerCamel(absl::string_view name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    upper = false;
  }
  return out;
}

namespace {

// One entry of a map, found by its key.
struct MapEntry {
  bool found = false;
  YAML::Node key;
  YAML::Node value;
};

// The entry of the map `node` whose key is `key` written in snake_case or lowerCamelCase.
MapEntry FindEntry(const YAML::Node& node, absl::string_view key) {
  if (!node.IsMap()) return {};
  const std::string camel = LowerCamel(key);
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && (entry.first.Scalar() == key || entry.first.Scalar() == camel)) {
      return {true, entry.first, entry.second};
    }
  }
  return {};
}

}  // namespace

int LineOf(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }

YAML::Node MapValue(const YAML::Node& node, absl::string_view key) {
  MapEntry entry = FindEntry(node, key);
  return entry.found ? entry.value : YAML::Node(YAML::NodeType::Undefined);
}

int LineOfPath(const YAML::Node& root, absl::string_view path) {
  // Moved with reset(), never with `=`: assigning to a YAML::Node overwrites the node it is
  // bound to, which would rewrite the document under `root` for every later lookup.
  YAML::Node node = root;
  int line = LineOf(root.Mark());
  for (absl::string_view segment : absl::StrSplit(path, '.', absl::SkipEmpty())) {
    absl::string_view name = segment.substr(0, segment.find('['));
    if (!name.empty()) {
      MapEntry entry = FindEntry(node, name);
      if (!entry.found) return line;
      line = LineOf(entry.key.Mark());
      node.reset(entry.value);
      if (!node.IsNull() && LineOf(node.Mark()) > 0) line = LineOf(node.Mark());
    }
    // Each "[i]" of the segment.
    for (size_t open = segment.find('['); open != absl::string_view::npos;
         open = segment.find('[', open + 1)) {
      size_t close = segment.find(']', open);
      if (close == absl::string_view::npos) return line;
      size_t index = 0;
      absl::string_view digits = segment.substr(open + 1, close - open - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || !node.IsSequence() || index >= node.size()) return line;
      node.reset(YAML::Node(node[index]));
      if (LineOf(node.Mark()) > 0) line = LineOf(node.Mark());
    }
  }
  return line;
}

int LineOfKey(const YAML::Node& node, absl::string_view key) {
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (int line = LineOfKey(item, key); line > 0) return line;
    }
  } else if (node.IsMap()) {
    if (MapEntry entry = FindEntry(node, key); entry.found) return LineOf(entry.key.Mark());
    for (const auto& entry : node) {
      if (int line = LineOfKey(entry.second, key); line > 0) return line;
    }
  }
  return 0;
}

int LineOfProtobufError(const YAML::Node& root, absl::string_view message) {
  constexpr absl::string_view kUnknownField = ": Cannot find field.";
  std::string path;
  absl::string_view rest = message;
  if (absl::ConsumePrefix(&rest, "(")) {
    size_t close = rest.find(')');
    if (close == absl::string_view::npos) return LineOf(root.Mark());
    path = std::string(rest.substr(0, close));
    rest.remove_prefix(close + 1);
    absl::ConsumePrefix(&rest, " ");
  }
  if (absl::EndsWith(rest, kUnknownField)) {
    absl::string_view field = rest.substr(0, rest.size() - kUnknownField.size());
    if (path.empty()) {
      int line = LineOfKey(root, field);
      return line > 0 ? line : LineOf(root.Mark());
    }
    absl::StrAppend(&path, ".", field);
  }
  return LineOfPath(root, path);
}

}  // namespace xdsd::api

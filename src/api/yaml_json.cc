#include "api/yaml_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/yaml_location.h"

namespace xdsd::api {
namespace {

using Json = nlohmann::ordered_json;

bool ParseJsonInteger(const std::string& text, Json* out) {
  // JSON's grammar: no leading '+', no leading zeros.
  absl::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0') ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return false;
  }
  const char* end = text.data() + text.size();
  int64_t signed_value = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, signed_value);
      ec == std::errc() && ptr == end) {
    *out = signed_value;
    return true;
  }
  uint64_t unsigned_value = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, unsigned_value);
      ec == std::errc() && ptr == end) {
    *out = unsigned_value;
    return true;
  }
  return false;  // Too large: left a string, which protobuf reads or rejects with a reason.
}

bool ParseJsonFloat(const std::string& text, Json* out) {
  // JSON's grammar: -?digits[.digits][e[+-]digits], with a fraction or an exponent.
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (!digits()) return false;
  bool fraction_or_exponent = false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
    fraction_or_exponent = true;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
    fraction_or_exponent = true;
  }
  if (i != text.size() || !fraction_or_exponent) return false;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return false;
  *out = value;
  return true;
}

Json PlainScalarToJson(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  Json number;
  if (ParseJsonInteger(text, &number) || ParseJsonFloat(text, &number)) return number;
  // YAML's spellings of the special floats, in the spelling protobuf's JSON parser reads.
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") return "Infinity";
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return "-Infinity";
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return "NaN";
  return text;
}

// An error found while converting: where, and what.
struct ConversionError {
  YAML::Mark mark;
  std::string message;
};

// Converts `node` to JSON; on failure fills `error` and returns false.
bool ConvertNode(const YAML::Node& node, Json* out, ConversionError* error) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      *out = nullptr;
      return true;
    case YAML::NodeType::Scalar:
      // "?" is the tag of an untagged plain scalar; a quoted one has "!", an explicitly
      // tagged one its tag. Only the first kind is typed by guessing.
      *out = node.Tag() == "?" ? PlainScalarToJson(node.Scalar()) : Json(node.Scalar());
      return true;
    case YAML::NodeType::Sequence: {
      *out = Json::array();
      for (const YAML::Node& item : node) {
        Json value;
        if (!ConvertNode(item, &value, error)) return false;
        out->push_back(std::move(value));
      }
      return true;
    }
    case YAML::NodeType::Map: {
      *out = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          *error = {entry.first.Mark(), "a key must be a plain string"};
          return false;
        }
        const std::string& key = entry.first.Scalar();
        if (out->contains(key)) {
          *error = {entry.first.Mark(), absl::StrCat("duplicate key \"", key, "\"")};
          return false;
        }
        Json value;
        if (!ConvertNode(entry.second, &value, error)) return false;
        (*out)[key] = std::move(value);
      }
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<YAML::Node> LoadYaml(std::string_view text, int* error_line) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    *error_line = LineOf(e.mark);
    return absl::InvalidArgumentError(e.msg);
  }
}

absl::StatusOr<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, int* error_line) {
  Json json;
  ConversionError error;
  if (!ConvertNode(node, &json, &error)) {
    *error_line = LineOf(error.mark);
    return absl::InvalidArgumentError(error.message);
  }
  return json;
}

}  // namespace xdsd::api

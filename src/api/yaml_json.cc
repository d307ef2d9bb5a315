#include "api/yaml_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "api/input_limits.h"
#include "api/yaml_location.h"
#include "xdsd/refusals.h"

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

}  // namespace

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

namespace {

// An error found while converting: where, and what.
struct ConversionError {
  YAML::Mark mark;
  std::string message;
};

// One conversion: its bounds, and what it has built so far.
class Converter {
 public:
  Converter(size_t* values_left, ConversionError* error)
      : values_left_(*values_left), error_(error) {}

  // Converts `node` to JSON; on failure fills the error and returns false.
  bool Convert(const YAML::Node& node, Json* out, int depth = 0) {
    if (values_left_ == 0) {
      CountRefusal("yaml_too_many_nodes");
      return Fail(node.Mark(),
                  "the document expands to too many values (aliases repeated too often?)");
    }
    --values_left_;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        if (!CheckUtf8(node)) return false;
        // "?" is the tag of an untagged plain scalar; a quoted one has "!", an explicitly
        // tagged one its tag. Only the first kind is typed by guessing.
        *out = node.Tag() == "?" ? PlainScalarToJson(node.Scalar()) : Json(node.Scalar());
        return true;
      case YAML::NodeType::Sequence:
      case YAML::NodeType::Map:
        if (depth >= kMaxNestingDepth) {
          CountRefusal("yaml_too_deep");
          return Fail(node.Mark(),
                      absl::StrCat("maps and lists nest more than ", kMaxNestingDepth, " deep"));
        }
        return node.IsSequence() ? ConvertSequence(node, out, depth) : ConvertMap(node, out, depth);
    }
    return false;
  }

 private:
  bool ConvertSequence(const YAML::Node& node, Json* out, int depth) {
    *out = Json::array();
    for (const YAML::Node& item : node) {
      Json value;
      if (!Convert(item, &value, depth + 1)) return false;
      out->push_back(std::move(value));
    }
    return true;
  }

  bool ConvertMap(const YAML::Node& node, Json* out, int depth) {
    *out = Json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return Fail(entry.first.Mark(), "a key must be a plain string");
      if (!CheckUtf8(entry.first)) return false;
      const std::string& key = entry.first.Scalar();
      if (out->contains(key)) {
        return Fail(entry.first.Mark(), absl::StrCat("duplicate key \"", key, "\""));
      }
      Json value;
      if (!Convert(entry.second, &value, depth + 1)) return false;
      (*out)[key] = std::move(value);
    }
    return true;
  }

  // JSON (and protobuf) strings are UTF-8: anything else is refused here, with its line.
  bool CheckUtf8(const YAML::Node& scalar) {
    const std::string& text = scalar.Scalar();
    const size_t bad = FirstInvalidUtf8(text);
    if (bad == std::string::npos) return true;
    return Fail(scalar.Mark(),
                absl::StrCat("not valid UTF-8 (byte ", bad + 1, " of the text is 0x",
                             absl::Hex(static_cast<uint8_t>(text[bad]), absl::kZeroPad2), ")"));
  }

  bool Fail(const YAML::Mark& mark, std::string message) {
    *error_ = {mark, std::move(message)};
    return false;
  }

  size_t& values_left_;
  ConversionError* error_;
};

}  // namespace

absl::StatusOr<YAML::Node> LoadYaml(std::string_view text, int* error_line) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    *error_line = LineOf(e.mark);
    return absl::InvalidArgumentError(e.msg);
  } catch (const std::exception& e) {
    *error_line = 0;
    return absl::InvalidArgumentError(absl::StrCat("cannot read the YAML: ", e.what()));
  }
}

absl::StatusOr<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, int* error_line,
                                                  size_t* values_left) {
  Json json;
  ConversionError error;
  try {
    if (Converter(values_left, &error).Convert(node, &json)) return json;
  } catch (const YAML::Exception& e) {
    error = {e.mark, e.msg};
  } catch (const std::exception& e) {  // nlohmann's, or memory
    error = {node.Mark(), absl::StrCat("cannot convert to JSON: ", e.what())};
  }
  *error_line = LineOf(error.mark);
  return absl::InvalidArgumentError(error.message);
}

}  // namespace xdsd::api

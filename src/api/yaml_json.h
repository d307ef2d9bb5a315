#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace xdsd::api {

// Envoy's YAML, read as the JSON that protobuf's JSON parser (EnvoyApi::JsonToBinary) reads.
//
// YAML has no schema, so a plain scalar's type is a guess. The guess is kept conservative:
// only an untagged plain scalar that reads as a JSON number or true/false becomes one, and a
// YAML null becomes null. Everything else, quoted scalars included, stays a string; that is
// always safe for protobuf's JSON parser, which reads quoted numbers for numeric fields and
// "1.5s" for durations. YAML's .inf, -.inf and .nan become "Infinity", "-Infinity", "NaN".
//
// Both functions are pure (thread-safe). On failure they return InvalidArgument whose message
// is the reason alone, and store the 1-based line it refers to in `*error_line` (0 when
// unknown); callers prefix the file and line themselves.

// The JSON value of an untagged plain scalar's text, as YamlToJson guesses it: a number or
// true/false when it reads as one, "Infinity"/"-Infinity"/"NaN" for YAML's special floats, else
// the text as a string. (A quoted or tagged scalar is always a string.)
nlohmann::ordered_json PlainScalarToJson(const std::string& text);

// Parses YAML text (JSON is YAML) into a document; an empty text is a null node. Aliases are
// not expanded here (they share nodes): YamlToJson bounds what they expand to. Never throws.
absl::StatusOr<YAML::Node> LoadYaml(std::string_view text, int* error_line);

// Converts a YAML document (or part of one) to JSON. Fails on a key that is not a plain
// string, on a key written twice in one map, on text that is not UTF-8, on maps and lists
// nested deeper than kMaxNestingDepth (api/input_limits.h), and when the document expands
// (through aliases) to more than `*values_left` values, which it lowers by the number it
// converts: start it at MaxYamlValues of the text's size and share it across the parts of one
// document. Never throws.
absl::StatusOr<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, int* error_line,
                                                  size_t* values_left);

}  // namespace xdsd::api

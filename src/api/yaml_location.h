#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::api {

// Where in a YAML document a value was written, for errors found after the YAML was converted
// and parsed (protobuf's parse errors, cross-reference errors): they name a field path, the
// user wants a line. Keys are found written in either snake_case or lowerCamelCase, as
// protobuf's JSON parser accepts both. Lines are 1-based; 0 means unknown.
//
// Pure functions over a document nobody modifies: thread-compatible.

// "foo_bar_baz" -> "fooBarBaz": the JSON name protobuf also accepts for a field.
std::string LowerCamel(absl::string_view name);

// The 1-based line of a yaml-cpp mark (0-based, -1 when unknown); 0 when unknown.
int LineOf(const YAML::Mark& mark);

// The value of the key `key` of the map `node`; an undefined node when there is none.
YAML::Node MapValue(const YAML::Node& node, absl::string_view key);

// Follows a field path such as "virtual_hosts[1].routes[3].route.cluster" from `root` as far
// as the YAML goes, and returns the line of the deepest value reached; the line of `root` for
// an empty path.
int LineOfPath(const YAML::Node& root, absl::string_view path);

// The line of the first key named `key` anywhere under `node`, depth first; 0 when there is
// none.
int LineOfKey(const YAML::Node& node, absl::string_view key);

// The line a protobuf JSON parse error (EnvoyApi::JsonToBinary's message) about the document
// `root` refers to. protobuf 3.21 writes
//   "(address.socket_address) adress: Cannot find field."
//   "(address.socket_address.port_value): invalid value \"abc\" for type TYPE_UINT32"
// and, inside an Any, loses the location: "bogus: Cannot find field.". The first two are
// followed in the YAML; the last finds the first key of that name. Any other message (one
// that names no field) gives the line of `root`.
int LineOfProtobufError(const YAML::Node& root, absl::string_view message);

}  // namespace xdsd::api

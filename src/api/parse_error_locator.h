#pragma once

#include <optional>
#include <string>

#include "google/protobuf/descriptor.h"
#include "yaml-cpp/yaml.h"

namespace xdsd::api {

// A mistake in a resource's YAML, where it was written.
struct LocatedError {
  std::string path;  // relative to the resource: "filter_chains[0].filters[0].typed_config.x"
  int line = 0;      // 1-based
  std::string message;
};

// Walks a resource's YAML against its message type (and, inside each Any, against the type its
// "@type" names) and returns the first mistake protobuf's JSON parser would refuse that it
// can place: an unknown field (at its key's line, inside an Any too), an "@type" no type of
// the Envoy API has (at the "@type" line), an enum value the enum does not have, a duration
// that is not one. nullopt when it finds none of these (protobuf's own message then stands).
//
// Reads descriptors of EnvoyApi::Get()'s pool only: thread-safe over a document nobody
// modifies.
std::optional<LocatedError> LocateParseError(const YAML::Node& node,
                                             const google::protobuf::Descriptor& type);

}  // namespace xdsd::api

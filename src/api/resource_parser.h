#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "xdsd/resource.h"
#include "xdsd/resource_types.h"

namespace xdsd::api {

// One resource written as Envoy's JSON, decoded: a dynamic message of EnvoyApi::Get()'s pool
// (so that every extension inside an Any is known and canonicalized), and its name.
struct DecodedResource {
  std::unique_ptr<google::protobuf::Message> message;
  std::string name;
};

// The one way xdsd reads a resource from JSON (the config loader, after converting its YAML;
// the fleet API, from a request body). Parses `json` as a resource of `type` against the whole
// Envoy API: unknown fields are errors, "@type" inside Any included. Fails with
// InvalidArgument whose message is protobuf's (EnvoyApi::JsonToBinary; LineOfProtobufError
// finds its line in the YAML), or, for a resource without a name, "a <noun> needs a
// <name_field>".
//
// Thread-safe.
absl::StatusOr<DecodedResource> DecodeResource(const ResourceType& type, std::string_view json);

// DecodeResource, made a Resource canonically (Resource::FromMessage), so that equal content
// gives equal bytes and versions however the JSON was written.
absl::StatusOr<ResourcePtr> ParseResource(const ResourceType& type, std::string_view json,
                                          std::chrono::milliseconds ttl = {});

}  // namespace xdsd::api

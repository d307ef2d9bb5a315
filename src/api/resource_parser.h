#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "validate/validator.h"
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
// <name_field>". Then checks the API's own validation rules (ValidateResource), as Envoy would:
// with `violations` null, any violation fails the call with InvalidArgument listing them all
// ("path: message; path: message"); otherwise they are appended to `violations` for the caller
// to report (the config loader gives each its own line) and the call succeeds.
//
// Thread-safe.
absl::StatusOr<DecodedResource> DecodeResource(
    const ResourceType& type, std::string_view json,
    std::vector<validate::Violation>* violations = nullptr);

// DecodeResource, made a Resource canonically (Resource::FromMessage), so that equal content
// gives equal bytes and versions however the JSON was written.
absl::StatusOr<ResourcePtr> ParseResource(const ResourceType& type, std::string_view json,
                                          std::chrono::milliseconds ttl = {});

}  // namespace xdsd::api

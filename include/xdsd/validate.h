#pragma once

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace xdsd {

// Checks a resource (or any message of the Envoy v3 API, generated or dynamic) against the
// validation rules written into the API's protos (protoc-gen-validate annotations), as Envoy
// does before it accepts a resource: OK, or InvalidArgument listing every violation as
// "field.path: message", separated by "; ". Recurses into nested messages and into the payload
// of every Any whose type is in the Envoy API (filters' typed_config, transport sockets, ...).
// What is not checked: docs/validation.md.
//
// Needs the whole Envoy API at run time: link the xdsd_envoy_api library (in this tree) as
// well as libxdsd. Thread-safe.
absl::Status Validate(const google::protobuf::Message& message);

}  // namespace xdsd

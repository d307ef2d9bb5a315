#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"

namespace xdsd::validate {

// One broken rule: where (a field path relative to the validated message, such as
// "load_assignment.endpoints[0].lb_endpoints[2].endpoint.address.socket_address.port_value")
// and what, in Envoy's wording ("value must be less than or equal to 65535").
struct Violation {
  std::string path;
  std::string message;
};

// The violations as one text: "path: message; path: message".
std::string JoinViolations(const std::vector<Violation>& violations);

// Makes an empty message of a type named by full name ("envoy.config.cluster.v3.Cluster"), or
// null when the type is unknown: how the payload of an Any is decoded to be checked in turn.
using MessageMaker = std::function<std::unique_ptr<google::protobuf::Message>(std::string_view)>;

// Checks `message` against the protoc-gen-validate rules written in its descriptors (the
// `(validate.rules)` field options, `(validate.required)` oneof options and the
// `(validate.disabled)` message option; the pinned validate.proto has no `ignored`), as Envoy does
// before it accepts a resource. Recurses into every set message field and into the payload of every
// Any (decoded with `make`; an Any whose type `make` does not know is left unchecked). Appends
// every violation found to `out`, paths prefixed with `prefix`.
//
// The rules of each message type are read from its descriptors once and kept for the life of
// the process. Thread-safe.
void Check(const google::protobuf::Message& message, const MessageMaker& make,
           std::vector<Violation>* out, std::string_view prefix = "");

// The rule kinds Check implements, named by their path in validate.FieldRules
// ("string.min_len", "duration.gt", "repeated.items", "message.required"), plus
// "oneof.required" and "message.disabled". For the test that keeps the
// validator complete as the API grows.
const std::vector<std::string>& SupportedRuleKinds();

// The rule kinds set in one field's rules, named as in SupportedRuleKinds; empty when the field
// has none.
std::vector<std::string> RuleKindsOf(const google::protobuf::FieldDescriptor& field);

}  // namespace xdsd::validate

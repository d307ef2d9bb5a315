#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "re2/re2.h"
#include "validate/validate.pb.h"

// The rules of one message type, read from its descriptors once (private to the validator).
namespace xdsd::validate {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;
using ::validate::FieldRules;

struct FieldPlan {
  const FieldDescriptor* field = nullptr;
  // Null when the field has no rules (it is listed to be recursed into).
  const FieldRules* rules = nullptr;
};

struct MessagePlan {
  // (validate.disabled): nothing of the message is checked.
  bool skip = false;
  std::vector<FieldPlan> fields;
  std::vector<const OneofDescriptor*> required_oneofs;
  std::deque<FieldRules> rules;  // What FieldPlan::rules point into.
};

// Well-known types other than Any carry no rules of their own inside: nothing to recurse into.
bool IsWellKnownWithoutRules(const Descriptor& type);

// Debian's Abseil has its own string_view.
inline absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The rules of one field, or nullopt when it has none.
std::optional<FieldRules> ReadRules(const FieldDescriptor& field);

// The plan of `type`, made on first use and kept for the life of the process (plans are never
// removed, so the reference stays valid). Thread-safe.
const MessagePlan& PlanOf(const Descriptor* type);

// The compiled pattern of `text`, kept for the life of the process. Thread-safe.
const RE2& Pattern(const std::string& text);

}  // namespace xdsd::validate

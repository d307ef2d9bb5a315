#include "validate/validator.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.pb.h"
#include "validate/rule_plan.h"
#include "validate/walker.h"

namespace xdsd::validate {
namespace {

void CollectKinds(const google::protobuf::Message& message, const std::string& prefix,
                  std::vector<std::string>* kinds) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    const bool nested_rules = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                              field->message_type()->file()->package() == "validate";
    if (nested_rules && prefix.empty()) {
      // A rule group ("string", "duration", ...): its own fields are the kinds.
      CollectKinds(message.GetReflection()->GetMessage(message, field), name, kinds);
    } else if (nested_rules) {
      // repeated.items, map.keys / map.values: a kind of its own, and the kinds inside.
      kinds->push_back(name);
      CollectKinds(message.GetReflection()->GetMessage(message, field), "", kinds);
    } else {
      kinds->push_back(name);
    }
  }
}

}  // namespace

void Check(const google::protobuf::Message& message, const MessageMaker& make,
           std::vector<Violation>* out, std::string_view prefix) {
  Walker(make, out, prefix).Message(message);
}

std::string JoinViolations(const std::vector<Violation>& violations) {
  return absl::StrJoin(violations, "; ", [](std::string* out, const Violation& v) {
    absl::StrAppend(out, v.path, v.path.empty() ? "" : ": ", v.message);
  });
}

std::vector<std::string> RuleKindsOf(const FieldDescriptor& field) {
  std::vector<std::string> kinds;
  if (std::optional<FieldRules> rules = ReadRules(field); rules.has_value()) {
    CollectKinds(*rules, "", &kinds);
  }
  return kinds;
}

const std::vector<std::string>& SupportedRuleKinds() {
  static const std::vector<std::string>* const kinds = new std::vector<std::string>([] {
    std::vector<std::string> all = {"oneof.required", "message.disabled", "message.required",
                                    "message.skip"};
    for (const char* numeric : {"float", "double", "int32", "int64", "uint32", "uint64", "sint32",
                                "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}) {
      for (const char* rule : {"const", "lt", "lte", "gt", "gte", "in", "not_in"}) {
        all.push_back(absl::StrCat(numeric, ".", rule));
      }
    }
    for (const char* rule :
         {"const",     "len",         "min_len", "max_len",  "len_bytes", "min_bytes",
          "max_bytes", "pattern",     "prefix",  "suffix",   "contains",  "not_contains",
          "in",        "not_in",      "email",   "hostname", "ip",        "ipv4",
          "ipv6",      "uri",         "uri_ref", "address",  "uuid",      "well_known_regex",
          "strict",    "ignore_empty"}) {
      all.push_back(absl::StrCat("string.", rule));
    }
    for (const char* rule : {"const", "len", "min_len", "max_len", "pattern", "prefix", "suffix",
                             "contains", "in", "not_in", "ip", "ipv4", "ipv6"}) {
      all.push_back(absl::StrCat("bytes.", rule));
    }
    for (const char* rule :
         {"bool.const", "enum.const", "enum.defined_only", "enum.in", "enum.not_in",
          "repeated.min_items", "repeated.max_items", "repeated.unique", "repeated.items",
          "map.min_pairs", "map.max_pairs", "map.no_sparse", "map.keys", "map.values",
          "any.required", "any.in", "any.not_in"}) {
      all.emplace_back(rule);
    }
    for (const char* rule : {"required", "const", "lt", "lte", "gt", "gte", "in", "not_in"}) {
      all.push_back(absl::StrCat("duration.", rule));
    }
    for (const char* rule :
         {"required", "const", "lt", "lte", "gt", "gte", "lt_now", "gt_now", "within"}) {
      all.push_back(absl::StrCat("timestamp.", rule));
    }
    return all;
  }());
  return *kinds;
}

}  // namespace xdsd::validate

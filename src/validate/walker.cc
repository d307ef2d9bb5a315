#include "validate/walker.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/reflection.h"
#include "validate/formats.h"

namespace xdsd::validate {

using google::protobuf::Reflection;

void Walker::Message(const google::protobuf::Message& message) {
  const MessagePlan& plan = PlanOf(message.GetDescriptor());
  if (plan.skip) return;
  const Reflection* reflection = message.GetReflection();
  for (const OneofDescriptor* oneof : plan.required_oneofs) {
    if (!reflection->HasOneof(message, oneof)) {
      const size_t size = PushField(oneof->name());
      Fail("value is required");
      Pop(size);
    }
  }
  for (const FieldPlan& field : plan.fields) Field(message, field);
}

void Walker::Field(const google::protobuf::Message& message, const FieldPlan& plan) {
  const FieldDescriptor* field = plan.field;
  const Reflection* reflection = message.GetReflection();
  if (field->is_repeated()) {
    if (plan.rules == nullptr && reflection->FieldSize(message, field) == 0) return;
    const size_t size = PushField(field->name());
    if (field->is_map()) {
      Map(message, field, plan.rules);
    } else {
      Repeated(message, field, plan.rules);
    }
    Pop(size);
    return;
  }
  const bool set = reflection->HasField(message, field);
  if (!set) {
    // A member of a oneof is checked only when it is the one set, `required` included.
    if (field->real_containing_oneof() != nullptr) return;
    // Implicit-presence scalars are checked at their default; anything else only when set,
    // except for a required message.
    const bool required_message =
        plan.rules != nullptr && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        ((plan.rules->has_message() && plan.rules->message().required()) ||
         (plan.rules->has_duration() && plan.rules->duration().required()) ||
         (plan.rules->has_timestamp() && plan.rules->timestamp().required()) ||
         (plan.rules->has_any() && plan.rules->any().required()));
    if (required_message) {
      const size_t size = PushField(field->name());
      Fail("value is required");
      Pop(size);
      return;
    }
    if (field->has_presence()) return;
  }
  const size_t size = PushField(field->name());
  One(Value{&message, field, -1}, plan.rules);
  Pop(size);
}

void Walker::Repeated(const google::protobuf::Message& message, const FieldDescriptor* field,
                      const FieldRules* rules) {
  const Reflection* reflection = message.GetReflection();
  const int count = reflection->FieldSize(message, field);
  const FieldRules* items = nullptr;
  if (rules != nullptr && rules->has_repeated()) {
    const ::validate::RepeatedRules& r = rules->repeated();
    if (r.has_min_items() && static_cast<uint64_t>(count) < r.min_items()) {
      Fail(absl::StrCat("value must contain at least ", r.min_items(), " item(s)"));
    }
    if (r.has_max_items() && static_cast<uint64_t>(count) > r.max_items()) {
      Fail(absl::StrCat("value must contain no more than ", r.max_items(), " item(s)"));
    }
    if (r.unique() && count > 1) {
      absl::flat_hash_set<std::string> seen;
      for (int i = 0; i < count; ++i) {
        std::string key;
        switch (field->cpp_type()) {
          case FieldDescriptor::CPPTYPE_MESSAGE:
            key = reflection->GetRepeatedMessage(message, field, i).SerializeAsString();
            break;
          case FieldDescriptor::CPPTYPE_STRING:
            key = reflection->GetRepeatedString(message, field, i);
            break;
          case FieldDescriptor::CPPTYPE_INT32:
            key = absl::StrCat(reflection->GetRepeatedInt32(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_INT64:
            key = absl::StrCat(reflection->GetRepeatedInt64(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_UINT32:
            key = absl::StrCat(reflection->GetRepeatedUInt32(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_UINT64:
            key = absl::StrCat(reflection->GetRepeatedUInt64(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_ENUM:
            key = absl::StrCat(reflection->GetRepeatedEnumValue(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_DOUBLE:
            key = absl::StrCat(reflection->GetRepeatedDouble(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_FLOAT:
            key = absl::StrCat(reflection->GetRepeatedFloat(message, field, i));
            break;
          case FieldDescriptor::CPPTYPE_BOOL:
            key = absl::StrCat(reflection->GetRepeatedBool(message, field, i));
            break;
        }
        if (!seen.insert(std::move(key)).second) {
          const size_t size = PushIndex(i);
          Fail("repeated value must contain unique items");
          Pop(size);
          break;
        }
      }
    }
    if (r.has_items()) items = &r.items();
  }
  const bool recurse = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                       !IsWellKnownWithoutRules(*field->message_type());
  if (items == nullptr && !recurse) return;
  for (int i = 0; i < count; ++i) {
    const size_t size = PushIndex(i);
    One(Value{&message, field, i}, items);
    Pop(size);
  }
}

size_t Walker::PushKey(const Value& key) {
  const google::protobuf::Message& entry = *key.message;
  const Reflection* reflection = entry.GetReflection();
  if (key.field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    // ".key" so that the path leads into a YAML map.
    return PushField(reflection->GetString(entry, key.field));
  }
  const size_t size = path_.size();
  std::string text;
  switch (key.field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      text = absl::StrCat(reflection->GetInt32(entry, key.field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      text = absl::StrCat(reflection->GetInt64(entry, key.field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      text = absl::StrCat(reflection->GetUInt32(entry, key.field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      text = absl::StrCat(reflection->GetUInt64(entry, key.field));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      text = reflection->GetBool(entry, key.field) ? "true" : "false";
      break;
    default:
      break;
  }
  absl::StrAppend(&path_, "[", text, "]");
  return size;
}

void Walker::Map(const google::protobuf::Message& message, const FieldDescriptor* field,
                 const FieldRules* rules) {
  const Reflection* reflection = message.GetReflection();
  const int count = reflection->FieldSize(message, field);
  const FieldRules* keys = nullptr;
  const FieldRules* values = nullptr;
  if (rules != nullptr && rules->has_map()) {
    const ::validate::MapRules& r = rules->map();
    if (r.has_min_pairs() && static_cast<uint64_t>(count) < r.min_pairs()) {
      Fail(absl::StrCat("value must contain at least ", r.min_pairs(), " pair(s)"));
    }
    if (r.has_max_pairs() && static_cast<uint64_t>(count) > r.max_pairs()) {
      Fail(absl::StrCat("value must contain no more than ", r.max_pairs(), " pair(s)"));
    }
    // no_sparse: a map value can not be unset in C++ (an entry without a value holds the
    // default message), so there is nothing to refuse here.
    if (r.has_keys()) keys = &r.keys();
    if (r.has_values()) values = &r.values();
  }
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  for (int i = 0; i < count; ++i) {
    const google::protobuf::Message& entry = reflection->GetRepeatedMessage(message, field, i);
    const size_t size = PushKey(Value{&entry, key_field, -1});
    if (keys != nullptr) One(Value{&entry, key_field, -1}, keys);
    One(Value{&entry, value_field, -1}, values);
    Pop(size);
  }
}

void Walker::One(const Value& value, const FieldRules* rules) {
  const FieldDescriptor* field = value.field;
  const Reflection* reflection = value.message->GetReflection();
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    if (rules != nullptr) Scalar(value, *rules);
    return;
  }
  const google::protobuf::Message& nested =
      value.index < 0 ? reflection->GetMessage(*value.message, field)
                      : reflection->GetRepeatedMessage(*value.message, field, value.index);
  Nested(nested, rules);
}

void Walker::Nested(const google::protobuf::Message& nested, const FieldRules* rules) {
  const Descriptor* type = nested.GetDescriptor();
  if (rules != nullptr) {
    if (rules->has_message() && rules->message().skip()) return;
    switch (rules->type_case()) {
      case FieldRules::kDuration:
        Duration(nested, rules->duration());
        return;
      case FieldRules::kTimestamp:
        Timestamp(nested, rules->timestamp());
        return;
      case FieldRules::kAny:
        Any(nested, rules);
        return;
      case FieldRules::TYPE_NOT_SET:
      case FieldRules::kRepeated:
      case FieldRules::kMap:
      case FieldRules::kEnum:
        break;
      default: {
        // Scalar rules on a wrapper (google.protobuf.UInt32Value, ...): they apply to its
        // value.
        const FieldDescriptor* inner = type->FindFieldByName("value");
        if (inner != nullptr && IsWellKnownWithoutRules(*type)) {
          Scalar(Value{&nested, inner, -1}, *rules);
          return;
        }
        break;
      }
    }
  }
  if (type->full_name() == "google.protobuf.Any") {
    Any(nested, nullptr);
    return;
  }
  if (IsWellKnownWithoutRules(*type)) return;
  Message(nested);
}

void Walker::Any(const google::protobuf::Message& any, const FieldRules* rules) {
  const Descriptor* type = any.GetDescriptor();
  const Reflection* reflection = any.GetReflection();
  const std::string type_url = reflection->GetString(any, type->FindFieldByNumber(1));
  if (rules != nullptr && rules->has_any()) {
    const ::validate::AnyRules& r = rules->any();
    if (r.in_size() > 0 && std::find(r.in().begin(), r.in().end(), type_url) == r.in().end()) {
      Fail(absl::StrCat("type URL must be in list ", ListText(r.in(), Quote)));
    }
    if (std::find(r.not_in().begin(), r.not_in().end(), type_url) != r.not_in().end()) {
      Fail(absl::StrCat("type URL must not be in list ", ListText(r.not_in(), Quote)));
    }
  }
  const size_t slash = type_url.rfind('/');
  const std::string_view name = slash == std::string::npos
                                    ? std::string_view(type_url)
                                    : std::string_view(type_url).substr(slash + 1);
  std::unique_ptr<google::protobuf::Message> payload = make_(name);
  if (payload == nullptr) return;
  if (!payload->ParseFromString(reflection->GetString(any, type->FindFieldByNumber(2)))) {
    Fail(absl::StrCat("the value of the Any does not decode as ", View(name)));
    return;
  }
  Message(*payload);
}

}  // namespace xdsd::validate

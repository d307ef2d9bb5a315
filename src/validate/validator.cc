#include "validate/validator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/reflection.h"
#include "re2/re2.h"
#include "validate/validate.pb.h"

namespace xdsd::validate {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;
using ::validate::FieldRules;

absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ---------------------------------------------------------------------------------------------
// The rules of one message type, read from its descriptors once.

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

// Options parsed again with the generated extension registry, which knows validate.proto's
// extensions: the Envoy API's pool is built at run time from a descriptor set, and whether its
// options carry the extensions as known fields or as unknown bytes depends on how the set was
// parsed. A serialize/parse round trip gives the same answer either way.
template <typename Options>
Options Reparse(const Options& options) {
  Options parsed;
  parsed.ParseFromString(options.SerializeAsString());
  return parsed;
}

std::optional<FieldRules> ReadRules(const FieldDescriptor& field) {
  google::protobuf::FieldOptions options = Reparse(field.options());
  if (!options.HasExtension(::validate::rules)) return std::nullopt;
  return options.GetExtension(::validate::rules);
}

bool IsWellKnownWithoutRules(const Descriptor& type) {
  return type.file()->package() == "google.protobuf" && type.full_name() != "google.protobuf.Any";
}

std::unique_ptr<MessagePlan> BuildPlan(const Descriptor& type) {
  auto plan = std::make_unique<MessagePlan>();
  google::protobuf::MessageOptions options = Reparse(type.options());
  plan->skip = options.GetExtension(::validate::disabled);
  if (plan->skip) return plan;
  for (int i = 0; i < type.oneof_decl_count(); ++i) {
    const OneofDescriptor* oneof = type.oneof_decl(i);
    if (Reparse(oneof->options()).GetExtension(::validate::required)) {
      plan->required_oneofs.push_back(oneof);
    }
  }
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    FieldPlan field_plan{field, nullptr};
    if (std::optional<FieldRules> rules = ReadRules(*field); rules.has_value()) {
      plan->rules.push_back(*std::move(rules));
      field_plan.rules = &plan->rules.back();
    }
    bool recurse = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                   !IsWellKnownWithoutRules(*field->message_type());
    if (field->is_map()) {
      const FieldDescriptor* value = field->message_type()->map_value();
      recurse = value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                !IsWellKnownWithoutRules(*value->message_type());
    }
    if (field_plan.rules != nullptr || recurse) plan->fields.push_back(field_plan);
  }
  return plan;
}

// Plans by message type, for every pool (the Envoy API's and the generated one). Thread-safe;
// plans are never removed, so a plan's address stays valid.
class PlanBook {
 public:
  const MessagePlan& Get(const Descriptor* type) {
    {
      absl::ReaderMutexLock lock(&mutex_);
      auto it = plans_.find(type);
      if (it != plans_.end()) return *it->second;
    }
    std::unique_ptr<MessagePlan> plan = BuildPlan(*type);
    absl::MutexLock lock(&mutex_);
    auto [it, inserted] = plans_.try_emplace(type, std::move(plan));
    return *it->second;
  }

 private:
  absl::Mutex mutex_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<MessagePlan>> plans_
      ABSL_GUARDED_BY(mutex_);
};

PlanBook& Plans() {
  static PlanBook* const book = new PlanBook();  // Never destroyed.
  return *book;
}

// Compiled patterns by their text, kept for the life of the process. Thread-safe.
const RE2& Pattern(const std::string& text) {
  // Never destroyed.
  static absl::Mutex* const mutex = new absl::Mutex();
  static auto* const patterns = new absl::flat_hash_map<std::string, std::unique_ptr<RE2>>();
  absl::MutexLock lock(mutex);
  std::unique_ptr<RE2>& re = (*patterns)[text];
  if (re == nullptr) re = std::make_unique<RE2>(text, RE2::Quiet);
  return *re;
}

// ---------------------------------------------------------------------------------------------
// Formats, as protoc-gen-validate defines them.

bool IsIpv4(absl::string_view s) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}
bool IsIpv6(absl::string_view s) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}
bool IsIp(absl::string_view s) { return IsIpv4(s) || IsIpv6(s); }

bool IsHostname(absl::string_view host) {
  if (absl::EndsWith(host, ".")) host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

bool IsEmail(absl::string_view s) {
  if (absl::StartsWith(s, "<") && absl::EndsWith(s, ">")) s = s.substr(1, s.size() - 2);
  if (s.size() > 254) return false;
  const size_t at = s.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at > 64) return false;
  for (char c : s.substr(0, at)) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '<' || c == '>' || c == '(' ||
        c == ')' || c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' ||
        c == ']') {
      return false;
    }
  }
  return IsHostname(s.substr(at + 1));
}

// A URI reference: no spaces or control characters, and every '%' starts an escape.
bool IsUriRef(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c <= ' ' || c == 0x7f) return false;
    if (c == '%') {
      if (i + 2 >= s.size() + 0 || !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return false;
      }
    }
  }
  return true;
}

bool IsUri(absl::string_view s) {
  static const RE2* const scheme = new RE2("^[a-zA-Z][a-zA-Z0-9+.-]*:");
  return IsUriRef(s) && RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *scheme);
}

bool IsUuid(absl::string_view s) {
  static const RE2* const uuid =
      new RE2("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *uuid);
}

// HTTP header names and values (RFC 7230); `strict` false only forbids NUL, CR and LF.
bool IsHeaderName(absl::string_view s, bool strict) {
  if (!strict) return s.find_first_of(absl::string_view("\0\r\n", 3)) == absl::string_view::npos;
  static const RE2* const name = new RE2("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *name);
}
bool IsHeaderValue(absl::string_view s, bool strict) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (strict ? ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f)
               : (c == 0 || c == '\r' || c == '\n')) {
      return false;
    }
  }
  return true;
}

size_t Runes(absl::string_view s) {
  size_t runes = 0;
  for (char c : s) runes += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return runes;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string DurationText(absl::Duration d) {
  return d == absl::ZeroDuration() ? "0s" : absl::FormatDuration(d);
}

template <typename List, typename Format>
std::string ListText(const List& list, Format format) {
  std::vector<std::string> items;
  for (const auto& item : list) items.push_back(format(item));
  return absl::StrCat("[", absl::StrJoin(items, " "), "]");
}

// ---------------------------------------------------------------------------------------------
// The walk.

class Walker {
 public:
  Walker(const MessageMaker& make, std::vector<Violation>* out, std::string_view prefix)
      : make_(make), out_(out), path_(prefix) {}

  void Message(const google::protobuf::Message& message);

 private:
  // The value of a field: a singular field (index -1) or one element of a repeated one.
  struct Value {
    const google::protobuf::Message* message;
    const FieldDescriptor* field;
    int index;
  };

  void Fail(std::string message) { out_->push_back({path_, std::move(message)}); }
  // Appends ".name" (or "name" at the top) to the path; Pop() restores it.
  size_t PushField(absl::string_view name) {
    const size_t size = path_.size();
    if (!path_.empty()) path_ += '.';
    absl::StrAppend(&path_, name);
    return size;
  }
  size_t PushIndex(int index) {
    const size_t size = path_.size();
    absl::StrAppend(&path_, "[", index, "]");
    return size;
  }
  size_t PushKey(const Value& key);
  void Pop(size_t size) { path_.resize(size); }

  void Field(const google::protobuf::Message& message, const FieldPlan& plan);
  void Repeated(const google::protobuf::Message& message, const FieldDescriptor* field,
                const FieldRules* rules);
  void Map(const google::protobuf::Message& message, const FieldDescriptor* field,
           const FieldRules* rules);
  // One value against `rules` (null: recurse only).
  void One(const Value& value, const FieldRules* rules);
  void Nested(const google::protobuf::Message& nested, const FieldRules* rules);
  void Any(const google::protobuf::Message& any, const FieldRules* rules);
  void Duration(const google::protobuf::Message& duration, const ::validate::DurationRules& r);
  void Timestamp(const google::protobuf::Message& timestamp, const ::validate::TimestampRules& r);
  void String(const std::string& s, const ::validate::StringRules& r);
  void Bytes(const std::string& s, const ::validate::BytesRules& r);
  void Enum(int number, const google::protobuf::EnumDescriptor* type,
            const ::validate::EnumRules& r);
  void Scalar(const Value& value, const FieldRules& rules);
  template <typename T, typename Rules>
  void Number(T v, const Rules& r);

  const MessageMaker& make_;
  std::vector<Violation>* out_;
  std::string path_;
};

void Walker::Message(const google::protobuf::Message& message) {
  const MessagePlan& plan = Plans().Get(message.GetDescriptor());
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

absl::Duration ToDuration(int64_t seconds, int32_t nanos) {
  return absl::Seconds(seconds) + absl::Nanoseconds(nanos);
}

absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return ToDuration(d.seconds(), d.nanos());
}

// The checks shared by Duration and Timestamp rules, on values made comparable.
template <typename T, typename Rules, typename Convert, typename Format>
void Ranges(T v, const Rules& r, Convert convert, Format format, std::vector<std::string>* fails) {
  if (r.has_const_() && v != convert(r.const_())) {
    fails->push_back(absl::StrCat("value must equal ", format(convert(r.const_()))));
  }
  const bool has_lower = r.has_gt() || r.has_gte();
  const bool has_upper = r.has_lt() || r.has_lte();
  const T lower = r.has_gt() ? convert(r.gt()) : r.has_gte() ? convert(r.gte()) : T();
  const T upper = r.has_lt() ? convert(r.lt()) : r.has_lte() ? convert(r.lte()) : T();
  const bool above = !has_lower || (r.has_gt() ? v > lower : v >= lower);
  const bool below = !has_upper || (r.has_lt() ? v < upper : v <= upper);
  const std::string lower_text = has_lower ? format(lower) : "";
  const std::string upper_text = has_upper ? format(upper) : "";
  if (has_lower && has_upper) {
    const char* open = r.has_gt() ? "(" : "[";
    const char* close = r.has_lt() ? ")" : "]";
    if (upper > lower) {
      if (!above || !below) {
        fails->push_back(
            absl::StrCat("value must be inside range ", open, lower_text, ", ", upper_text, close));
      }
    } else if (!above && !below) {
      // An exclusive range: lt/lte below gt/gte means "outside [upper, lower]".
      fails->push_back(absl::StrCat("value must be outside range ", r.has_lt() ? "[" : "(",
                                    upper_text, ", ", lower_text, r.has_gt() ? "]" : ")"));
    }
  } else if (!above) {
    fails->push_back(
        absl::StrCat("value must be greater than ", r.has_gte() ? "or equal to " : "", lower_text));
  } else if (!below) {
    fails->push_back(
        absl::StrCat("value must be less than ", r.has_lte() ? "or equal to " : "", upper_text));
  }
}

template <typename List, typename T, typename Convert>
bool Contains(const List& list, T v, Convert convert) {
  for (const auto& item : list) {
    if (convert(item) == v) return true;
  }
  return false;
}

void Walker::Duration(const google::protobuf::Message& message,
                      const ::validate::DurationRules& r) {
  const Reflection* reflection = message.GetReflection();
  const Descriptor* type = message.GetDescriptor();
  const int64_t seconds = reflection->GetInt64(message, type->FindFieldByNumber(1));
  const int32_t nanos = reflection->GetInt32(message, type->FindFieldByNumber(2));
  constexpr int64_t kMaxSeconds = 315576000000;
  if (seconds < -kMaxSeconds || seconds > kMaxSeconds || nanos <= -1000000000 ||
      nanos >= 1000000000 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    Fail("value is not a valid duration");
    return;
  }
  const absl::Duration v = ToDuration(seconds, nanos);
  std::vector<std::string> fails;
  Ranges(v, r, DurationOf, DurationText, &fails);
  if (r.in_size() > 0 && !Contains(r.in(), v, DurationOf)) {
    fails.push_back(absl::StrCat("value must be in list ",
                                 ListText(r.in(), [](const google::protobuf::Duration& d) {
                                   return DurationText(DurationOf(d));
                                 })));
  }
  if (Contains(r.not_in(), v, DurationOf)) {
    fails.push_back(absl::StrCat("value must not be in list ",
                                 ListText(r.not_in(), [](const google::protobuf::Duration& d) {
                                   return DurationText(DurationOf(d));
                                 })));
  }
  for (std::string& fail : fails) Fail(std::move(fail));
}

void Walker::Timestamp(const google::protobuf::Message& message,
                       const ::validate::TimestampRules& r) {
  const Reflection* reflection = message.GetReflection();
  const Descriptor* type = message.GetDescriptor();
  const int64_t seconds = reflection->GetInt64(message, type->FindFieldByNumber(1));
  const int32_t nanos = reflection->GetInt32(message, type->FindFieldByNumber(2));
  // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp defines.
  if (seconds < -62135596800 || seconds > 253402300799 || nanos < 0 || nanos >= 1000000000) {
    Fail("value is not a valid timestamp");
    return;
  }
  const absl::Time v = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  auto convert = [](const google::protobuf::Timestamp& t) {
    return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  };
  auto format = [](absl::Time t) {
    return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
  };
  std::vector<std::string> fails;
  Ranges(v, r, convert, format, &fails);
  const absl::Time now = absl::Now();
  if (r.lt_now() && !(v < now)) fails.push_back("value must be less than now");
  if (r.gt_now() && !(v > now)) fails.push_back("value must be greater than now");
  if (r.has_within() && absl::AbsDuration(v - now) > DurationOf(r.within())) {
    fails.push_back(
        absl::StrCat("value must be within ", DurationText(DurationOf(r.within())), " of now"));
  }
  for (std::string& fail : fails) Fail(std::move(fail));
}

void Walker::String(const std::string& s, const ::validate::StringRules& r) {
  if (r.ignore_empty() && s.empty()) return;
  if (r.has_const_() && s != r.const_()) Fail(absl::StrCat("value must equal ", Quote(r.const_())));
  const bool counts_runes = r.has_len() || r.has_min_len() || r.has_max_len();
  const size_t runes = counts_runes ? Runes(s) : 0;
  if (r.has_len() && runes != r.len()) {
    Fail(absl::StrCat("value length must be ", r.len(), " runes"));
  }
  if (r.has_min_len() && runes < r.min_len()) {
    Fail(absl::StrCat("value length must be at least ", r.min_len(), " runes"));
  }
  if (r.has_max_len() && runes > r.max_len()) {
    Fail(absl::StrCat("value length must be at most ", r.max_len(), " runes"));
  }
  if (r.has_len_bytes() && s.size() != r.len_bytes()) {
    Fail(absl::StrCat("value length must be ", r.len_bytes(), " bytes"));
  }
  if (r.has_min_bytes() && s.size() < r.min_bytes()) {
    Fail(absl::StrCat("value length must be at least ", r.min_bytes(), " bytes"));
  }
  if (r.has_max_bytes() && s.size() > r.max_bytes()) {
    Fail(absl::StrCat("value length must be at most ", r.max_bytes(), " bytes"));
  }
  if (r.has_pattern() && !RE2::PartialMatch(s, Pattern(r.pattern()))) {
    Fail(absl::StrCat("value does not match regex pattern ", Quote(r.pattern())));
  }
  if (r.has_prefix() && !absl::StartsWith(s, r.prefix())) {
    Fail(absl::StrCat("value does not have prefix ", Quote(r.prefix())));
  }
  if (r.has_suffix() && !absl::EndsWith(s, r.suffix())) {
    Fail(absl::StrCat("value does not have suffix ", Quote(r.suffix())));
  }
  if (r.has_contains() && !absl::StrContains(s, r.contains())) {
    Fail(absl::StrCat("value does not contain substring ", Quote(r.contains())));
  }
  if (r.has_not_contains() && absl::StrContains(s, r.not_contains())) {
    Fail(absl::StrCat("value contains substring ", Quote(r.not_contains())));
  }
  if (r.in_size() > 0 && std::find(r.in().begin(), r.in().end(), s) == r.in().end()) {
    Fail(absl::StrCat("value must be in list ", ListText(r.in(), Quote)));
  }
  if (std::find(r.not_in().begin(), r.not_in().end(), s) != r.not_in().end()) {
    Fail(absl::StrCat("value must not be in list ", ListText(r.not_in(), Quote)));
  }
  switch (r.well_known_case()) {
    case ::validate::StringRules::kEmail:
      if (r.email() && !IsEmail(s)) Fail("value must be a valid email address");
      break;
    case ::validate::StringRules::kHostname:
      if (r.hostname() && !IsHostname(s)) Fail("value must be a valid hostname");
      break;
    case ::validate::StringRules::kIp:
      if (r.ip() && !IsIp(s)) Fail("value must be a valid IP address");
      break;
    case ::validate::StringRules::kIpv4:
      if (r.ipv4() && !IsIpv4(s)) Fail("value must be a valid IPv4 address");
      break;
    case ::validate::StringRules::kIpv6:
      if (r.ipv6() && !IsIpv6(s)) Fail("value must be a valid IPv6 address");
      break;
    case ::validate::StringRules::kUri:
      if (r.uri() && !IsUri(s)) Fail("value must be an absolute URI");
      break;
    case ::validate::StringRules::kUriRef:
      if (r.uri_ref() && !IsUriRef(s)) Fail("value must be a valid URI");
      break;
    case ::validate::StringRules::kAddress:
      if (r.address() && !IsIp(s) && !IsHostname(s)) {
        Fail("value must be a valid hostname, or ip address");
      }
      break;
    case ::validate::StringRules::kUuid:
      if (r.uuid() && !IsUuid(s)) Fail("value must be a valid UUID");
      break;
    case ::validate::StringRules::kWellKnownRegex:
      if (r.well_known_regex() == ::validate::HTTP_HEADER_NAME && !IsHeaderName(s, r.strict())) {
        Fail("value must be a valid HTTP header name");
      } else if (r.well_known_regex() == ::validate::HTTP_HEADER_VALUE &&
                 !IsHeaderValue(s, r.strict())) {
        Fail("value must be a valid HTTP header value");
      }
      break;
    case ::validate::StringRules::WELL_KNOWN_NOT_SET:
      break;
  }
}

void Walker::Bytes(const std::string& s, const ::validate::BytesRules& r) {
  auto hex = [](const std::string& b) { return Quote(absl::CHexEscape(b)); };
  if (r.has_const_() && s != r.const_()) Fail(absl::StrCat("value must equal ", hex(r.const_())));
  if (r.has_len() && s.size() != r.len()) {
    Fail(absl::StrCat("value length must be ", r.len(), " bytes"));
  }
  if (r.has_min_len() && s.size() < r.min_len()) {
    Fail(absl::StrCat("value length must be at least ", r.min_len(), " bytes"));
  }
  if (r.has_max_len() && s.size() > r.max_len()) {
    Fail(absl::StrCat("value length must be at most ", r.max_len(), " bytes"));
  }
  if (r.has_pattern() && !RE2::PartialMatch(s, Pattern(r.pattern()))) {
    Fail(absl::StrCat("value does not match regex pattern ", Quote(r.pattern())));
  }
  if (r.has_prefix() && !absl::StartsWith(s, r.prefix())) {
    Fail(absl::StrCat("value does not have prefix ", hex(r.prefix())));
  }
  if (r.has_suffix() && !absl::EndsWith(s, r.suffix())) {
    Fail(absl::StrCat("value does not have suffix ", hex(r.suffix())));
  }
  if (r.has_contains() && !absl::StrContains(s, r.contains())) {
    Fail(absl::StrCat("value does not contain ", hex(r.contains())));
  }
  if (r.in_size() > 0 && std::find(r.in().begin(), r.in().end(), s) == r.in().end()) {
    Fail(absl::StrCat("value must be in list ", ListText(r.in(), hex)));
  }
  if (std::find(r.not_in().begin(), r.not_in().end(), s) != r.not_in().end()) {
    Fail(absl::StrCat("value must not be in list ", ListText(r.not_in(), hex)));
  }
  if (r.ip() && s.size() != 4 && s.size() != 16) {
    Fail("value must be a valid IP address (4 or 16 bytes)");
  }
  if (r.ipv4() && s.size() != 4) Fail("value must be a valid IPv4 address (4 bytes)");
  if (r.ipv6() && s.size() != 16) Fail("value must be a valid IPv6 address (16 bytes)");
}

void Walker::Enum(int number, const google::protobuf::EnumDescriptor* type,
                  const ::validate::EnumRules& r) {
  if (r.has_const_() && number != r.const_()) {
    Fail(absl::StrCat("value must equal ", r.const_()));
  }
  if (r.defined_only() && type->FindValueByNumber(number) == nullptr) {
    Fail("value must be one of the defined enum values");
  }
  if (r.in_size() > 0 && std::find(r.in().begin(), r.in().end(), number) == r.in().end()) {
    Fail(absl::StrCat("value must be in list [", absl::StrJoin(r.in(), " "), "]"));
  }
  if (std::find(r.not_in().begin(), r.not_in().end(), number) != r.not_in().end()) {
    Fail(absl::StrCat("value must not be in list [", absl::StrJoin(r.not_in(), " "), "]"));
  }
}

template <typename T, typename Rules>
void Walker::Number(T v, const Rules& r) {
  std::vector<std::string> fails;
  auto same = [](auto x) { return static_cast<T>(x); };
  auto format = [](T x) { return absl::StrCat(x); };
  Ranges(v, r, same, format, &fails);
  if (r.in_size() > 0 && !Contains(r.in(), v, same)) {
    fails.push_back(absl::StrCat("value must be in list [", absl::StrJoin(r.in(), " "), "]"));
  }
  if (Contains(r.not_in(), v, same)) {
    fails.push_back(
        absl::StrCat("value must not be in list [", absl::StrJoin(r.not_in(), " "), "]"));
  }
  for (std::string& fail : fails) Fail(std::move(fail));
}

void Walker::Scalar(const Value& value, const FieldRules& rules) {
  const google::protobuf::Message& m = *value.message;
  const FieldDescriptor* f = value.field;
  const Reflection* reflection = m.GetReflection();
  const int i = value.index;
  const bool repeated = i >= 0;
  switch (rules.type_case()) {
    case FieldRules::kFloat:
      Number(repeated ? reflection->GetRepeatedFloat(m, f, i) : reflection->GetFloat(m, f),
             rules.float_());
      break;
    case FieldRules::kDouble:
      Number(repeated ? reflection->GetRepeatedDouble(m, f, i) : reflection->GetDouble(m, f),
             rules.double_());
      break;
    case FieldRules::kInt32:
      Number(repeated ? reflection->GetRepeatedInt32(m, f, i) : reflection->GetInt32(m, f),
             rules.int32());
      break;
    case FieldRules::kSint32:
      Number(repeated ? reflection->GetRepeatedInt32(m, f, i) : reflection->GetInt32(m, f),
             rules.sint32());
      break;
    case FieldRules::kSfixed32:
      Number(repeated ? reflection->GetRepeatedInt32(m, f, i) : reflection->GetInt32(m, f),
             rules.sfixed32());
      break;
    case FieldRules::kInt64:
      Number(repeated ? reflection->GetRepeatedInt64(m, f, i) : reflection->GetInt64(m, f),
             rules.int64());
      break;
    case FieldRules::kSint64:
      Number(repeated ? reflection->GetRepeatedInt64(m, f, i) : reflection->GetInt64(m, f),
             rules.sint64());
      break;
    case FieldRules::kSfixed64:
      Number(repeated ? reflection->GetRepeatedInt64(m, f, i) : reflection->GetInt64(m, f),
             rules.sfixed64());
      break;
    case FieldRules::kUint32:
      Number(repeated ? reflection->GetRepeatedUInt32(m, f, i) : reflection->GetUInt32(m, f),
             rules.uint32());
      break;
    case FieldRules::kFixed32:
      Number(repeated ? reflection->GetRepeatedUInt32(m, f, i) : reflection->GetUInt32(m, f),
             rules.fixed32());
      break;
    case FieldRules::kUint64:
      Number(repeated ? reflection->GetRepeatedUInt64(m, f, i) : reflection->GetUInt64(m, f),
             rules.uint64());
      break;
    case FieldRules::kFixed64:
      Number(repeated ? reflection->GetRepeatedUInt64(m, f, i) : reflection->GetUInt64(m, f),
             rules.fixed64());
      break;
    case FieldRules::kBool: {
      const bool v = repeated ? reflection->GetRepeatedBool(m, f, i) : reflection->GetBool(m, f);
      if (rules.bool_().has_const_() && v != rules.bool_().const_()) {
        Fail(absl::StrCat("value must equal ", rules.bool_().const_() ? "true" : "false"));
      }
      break;
    }
    case FieldRules::kString:
    case FieldRules::kBytes: {
      std::string scratch;
      const std::string& s = repeated ? reflection->GetRepeatedStringReference(m, f, i, &scratch)
                                      : reflection->GetStringReference(m, f, &scratch);
      if (rules.has_string()) {
        String(s, rules.string());
      } else {
        Bytes(s, rules.bytes());
      }
      break;
    }
    case FieldRules::kEnum:
      Enum(repeated ? reflection->GetRepeatedEnumValue(m, f, i) : reflection->GetEnumValue(m, f),
           f->enum_type(), rules.enum_());
      break;
    default:
      break;
  }
}

// The names of the rules set in `message` (a validate.*Rules), as "prefix.field".
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
      all.push_back(rule);
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

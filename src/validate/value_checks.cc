#include <cmath>
#include <cstdint>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/reflection.h"
#include "validate/formats.h"
#include "validate/walker.h"

namespace xdsd::validate {

using google::protobuf::Reflection;

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
  if (r.lt_now() && !(v < now)) fails.emplace_back("value must be less than now");
  if (r.gt_now() && !(v > now)) fails.emplace_back("value must be greater than now");
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

}  // namespace xdsd::validate

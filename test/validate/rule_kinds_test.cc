// Each rule kind, satisfied and broken, on a message type made for the test: a .proto text
// compiled at run time into a pool that also holds validate.proto, as the Envoy API's pool is.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/compiler/parser.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "validate/validate.pb.h"
#include "validate/validator.h"

namespace xdsd::validate {
namespace {

constexpr char kProto[] = R"pb(
  syntax = "proto3"
  ;
package t;
import "validate/validate.proto";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Color { RED = 0; GREEN = 1; BLUE = 2; }

message Inner { string name = 1 [(validate.rules).string.min_len = 1]; }
message Off { option (validate.disabled) = true; string name = 1 [(validate.rules).string.min_len = 1]; }

message M {
  optional string s_const = 1 [(validate.rules).string.const = "a"];
  optional string s_len = 2 [(validate.rules).string.len = 2];
  optional string s_min_len = 3 [(validate.rules).string.min_len = 2];
  optional string s_max_len = 4 [(validate.rules).string.max_len = 2];
  optional string s_min_bytes = 5 [(validate.rules).string.min_bytes = 3];
  optional string s_max_bytes = 6 [(validate.rules).string.max_bytes = 3];
  optional string s_pattern = 7 [(validate.rules).string.pattern = "^[a-z]+$"];
  optional string s_prefix = 8 [(validate.rules).string.prefix = "ab"];
  optional string s_suffix = 9 [(validate.rules).string.suffix = "yz"];
  optional string s_contains = 10 [(validate.rules).string.contains = "mid"];
  optional string s_not_contains = 11 [(validate.rules).string.not_contains = "bad"];
  optional string s_in = 12 [(validate.rules).string = {in: ["x", "y"]}];
  optional string s_not_in = 13 [(validate.rules).string = {not_in: ["x", "y"]}];
  optional string s_email = 14 [(validate.rules).string.email = true];
  optional string s_hostname = 15 [(validate.rules).string.hostname = true];
  optional string s_ip = 16 [(validate.rules).string.ip = true];
  optional string s_ipv4 = 17 [(validate.rules).string.ipv4 = true];
  optional string s_ipv6 = 18 [(validate.rules).string.ipv6 = true];
  optional string s_uri = 19 [(validate.rules).string.uri = true];
  optional string s_uri_ref = 20 [(validate.rules).string.uri_ref = true];
  optional string s_address = 21 [(validate.rules).string.address = true];
  optional string s_uuid = 22 [(validate.rules).string.uuid = true];
  optional string s_header_name = 23 [(validate.rules).string.well_known_regex = HTTP_HEADER_NAME];
  optional string s_header_value = 24 [(validate.rules).string.well_known_regex = HTTP_HEADER_VALUE];
  optional string s_header_loose = 25 [(validate.rules).string = {well_known_regex: HTTP_HEADER_NAME, strict: false}];
  optional string s_ignore_empty = 26 [(validate.rules).string = {min_len: 3, ignore_empty: true}];
  optional bytes b_len = 30 [(validate.rules).bytes.len = 2];
  optional bytes b_prefix = 31 [(validate.rules).bytes.prefix = "\x01"];
  optional bytes b_ipv4 = 32 [(validate.rules).bytes.ipv4 = true];
  optional int32 i_const = 40 [(validate.rules).int32.const = 5];
  optional int64 i_lt = 41 [(validate.rules).int64.lt = 10];
  optional uint32 u_lte = 42 [(validate.rules).uint32.lte = 65535];
  optional uint64 u_gt = 43 [(validate.rules).uint64.gt = 0];
  optional sint32 s32_gte = 44 [(validate.rules).sint32.gte = -3];
  optional double d_range = 45 [(validate.rules).double = {gte: 0, lte: 100}];
  optional float f_exclusive = 46 [(validate.rules).float = {lt: 0, gt: 10}];
  optional fixed32 fx_in = 47 [(validate.rules).fixed32 = {in: [1, 2]}];
  optional sfixed64 sfx_not_in = 48 [(validate.rules).sfixed64 = {not_in: [1, 2]}];
  optional bool bool_const = 49 [(validate.rules).bool.const = true];
  optional Color e_defined = 50 [(validate.rules).enum.defined_only = true];
  optional Color e_const = 51 [(validate.rules).enum.const = 1];
  optional Color e_in = 52 [(validate.rules).enum = {in: [0, 1]}];
  optional Color e_not_in = 53 [(validate.rules).enum = {not_in: [2]}];
  Inner m_required = 60 [(validate.rules).message.required = true];
  Inner m_skip = 61 [(validate.rules).message.skip = true];
  Inner m_nested = 62;
  Off m_disabled = 63;
  repeated string r_min = 70 [(validate.rules).repeated.min_items = 1];
  repeated string r_max = 71 [(validate.rules).repeated.max_items = 1];
  repeated string r_unique = 72 [(validate.rules).repeated.unique = true];
  repeated string r_items = 73 [(validate.rules).repeated.items.string.min_len = 2];
  repeated Inner r_messages = 74;
  map<string, string> map_min = 80 [(validate.rules).map.min_pairs = 1];
  map<string, string> map_max = 81 [(validate.rules).map.max_pairs = 1];
  map<string, string> map_keys = 82 [(validate.rules).map.keys.string.min_len = 2];
  map<string, Inner> map_values = 83 [(validate.rules).map.values.message.required = true];
  google.protobuf.Any any_required = 90 [(validate.rules).any.required = true];
  google.protobuf.Any any_in = 91 [(validate.rules).any = {in: ["type.googleapis.com/t.Inner"]}];
  google.protobuf.Any any_not_in = 92 [(validate.rules).any = {not_in: ["type.googleapis.com/t.Inner"]}];
  google.protobuf.Any any_payload = 93;
  google.protobuf.Duration dur_required = 100 [(validate.rules).duration.required = true];
  google.protobuf.Duration dur_gt = 101 [(validate.rules).duration.gt = {}];
  google.protobuf.Duration dur_range = 102 [(validate.rules).duration = {gte: {seconds: 1}, lt: {seconds: 5}}];
  google.protobuf.Duration dur_const = 103 [(validate.rules).duration.const = {seconds: 2}];
  google.protobuf.Duration dur_in = 104 [(validate.rules).duration = {in: [{seconds: 1}]}];
  google.protobuf.Duration dur_not_in = 105 [(validate.rules).duration = {not_in: [{seconds: 1}]}];
  google.protobuf.Timestamp ts_required = 110 [(validate.rules).timestamp.required = true];
  google.protobuf.Timestamp ts_gt = 111 [(validate.rules).timestamp.gt = {seconds: 1000}];
  google.protobuf.Timestamp ts_lt_now = 112 [(validate.rules).timestamp.lt_now = true];
  google.protobuf.Timestamp ts_gt_now = 113 [(validate.rules).timestamp.gt_now = true];
  google.protobuf.Timestamp ts_within = 114 [(validate.rules).timestamp.within = {seconds: 60}];
  google.protobuf.UInt32Value w_gte = 120 [(validate.rules).uint32.gte = 2];
  google.protobuf.StringValue w_min_len = 121 [(validate.rules).string.min_len = 1];
  oneof choice {
    option (validate.required) = true;
    string one_a = 130 [(validate.rules).string.min_len = 1];
    string one_b = 131;
  }
}
)pb";

// The pool holding t.M and everything it imports, and a factory for its messages.
class RuleKindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const google::protobuf::FileDescriptor* file :
         {::validate::FieldRules::descriptor()->file(), google::protobuf::Any::descriptor()->file(),
          google::protobuf::Duration::descriptor()->file(),
          google::protobuf::Timestamp::descriptor()->file(),
          google::protobuf::UInt32Value::descriptor()->file()}) {
      AddWithDependencies(file);
    }
    google::protobuf::io::ArrayInputStream input(kProto, sizeof(kProto) - 1);
    google::protobuf::io::Tokenizer tokenizer(&input, nullptr);
    google::protobuf::compiler::Parser parser;
    google::protobuf::FileDescriptorProto proto;
    ASSERT_TRUE(parser.Parse(&tokenizer, &proto));
    proto.set_name("t.proto");
    ASSERT_NE(pool_.BuildFile(proto), nullptr);
    type_ = pool_.FindMessageTypeByName("t.M");
  }

  void AddWithDependencies(const google::protobuf::FileDescriptor* file) {
    if (pool_.FindFileByName(file->name()) != nullptr) return;
    for (int i = 0; i < file->dependency_count(); ++i) AddWithDependencies(file->dependency(i));
    google::protobuf::FileDescriptorProto proto;
    file->CopyTo(&proto);
    ASSERT_NE(pool_.BuildFile(proto), nullptr) << file->name();
  }

  // The violations of a t.M written in text format (one_b set unless the text sets the oneof),
  // only those under `field`.
  std::vector<std::string> ViolationsOf(const std::string& field, const std::string& text) {
    std::unique_ptr<google::protobuf::Message> message(factory_.GetPrototype(type_)->New());
    // The oneof is required: set unless the case is about it.
    const std::string full =
        text.find("one_") == std::string::npos && field != "choice" ? text + " one_b: \"\"" : text;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(full, message.get())) << full;
    std::vector<Violation> violations;
    MessageMaker make =
        [this](std::string_view name) -> std::unique_ptr<google::protobuf::Message> {
      const google::protobuf::Descriptor* type = pool_.FindMessageTypeByName(std::string(name));
      if (type == nullptr) return nullptr;
      return std::unique_ptr<google::protobuf::Message>(factory_.GetPrototype(type)->New());
    };
    Check(*message, make, &violations);
    std::vector<std::string> under;
    for (const Violation& v : violations) {
      if (v.path == field || v.path.rfind(field + ".", 0) == 0 ||
          v.path.rfind(field + "[", 0) == 0) {
        under.push_back(v.path + ": " + v.message);
      }
    }
    return under;
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
  const google::protobuf::Descriptor* type_ = nullptr;
};

struct RuleCase {
  const char* field;
  const char* good;  // text format of a t.M that satisfies the rule
  const char* bad;   // and one that breaks it
  const char* message;
};

const RuleCase kCases[] = {
    {"s_const", R"(s_const: "a")", R"(s_const: "b")", "value must equal \"a\""},
    {"s_len", R"(s_len: "é1")", R"(s_len: "abc")", "value length must be 2 runes"},
    {"s_min_len", R"(s_min_len: "ab")", R"(s_min_len: "a")",
     "value length must be at least 2 runes"},
    {"s_max_len", R"(s_max_len: "éé")", R"(s_max_len: "abc")",
     "value length must be at most 2 runes"},
    {"s_min_bytes", R"(s_min_bytes: "é1")", R"(s_min_bytes: "ab")",
     "value length must be at least 3 bytes"},
    {"s_max_bytes", R"(s_max_bytes: "abc")", R"(s_max_bytes: "éé")",
     "value length must be at most 3 bytes"},
    {"s_pattern", R"(s_pattern: "abc")", R"(s_pattern: "ab1")",
     "value does not match regex pattern \"^[a-z]+$\""},
    {"s_prefix", R"(s_prefix: "abc")", R"(s_prefix: "bc")", "value does not have prefix \"ab\""},
    {"s_suffix", R"(s_suffix: "xyz")", R"(s_suffix: "xy")", "value does not have suffix \"yz\""},
    {"s_contains", R"(s_contains: "amidb")", R"(s_contains: "ab")",
     "value does not contain substring \"mid\""},
    {"s_not_contains", R"(s_not_contains: "good")", R"(s_not_contains: "a bad one")",
     "value contains substring \"bad\""},
    {"s_in", R"(s_in: "x")", R"(s_in: "z")", "value must be in list [\"x\" \"y\"]"},
    {"s_not_in", R"(s_not_in: "z")", R"(s_not_in: "y")", "value must not be in list [\"x\" \"y\"]"},
    {"s_email", R"(s_email: "ops@example.com")", R"(s_email: "ops@@example")",
     "value must be a valid email address"},
    {"s_hostname", R"(s_hostname: "a-b.example.com")", R"(s_hostname: "-a.example")",
     "value must be a valid hostname"},
    {"s_ip", R"(s_ip: "::1")", R"(s_ip: "1.2.3")", "value must be a valid IP address"},
    {"s_ipv4", R"(s_ipv4: "10.0.0.1")", R"(s_ipv4: "::1")", "value must be a valid IPv4 address"},
    {"s_ipv6", R"(s_ipv6: "fe80::1")", R"(s_ipv6: "10.0.0.1")",
     "value must be a valid IPv6 address"},
    {"s_uri", R"(s_uri: "https://example.com/a?b=c")", R"(s_uri: "/relative")",
     "value must be an absolute URI"},
    {"s_uri_ref", R"(s_uri_ref: "/relative")", R"(s_uri_ref: "a b")", "value must be a valid URI"},
    {"s_address", R"(s_address: "example.com")", R"(s_address: "not an address")",
     "value must be a valid hostname, or ip address"},
    {"s_uuid", R"(s_uuid: "123e4567-e89b-12d3-a456-426614174000")", R"(s_uuid: "123e4567")",
     "value must be a valid UUID"},
    {"s_header_name", R"(s_header_name: ":authority")", R"(s_header_name: "a b")",
     "value must be a valid HTTP header name"},
    {"s_header_value", R"(s_header_value: "a b\t")", R"(s_header_value: "a\001")",
     "value must be a valid HTTP header value"},
    {"s_header_loose", R"(s_header_loose: "a b")", R"(s_header_loose: "a\nb")",
     "value must be a valid HTTP header name"},
    {"s_ignore_empty", R"(s_ignore_empty: "")", R"(s_ignore_empty: "ab")",
     "value length must be at least 3 runes"},
    {"b_len", R"(b_len: "\001\002")", R"(b_len: "\001")", "value length must be 2 bytes"},
    {"b_prefix", R"(b_prefix: "\001\002")", R"(b_prefix: "\002")",
     "value does not have prefix \"\\x01\""},
    {"b_ipv4", R"(b_ipv4: "\001\002\003\004")", R"(b_ipv4: "\001")",
     "value must be a valid IPv4 address (4 bytes)"},
    {"i_const", "i_const: 5", "i_const: 6", "value must equal 5"},
    {"i_lt", "i_lt: 9", "i_lt: 10", "value must be less than 10"},
    {"u_lte", "u_lte: 65535", "u_lte: 65536", "value must be less than or equal to 65535"},
    {"u_gt", "u_gt: 1", "u_gt: 0", "value must be greater than 0"},
    {"s32_gte", "s32_gte: -3", "s32_gte: -4", "value must be greater than or equal to -3"},
    {"d_range", "d_range: 100", "d_range: 100.5", "value must be inside range [0, 100]"},
    {"f_exclusive", "f_exclusive: 11", "f_exclusive: 5", "value must be outside range [0, 10]"},
    {"fx_in", "fx_in: 2", "fx_in: 3", "value must be in list [1 2]"},
    {"sfx_not_in", "sfx_not_in: 3", "sfx_not_in: 2", "value must not be in list [1 2]"},
    {"bool_const", "bool_const: true", "bool_const: false", "value must equal true"},
    {"e_defined", "e_defined: BLUE", "e_defined: 7",
     "value must be one of the defined enum values"},
    {"e_const", "e_const: GREEN", "e_const: RED", "value must equal 1"},
    {"e_in", "e_in: GREEN", "e_in: BLUE", "value must be in list [0 1]"},
    {"e_not_in", "e_not_in: RED", "e_not_in: BLUE", "value must not be in list [2]"},
    {"m_required", R"(m_required { name: "n" })", "", "value is required"},
    {"m_nested", R"(m_nested { name: "n" })", R"(m_nested { })",
     "value length must be at least 1 runes"},
    {"r_min", R"(r_min: "a")", "", "value must contain at least 1 item(s)"},
    {"r_max", R"(r_max: "a")", R"(r_max: "a" r_max: "b")",
     "value must contain no more than 1 item(s)"},
    {"r_unique", R"(r_unique: "a" r_unique: "b")", R"(r_unique: "a" r_unique: "a")",
     "repeated value must contain unique items"},
    {"r_items", R"(r_items: "ab")", R"(r_items: "ab" r_items: "a")",
     "value length must be at least 2 runes"},
    {"r_messages", R"(r_messages { name: "n" })", R"(r_messages { name: "n" } r_messages { })",
     "value length must be at least 1 runes"},
    {"map_min", R"(map_min { key: "a" value: "b" })", "", "value must contain at least 1 pair(s)"},
    {"map_max", R"(map_max { key: "a" value: "b" })",
     R"(map_max { key: "a" value: "b" } map_max { key: "c" value: "d" })",
     "value must contain no more than 1 pair(s)"},
    {"map_keys", R"(map_keys { key: "ab" value: "" })", R"(map_keys { key: "a" value: "" })",
     "value length must be at least 2 runes"},
    {"map_values", R"(map_values { key: "k" value { name: "n" } })",
     R"(map_values { key: "k" value { } })", "value length must be at least 1 runes"},
    {"any_required", R"(any_required { type_url: "type.googleapis.com/t.Inner" value: "\n\001n" })",
     "", "value is required"},
    {"any_in", R"(any_in { type_url: "type.googleapis.com/t.Inner" value: "\n\001n" })",
     R"(any_in { type_url: "type.googleapis.com/t.Off" })",
     "type URL must be in list [\"type.googleapis.com/t.Inner\"]"},
    {"any_not_in", R"(any_not_in { type_url: "type.googleapis.com/t.Off" })",
     R"(any_not_in { type_url: "type.googleapis.com/t.Inner" value: "\n\001n" })",
     "type URL must not be in list [\"type.googleapis.com/t.Inner\"]"},
    {"any_payload", R"(any_payload { type_url: "type.googleapis.com/t.Inner" value: "\n\001n" })",
     R"(any_payload { type_url: "type.googleapis.com/t.Inner" })",
     "value length must be at least 1 runes"},
    {"dur_required", R"(dur_required { seconds: 1 })", "", "value is required"},
    {"dur_gt", R"(dur_gt { nanos: 1 })", R"(dur_gt { })", "value must be greater than 0s"},
    {"dur_range", R"(dur_range { seconds: 1 })", R"(dur_range { seconds: 5 })",
     "value must be inside range [1s, 5s)"},
    {"dur_const", R"(dur_const { seconds: 2 })", R"(dur_const { seconds: 3 })",
     "value must equal 2s"},
    {"dur_in", R"(dur_in { seconds: 1 })", R"(dur_in { seconds: 2 })",
     "value must be in list [1s]"},
    {"dur_not_in", R"(dur_not_in { seconds: 2 })", R"(dur_not_in { seconds: 1 })",
     "value must not be in list [1s]"},
    {"ts_required", R"(ts_required { seconds: 1 })", "", "value is required"},
    {"ts_gt", R"(ts_gt { seconds: 1001 })", R"(ts_gt { seconds: 1000 })",
     "value must be greater than 1970-01-01T00:16:40+00:00"},
    {"ts_lt_now", R"(ts_lt_now { seconds: 1 })", R"(ts_lt_now { seconds: 253402300000 })",
     "value must be less than now"},
    {"ts_gt_now", R"(ts_gt_now { seconds: 253402300000 })", R"(ts_gt_now { seconds: 1 })",
     "value must be greater than now"},
    {"ts_within", nullptr, R"(ts_within { seconds: 1 })", "value must be within 1m of now"},
    {"w_gte", R"(w_gte { value: 2 })", R"(w_gte { value: 1 })",
     "value must be greater than or equal to 2"},
    {"w_min_len", R"(w_min_len { value: "a" })", R"(w_min_len { })",
     "value length must be at least 1 runes"},
    {"choice", R"(one_b: "")", "", "value is required"},
    {"one_a", R"(one_a: "a")", R"(one_a: "")", "value length must be at least 1 runes"},
};

// The fields every case needs set (required ones), so that a case sees only its own rule.
constexpr const char* kRequiredParts[] = {
    R"(m_required { name: "n" } )",
    "dur_required { seconds: 1 } ",
    "ts_required { seconds: 1 } ",
    R"(any_required { type_url: "type.googleapis.com/t.Inner" value: "\n\001n" } )",
    R"(r_min: "a" )",
    R"(map_min { key: "a" value: "b" } )"};

// The required fields, but for `except`.
std::string Required(const std::string& except = "") {
  std::string text;
  for (const char* part : kRequiredParts) {
    if (except.empty() || std::string(part).find(except) == std::string::npos) text += part;
  }
  return text;
}

TEST_F(RuleKindsTest, EachRuleKindAcceptsItsGoodValueAndRefusesItsBadOne) {
  for (const RuleCase& c : kCases) {
    const std::string field = c.field;
    // A case that leaves a required field unset takes it out of the required set.
    const std::string bad = c.bad;
    const std::string base = bad.empty() ? Required(field) : Required();
    if (c.good != nullptr) {
      EXPECT_THAT(ViolationsOf(field, base + " " + c.good), ::testing::IsEmpty()) << field;
    }
    const std::string bad_text = field == "choice" ? base : base + " " + bad;
    EXPECT_THAT(ViolationsOf(field, bad_text),
                ::testing::ElementsAre(::testing::EndsWith(std::string(": ") + c.message)))
        << field;
  }
}

TEST_F(RuleKindsTest, SkippedAndDisabledMessagesAreNotChecked) {
  EXPECT_THAT(ViolationsOf("m_skip", Required() + " m_skip { }"), ::testing::IsEmpty());
  EXPECT_THAT(ViolationsOf("m_disabled", Required() + " m_disabled { }"), ::testing::IsEmpty());
}

TEST_F(RuleKindsTest, EveryRuleKindTheValidatorImplementsIsUsedHere) {
  std::vector<std::string> used;
  for (int i = 0; i < type_->field_count(); ++i) {
    for (std::string& kind : RuleKindsOf(*type_->field(i))) used.push_back(kind);
  }
  for (const char* kind :
       {"string.const", "string.uuid", "bytes.ipv4", "enum.not_in", "repeated.unique", "map.keys",
        "any.not_in", "duration.in", "timestamp.within", "uint32.gte"}) {
    EXPECT_THAT(used, ::testing::Contains(kind));
  }
}

}  // namespace
}  // namespace xdsd::validate

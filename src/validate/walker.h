#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "validate/rule_plan.h"
#include "validate/validator.h"

// The walk of one message against its rules (private to the validator): walker.cc walks
// messages, fields, maps and Anys; value_checks.cc checks single values.
namespace xdsd::validate {

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

}  // namespace xdsd::validate

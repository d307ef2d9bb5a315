#include "validate/rule_plan.h"

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.pb.h"

namespace xdsd::validate {
namespace {

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

}  // namespace

bool IsWellKnownWithoutRules(const Descriptor& type) {
  return type.file()->package() == "google.protobuf" && type.full_name() != "google.protobuf.Any";
}

std::optional<FieldRules> ReadRules(const FieldDescriptor& field) {
  google::protobuf::FieldOptions options = Reparse(field.options());
  if (!options.HasExtension(::validate::rules)) return std::nullopt;
  return options.GetExtension(::validate::rules);
}

const MessagePlan& PlanOf(const Descriptor* type) { return Plans().Get(type); }

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

}  // namespace xdsd::validate

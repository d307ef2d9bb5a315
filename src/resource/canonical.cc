#include "resource/canonical.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"

namespace xdsd::resource {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr std::string_view kAnyName = "google.protobuf.Any";

}  // namespace

std::string SerializeDeterministic(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

namespace {

// Whether a message type can hold an Any at some depth. Most resource types can (metadata
// has typed_filter_metadata), but many of their sub-messages cannot, and the walk below
// skips those. Remembered per descriptor: descriptors live as long as their pool.
class AnyReach {
 public:
  static AnyReach& Get() {
    static auto* reach = new AnyReach();
    return *reach;
  }

  bool CanHoldAny(const Descriptor* type) {
    absl::MutexLock lock(&mu_);
    if (auto it = known_.find(type); it != known_.end()) return it->second;
    // Every type reachable from `type`, each visited once (types may be recursive).
    absl::flat_hash_set<const Descriptor*> seen = {type};
    std::vector<const Descriptor*> pending = {type};
    bool result = false;
    while (!pending.empty() && !result) {
      const Descriptor* next = pending.back();
      pending.pop_back();
      if (next->full_name() == kAnyName) result = true;
      for (int i = 0; i < next->field_count(); ++i) {
        const FieldDescriptor* field = next->field(i);
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            seen.insert(field->message_type()).second) {
          pending.push_back(field->message_type());
        }
      }
    }
    known_[type] = result;
    return result;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const Descriptor*, bool> known_ ABSL_GUARDED_BY(mu_);
};

// True when some Any is set inside `message` (at any depth).
bool HoldsAny(const Message& message) {
  const Descriptor* type = message.GetDescriptor();
  if (type->full_name() == kAnyName) return true;
  if (!AnyReach::Get().CanHoldAny(type)) return false;
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (HoldsAny(reflection->GetRepeatedMessage(message, field, i))) return true;
      }
    } else if (HoldsAny(reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

void CanonicalizeInPlace(Message* message);

// Re-encodes one Any's value canonically, when its type is known to the Any's pool.
void CanonicalizeAny(Message* any) {
  const Descriptor* type = any->GetDescriptor();
  const FieldDescriptor* type_url_field = type->FindFieldByNumber(1);
  const FieldDescriptor* value_field = type->FindFieldByNumber(2);
  if (type_url_field == nullptr || value_field == nullptr) return;
  const Reflection* reflection = any->GetReflection();
  const std::string type_url = reflection->GetString(*any, type_url_field);
  const std::string full_name = type_url.substr(type_url.rfind('/') + 1);
  const Descriptor* inner_type = type->file()->pool()->FindMessageTypeByName(full_name);
  if (inner_type == nullptr) return;
  google::protobuf::MessageFactory* factory = reflection->GetMessageFactory();
  const Message* prototype = factory != nullptr ? factory->GetPrototype(inner_type) : nullptr;
  if (prototype == nullptr) return;
  std::unique_ptr<Message> inner(prototype->New());
  if (!inner->ParseFromString(reflection->GetString(*any, value_field))) return;
  CanonicalizeInPlace(inner.get());
  reflection->SetString(any, value_field, SerializeDeterministic(*inner));
}

void CanonicalizeInPlace(Message* message) {
  const Descriptor* type = message->GetDescriptor();
  if (type->full_name() == kAnyName) {
    CanonicalizeAny(message);
    return;
  }
  if (!AnyReach::Get().CanHoldAny(type)) return;
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        CanonicalizeInPlace(reflection->MutableRepeatedMessage(message, field, i));
      }
    } else {
      CanonicalizeInPlace(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace

std::unique_ptr<Message> CanonicalCopy(const Message& message) {
  if (!HoldsAny(message)) return nullptr;
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  CanonicalizeInPlace(copy.get());
  return copy;
}

}  // namespace xdsd::resource

namespace xdsd {

std::string CanonicalBytes(const google::protobuf::Message& message) {
  std::unique_ptr<google::protobuf::Message> copy = resource::CanonicalCopy(message);
  return resource::SerializeDeterministic(copy != nullptr ? *copy : message);
}

}  // namespace xdsd

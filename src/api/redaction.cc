#include "api/redaction.h"

#include <memory>

#include "api/envoy_api.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"

namespace xdsd::api {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The number of the `udpa.annotations.sensitive` extension of FieldOptions.
constexpr int kSensitiveOption = 76569463;

// Read from the options' wire form, so that it works whether or not the pool that parsed the
// options knows the extension.
bool IsSensitive(const FieldDescriptor* field) {
  google::protobuf::UnknownFieldSet options;
  if (!options.ParseFromString(field->options().SerializeAsString())) return false;
  for (int i = 0; i < options.field_count(); ++i) {
    const google::protobuf::UnknownField& option = options.field(i);
    if (option.number() == kSensitiveOption &&
        option.type() == google::protobuf::UnknownField::TYPE_VARINT && option.varint() != 0) {
      return true;
    }
  }
  return false;
}

void Redact(Message* message, bool secret);

// An Any's value, unpacked through the whole API's pool, redacted and packed again.
void RedactAny(Message* any, bool secret) {
  const google::protobuf::Descriptor* descriptor = any->GetDescriptor();
  const FieldDescriptor* type_url = descriptor->FindFieldByNumber(1);
  const FieldDescriptor* value = descriptor->FindFieldByNumber(2);
  const Reflection* reflection = any->GetReflection();
  const std::string type = reflection->GetString(*any, type_url);
  std::unique_ptr<Message> inner = EnvoyApi::Get().NewMessage(FullTypeName(type));
  if (inner == nullptr || !inner->ParseFromString(reflection->GetString(*any, value))) {
    // Unknown to xdsd: it cannot be searched for secrets, so it is not shown.
    reflection->SetString(any, value, std::string(kRedacted));
    return;
  }
  Redact(inner.get(), secret);
  reflection->SetString(any, value, inner->SerializeAsString());
}

// Redacts the secrets of `message`; with `secret`, every string and bytes value in it.
void Redact(Message* message, bool secret) {
  if (message->GetDescriptor()->full_name() == "google.protobuf.Any") {
    RedactAny(message, secret);
    return;
  }
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    const bool field_secret = secret || IsSensitive(field);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          Redact(reflection->MutableRepeatedMessage(message, field, i), field_secret);
        }
      } else {
        Redact(reflection->MutableMessage(message, field), field_secret);
      }
    } else if (!field_secret) {
      continue;
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          reflection->SetRepeatedString(message, field, i, std::string(kRedacted));
        }
      } else {
        reflection->SetString(message, field, std::string(kRedacted));
      }
    } else {
      reflection->ClearField(message, field);
    }
  }
}

}  // namespace

void RedactSecrets(Message* message) { Redact(message, /*secret=*/false); }

std::string RedactedBytes(std::string_view type_url, std::string_view bytes) {
  std::unique_ptr<Message> message = EnvoyApi::Get().NewMessage(FullTypeName(type_url));
  if (message == nullptr ||
      !message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return "";
  }
  RedactSecrets(message.get());
  return message->SerializeAsString();
}

bool IsSecretType(std::string_view type_url) {
  return FullTypeName(type_url) == "envoy.extensions.transport_sockets.tls.v3.Secret";
}

}  // namespace xdsd::api

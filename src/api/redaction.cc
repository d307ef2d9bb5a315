#include "api/redaction.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "api/envoy_api.h"
#include "api_descriptors.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "xdsd/secret_text.h"

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

namespace {

// Counts, per field name, the fields of `message` (and its nested types) that are secret and
// those that are not.
void CountFieldNames(const google::protobuf::Descriptor* message,
                     std::map<std::string, std::pair<int, int>>* counts) {
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    const bool sensitive = IsSensitive(field);
    for (const std::string& name : {field->name(), field->json_name()}) {
      auto& [secret, plain] = (*counts)[name];
      (sensitive ? secret : plain) += 1;
    }
  }
  for (int i = 0; i < message->nested_type_count(); ++i) {
    CountFieldNames(message->nested_type(i), counts);
  }
}

// The names (proto and JSON) of the fields the API (every file of the embedded descriptor set)
// marks secret, but for names that more fields use for what is not secret ("typed_config" is
// secret in one place and plain in hundreds): text that names those says nothing.
const std::set<std::string, std::less<>>& SecretFieldNames() {
  static const auto* const names = [] {
    auto* names = new std::set<std::string, std::less<>>();
    google::protobuf::FileDescriptorSet set;
    const std::string_view embedded = proto::EmbeddedApiDescriptorSet();
    if (!set.ParseFromArray(embedded.data(), static_cast<int>(embedded.size()))) return names;
    const google::protobuf::DescriptorPool& pool = EnvoyApi::Get().pool();
    std::map<std::string, std::pair<int, int>> counts;
    for (const google::protobuf::FileDescriptorProto& file_proto : set.file()) {
      const google::protobuf::FileDescriptor* file = pool.FindFileByName(file_proto.name());
      if (file == nullptr) continue;
      for (int i = 0; i < file->message_type_count(); ++i) {
        CountFieldNames(file->message_type(i), &counts);
      }
    }
    for (const auto& [name, count] : counts) {
      if (count.first > 0 && count.first >= count.second) names->insert(name);
    }
    return names;
  }();
  return *names;
}

bool IsIdentifierChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// True when `text` names a secret field as a word (as in a field path or a quoted resource).
bool MentionsSecretField(std::string_view text) {
  const std::set<std::string, std::less<>>& secret = SecretFieldNames();
  size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && !IsIdentifierChar(text[at])) ++at;
    const size_t start = at;
    while (at < text.size() && IsIdentifierChar(text[at])) ++at;
    if (at > start && secret.contains(text.substr(start, at - start))) return true;
  }
  return false;
}

}  // namespace

std::string RedactSecretText(std::string_view text) {
  std::string redacted = RedactPrivateKeyBlocks(text);
  if (!MentionsSecretField(redacted)) return redacted;
  // Every double-quoted value (escapes included) may be the secret: each is replaced, but for
  // the names of fields, which an error needs to be read.
  const std::set<std::string, std::less<>>& secret = SecretFieldNames();
  std::string out;
  size_t at = 0;
  while (at < redacted.size()) {
    const size_t open = redacted.find('"', at);
    if (open == std::string::npos) break;
    size_t close = open + 1;
    while (close < redacted.size() && redacted[close] != '"') {
      close += redacted[close] == '\\' ? 2 : 1;
    }
    out.append(redacted, at, open + 1 - at);
    const std::string_view quoted =
        std::string_view(redacted).substr(open + 1, std::min(close, redacted.size()) - open - 1);
    if (secret.contains(quoted)) {
      out.append(quoted);
    } else {
      out.append(kRedacted);
    }
    if (close >= redacted.size()) return out;  // unterminated: the rest goes with it
    out.push_back('"');
    at = close + 1;
  }
  if (at < redacted.size()) out.append(redacted, at);
  return out;
}

absl::Status RedactSecretText(const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), RedactSecretText(std::string_view(status.message().data(),
                                                                       status.message().size())));
}

bool IsSecretType(std::string_view type_url) {
  return FullTypeName(type_url) == "envoy.extensions.transport_sockets.tls.v3.Secret";
}

}  // namespace xdsd::api

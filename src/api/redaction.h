#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace xdsd::api {

// What a secret is shown as, as Envoy's own admin shows it.
inline constexpr std::string_view kRedacted = "[redacted]";

// Secrets never leave xdsd except over authenticated xDS streams: every place that shows a
// resource (config dumps, CSDS, logs, error messages) shows it through these.
//
// A field is secret when the Envoy API marks it with the `udpa.annotations.sensitive` field
// option (TlsCertificate.private_key and password, TlsSessionTicketKeys.keys,
// GenericSecret.secret, the OAuth2 and HMAC secrets, ...), read from the descriptors of the
// whole API, so an extension's secrets count too. Every string and bytes value inside a secret
// field becomes "[redacted]"; other values in it are cleared. Messages packed in an Any are
// unpacked through the API's pool and redacted the same way.
//
// Thread-safe.
void RedactSecrets(google::protobuf::Message* message);

// `bytes`, a serialized message of `type_url` (or a full type name), with its secrets redacted.
// Bytes of an unknown type, or that do not parse, are returned unchanged only when the type
// cannot hold secrets; otherwise "" (nothing is better than a leak).
std::string RedactedBytes(std::string_view type_url, std::string_view bytes);

// Free text (an error message, a client's NACK error text) with what may be a secret in it
// redacted: every private key PEM block (RedactPrivateKeyBlocks), and, when the text names a
// secret field (private_key, password, secret, ...: the fields RedactSecrets redacts), every
// double-quoted value in it but the names of fields. Errors then still say where and what.
std::string RedactSecretText(std::string_view text);
// The same for a status's message.
absl::Status RedactSecretText(const absl::Status& status);

// True for the type (by full name) of a resource that is itself a secret (SDS Secret).
bool IsSecretType(std::string_view type_url);

}  // namespace xdsd::api

#pragma once

#include <string>
#include <string_view>

namespace xdsd {

// Free text that may quote a secret (a client's NACK error_detail, which Envoy fills with the
// resource it rejected; an error message) with every PEM block that holds a key
// ("-----BEGIN PRIVATE KEY-----", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
// ...: any label with KEY in it) replaced by "[redacted]", from its BEGIN line to its END
// line, or to the end of the text when the quote was cut short. Certificates stay.
//
// XdsServer applies it to every NACK's error_detail before any callback sees it; the daemon
// adds the values of secret fields (api::RedactSecretText).
//
// Thread-safe.
std::string RedactPrivateKeyBlocks(std::string_view text);

}  // namespace xdsd

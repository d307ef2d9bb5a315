#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace xdsd::cli {

// Whether `port` on `host` (an address or a host name) can be listened on, tried before a
// server starts so that a port in use is one clear line, not a server library's dump:
// FailedPrecondition "the xDS port 18000 (--xds-port) is already in use: ...". `what` names
// the port ("xDS", "HTTP"), `flag` its flag. Port 0 is always free. Thread-safe.
absl::Status CheckPortFree(const std::string& host, int port, absl::string_view what,
                           absl::string_view flag);

// "HOST:PORT" as gRPC dials or listens on it and as URLs write it: an IPv6 address (one with a
// colon) in brackets, unless it has them already.
std::string JoinHostPort(absl::string_view host, int port);

}  // namespace xdsd::cli

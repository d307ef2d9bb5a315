#pragma once

// `xdsd reload`: makes a running xdsd load its configuration now (POST /v1/config/reload) and
// says which version it serves, or why it refused the configuration.

#include <cstdio>

#include "cli/command_line.h"

namespace xdsd::cli {

// Exit codes of `xdsd reload` (2, a command-line error, is main's).
inline constexpr int kReloadServed = 0;       // xdsd serves the configuration it read
inline constexpr int kReloadRefused = 1;      // xdsd refused it (or refused the request)
inline constexpr int kReloadUnreachable = 3;  // xdsd could not be reached, or answered garbage

// Runs `xdsd reload`: the version on `out` ("SOURCE: version V"), errors on `err`. Returns the
// exit code.
int RunReload(const ReloadOptions& options, std::FILE* out, std::FILE* err);

}  // namespace xdsd::cli

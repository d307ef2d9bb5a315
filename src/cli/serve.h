#pragma once

#include "absl/status/status.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// `xdsd serve`: loads the configuration (the built-in demo when options.config_path is empty),
// serves it over xDS on 0.0.0.0:xds_port and the admin HTTP API on 0.0.0.0:http_port, logs
// every stream event. SIGHUP reloads the configuration at once. On SIGINT or SIGTERM, /readyz
// answers 503 while xDS keeps serving for options.drain_time; then both servers stop and it
// returns.
//
// Returns the error when the configuration does not load or a port cannot be bound.
//
// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every thread it starts) to
// receive them with sigwait: call it from the main thread before any other thread exists.
absl::Status Run(const ServeOptions& options);

}  // namespace xdsd::cli

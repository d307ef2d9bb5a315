#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "spdlog/common.h"

namespace xdsd::cli {

// What `xdsd serve` needs to know, parsed from its flags.
struct ServeOptions {
  int xds_port = 18000;   // gRPC xDS services; 0 picks a free port
  int http_port = 19001;  // admin HTTP; 0 picks a free port
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::string config_path;  // a file or a directory; empty serves the built-in demo
};

// A parsed command line.
struct Command {
  enum class Kind {
    kServe,  // `xdsd`, `xdsd serve [flags]`, `xdsd [flags]`
    kHelp,   // `xdsd help`, or -h / --help anywhere
  };
  Kind kind = Kind::kServe;
  ServeOptions serve;
};

// Parses `args` (without the program name). Flags are written `--name=value` or `--name value`;
// a dash and an underscore are the same in a name (`--xds-port`, `--xds_port`). Only xdsd's own
// flags are accepted. Fails with InvalidArgument naming the offending argument.
//
// The result depends on `args` alone: every flag starts from its default. The flags are Abseil
// flags, which parsing sets, so it is not thread-safe: call it from main() before starting
// threads (or from one test thread).
absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args);

// The text `xdsd --help` prints: usage, every flag with its default, the HTTP endpoints.
std::string HelpText();

}  // namespace xdsd::cli

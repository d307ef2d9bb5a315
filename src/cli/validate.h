#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// `xdsd validate PATH`: loads the configuration exactly as `xdsd serve --config=PATH` would, and
// serves nothing.
//
// Returns the lines to print when it is valid:
//   "examples/demo.yaml: valid (3 resources: clusters: 1, listeners: 1, routes: 1)"
//   "version 6f1c0e2a9b3d4e57"
// (with "; groups: a, b" before the closing parenthesis when there are groups); the version is
// the one xdsd serves the configuration as (config::ConfigVersion), which `xdsd status
// --version` waits for. Otherwise the loader's error: for a configuration that does not
// validate, InvalidArgument with every error on a line of its own, "FILE:LINE: path: message";
// NotFound when PATH does not exist. With --against, also FailedPrecondition when the xdsd
// there would refuse it as a mass removal (config::CheckMassRemoval), Unavailable when it
// cannot be asked.
//
// Thread-compatible: reads files only.
absl::StatusOr<std::string> ValidateConfig(const ValidateOptions& options);

}  // namespace xdsd::cli

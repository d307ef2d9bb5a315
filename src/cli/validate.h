#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// `xdsd validate PATH`: loads the configuration exactly as `xdsd serve --config=PATH` would, and
// serves nothing.
//
// Returns the line to print when it is valid:
//   "examples/demo.yaml: valid (3 resources: clusters: 1, listeners: 1, routes: 1)"
// (with "; groups: a, b" before the closing parenthesis when there are groups). Otherwise the
// loader's error: for a configuration that does not validate, InvalidArgument with every error
// on a line of its own, "FILE:LINE: path: message"; NotFound when PATH does not exist.
//
// Thread-compatible: reads files only.
absl::StatusOr<std::string> ValidateConfig(const ValidateOptions& options);

}  // namespace xdsd::cli

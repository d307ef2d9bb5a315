#pragma once

// `xdsd history`, `xdsd history A B A B` and `xdsd rollback N`: the revisions of the config a
// running xdsd serves, over its admin HTTP server (GET /v1/config/history, GET /v1/config/diff,
// POST /v1/config/rollback).

#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "cli/command_line.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {

// Exit codes: 0 done, 1 xdsd refused (the message says why), 3 xdsd could not be reached or
// answered garbage (2, a command-line error, is main's).
inline constexpr int kAdminDone = 0;
inline constexpr int kAdminRefused = 1;
inline constexpr int kAdminUnreachable = 3;

// The table `xdsd history` prints from GET /v1/config/history: one revision a line, the one
// served marked with *, and a line saying when what is served is not the source (a rollback).
absl::StatusOr<std::string> RenderHistory(const nlohmann::json& history);

// What `xdsd history A B` prints from GET /v1/config/diff: "+ TYPE NAME", "- TYPE NAME",
// "~ TYPE NAME" followed by "    PATH: FROM -> TO" for each field.
absl::StatusOr<std::string> RenderDiff(const nlohmann::json& diff);

// Run the commands: output on `out`, errors on `err`; return the exit code.
int RunHistory(const AdminCallOptions& options, std::FILE* out, std::FILE* err);
int RunDiff(const AdminCallOptions& options, std::FILE* out, std::FILE* err);
int RunRollback(const AdminCallOptions& options, std::FILE* out, std::FILE* err);

}  // namespace xdsd::cli

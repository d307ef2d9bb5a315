#pragma once

// `xdsd history`, `xdsd history A B`, `xdsd rollback N` and `xdsd rollout`: the revisions of
// the config a running xdsd serves and how they roll out, over its admin HTTP server
// (GET /v1/config/history, GET /v1/config/diff, POST /v1/config/rollback, /v1/rollout).

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
// `xdsd rollout` (GET /v1/rollout), `xdsd rollout promote|abort` (POST /v1/rollout/...).
int RunRollout(const AdminCallOptions& options, std::FILE* out, std::FILE* err);

// What `xdsd rollout` prints from GET /v1/rollout: each group's rollout, its waves and halt.
absl::StatusOr<std::string> RenderRollouts(const nlohmann::json& rollouts);
// The line `xdsd status` shows for one rollout of GET /v1/rollout while it is under way or
// halted ("rollout r12: wave 2/3, 120/400 nodes, baking"; "..., halted: NODE NACKed TYPE:
// TEXT"); empty when it is done or aborted.
std::string RolloutStatusLine(const nlohmann::json& rollout);

}  // namespace xdsd::cli

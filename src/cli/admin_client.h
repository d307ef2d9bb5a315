#pragma once

// The HTTP client of the commands that ask a running xdsd (`status`, `reload`,
// `validate --against`): one request to its admin server, bounded in time, with errors worded
// for a person at a terminal.

#include <string>

#include "absl/status/statusor.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// One answer of the admin server.
struct AdminAnswer {
  int status = 0;
  std::string body;
  std::string next_after;  // the X-Next-After header (GET /v1/nodes), empty when absent
};

// GET `path` (with its query) from `target`. Unavailable, saying why, when xdsd cannot be
// reached or does not answer; any HTTP status is an answer.
// With `token` not empty, sends "Authorization: Bearer TOKEN".
absl::StatusOr<AdminAnswer> AdminGet(const AdminTarget& target, const std::string& path,
                                     const std::string& token = "");

// POST `path` with `body` (JSON; empty by default) and, when `token` is not empty, "Authorization:
// Bearer TOKEN". `timeout` bounds the wait for the answer (a reload may take a while).
absl::StatusOr<AdminAnswer> AdminPost(const AdminTarget& target, const std::string& path,
                                      const std::string& token, int timeout_seconds,
                                      const std::string& body = "");

// The token a client sends, from --admin-token-file: "" without a file. The daemon's file may
// name a token per person; a client's holds one, its own (more is an error that says so).
absl::StatusOr<std::string> ReadClientToken(const std::string& token_file);

}  // namespace xdsd::cli

#pragma once

#include <cstdio>

#include "cli/command_line.h"

namespace xdsd::cli {

// Exit codes of `xdsd apply`, `xdsd diff` and `xdsd register` besides 0 and 2 (command line).
inline constexpr int kExitInvalidConfig = 1;  // nothing written
inline constexpr int kExitEtcdUnreachable = 3;
inline constexpr int kExitConflict = 4;  // the config in etcd changed meanwhile; nothing written

// `xdsd apply` (or, with `diff_only`, `xdsd diff`): checks the configuration exactly as
// `xdsd validate` does, reads the config under the prefix, prints what differs and (apply)
// writes the difference in one transaction guarded by the revision read (or
// options.expect_revision): it applies only if no config key under the prefix changed after
// that revision. Returns the exit code; reports on `out` and `err`.
int RunApply(const ApplyOptions& options, bool diff_only, std::FILE* out, std::FILE* err);

// `xdsd register`: puts the endpoint's registration under a lease and keeps the lease alive
// until SIGINT or SIGTERM (then revokes it: the endpoint leaves at once). A lease that expired
// meanwhile (etcd unreachable for longer than the TTL) is granted again and the registration
// put again. Returns the exit code.
int RunRegister(const RegisterOptions& options, std::FILE* out, std::FILE* err);

}  // namespace xdsd::cli

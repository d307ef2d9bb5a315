#pragma once

// The flags of each command of `xdsd`, and the endpoints of the admin HTTP server that --help
// lists under --http-port. Constant data: thread-safe.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cli/command_line.h"
#include "cli/flag_table.h"

namespace xdsd::cli {

// What the flags of `xdsd bootstrap` say, before the address is resolved: the default host of
// --xds-address depends on --docker, which may come after it on the command line.
struct BootstrapFlags {
  BootstrapOptions options;  // everything but xds_host and xds_port
  std::string xds_address;   // as given; empty for the default
  bool docker = false;

  bool operator==(const BootstrapFlags&) const = default;
};

// The flags of each command, in the order --help lists them.
absl::Span<const Flag<ServeOptions>> ServeFlagTable();
absl::Span<const Flag<ValidateOptions>> ValidateFlagTable();
absl::Span<const Flag<BootstrapFlags>> BootstrapFlagTable();
absl::Span<const Flag<StatusOptions>> StatusFlagTable();
absl::Span<const Flag<ReloadOptions>> ReloadFlagTable();
absl::Span<const Flag<ApplyOptions>> ApplyFlagTable();  // apply and diff
absl::Span<const Flag<RegisterOptions>> RegisterFlagTable();
absl::Span<const Flag<AdminCallOptions>> AdminCallFlagTable();  // history, diff, rollback

// The help of every flag of `kind` (of none for kHelp), as in --help.
std::vector<FlagInfo> FlagInfos(Command::Kind kind);

// The value of `xdsd status --http`, [http://]HOST[:PORT][/], into options->http_host,
// http_port and http_url. Fails with InvalidArgument saying why, without naming the flag.
absl::Status ParseHttpUrl(absl::string_view text, AdminTarget* options);

// The command that `kind` names on the command line: "serve", "validate", ...
absl::string_view CommandName(Command::Kind kind);

// One endpoint of the admin HTTP server (src/admin/admin_server.cc), as --help documents it.
struct AdminEndpoint {
  absl::string_view method;  // GET, POST, PUT or DELETE
  // {name} stands for a part of the path the server matches; a query starts with ?.
  absl::string_view path;
  absl::string_view description;
};

// Every endpoint of the admin HTTP server (the dashboard, the REST gateway and the fleet API
// included), in the order --help lists them.
absl::Span<const AdminEndpoint> AdminEndpoints();

}  // namespace xdsd::cli

// xdsd: the daemon. Parses the command line and hands it to the command it names.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "cli/command_line.h"
#include "cli/serve.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("an xDS control plane for Envoy; see xdsd --help");
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<xdsd::cli::Command> command = xdsd::cli::ParseCommandLine(args);
  if (!command.ok()) {
    std::fprintf(stderr, "xdsd: %s\n", std::string(command.status().message()).c_str());
    return 2;
  }
  if (command->kind == xdsd::cli::Command::Kind::kHelp) {
    std::fputs(xdsd::cli::HelpText().c_str(), stdout);
    return 0;
  }
  const absl::Status status = xdsd::cli::Run(command->serve);
  if (!status.ok()) {
    std::fprintf(stderr, "xdsd: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

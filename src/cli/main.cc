// xdsd: the daemon. Parses the command line and hands it to the command it names.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cli/apply.h"
#include "cli/bootstrap.h"
#include "cli/command_line.h"
#include "cli/history.h"
#include "cli/reload.h"
#include "cli/serve.h"
#include "cli/status.h"
#include "cli/validate.h"

int main(int argc, char** argv) {
  // Debian's Abseil is built with the Mutex lock-order checks on: every lock of every
  // absl::Mutex goes through its deadlock graph, about 15% of the daemon's CPU while it pushes
  // to 10,000 streams (docs/benchmarks.md). The tests keep the checks.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<xdsd::cli::Command> command = xdsd::cli::ParseCommandLine(args);
  if (!command.ok()) {
    std::fprintf(stderr, "xdsd: %s\n", std::string(command.status().message()).c_str());
    return 2;
  }
  switch (command->kind) {
    case xdsd::cli::Command::Kind::kHelp:
      std::fputs(xdsd::cli::HelpText().c_str(), stdout);
      return 0;
    case xdsd::cli::Command::Kind::kBootstrap:
      std::fputs(xdsd::cli::RenderBootstrap(command->bootstrap).c_str(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    case xdsd::cli::Command::Kind::kValidate: {
      absl::StatusOr<std::string> report = xdsd::cli::ValidateConfig(command->validate);
      if (!report.ok()) {
        // The loader's errors as they are, one a line (FILE:LINE: path: message), for editors
        // and CI logs to pick up.
        std::fprintf(stderr, "%s\n", std::string(report.status().message()).c_str());
        return 1;
      }
      std::printf("%s\n", report->c_str());
      return 0;
    }
    case xdsd::cli::Command::Kind::kStatus:
      // 0 in sync, 1 not in sync, 3 xdsd unreachable or not answering as xdsd.
      return xdsd::cli::RunStatus(command->status, stdout, stderr);
    case xdsd::cli::Command::Kind::kReload:
      // 0 served, 1 refused, 3 xdsd unreachable or not answering as xdsd.
      return xdsd::cli::RunReload(command->reload, stdout, stderr);
    case xdsd::cli::Command::Kind::kVersion:
      std::fputs(xdsd::cli::VersionText().c_str(), stdout);
      return 0;
    case xdsd::cli::Command::Kind::kApply:
    case xdsd::cli::Command::Kind::kDiff:
      return xdsd::cli::RunApply(command->apply, command->kind == xdsd::cli::Command::Kind::kDiff,
                                 stdout, stderr);
    case xdsd::cli::Command::Kind::kRegister:
      return xdsd::cli::RunRegister(command->register_, stdout, stderr);
    case xdsd::cli::Command::Kind::kHistory:
      return command->admin.args.empty() ? xdsd::cli::RunHistory(command->admin, stdout, stderr)
                                         : xdsd::cli::RunDiff(command->admin, stdout, stderr);
    case xdsd::cli::Command::Kind::kRollback:
      return xdsd::cli::RunRollback(command->admin, stdout, stderr);
    case xdsd::cli::Command::Kind::kRollout:
      return xdsd::cli::RunRollout(command->admin, stdout, stderr);
    case xdsd::cli::Command::Kind::kServe:
      break;
  }
  const absl::Status status = xdsd::cli::Run(command->serve);
  if (!status.ok()) {
    std::fprintf(stderr, "xdsd: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

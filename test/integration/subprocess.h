#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace xdsd::testing {

// A child process whose standard output and standard error go to files, for tests that start
// real binaries. The destructor kills a child still running (SIGKILL) and reaps it.
//
// Thread-compatible.
class Subprocess {
 public:
  // Starts `argv` (argv[0] is the path of the binary), stdout and stderr appended to
  // `stdout_path` and `stderr_path`, stdin from a pipe fed by WriteStdin() when `pipe_stdin`,
  // from /dev/null otherwise. The child starts with no signal blocked.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& stdout_path,
                                                           const std::string& stderr_path,
                                                           bool pipe_stdin = false);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // True until the child exits (reaps it when it has).
  bool Running();

  // Waits up to `timeout` for the child to exit; returns its wait status (see WIFEXITED), or
  // DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Sends `signal` and waits up to `timeout` for the exit; SIGKILL after that. Returns the
  // wait status of the child, or DeadlineExceeded when `signal` was not enough.
  absl::StatusOr<int> Stop(int signal, absl::Duration timeout);

  // Writes `text` to the child's stdin (started with pipe_stdin).
  absl::Status WriteStdin(const std::string& text);
  // Closes the child's stdin: it reads end of input.
  void CloseStdin();

  pid_t pid() const { return pid_; }

 private:
  Subprocess(pid_t pid, int stdin_fd) : pid_(pid), stdin_fd_(stdin_fd) {}

  pid_t pid_;
  int stdin_fd_;  // the write end of the child's stdin, or -1
  bool exited_ = false;
  int wait_status_ = 0;
};

// What a finished command printed and how it ended.
struct CommandResult {
  int wait_status = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `argv` to its end (at most `timeout`, then it is killed and DeadlineExceeded returned);
// `scratch_dir` holds its output files.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& scratch_dir, absl::Duration timeout);

// The whole content of a file, "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace xdsd::testing

#include "integration/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "support/poll.h"

extern char** environ;

namespace xdsd::testing {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const std::vector<std::string>& argv,
                                                              const std::string& stdout_path,
                                                              const std::string& stderr_path,
                                                              bool pipe_stdin) {
  if (argv.empty()) return absl::InvalidArgumentError("no command");
  int stdin_pipe[2] = {-1, -1};
  if (pipe_stdin && pipe2(stdin_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (pipe_stdin) {
    posix_spawn_file_actions_adddup2(&actions, stdin_pipe[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (pipe_stdin) close(stdin_pipe[0]);
  if (error != 0) {
    if (pipe_stdin) close(stdin_pipe[1]);
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(error)));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, stdin_pipe[1]));
}

absl::Status Subprocess::WriteStdin(const std::string& text) {
  if (stdin_fd_ < 0) return absl::FailedPreconditionError("stdin is not a pipe, or closed");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(stdin_fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("write to stdin: ", std::strerror(errno)));
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

Subprocess::~Subprocess() {
  CloseStdin();
  if (Running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
  }
}

bool Subprocess::Running() {
  if (exited_) return false;
  int status = 0;
  pid_t result = waitpid(pid_, &status, WNOHANG);
  if (result == pid_ || (result < 0 && errno == ECHILD)) {
    exited_ = true;
    wait_status_ = status;
  }
  return !exited_;
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (!PollUntil(timeout, [this] { return !Running(); })) {
    return absl::DeadlineExceededError(
        absl::StrCat("process ", pid_, " still running after ", absl::FormatDuration(timeout)));
  }
  return wait_status_;
}

absl::StatusOr<int> Subprocess::Stop(int signal, absl::Duration timeout) {
  if (!Running()) return wait_status_;
  kill(pid_, signal);
  absl::StatusOr<int> status = Wait(timeout);
  if (!status.ok()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    exited_ = true;
  }
  return status;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& scratch_dir, absl::Duration timeout) {
  static int counter = 0;
  const std::string base = absl::StrCat(scratch_dir, "/command_", ++counter);
  const std::string stdout_path = base + ".stdout";
  const std::string stderr_path = base + ".stderr";
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, stdout_path, stderr_path);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> wait_status = (*process)->Wait(timeout);
  if (!wait_status.ok()) return wait_status.status();  // the destructor kills it
  return CommandResult{*wait_status, ReadFileOrEmpty(stdout_path), ReadFileOrEmpty(stderr_path)};
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace xdsd::testing

#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "integration/subprocess.h"
#include "support/poll.h"

namespace xdsd::testing {

// The path of the xdsd binary under test (set by the build).
std::string XdsdBinary();

// What one run of an `xdsd` command (status, reload, validate, ...) gave.
struct XdsdRun {
  int exit_code = -1;  // -1 when it did not exit normally, or could not be run
  std::string out;
  std::string err;  // or why it could not be run
};

// Runs `xdsd <args>` to its end (at most 90 s), scratch files in `scratch_dir`.
XdsdRun RunXdsd(const std::string& scratch_dir, const std::vector<std::string>& args);

// A running `xdsd serve`, on ports it picked itself (--xds-port=0 --http-port=0, read back
// from its log), ready to serve: its /healthz answered 200. It can be stopped and started again
// on the same ports, as an operator restarts a daemon its clients know the address of.
//
// Thread-compatible.
class XdsdProcess {
 public:
  // Starts `xdsd serve <flags> --xds-port=0 --http-port=0`, its log in `dir`/xdsd.log, and
  // waits up to `timeout` until it serves. With --http-tls-cert among `flags` the admin API is
  // asked over https, its certificate checked against `admin_ca` (a PEM file).
  static absl::StatusOr<std::unique_ptr<XdsdProcess>> Start(const std::vector<std::string>& flags,
                                                            const std::string& dir,
                                                            absl::Duration timeout,
                                                            std::string admin_ca = "");

  int xds_port() const { return xds_port_; }
  pid_t pid() const { return process_->pid(); }
  int http_port() const { return http_port_; }
  // The admin API's URL, as its log line says: http://127.0.0.1:PORT or https://...
  std::string admin_url() const;
  // Everything it logged so far.
  std::string Log() const { return ReadFileOrEmpty(log_path_); }

  // GET `path` on the admin port (over https with the admin CA when it serves TLS): the body
  // when the status is 200, an error otherwise.
  absl::StatusOr<std::string> HttpGet(const std::string& path) const;

  // SIGTERM, then waits up to `timeout` for the exit; returns its wait status.
  absl::StatusOr<int> Stop(absl::Duration timeout);

  // Sends `signal` and returns at once.
  void Signal(int signal);
  // True until the process exits.
  bool Running() { return process_->Running(); }
  // Waits up to `timeout` for the exit; returns its wait status, or DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout) { return process_->Wait(timeout); }

  // After Stop: starts `xdsd serve <flags>` again on the ports it had (--xds-port and
  // --http-port given explicitly), its log appended to the same file, and waits up to
  // `timeout` until it serves. Fails when it cannot bind them again.
  absl::Status Restart(absl::Duration timeout);

 private:
  XdsdProcess(std::vector<std::string> flags, std::string log_path, std::string admin_ca)
      : flags_(std::move(flags)), log_path_(std::move(log_path)), admin_ca_(std::move(admin_ca)) {}

  // Starts the process on the given ports (0: any) and waits until it serves, reading the
  // ports it bound from what it logs after `log_offset`.
  absl::Status Launch(int xds_port, int http_port, size_t log_offset, absl::Duration timeout);

  const std::vector<std::string> flags_;
  const std::string log_path_;
  const std::string admin_ca_;
  std::string admin_scheme_ = "http";
  std::unique_ptr<Subprocess> process_;
  int xds_port_ = 0;
  int http_port_ = 0;
};

// How often the integration tests poll (with PollUntil): their probes mostly ask a process they
// started (an HTTP or gRPC request, a command run), which costs it work, so less often than the
// default for in-process conditions.
inline constexpr absl::Duration kIntegrationPollInterval = absl::Milliseconds(50);

// A fresh directory under $TEST_TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port of 127.0.0.1 nothing listens on now: bound, then closed (the kernel's pick for port 0).
int UnusedLoopbackPort();

// Writes `text` to `path`, replacing the file.
absl::Status WriteFile(const std::string& path, const std::string& text);

// Writes `text` to a new file beside `path` and renames it over `path`, as editors save: a
// reader (xdsd's config watcher) sees the old content or the new, never an empty or partial
// file.
absl::Status ReplaceFile(const std::string& path, const std::string& text);

}  // namespace xdsd::testing

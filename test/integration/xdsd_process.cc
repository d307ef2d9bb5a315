#include "integration/xdsd_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "httplib.h"

namespace xdsd::testing {

std::string XdsdBinary() { return XDSD_BINARY; }

XdsdRun RunXdsd(const std::string& scratch_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {XdsdBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, scratch_dir, absl::Seconds(90));
  XdsdRun run;
  if (!result.ok()) {
    run.err = std::string(result.status().message());
    return run;
  }
  if (WIFEXITED(result->wait_status)) run.exit_code = WEXITSTATUS(result->wait_status);
  run.out = result->stdout_text;
  run.err = result->stderr_text;
  return run;
}

absl::StatusOr<std::unique_ptr<XdsdProcess>> XdsdProcess::Start(
    const std::vector<std::string>& flags, const std::string& dir, absl::Duration timeout,
    std::string admin_ca) {
  std::unique_ptr<XdsdProcess> xdsd(new XdsdProcess(flags, dir + "/xdsd.log", std::move(admin_ca)));
  if (absl::Status started = xdsd->Launch(0, 0, 0, timeout); !started.ok()) return started;
  return xdsd;
}

absl::Status XdsdProcess::Restart(absl::Duration timeout) {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError("xdsd is still running: Stop it first");
  }
  const int xds_port = xds_port_;
  const int http_port = http_port_;
  if (absl::Status started = Launch(xds_port, http_port, Log().size(), timeout); !started.ok()) {
    return started;
  }
  if (xds_port_ != xds_port || http_port_ != http_port) {
    return absl::InternalError(absl::StrCat("xdsd restarted on ports ", xds_port_, " and ",
                                            http_port_, " instead of ", xds_port, " and ",
                                            http_port));
  }
  return absl::OkStatus();
}

absl::Status XdsdProcess::Launch(int xds_port, int http_port, size_t log_offset,
                                 absl::Duration timeout) {
  std::vector<std::string> argv = {XdsdBinary(), "serve"};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  argv.push_back(absl::StrCat("--xds-port=", xds_port));
  argv.push_back(absl::StrCat("--http-port=", http_port));
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, log_path_, log_path_);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  xds_port_ = 0;
  http_port_ = 0;

  // The ports it bound, from the line it logs once both servers listen (this run's line: the
  // log of an earlier run comes before `log_offset`).
  static const std::regex kServing(
      R"(serving xDS \(gRPC\) on [0-9.]+:(\d+), admin HTTP on (https?)://[0-9.]+:(\d+))");
  const bool serving = PollUntil(
      timeout,
      [&] {
        std::smatch match;
        const std::string log = Log();
        const std::string this_run = log.size() > log_offset ? log.substr(log_offset) : "";
        if (!std::regex_search(this_run, match, kServing)) return !process_->Running();
        admin_scheme_ = match[2].str();
        return absl::SimpleAtoi(match[1].str(), &xds_port_) &&
               absl::SimpleAtoi(match[3].str(), &http_port_);
      },
      kIntegrationPollInterval);
  if (!serving || xds_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("xdsd did not start serving; its log:\n", Log()));
  }
  const bool healthy = PollUntil(
      timeout, [&] { return HttpGet("/healthz").ok(); }, kIntegrationPollInterval);
  if (!healthy) {
    return absl::UnavailableError(
        absl::StrCat("xdsd's /healthz did not answer; its log:\n", Log()));
  }
  return absl::OkStatus();
}

std::string XdsdProcess::admin_url() const {
  return absl::StrCat(admin_scheme_, "://127.0.0.1:", http_port_);
}

absl::StatusOr<std::string> XdsdProcess::HttpGet(const std::string& path) const {
  httplib::Client client(admin_url());
  if (!admin_ca_.empty()) client.set_ca_cert_path(admin_ca_.c_str());
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(5));
  httplib::Result result = client.Get(path);
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, ": ", httplib::to_string(result.error())));
  }
  if (result->status != 200) {
    return absl::UnknownError(absl::StrCat("GET ", path, ": ", result->status, " ", result->body));
  }
  return result->body;
}

absl::StatusOr<int> XdsdProcess::Stop(absl::Duration timeout) {
  return process_->Stop(SIGTERM, timeout);
}

void XdsdProcess::Signal(int signal) { kill(process_->pid(), signal); }

TempDir::TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/xdsd_test_XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status ReplaceFile(const std::string& path, const std::string& text) {
  const std::string staged = path + ".new";
  if (absl::Status written = WriteFile(staged, text); !written.ok()) return written;
  std::error_code error;
  std::filesystem::rename(staged, path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", staged, " to ", path, ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace xdsd::testing

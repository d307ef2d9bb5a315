#include "integration/xdsd_process.h"

#include <signal.h>
#include <stdlib.h>

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

absl::StatusOr<std::unique_ptr<XdsdProcess>> XdsdProcess::Start(
    const std::vector<std::string>& flags, const std::string& dir, absl::Duration timeout) {
  std::vector<std::string> argv = {XdsdBinary(), "serve"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--xds-port=0");
  argv.push_back("--http-port=0");
  const std::string log_path = dir + "/xdsd.log";
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, log_path, log_path);
  if (!process.ok()) return process.status();
  std::unique_ptr<XdsdProcess> xdsd(new XdsdProcess(*std::move(process), log_path));

  // The ports it bound, from the line it logs once both servers listen.
  static const std::regex kServing(
      R"(serving xDS \(gRPC\) on [0-9.]+:(\d+), admin HTTP on http://[0-9.]+:(\d+))");
  const bool serving = PollUntil(timeout, [&] {
    std::smatch match;
    const std::string log = xdsd->Log();
    if (!std::regex_search(log, match, kServing)) return !xdsd->process_->Running();
    return absl::SimpleAtoi(match[1].str(), &xdsd->xds_port_) &&
           absl::SimpleAtoi(match[2].str(), &xdsd->http_port_);
  });
  if (!serving || xdsd->xds_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("xdsd did not start serving; its log:\n", xdsd->Log()));
  }
  const bool healthy = PollUntil(timeout, [&] { return xdsd->HttpGet("/healthz").ok(); });
  if (!healthy) {
    return absl::UnavailableError(
        absl::StrCat("xdsd's /healthz did not answer; its log:\n", xdsd->Log()));
  }
  return xdsd;
}

absl::StatusOr<std::string> XdsdProcess::HttpGet(const std::string& path) const {
  httplib::Client client("127.0.0.1", http_port_);
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

TempDir::TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/xdsd_test_XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace xdsd::testing

// The admin API over HTTPS (--http-tls-cert, --http-tls-key): a private CA and a certificate for
// 127.0.0.1 are made with openssl at test time; clients that trust the CA are served, plain
// http to the port and clients that do not trust the CA are not, and `xdsd status` talks https
// with --ca.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "integration/subprocess.h"
#include "integration/test_ca.h"
#include "integration/xdsd_process.h"

namespace xdsd::testing {
namespace {

class AdminHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestCa ca(dir_.path());
    ASSERT_TRUE(ca.Create().ok());
    ASSERT_TRUE(ca.Issue("admin", "xdsd admin", "IP:127.0.0.1,DNS:localhost", 1).ok());
    ca_file_ = ca.Path("ca.pem");
    // Start returns once /healthz answered over https, checked against the CA.
    absl::StatusOr<std::unique_ptr<XdsdProcess>> started = XdsdProcess::Start(
        {"--http-tls-cert=" + ca.Path("admin.pem"), "--http-tls-key=" + ca.Path("admin.key")},
        dir_.path(), absl::Seconds(20), ca_file_);
    ASSERT_TRUE(started.ok()) << started.status();
    xdsd_ = *std::move(started);
  }

  // `xdsd status` (or another command) with `flags`: its exit code and output.
  std::pair<int, std::string> Status(const std::vector<std::string>& flags,
                                     const std::string& command = "status") {
    std::vector<std::string> argv = {XdsdBinary(), command};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv, dir_.path(), absl::Seconds(20));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || !WIFEXITED(result->wait_status)) return {-1, ""};
    return {WEXITSTATUS(result->wait_status), result->stdout_text + result->stderr_text};
  }

  TempDir dir_;
  std::string ca_file_;
  std::unique_ptr<XdsdProcess> xdsd_;
};

TEST_F(AdminHttpsTest, TheAdminApiIsServedOverHttpsWithTheGivenCertificate) {
  EXPECT_TRUE(absl::StartsWith(xdsd_->admin_url(), "https://")) << xdsd_->admin_url();
  absl::StatusOr<std::string> nodes = xdsd_->HttpGet("/v1/nodes");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_TRUE(absl::StartsWith(*nodes, "[")) << *nodes;
}

TEST_F(AdminHttpsTest, PlainHttpAndClientsThatDoNotTrustTheCaAreRefused) {
  httplib::Client plain(absl::StrCat("http://127.0.0.1:", xdsd_->http_port()));
  plain.set_read_timeout(std::chrono::seconds(5));
  httplib::Result over_http = plain.Get("/healthz");
  EXPECT_TRUE(!over_http || over_http->status != 200) << "plain http was answered 200";

  httplib::Client untrusting(xdsd_->admin_url());  // the system's CAs only
  httplib::Result unverified = untrusting.Get("/healthz");
  EXPECT_FALSE(unverified) << "served to a client that does not trust the CA";
  EXPECT_TRUE(xdsd_->HttpGet("/healthz").ok()) << "still served to a client that does";
}

TEST_F(AdminHttpsTest, XdsdStatusTalksHttpsWithTheCa) {
  const auto [code, output] = Status({"--http=" + xdsd_->admin_url(), "--ca=" + ca_file_});
  EXPECT_EQ(code, 0) << output;
  // Without the CA, xdsd's certificate is not trusted: xdsd cannot be reached (exit 3).
  const auto [untrusted, why] = Status({"--http=" + xdsd_->admin_url()});
  EXPECT_EQ(untrusted, 3) << why;
}

TEST_F(AdminHttpsTest, ValidateAgainstTalksHttpsWithTheCa) {
  // One new cluster instead of the demo: it would remove every listener the daemon serves,
  // refused (exit 1) once the daemon is asked.
  const std::string empty = dir_.path() + "/one-cluster.yaml";
  ASSERT_TRUE(WriteFile(empty,
                        "resources:\n  clusters:\n  - name: only\n    connect_timeout: 1s\n"
                        "    type: STATIC\n")
                  .ok());
  const auto [refused, why] =
      Status({empty, "--against=" + xdsd_->admin_url(), "--ca=" + ca_file_}, "validate");
  EXPECT_EQ(refused, 1) << why;
  EXPECT_TRUE(absl::StrContains(why, "would refuse it")) << why;
  // Without the CA the daemon cannot be asked at all.
  const auto [unasked, message] = Status({empty, "--against=" + xdsd_->admin_url()}, "validate");
  EXPECT_NE(unasked, 0) << message;
  EXPECT_FALSE(absl::StrContains(message, "would refuse it")) << message;
}

}  // namespace
}  // namespace xdsd::testing

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

  // `xdsd status` with `flags`: its exit code and output.
  std::pair<int, std::string> Status(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {XdsdBinary(), "status"};
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

}  // namespace
}  // namespace xdsd::testing

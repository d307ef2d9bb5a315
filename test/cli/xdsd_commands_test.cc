// Runs the built `xdsd` binary: exit codes, and what goes to stdout and to stderr.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "config/config_loader.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

struct Result {
  int exit_code = -1;  // -1 when xdsd did not exit normally
  std::string out;
  std::string err;
};

std::string ShellQuoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// A path under the test's temporary directory, unique to this test and process.
std::string TempPath(const std::string& name) {
  return absl::StrCat(testing::TempDir(), "/",
                      testing::UnitTest::GetInstance()->current_test_info()->name(), "_", getpid(),
                      "_", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

Result RunXdsd(const std::vector<std::string>& args) {
  const std::string err_path = TempPath("stderr");
  std::string command = ShellQuoted(XDSD_BINARY);
  for (const std::string& arg : args) absl::StrAppend(&command, " ", ShellQuoted(arg));
  absl::StrAppend(&command, " 2>", ShellQuoted(err_path), " </dev/null");
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return result;
  }
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    result.out.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.err = ReadFile(err_path);
  std::remove(err_path.c_str());
  return result;
}

TEST(XdsdCommandsTest, ValidateDemoExitsZeroAndSaysValidOnStdout) {
  const std::string path = XDSD_EXAMPLES_DIR "/demo.yaml";
  const Result result = RunXdsd({"validate", path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out,
              StartsWith(path + ": valid (3 resources: clusters: 1, listeners: 1, routes: 1)\n"));
  EXPECT_THAT(result.out, ::testing::MatchesRegex(".*\nversion [0-9a-f]{16}\n"));
  EXPECT_THAT(result.err, IsEmpty());
}

// examples/envoy/README.md says its envoy.yaml is what this command prints.
TEST(XdsdCommandsTest, TheEnvoyExampleBootstrapIsWhatBootstrapPrints) {
  const Result result =
      RunXdsd({"bootstrap", "--node-id", "envoy-demo-0", "--node-cluster", "demo", "--docker"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ReadFile(XDSD_EXAMPLES_DIR "/envoy/envoy.yaml"));
}

TEST(XdsdCommandsTest, VersionPrintsXdsdGrpcAndProtobufVersions) {
  const Result result = RunXdsd({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out,
              ::testing::MatchesRegex("xdsd [0-9.]+\ngRPC [0-9.]+\nprotobuf [0-9.]+\n"));
}

// A socket listening on a free loopback port, closed by the destructor.
class Listener {
 public:
  Listener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~Listener() { close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(XdsdCommandsTest, APortInUseIsOneLineForEitherPort) {
  Listener taken;
  ASSERT_NE(taken.port(), 0);
  const std::string port = absl::StrCat(taken.port());
  Result result = RunXdsd({"serve", "--xds-port", port, "--http-port=0"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("xdsd: the xDS port ", port,
                                                 " (--xds-port) is already in use")));
  // The error is the last line, and nothing of gRPC's own is printed.
  EXPECT_THAT(result.err, ::testing::EndsWith("with --xds-port\n"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("UNKNOWN")));

  result = RunXdsd({"serve", "--xds-port=0", "--http-address=0.0.0.0", "--http-port", port});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("xdsd: the HTTP port ", port,
                                                 " (--http-port) is already in use")));
  EXPECT_THAT(result.err, ::testing::EndsWith("with --http-port\n"));
}

TEST(XdsdCommandsTest, ServeTakesThePathAndRefusesOneDashFlags) {
  Result result = RunXdsd({"serve", "-config", XDSD_EXAMPLES_DIR "/demo.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("flags take two dashes: --config"));
  // A path that does not exist is an error about the path: it was taken as the config.
  result = RunXdsd({"serve", TempPath("missing.yaml"), "--xds-port=0", "--http-port=0"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("missing.yaml"));
}

TEST(XdsdCommandsTest, ValidateDirectoryExitsZero) {
  const Result result = RunXdsd({"validate", XDSD_EXAMPLES_DIR "/groups"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr(": valid ("));
}

TEST(XdsdCommandsTest, ValidateBrokenFileExitsOneWithEveryErrorOnStderr) {
  const std::string path = TempPath("broken.yaml");
  std::ofstream(path) << "resources:\n"
                         "  clusters:\n"
                         "    - name: a\n"
                         "      connect_timeout: soon\n"
                         "  listeners:\n"
                         "    - name: l\n"
                         "      adress: {}\n"
                         "  routes:\n"
                         "    - name: r\n"
                         "      virtual_hosts:\n"
                         "        - name: vh\n"
                         "          domains: [\"*\"]\n"
                         "          routes:\n"
                         "            - match: { prefix: \"/\" }\n"
                         "              route: { cluster: nowhere }\n";
  const Result result = RunXdsd({"validate", path});
  std::remove(path.c_str());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, IsEmpty());
  std::vector<std::string> lines = absl::StrSplit(result.err, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(3)) << result.err;
  EXPECT_THAT(lines[0], StartsWith(path + ":4: clusters[0]"));
  EXPECT_THAT(lines[1], StartsWith(path + ":7: listeners[0]"));
  EXPECT_THAT(lines[2], StartsWith(path + ":15: routes[0]"));
  EXPECT_THAT(lines[2], HasSubstr("nowhere"));
}

TEST(XdsdCommandsTest, ValidateMissingPathExitsOneSayingSo) {
  const Result result = RunXdsd({"validate", TempPath("absent.yaml")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_THAT(result.err, HasSubstr("absent.yaml: no such file or directory"));
}

TEST(XdsdCommandsTest, CommandLineErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"validate"},
                                             {"validate", "a.yaml", "b.yaml"},
                                             {"bootstrap"},
                                             {"bootstrap", "--node-id=n1", "--config=x.yaml"},
                                             {"serve", "--node-id=n1"},
                                             {"bootstrap", "--node-id=n1", "--format=xml"}}) {
    const Result result = RunXdsd(args);
    EXPECT_EQ(result.exit_code, 2) << args.back();
    EXPECT_THAT(result.err, StartsWith("xdsd: ")) << args.back();
    EXPECT_THAT(result.out, IsEmpty()) << args.back();
  }
}

TEST(XdsdCommandsTest, BootstrapPrintsAnEnvoyBootstrap) {
  const Result result = RunXdsd({"bootstrap", "--node-id", "n1"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  absl::StatusOr<std::string> bytes =
      config::ParseYamlAs("envoy.config.bootstrap.v3.Bootstrap", result.out, "stdout");
  ASSERT_TRUE(bytes.ok()) << bytes.status() << "\n" << result.out;
  envoy::config::bootstrap::v3::Bootstrap bootstrap;
  ASSERT_TRUE(bootstrap.ParseFromString(*bytes));
  EXPECT_EQ(bootstrap.node().id(), "n1");
  EXPECT_EQ(bootstrap.node().cluster(), "xdsd");
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
  const auto& cluster = bootstrap.static_resources().clusters(0);
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STATIC);
  const auto& address =
      cluster.load_assignment().endpoints(0).lb_endpoints(0).endpoint().address().socket_address();
  EXPECT_EQ(address.address(), "127.0.0.1");
  EXPECT_EQ(address.port_value(), 18000u);
}

TEST(XdsdCommandsTest, BootstrapForDockerDialsTheDockerHost) {
  for (const auto& [args, host, port] :
       std::vector<std::tuple<std::vector<std::string>, std::string, uint32_t>>{
           {{"bootstrap", "--node-id=n1", "--docker"}, "host.docker.internal", 18000},
           {{"bootstrap", "--docker", "--node-id=n1", "--xds-address=:18005"},
            "host.docker.internal",
            18005},
           {{"bootstrap", "--node-id=n1", "--docker", "--xds-address=xdsd:18006"},
            "xdsd",
            18006}}) {
    const Result result = RunXdsd(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    absl::StatusOr<std::string> bytes =
        config::ParseYamlAs("envoy.config.bootstrap.v3.Bootstrap", result.out, "stdout");
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    envoy::config::bootstrap::v3::Bootstrap bootstrap;
    ASSERT_TRUE(bootstrap.ParseFromString(*bytes));
    ASSERT_EQ(bootstrap.static_resources().clusters_size(), 1);
    const auto& cluster = bootstrap.static_resources().clusters(0);
    EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::STRICT_DNS) << host;
    const auto& address = cluster.load_assignment()
                              .endpoints(0)
                              .lb_endpoints(0)
                              .endpoint()
                              .address()
                              .socket_address();
    EXPECT_EQ(address.address(), host);
    EXPECT_EQ(address.port_value(), port);
  }
}

TEST(XdsdCommandsTest, BootstrapForGrpcPrintsJson) {
  const Result result = RunXdsd({"bootstrap", "--format=grpc", "--node-id=c1", "--node-cluster=web",
                                 "--xds-address=10.1.2.3:9"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(nlohmann::json::accept(result.out)) << result.out;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["xds_servers"][0]["server_uri"], "10.1.2.3:9");
  EXPECT_EQ(json["xds_servers"][0]["channel_creds"][0]["type"], "insecure");
  EXPECT_EQ(json["xds_servers"][0]["server_features"][0], "xds_v3");
  EXPECT_EQ(json["node"]["id"], "c1");
  EXPECT_EQ(json["node"]["cluster"], "web");
  EXPECT_TRUE(json["node"]["locality"].is_object());
}

TEST(XdsdCommandsTest, HelpListsTheNewCommands) {
  const Result result = RunXdsd({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("xdsd validate PATH"));
  EXPECT_THAT(result.out, HasSubstr("xdsd bootstrap --node-id=ID"));
}

}  // namespace
}  // namespace xdsd::cli

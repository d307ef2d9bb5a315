#include "cli/command_line.h"

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace xdsd::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

absl::StatusOr<Command> Parse(const std::vector<std::string>& args) {
  return ParseCommandLine(args);
}

TEST(CommandLineTest, NoArgumentsServesTheDemoOnDefaultPorts) {
  absl::StatusOr<Command> command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kServe);
  EXPECT_EQ(command->serve.xds_port, 18000);
  EXPECT_EQ(command->serve.http_port, 19001);
  EXPECT_EQ(command->serve.log_level, spdlog::level::info);
  EXPECT_EQ(command->serve.config_path, "");
}

TEST(CommandLineTest, ServeTakesEveryFlag) {
  absl::StatusOr<Command> command = Parse({"serve", "--config=/etc/xdsd.yaml", "--xds-port=1",
                                           "--http-port", "2", "--log-level=debug"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kServe);
  EXPECT_EQ(command->serve.config_path, "/etc/xdsd.yaml");
  EXPECT_EQ(command->serve.xds_port, 1);
  EXPECT_EQ(command->serve.http_port, 2);
  EXPECT_EQ(command->serve.log_level, spdlog::level::debug);
}

TEST(CommandLineTest, PushFlags) {
  absl::StatusOr<Command> defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->serve.push_quiet, absl::Milliseconds(100));
  EXPECT_EQ(defaults->serve.push_max_delay, absl::Seconds(1));
  absl::StatusOr<Command> command = Parse({"serve", "--push-quiet=0", "--push-max-delay=250ms"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->serve.push_quiet, absl::ZeroDuration());
  EXPECT_EQ(command->serve.push_max_delay, absl::Milliseconds(250));
  absl::StatusOr<Command> backwards = Parse({"--push-quiet=2s", "--push-max-delay=1s"});
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.status().message(), "--push-max-delay is shorter than --push-quiet");
  EXPECT_FALSE(Parse({"--push-quiet=soon"}).ok());
}

TEST(CommandLineTest, FlagsWithoutCommandMeanServe) {
  absl::StatusOr<Command> command = Parse({"--xds_port=7000"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kServe);
  EXPECT_EQ(command->serve.xds_port, 7000);
}

TEST(CommandLineTest, EachParseStartsFromTheDefaults) {
  ASSERT_TRUE(Parse({"--xds-port=1", "--config=a.yaml"}).ok());
  absl::StatusOr<Command> command = Parse({});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->serve.xds_port, 18000);
  EXPECT_EQ(command->serve.config_path, "");
}

TEST(CommandLineTest, ErrorLevelMapsToSpdlogErr) {
  absl::StatusOr<Command> command = Parse({"--log-level", "error"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->serve.log_level, spdlog::level::err);
}

TEST(CommandLineTest, HelpWinsAnywhere) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"serve", "--xds-port=1", "--help"}}) {
    absl::StatusOr<Command> command = Parse(args);
    ASSERT_TRUE(command.ok()) << command.status();
    EXPECT_EQ(command->kind, Command::Kind::kHelp) << args.back();
  }
}

TEST(CommandLineTest, UnknownFlagIsRejectedByName) {
  absl::StatusOr<Command> command = Parse({"serve", "--xds-prot=1"});
  ASSERT_FALSE(command.ok());
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(command.status().message().find("xds-prot"), absl::string_view::npos);
}

TEST(CommandLineTest, AbseilLibraryFlagsAreNotOurs) {
  // Flags that gRPC or Abseil define are not part of xdsd's command line.
  EXPECT_FALSE(Parse({"--flagfile=/dev/null"}).ok());
}

TEST(CommandLineTest, BadLogLevelIsRejected) {
  absl::StatusOr<Command> command = Parse({"--log-level=loud"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("trace, debug, info, warn, error"),
            absl::string_view::npos)
      << command.status();
}

TEST(CommandLineTest, PortOutOfRangeIsRejected) {
  EXPECT_FALSE(Parse({"--xds-port=70000"}).ok());
  EXPECT_FALSE(Parse({"--http-port=-1"}).ok());
  EXPECT_FALSE(Parse({"--http-port=abc"}).ok());
}

TEST(CommandLineTest, SamePortTwiceIsRejected) {
  EXPECT_FALSE(Parse({"--xds-port=5000", "--http-port=5000"}).ok());
  EXPECT_TRUE(Parse({"--xds-port=0", "--http-port=0"}).ok());
}

TEST(CommandLineTest, MissingValueIsRejected) {
  absl::StatusOr<Command> command = Parse({"serve", "--config"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("needs a value"), absl::string_view::npos);
}

TEST(CommandLineTest, UnknownCommandAndStrayArgumentsAreRejected) {
  EXPECT_FALSE(Parse({"serv"}).ok());
  EXPECT_FALSE(Parse({"serve", "a.yaml", "extra"}).ok());
  EXPECT_FALSE(Parse({"serve", "a.yaml", "--config=b.yaml"}).ok());
  EXPECT_FALSE(Parse({"status", "extra"}).ok());
}

TEST(CommandLineTest, ServeTakesTheConfigAsAnArgument) {
  absl::StatusOr<Command> command = Parse({"serve", "my.yaml", "--xds-port=1"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kServe);
  EXPECT_EQ(command->serve.config_path, "my.yaml");
  EXPECT_EQ(command->serve.xds_port, 1);
}

TEST(CommandLineTest, OneDashFlagsAreErrorsNotIgnored) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"-config", "my.yaml"},
                                             {"serve", "-config=my.yaml"},
                                             {"validate", "-max-config-bytes=1"}}) {
    absl::StatusOr<Command> command = Parse(args);
    ASSERT_FALSE(command.ok()) << args[0];
    EXPECT_THAT(std::string(command.status().message()), HasSubstr("flags take two dashes: --"));
  }
}

TEST(CommandLineTest, VersionIsACommandAndAFlag) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--version"}, {"version"}, {"serve", "--version"}}) {
    absl::StatusOr<Command> command = Parse(args);
    ASSERT_TRUE(command.ok()) << command.status();
    EXPECT_EQ(command->kind, Command::Kind::kVersion) << args[0];
  }
  // `xdsd status --version V` is the version to wait for.
  absl::StatusOr<Command> command = Parse({"status", "--version", "0123abcd", "--wait=1m"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->status.config_version, "0123abcd");
  EXPECT_THAT(VersionText(), MatchesRegex("xdsd [0-9.]+\ngRPC [0-9.]+\nprotobuf [0-9.]+\n"));
}

TEST(CommandLineTest, ReloadAndValidateAgainstReachAnAdminServer) {
  absl::StatusOr<Command> command =
      Parse({"reload", "--http=127.0.0.1:19005", "--admin-token-file", "/etc/xdsd/token"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kReload);
  EXPECT_EQ(command->reload.http_port, 19005);
  EXPECT_EQ(command->reload.admin_token_file, "/etc/xdsd/token");
  command = Parse({"validate", "my.yaml", "--against=http://[::1]:19001", "--max-removal=30%"});
  ASSERT_TRUE(command.ok()) << command.status();
  ASSERT_TRUE(command->validate.against.has_value());
  EXPECT_EQ(command->validate.against->http_host, "::1");
  EXPECT_DOUBLE_EQ(command->validate.max_removal, 0.3);
  command = Parse({"serve", "--max-removal", "100%"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_DOUBLE_EQ(command->serve.max_removal, 1.0);
  EXPECT_FALSE(Parse({"serve", "--max-removal=200%"}).ok());
}

TEST(CommandLineTest, ValidateTakesOnePath) {
  absl::StatusOr<Command> command = Parse({"validate", "conf.d/"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kValidate);
  EXPECT_EQ(command->validate.config_path, "conf.d/");
}

TEST(CommandLineTest, ValidateNeedsExactlyOnePath) {
  absl::StatusOr<Command> none = Parse({"validate"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("xdsd validate PATH"), absl::string_view::npos)
      << none.status();
  absl::StatusOr<Command> two = Parse({"validate", "a.yaml", "b.yaml"});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("b.yaml"), absl::string_view::npos) << two.status();
}

TEST(CommandLineTest, ValidateTakesThePathAsAnArgumentNotAsConfigFlag) {
  absl::StatusOr<Command> command = Parse({"validate", "--config=a.yaml"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("xdsd validate PATH"), absl::string_view::npos)
      << command.status();
}

TEST(CommandLineTest, ServeTakesTlsAndClientCaFiles) {
  absl::StatusOr<Command> command =
      Parse({"serve", "--xds-tls-cert=s.pem", "--xds-tls-key", "s.key", "--xds-client-ca=ca.pem",
             "--xds-tls-refresh=2s"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->serve.xds_tls_cert, "s.pem");
  EXPECT_EQ(command->serve.xds_tls_key, "s.key");
  EXPECT_EQ(command->serve.xds_client_ca, "ca.pem");
  EXPECT_EQ(command->serve.xds_tls_refresh, absl::Seconds(2));
}

TEST(CommandLineTest, ServeRefusesHalfATlsSetup) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--xds-tls-cert=s.pem"},
           {"--xds-tls-key=s.key"},
           {"--xds-client-ca=ca.pem"},
           {"--xds-tls-cert=s.pem", "--xds-tls-key=s.key", "--xds-tls-refresh=100ms"}}) {
    std::vector<std::string> full = {"serve"};
    full.insert(full.end(), args.begin(), args.end());
    EXPECT_FALSE(Parse(full).ok()) << args[0];
  }
}

TEST(CommandLineTest, BootstrapTakesTlsFilesAndNeedsTheCaForACertificate) {
  absl::StatusOr<Command> command = Parse(
      {"bootstrap", "--node-id=n1", "--tls-ca=ca.pem", "--tls-cert=c.pem", "--tls-key=c.key"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->bootstrap.tls_ca, "ca.pem");
  EXPECT_EQ(command->bootstrap.tls_cert, "c.pem");
  EXPECT_EQ(command->bootstrap.tls_key, "c.key");
  EXPECT_FALSE(Parse({"bootstrap", "--node-id=n1", "--tls-cert=c.pem", "--tls-key=c.key"}).ok());
  EXPECT_FALSE(Parse({"bootstrap", "--node-id=n1", "--tls-ca=ca.pem", "--tls-cert=c.pem"}).ok());
}

TEST(CommandLineTest, BootstrapDefaultsToEnvoyOnLocalhost) {
  absl::StatusOr<Command> command = Parse({"bootstrap", "--node-id=n1"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kBootstrap);
  EXPECT_EQ(command->bootstrap.node_id, "n1");
  EXPECT_EQ(command->bootstrap.node_cluster, "xdsd");
  EXPECT_EQ(command->bootstrap.xds_host, "127.0.0.1");
  EXPECT_EQ(command->bootstrap.xds_port, 18000);
  EXPECT_EQ(command->bootstrap.format, BootstrapOptions::Format::kEnvoy);
}

TEST(CommandLineTest, BootstrapTakesEveryFlag) {
  absl::StatusOr<Command> command =
      Parse({"bootstrap", "--node-id", "n1", "--node_cluster=edge", "--xds-address",
             "xdsd.svc:18001", "--format=grpc", "--docker"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->bootstrap.node_id, "n1");
  EXPECT_EQ(command->bootstrap.node_cluster, "edge");
  EXPECT_EQ(command->bootstrap.xds_host, "xdsd.svc");
  EXPECT_EQ(command->bootstrap.xds_port, 18001);
  EXPECT_EQ(command->bootstrap.format, BootstrapOptions::Format::kGrpc);
}

TEST(CommandLineTest, BootstrapNeedsNodeId) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"bootstrap"}, {"bootstrap", "--node-id="}, {"bootstrap", "--format=grpc"}}) {
    absl::StatusOr<Command> command = Parse(args);
    ASSERT_FALSE(command.ok()) << args.back();
    EXPECT_NE(command.status().message().find("--node-id"), absl::string_view::npos)
        << command.status();
  }
}

TEST(CommandLineTest, DockerMakesTheDockerHostTheDefault) {
  absl::StatusOr<Command> command = Parse({"bootstrap", "--node-id=n1", "--docker"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->bootstrap.xds_host, "host.docker.internal");
  EXPECT_EQ(command->bootstrap.xds_port, 18000);
}

TEST(CommandLineTest, ExplicitXdsAddressWinsOverDocker) {
  absl::StatusOr<Command> both =
      Parse({"bootstrap", "--docker", "--node-id=n1", "--xds-address=10.0.0.5:9000"});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->bootstrap.xds_host, "10.0.0.5");
  EXPECT_EQ(both->bootstrap.xds_port, 9000);
  // Only the port given: the host stays the Docker host.
  absl::StatusOr<Command> port_only =
      Parse({"bootstrap", "--docker", "--node-id=n1", "--xds-address=:9001"});
  ASSERT_TRUE(port_only.ok()) << port_only.status();
  EXPECT_EQ(port_only->bootstrap.xds_host, "host.docker.internal");
  EXPECT_EQ(port_only->bootstrap.xds_port, 9001);
}

TEST(CommandLineTest, DockerIsABooleanFlagThatTakesNoValue) {
  // `--docker` does not swallow the argument after it.
  absl::StatusOr<Command> command = Parse({"bootstrap", "--docker", "--node-id", "n1"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->bootstrap.xds_host, "host.docker.internal");
  absl::StatusOr<Command> off = Parse({"bootstrap", "--docker=false", "--node-id=n1"});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->bootstrap.xds_host, "127.0.0.1");
  EXPECT_FALSE(Parse({"bootstrap", "--docker=maybe", "--node-id=n1"}).ok());
}

TEST(CommandLineTest, BadFormatIsRejected) {
  absl::StatusOr<Command> command = Parse({"bootstrap", "--node-id=n1", "--format=xml"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("envoy or grpc"), absl::string_view::npos)
      << command.status();
}

TEST(CommandLineTest, SeveralXdsAddressesAreEveryReplica) {
  absl::StatusOr<Command> three =
      Parse({"bootstrap", "--node-id=n1", "--xds-address=a:18000,b,10.0.0.3:18001"});
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->bootstrap.xds_host, "a");
  EXPECT_EQ(three->bootstrap.xds_port, 18000);
  EXPECT_EQ(three->bootstrap.other_replicas,
            (std::vector<BootstrapOptions::Replica>{{"b", 18000}, {"10.0.0.3", 18001}}));
  // gRPC dials one target: names cannot be listed in it.
  absl::StatusOr<Command> grpc = Parse(
      {"bootstrap", "--node-id=n1", "--format=grpc", "--xds-address=a:18000,b:18000,c:18000"});
  ASSERT_FALSE(grpc.ok());
  EXPECT_NE(grpc.status().message().find("one DNS name"), absl::string_view::npos);
  EXPECT_TRUE(Parse({"bootstrap", "--node-id=n1", "--format=grpc",
                     "--xds-address=10.0.0.1:18000,10.0.0.2:18000"})
                  .ok());
  EXPECT_FALSE(Parse({"bootstrap", "--node-id=n1", "--xds-address=a:1,"}).ok());
}

TEST(CommandLineTest, BadXdsAddressIsRejected) {
  for (const char* address : {"host:0", "host:port", "::1:18000", "[::1", "a/b:1"}) {
    absl::StatusOr<Command> command =
        Parse({"bootstrap", "--node-id=n1", std::string("--xds-address=") + address});
    ASSERT_FALSE(command.ok()) << address;
    EXPECT_NE(command.status().message().find("--xds-address"), absl::string_view::npos)
        << command.status();
  }
}

TEST(CommandLineTest, FlagOfAnotherCommandIsRejectedNamingItsCommand) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"serve", "--node-id=n1"}, "--node-id is a flag of xdsd bootstrap, not of xdsd serve"},
           {{"--docker"}, "--docker is a flag of xdsd bootstrap, not of xdsd serve"},
           {{"bootstrap", "--node-id=n1", "--xds-port=1"},
            "--xds-port is a flag of xdsd serve, not of xdsd bootstrap"},
           {{"bootstrap", "--node-id=n1", "--config", "a.yaml"},
            "--config is a flag of xdsd serve, not of xdsd bootstrap"},
           {{"validate", "a.yaml", "--format=grpc"},
            "--format is a flag of xdsd bootstrap, not of xdsd validate"},
           {{"validate", "a.yaml", "--log-level=debug"},
            "--log-level is a flag of xdsd serve, not of xdsd validate"},
       }) {
    absl::StatusOr<Command> command = Parse(c.args);
    ASSERT_FALSE(command.ok()) << c.message;
    EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(command.status().message().find(c.message), absl::string_view::npos)
        << command.status();
  }
}

TEST(CommandLineTest, UnknownFlagOnNewCommandsIsRejectedByName) {
  absl::StatusOr<Command> command = Parse({"bootstrap", "--node-id=n1", "--nodeid=x"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.status().message().find("unknown flag --nodeid"), absl::string_view::npos);
  EXPECT_FALSE(Parse({"validate", "a.yaml", "--strict"}).ok());
}

TEST(CommandLineTest, BootstrapParseStartsFromTheDefaults) {
  ASSERT_TRUE(Parse({"bootstrap", "--node-id=a", "--node-cluster=c", "--docker", "--format=grpc",
                     "--xds-address=h:1"})
                  .ok());
  absl::StatusOr<Command> command = Parse({"bootstrap", "--node-id=b"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->bootstrap.node_cluster, "xdsd");
  EXPECT_EQ(command->bootstrap.xds_host, "127.0.0.1");
  EXPECT_EQ(command->bootstrap.xds_port, 18000);
  EXPECT_EQ(command->bootstrap.format, BootstrapOptions::Format::kEnvoy);
}

TEST(CommandLineTest, HelpWinsOnNewCommands) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"validate", "--help"}, {"bootstrap", "-h"}}) {
    absl::StatusOr<Command> command = Parse(args);
    ASSERT_TRUE(command.ok()) << command.status();
    EXPECT_EQ(command->kind, Command::Kind::kHelp);
  }
}

TEST(CommandLineTest, HelpTextListsEveryFlagWithItsDefault) {
  const std::string help = HelpText();
  for (const char* text : {"--config=PATH",
                           "--xds-port=PORT",
                           "(default: 18000)",
                           "--http-port=PORT",
                           "(default: 19001)",
                           "--log-level=LEVEL",
                           "(default: info)",
                           "--help",
                           "/healthz",
                           "/v1/nodes",
                           "xdsd validate PATH",
                           "xdsd bootstrap",
                           "--node-id=ID",
                           "(required)",
                           "--node-cluster=CLUSTER",
                           "(default: xdsd)",
                           "--xds-address=HOST:PORT",
                           "127.0.0.1:18000",
                           "host.docker.internal:18000",
                           "--format=FORMAT",
                           "(default: envoy)",
                           "  --docker\n"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text << " missing from:\n" << help;
  }
}

TEST(CommandLineTest, StatusDefaultsToLocalhostOnce) {
  absl::StatusOr<Command> command = Parse({"status"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kStatus);
  EXPECT_EQ(command->status.http_host, "127.0.0.1");
  EXPECT_EQ(command->status.http_port, 19001);
  EXPECT_EQ(command->status.http_url, "http://127.0.0.1:19001");
  EXPECT_EQ(command->status.wait, absl::ZeroDuration());
  EXPECT_EQ(command->status.node_glob, "");
}

TEST(CommandLineTest, StatusTakesEveryFlag) {
  absl::StatusOr<Command> command = Parse(
      {"status", "--http", "http://xdsd.internal:19005", "--wait=1m30s", "--node", "envoy-*"});
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->kind, Command::Kind::kStatus);
  EXPECT_EQ(command->status.http_host, "xdsd.internal");
  EXPECT_EQ(command->status.http_port, 19005);
  EXPECT_EQ(command->status.wait, absl::Seconds(90));
  EXPECT_EQ(command->status.node_glob, "envoy-*");
  // And each parse starts from the defaults.
  absl::StatusOr<Command> again = Parse({"status"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status.http_port, 19001);
  EXPECT_EQ(again->status.wait, absl::ZeroDuration());
  EXPECT_EQ(again->status.node_glob, "");
}

TEST(CommandLineTest, StatusHttpForms) {
  struct Case {
    const char* text;
    const char* host;
    int port;
    const char* url;
  };
  for (const Case& c : std::vector<Case>{
           {"http://10.0.0.5:19001", "10.0.0.5", 19001, "http://10.0.0.5:19001"},
           {"http://10.0.0.5:8080/", "10.0.0.5", 8080, "http://10.0.0.5:8080"},
           {"localhost:9", "localhost", 9, "http://localhost:9"},
           {"xdsd", "xdsd", 19001, "http://xdsd:19001"},
           {"http://[::1]:19002", "::1", 19002, "http://[::1]:19002"},
           {"https://xdsd.internal:19001", "xdsd.internal", 19001, "https://xdsd.internal:19001"},
       }) {
    absl::StatusOr<Command> command = Parse({"status", std::string("--http=") + c.text});
    ASSERT_TRUE(command.ok()) << c.text << ": " << command.status();
    EXPECT_EQ(command->status.http_host, c.host) << c.text;
    EXPECT_EQ(command->status.http_port, c.port) << c.text;
    EXPECT_EQ(command->status.http_url, c.url) << c.text;
  }
}

TEST(CommandLineTest, StatusBadHttpIsRejected) {
  for (const char* text :
       {"", "http://", "https://", "ftp://x", "http://x:0", "http://x:70000", "http://x:port",
        "http://x:1/v1/nodes", ":19001", "http://::1:19001", "a b"}) {
    absl::StatusOr<Command> command = Parse({"status", std::string("--http=") + text});
    ASSERT_FALSE(command.ok()) << text;
    EXPECT_NE(command.status().message().find("for --http"), absl::string_view::npos)
        << command.status();
  }
}

TEST(CommandLineTest, StatusBadWaitIsRejected) {
  for (const char* text : {"soon", "30", "-1s", "inf"}) {
    absl::StatusOr<Command> command = Parse({"status", std::string("--wait=") + text});
    ASSERT_FALSE(command.ok()) << text;
    EXPECT_NE(command.status().message().find("must be a duration such as 30s"),
              absl::string_view::npos)
        << command.status();
  }
  EXPECT_TRUE(Parse({"status", "--wait=0"}).ok());
  EXPECT_TRUE(Parse({"status", "--wait", "500ms"}).ok());
}

TEST(CommandLineTest, StatusFlagsBelongToStatusOnly) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"status", "--http-port=1"}, "--http-port is a flag of xdsd serve, not of xdsd status"},
           {{"status", "--node-id=n1"},
            "--node-id is a flag of xdsd bootstrap, not of xdsd status"},
           {{"status", "--config=a.yaml"}, "--config is a flag of xdsd serve, not of xdsd status"},
           {{"serve", "--wait=1s"}, "--wait is a flag of xdsd status, not of xdsd serve"},
           {{"--node=x"}, "--node is a flag of xdsd status, not of xdsd serve"},
           {{"bootstrap", "--node-id=n1", "--http=x"},
            "--http is a flag of xdsd status, not of xdsd bootstrap"},
           {{"validate", "a.yaml", "--wait=1s"},
            "--wait is a flag of xdsd status, not of xdsd validate"},
       }) {
    absl::StatusOr<Command> command = Parse(c.args);
    ASSERT_FALSE(command.ok()) << c.message;
    EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(command.status().message().find(c.message), absl::string_view::npos)
        << command.status();
  }
  EXPECT_FALSE(Parse({"status", "extra"}).ok());
  EXPECT_FALSE(Parse({"status", "--verbose"}).ok());
  absl::StatusOr<Command> help = Parse({"status", "--help"});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->kind, Command::Kind::kHelp);
}

TEST(CommandLineTest, HelpTextDocumentsStatus) {
  // The help of a flag is wrapped: read it as one line.
  const std::string help = absl::StrReplaceAll(HelpText(), {{"\n      ", " "}});
  for (const char* text :
       {"xdsd status [flags]", "--ca=FILE", "https://HOST:PORT when xdsd serves it over TLS",
        "Flags of status:", "--http=URL", "(default: http://127.0.0.1:19001)", "--wait=DURATION",
        "(default: 0, ask once)", "--node=GLOB", "(default: every node)", "xdsd status exits 0",
        "3 when xdsd cannot", "GET /v1/config"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text << " missing from:\n" << help;
  }
}

}  // namespace
}  // namespace xdsd::cli

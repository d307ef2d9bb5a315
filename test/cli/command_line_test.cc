#include "cli/command_line.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace xdsd::cli {
namespace {

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
  EXPECT_FALSE(Parse({"serve", "extra"}).ok());
}

TEST(CommandLineTest, HelpTextListsEveryFlagWithItsDefault) {
  const std::string help = HelpText();
  for (const char* text : {"--config=PATH", "--xds-port=PORT", "(default: 18000)",
                           "--http-port=PORT", "(default: 19001)", "--log-level=LEVEL",
                           "(default: info)", "--help", "/healthz", "/v1/nodes"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text << " missing from:\n" << help;
  }
}

}  // namespace
}  // namespace xdsd::cli

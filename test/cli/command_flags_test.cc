// The flag tables of the commands, checked against what the parser accepts and what --help says.

#include "cli/command_flags.h"

#include <cctype>
#include <fstream>
#include <latch>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/command_line.h"
#include "cli/flag_table.h"
#include "gtest/gtest.h"

namespace xdsd::cli {
namespace {

constexpr Command::Kind kCommandsWithFlags[] = {Command::Kind::kServe, Command::Kind::kBootstrap,
                                                Command::Kind::kStatus};
constexpr Command::Kind kCommands[] = {Command::Kind::kServe, Command::Kind::kValidate,
                                       Command::Kind::kBootstrap, Command::Kind::kStatus};

// `xdsd COMMAND` with what the command needs besides `flag` to parse.
std::vector<std::string> CommandLineWithout(Command::Kind kind, absl::string_view flag) {
  std::vector<std::string> args = {std::string(CommandName(kind))};
  if (kind == Command::Kind::kValidate) args.push_back("conf.d/");
  for (const FlagInfo& info : FlagInfos(kind)) {
    if (info.required && info.name != flag) args.push_back(absl::StrCat("--", info.name, "=n1"));
  }
  return args;
}

// A value the flag accepts: its default, or any text for a required flag.
std::string ValidValue(const FlagInfo& info) {
  return info.required ? "n1" : std::string(info.default_value);
}

bool HasFlag(Command::Kind kind, absl::string_view name) {
  for (const FlagInfo& info : FlagInfos(kind)) {
    if (info.name == name) return true;
  }
  return false;
}

TEST(CommandFlagsTest, EveryFlagIsAcceptedByItsCommandInEveryForm) {
  for (Command::Kind kind : kCommandsWithFlags) {
    for (const FlagInfo& info : FlagInfos(kind)) {
      const std::string value = ValidValue(info);
      const std::string underscored = absl::StrReplaceAll(info.name, {{"-", "_"}});
      std::vector<std::vector<std::string>> forms = {
          {absl::StrCat("--", info.name, "=", value)},
          {absl::StrCat("--", underscored, "=", value)},
      };
      if (info.is_boolean()) {
        forms.push_back({absl::StrCat("--", info.name)});
      } else {
        forms.push_back({absl::StrCat("--", info.name), value});
      }
      for (const std::vector<std::string>& form : forms) {
        std::vector<std::string> args = CommandLineWithout(kind, info.name);
        args.insert(args.end(), form.begin(), form.end());
        absl::StatusOr<Command> command = ParseCommandLine(args);
        ASSERT_TRUE(command.ok()) << form.front() << ": " << command.status();
        EXPECT_EQ(command->kind, kind) << form.front();
      }
    }
  }
}

TEST(CommandFlagsTest, EveryFlagIsRefusedByTheOtherCommandsNamingIt) {
  for (Command::Kind owner : kCommandsWithFlags) {
    for (const FlagInfo& info : FlagInfos(owner)) {
      for (Command::Kind other : kCommands) {
        if (other == owner || HasFlag(other, info.name)) continue;
        std::vector<std::string> args = CommandLineWithout(other, "");
        args.push_back(absl::StrCat("--", info.name, "=", ValidValue(info)));
        absl::StatusOr<Command> command = ParseCommandLine(args);
        ASSERT_FALSE(command.ok()) << "--" << info.name << " on " << CommandName(other);
        EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_NE(command.status().message().find(absl::StrCat("--", info.name)),
                  absl::string_view::npos)
            << command.status();
      }
    }
  }
}

TEST(CommandFlagsTest, FlagNamesAreUniqueWithinACommand) {
  for (Command::Kind kind : kCommandsWithFlags) {
    std::set<absl::string_view> names;
    for (const FlagInfo& info : FlagInfos(kind)) {
      EXPECT_TRUE(names.insert(info.name).second) << info.name;
      EXPECT_EQ(CanonicalFlagName(info.name), info.name) << "the table spells names with dashes";
    }
  }
}

// Parsing the default --help shows for each optional flag of `table` leaves the options as they
// start.
template <typename Options>
void ExpectShownDefaultsAreTheDefaults(absl::Span<const Flag<Options>> table) {
  for (const Flag<Options>& flag : table) {
    if (flag.info.required) continue;
    Options options;
    const absl::Status status = flag.parse(flag.info.default_value, &options);
    ASSERT_TRUE(status.ok()) << flag.info.name << ": " << status;
    EXPECT_TRUE(options == Options{})
        << "--" << flag.info.name << "=" << flag.info.default_value << " is not the default";
  }
}

TEST(CommandFlagsTest, DefaultInHelpIsTheDefaultParsed) {
  ExpectShownDefaultsAreTheDefaults(ServeFlagTable());
  ExpectShownDefaultsAreTheDefaults(BootstrapFlagTable());
  ExpectShownDefaultsAreTheDefaults(StatusFlagTable());
}

TEST(CommandFlagsTest, HelpTextListsEveryFlagOfEveryTableWithItsHelp) {
  const std::string help = HelpText();
  for (Command::Kind kind : kCommandsWithFlags) {
    for (const FlagInfo& info : FlagInfos(kind)) {
      EXPECT_NE(help.find(absl::StrCat("  ", FlagSynopsis(info), "\n")), std::string::npos)
          << info.name;
      EXPECT_NE(help.find(FlagHelp(info)), std::string::npos) << info.name;
    }
  }
}

TEST(CommandFlagsTest, HttpPortHelpListsEveryAdminEndpoint) {
  const Flag<ServeOptions>* http_port = FindFlag(ServeFlagTable(), "http-port");
  ASSERT_NE(http_port, nullptr);
  const std::string flag_help = FlagHelp(http_port->info);
  const std::string help = HelpText();
  ASSERT_GE(AdminEndpoints().size(), 13u);
  for (const AdminEndpoint& endpoint : AdminEndpoints()) {
    const std::string route = absl::StrCat(endpoint.method, " ", endpoint.path, " ");
    EXPECT_NE(flag_help.find(route), std::string::npos) << route << " missing from:\n" << flag_help;
    EXPECT_NE(help.find(route), std::string::npos) << route;
  }
}

// A route as "METHOD /path" with every matched part ({id}, a regex group) written {}, and
// without the query.
std::string NormalizedRoute(absl::string_view method, absl::string_view path) {
  std::string text(path.substr(0, path.find('?')));
  text = std::regex_replace(text, std::regex(R"(\{[a-z]+\}|\([^)]*\))"), "{}");
  return absl::StrCat(method, " ", text);
}

TEST(CommandFlagsTest, AdminEndpointsAreTheRoutesTheAdminServerRegisters) {
  std::ifstream file(XDSD_ADMIN_SERVER_SOURCE);
  ASSERT_TRUE(file) << XDSD_ADMIN_SERVER_SOURCE;
  std::stringstream source;
  source << file.rdbuf();
  const std::string text = source.str();
  // http_->Get("/path", ...) and http_->Post(R"(/regex)", ...).
  const std::regex route(R"re(http_->(Get|Post|Put|Delete)\(\s*(?:R"\((.*?)\)"|"([^"]*)"))re");
  std::set<std::string> served;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), route);
       it != std::sregex_iterator(); ++it) {
    std::string method = (*it)[1].str();
    for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    served.insert(NormalizedRoute(method, (*it)[2].matched ? (*it)[2].str() : (*it)[3].str()));
  }
  ASSERT_GE(served.size(), 9u) << "the routes of admin_server.cc were not found";
  std::set<std::string> documented;
  for (const AdminEndpoint& endpoint : AdminEndpoints()) {
    documented.insert(NormalizedRoute(endpoint.method, endpoint.path));
  }
  EXPECT_EQ(documented, served);
}

TEST(CommandFlagsTest, ConcurrentParsesGetTheirOwnResults) {
  const std::vector<std::string> serve_args = {"serve", "--xds-port=1000", "--config=a.yaml",
                                               "--log-level=debug"};
  const std::vector<std::string> bootstrap_args = {"bootstrap", "--node-id=n2", "--docker",
                                                   "--format=grpc"};
  constexpr int kParses = 2000;
  std::latch start(2);
  int serve_mismatches = 0;
  int bootstrap_mismatches = 0;
  std::thread serve_thread([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kParses; ++i) {
      absl::StatusOr<Command> command = ParseCommandLine(serve_args);
      if (!command.ok() || command->kind != Command::Kind::kServe ||
          command->serve.xds_port != 1000 || command->serve.config_path != "a.yaml" ||
          command->serve.log_level != spdlog::level::debug) {
        ++serve_mismatches;
      }
    }
  });
  std::thread bootstrap_thread([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kParses; ++i) {
      absl::StatusOr<Command> command = ParseCommandLine(bootstrap_args);
      if (!command.ok() || command->kind != Command::Kind::kBootstrap ||
          command->bootstrap.node_id != "n2" ||
          command->bootstrap.xds_host != "host.docker.internal" ||
          command->bootstrap.format != BootstrapOptions::Format::kGrpc ||
          command->serve.xds_port != ServeOptions{}.xds_port) {
        ++bootstrap_mismatches;
      }
    }
  });
  serve_thread.join();
  bootstrap_thread.join();
  EXPECT_EQ(serve_mismatches, 0);
  EXPECT_EQ(bootstrap_mismatches, 0);
}

}  // namespace
}  // namespace xdsd::cli

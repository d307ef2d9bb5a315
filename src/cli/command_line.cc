#include "cli/command_line.h"

#include <cstdint>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace xdsd::cli {

// The level of the log, as a flag value: one of trace, debug, info, warn, error.
struct LogLevelFlag {
  spdlog::level::level_enum level = spdlog::level::info;
};

bool AbslParseFlag(absl::string_view text, LogLevelFlag* flag, std::string* error) {
  static constexpr std::pair<absl::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},
  };
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      flag->level = level;
      return true;
    }
  }
  *error = "must be one of trace, debug, info, warn, error";
  return false;
}

std::string AbslUnparseFlag(LogLevelFlag flag) {
  switch (flag.level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    default:
      return "info";
  }
}

}  // namespace xdsd::cli

ABSL_FLAG(std::string, config, "",
          "Configuration to serve: a YAML or JSON file, or a directory of them. Resources are "
          "written as Envoy v3 YAML/JSON. Empty serves the built-in demo (a listener on port "
          "10000 routing to an upstream TLS cluster).");
ABSL_FLAG(int32_t, xds_port, 18000,
          "Port of the gRPC xDS services (ADS and per-type, on 0.0.0.0). 0 picks a free port.");
ABSL_FLAG(int32_t, http_port, 19001,
          "Port of the admin HTTP server (on 0.0.0.0): GET /healthz, GET /v1/nodes. 0 picks a "
          "free port.");
ABSL_FLAG(xdsd::cli::LogLevelFlag, log_level, xdsd::cli::LogLevelFlag{},
          "Lowest level logged to stderr: trace, debug, info, warn or error.");

namespace xdsd::cli {
namespace {

// Our flags, in the order --help lists them, with the placeholder of their value.
struct FlagDoc {
  absl::string_view name;  // as absl knows it, with underscores
  absl::string_view value_name;
};
constexpr FlagDoc kFlags[] = {
    {"config", "PATH"},
    {"xds_port", "PORT"},
    {"http_port", "PORT"},
    {"log_level", "LEVEL"},
};

bool IsOurFlag(absl::string_view name) {
  for (const FlagDoc& doc : kFlags) {
    if (doc.name == name) return true;
  }
  return false;
}

std::string DashedName(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

// `text` as lines of at most `width` characters (longer words stay whole), each indented.
std::string Wrap(absl::string_view text, absl::string_view indent, size_t width) {
  std::string out;
  size_t line_length = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line_length > 0 && line_length + 1 + word.size() > width) {
      out.append("\n");
      line_length = 0;
    }
    if (line_length == 0) {
      absl::StrAppend(&out, indent, word);
      line_length = indent.size() + word.size();
    } else {
      absl::StrAppend(&out, " ", word);
      line_length += 1 + word.size();
    }
  }
  out.append("\n");
  return out;
}

absl::Status CheckPort(absl::string_view flag, int32_t port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", port, ": a port must be between 0 and 65535"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args) {
  // Start from the defaults, so that the result depends on `args` alone.
  for (const FlagDoc& doc : kFlags) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(doc.name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(flag->DefaultValue(), &error)) {
      return absl::InternalError(absl::StrCat("flag --", DashedName(doc.name), ": ", error));
    }
  }
  Command command;
  size_t i = 0;
  if (!args.empty() && !absl::StartsWith(args[0], "-")) {
    if (args[0] == "help") {
      command.kind = Command::Kind::kHelp;
      return command;
    }
    if (args[0] != "serve") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command \"", args[0], "\" (see xdsd --help)"));
    }
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpfull") {
      command.kind = Command::Kind::kHelp;
      return command;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-" || arg == "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\" (see xdsd --help)"));
    }
    absl::string_view body = arg;
    body.remove_prefix(absl::StartsWith(body, "--") ? 2 : 1);
    absl::string_view name = body;
    std::optional<absl::string_view> value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    const std::string flag_name = absl::StrReplaceAll(name, {{"-", "_"}});
    absl::CommandLineFlag* flag = IsOurFlag(flag_name) ? absl::FindCommandLineFlag(flag_name)
                                                       : nullptr;
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see xdsd --help)"));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = args[++i];
    }
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      // Abseil says "Illegal value 'x' specified for flag 'log_level'; <why>": keep the why.
      if (size_t why = error.find("; "); why != std::string::npos) error.erase(0, why + 2);
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value \"", *value, "\" for --", name, ": ", error));
    }
  }

  ServeOptions& options = command.serve;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.xds_port = absl::GetFlag(FLAGS_xds_port);
  options.http_port = absl::GetFlag(FLAGS_http_port);
  options.log_level = absl::GetFlag(FLAGS_log_level).level;
  if (absl::Status status = CheckPort("xds-port", options.xds_port); !status.ok()) return status;
  if (absl::Status status = CheckPort("http-port", options.http_port); !status.ok()) return status;
  if (options.xds_port != 0 && options.xds_port == options.http_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("--xds-port and --http-port are both ", options.xds_port));
  }
  return command;
}

std::string HelpText() {
  std::string text =
      "xdsd: an xDS control plane for Envoy and gRPC proxyless clients.\n"
      "\n"
      "Usage:\n"
      "  xdsd [serve] [flags]   serve a configuration over xDS, with an admin HTTP server\n"
      "  xdsd help              print this help (also -h, --help)\n"
      "\n"
      "With no arguments xdsd serves the built-in demo configuration on the default ports.\n"
      "Flags are written --name=value or --name value.\n"
      "\n"
      "Flags:\n";
  for (const FlagDoc& doc : kFlags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(doc.name);
    if (flag == nullptr) continue;  // cannot happen: every flag is defined above
    std::string default_value = flag->DefaultValue();
    if (default_value.empty()) default_value = "\"\"";
    absl::StrAppendFormat(&text, "  --%s=%s\n", DashedName(doc.name), doc.value_name);
    absl::StrAppend(&text, Wrap(absl::StrCat(flag->Help(), " (default: ", default_value, ")"),
                                "      ", 80));
  }
  absl::StrAppend(
      &text,
      "  -h, --help\n      Print this help and exit.\n"
      "\n"
      "Admin HTTP endpoints (on --http-port):\n"
      "  GET /healthz                 200 \"ok\" while serving\n"
      "  GET /v1/nodes                every node seen, as JSON: identity, open streams and, per\n"
      "                               resource type, the version sent, ACKed and NACKed (with\n"
      "                               the client's error); ?connected=true for connected nodes\n"
      "  GET /v1/nodes/{id}           one node, 404 when never seen\n"
      "\n"
      "Stop xdsd with SIGINT (Ctrl-C) or SIGTERM: it closes the xDS streams and exits.\n"
      "Exit status: 0 after a clean stop, 1 on a configuration or start-up error, 2 on a\n"
      "command-line error.\n"
      "\n"
      "Examples:\n"
      "  xdsd                                   serve the demo on ports 18000 (xDS), 19001 (HTTP)\n"
      "  xdsd serve --config=xdsd.yaml --log-level=debug\n"
      "  xdsd serve --config=conf.d/ --xds-port=18001 --http-port=0\n");
  return text;
}

}  // namespace xdsd::cli

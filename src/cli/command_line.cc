#include "cli/command_line.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/bootstrap.h"

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

// A duration as a flag value (`xdsd status --wait`, the push flags of serve): an Abseil
// duration ("30s", "2m", "1m30s", "500ms"), not negative.
struct DurationFlag {
  absl::Duration duration = absl::ZeroDuration();
};

bool AbslParseFlag(absl::string_view text, DurationFlag* flag, std::string* error) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration < absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    *error = "must be a duration such as 30s, 2m or 500ms";
    return false;
  }
  flag->duration = duration;
  return true;
}

std::string AbslUnparseFlag(DurationFlag flag) { return absl::FormatDuration(flag.duration); }

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
ABSL_FLAG(xdsd::cli::DurationFlag, push_quiet, xdsd::cli::DurationFlag{absl::Milliseconds(100)},
          "Changes (config reloads and the rest) are pushed to the proxies together once none "
          "came for this long, so a burst of changes makes one push. 0 pushes every change at "
          "once.");
ABSL_FLAG(xdsd::cli::DurationFlag, push_max_delay, xdsd::cli::DurationFlag{absl::Seconds(1)},
          "The longest a change waits for the quiet period: under continuous changes, a push "
          "goes out at least this often.");

ABSL_FLAG(std::string, node_id, "",
          "node.id of the client the bootstrap is for: xdsd tells nodes apart by it and matches "
          "groups on it.");
ABSL_FLAG(std::string, node_cluster, "xdsd",
          "node.cluster of the client: groups of the configuration match on it.");
ABSL_FLAG(std::string, xds_address, "",
          "Where the client reaches xdsd's xDS port: HOST:PORT, [IPV6]:PORT, :PORT (the default "
          "host) or HOST (port 18000). An IP address gives a STATIC xds_cluster, a host name a "
          "STRICT_DNS one.");
ABSL_FLAG(std::string, format, "envoy",
          "envoy: Envoy's v3 YAML bootstrap (envoy -c FILE); grpc: gRPC's xDS JSON bootstrap "
          "(GRPC_XDS_BOOTSTRAP=FILE).");
ABSL_FLAG(bool, docker, false,
          "The client runs in a Docker container and xdsd on its host: the default host becomes "
          "host.docker.internal.");

ABSL_FLAG(std::string, http, "http://127.0.0.1:19001",
          "The admin HTTP server of the xdsd to ask (its --http-port): http://HOST:PORT, HOST:PORT "
          "or HOST (port 19001); an IPv6 address in brackets.");
ABSL_FLAG(xdsd::cli::DurationFlag, wait, xdsd::cli::DurationFlag{},
          "Ask every 500ms until every node is in sync, for at most this long (30s, 2m, ...); "
          "exit 1 with the last table when it runs out.");
ABSL_FLAG(std::string, node, "",
          "Only the nodes whose node.id matches this glob (* any characters, ? one character), "
          "e.g. 'envoy-*'.");

namespace xdsd::cli {
namespace {

// Our flags, in the order --help lists them, with the placeholder of their value and the command
// they belong to.
struct FlagDoc {
  absl::string_view name;        // as absl knows it, with underscores
  absl::string_view value_name;  // empty for a boolean flag, which takes no value
  Command::Kind command;
  // What --help says instead of "(default: <the flag's default>)", when not empty.
  absl::string_view default_note = {};
};
constexpr FlagDoc kFlags[] = {
    {"config", "PATH", Command::Kind::kServe},
    {"xds_port", "PORT", Command::Kind::kServe},
    {"http_port", "PORT", Command::Kind::kServe},
    {"log_level", "LEVEL", Command::Kind::kServe},
    {"push_quiet", "DURATION", Command::Kind::kServe},
    {"push_max_delay", "DURATION", Command::Kind::kServe},
    {"node_id", "ID", Command::Kind::kBootstrap, "required"},
    {"node_cluster", "CLUSTER", Command::Kind::kBootstrap},
    {"xds_address", "HOST:PORT", Command::Kind::kBootstrap,
     "default: 127.0.0.1:18000; with --docker, host.docker.internal:18000"},
    {"format", "FORMAT", Command::Kind::kBootstrap},
    {"docker", "", Command::Kind::kBootstrap},
    {"http", "URL", Command::Kind::kStatus},
    {"wait", "DURATION", Command::Kind::kStatus, "default: 0, ask once"},
    {"node", "GLOB", Command::Kind::kStatus, "default: every node"},
};

const FlagDoc* FindFlagDoc(absl::string_view name) {
  for (const FlagDoc& doc : kFlags) {
    if (doc.name == name) return &doc;
  }
  return nullptr;
}

absl::string_view CommandName(Command::Kind kind) {
  switch (kind) {
    case Command::Kind::kServe:
      return "serve";
    case Command::Kind::kValidate:
      return "validate";
    case Command::Kind::kBootstrap:
      return "bootstrap";
    case Command::Kind::kStatus:
      return "status";
    case Command::Kind::kHelp:
      return "help";
  }
  return "?";
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

// The flags of `xdsd serve`, read after parsing, checked.
absl::StatusOr<ServeOptions> ServeOptionsFromFlags() {
  ServeOptions options;
  options.config_path = absl::GetFlag(FLAGS_config);
  options.xds_port = absl::GetFlag(FLAGS_xds_port);
  options.http_port = absl::GetFlag(FLAGS_http_port);
  options.log_level = absl::GetFlag(FLAGS_log_level).level;
  options.push_quiet = absl::GetFlag(FLAGS_push_quiet).duration;
  options.push_max_delay = absl::GetFlag(FLAGS_push_max_delay).duration;
  if (options.push_max_delay < options.push_quiet) {
    return absl::InvalidArgumentError("--push-max-delay is shorter than --push-quiet");
  }
  if (absl::Status status = CheckPort("xds-port", options.xds_port); !status.ok()) return status;
  if (absl::Status status = CheckPort("http-port", options.http_port); !status.ok()) return status;
  if (options.xds_port != 0 && options.xds_port == options.http_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("--xds-port and --http-port are both ", options.xds_port));
  }
  return options;
}

// The flags of `xdsd bootstrap`, read after parsing, checked, with the address resolved.
absl::StatusOr<BootstrapOptions> BootstrapOptionsFromFlags() {
  BootstrapOptions options;
  options.node_id = absl::GetFlag(FLAGS_node_id);
  if (options.node_id.empty()) {
    return absl::InvalidArgumentError(
        "xdsd bootstrap needs --node-id=ID (the node.id of the client)");
  }
  options.node_cluster = absl::GetFlag(FLAGS_node_cluster);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "envoy") {
    options.format = BootstrapOptions::Format::kEnvoy;
  } else if (format == "grpc") {
    options.format = BootstrapOptions::Format::kGrpc;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", format, "\" for --format: must be envoy or grpc"));
  }
  const XdsAddress defaults = {
      absl::GetFlag(FLAGS_docker) ? std::string(kDockerHost) : std::string(kDefaultXdsHost),
      kDefaultXdsPort};
  absl::StatusOr<XdsAddress> address =
      ParseXdsAddress(absl::GetFlag(FLAGS_xds_address), defaults);
  if (!address.ok()) return address.status();
  options.xds_host = address->host;
  options.xds_port = address->port;
  return options;
}

// The flags of `xdsd status`, read after parsing, checked.
absl::StatusOr<StatusOptions> StatusOptionsFromFlags() {
  absl::StatusOr<StatusOptions> options = ParseHttpAddress(absl::GetFlag(FLAGS_http));
  if (!options.ok()) return options.status();
  options->wait = absl::GetFlag(FLAGS_wait).duration;
  options->node_glob = absl::GetFlag(FLAGS_node);
  return options;
}

// The error for a flag of another command than `kind`.
absl::Status WrongCommandError(absl::string_view name, const FlagDoc& doc, Command::Kind kind) {
  if (kind == Command::Kind::kValidate && doc.name == "config") {
    return absl::InvalidArgumentError(
        "xdsd validate takes the configuration as an argument, not --config: xdsd validate PATH");
  }
  return absl::InvalidArgumentError(absl::StrCat("--", name, " is a flag of xdsd ",
                                                 CommandName(doc.command), ", not of xdsd ",
                                                 CommandName(kind), " (see xdsd --help)"));
}

}  // namespace

absl::StatusOr<StatusOptions> ParseHttpAddress(const std::string& text) {
  auto error = [&text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", text, "\" for --http: ",
                                                   why, " (http://HOST:PORT)"));
  };
  absl::string_view rest = text;
  if (const size_t scheme = rest.find("://"); scheme != absl::string_view::npos) {
    if (rest.substr(0, scheme) != "http") {
      return error("xdsd's admin server speaks plain http://");
    }
    rest.remove_prefix(scheme + 3);
  }
  absl::ConsumeSuffix(&rest, "/");
  if (rest.empty()) return error("no host");
  if (rest.find('/') != absl::string_view::npos) return error("give the server, not a path");
  absl::StatusOr<XdsAddress> address = ParseXdsAddress(rest, XdsAddress{"", 19001});
  if (!address.ok() || address->host.empty()) {
    // ParseXdsAddress says why in terms of --xds-address: keep the why only.
    std::string why = "no host";
    if (!address.ok()) {
      why = std::string(address.status().message());
      const std::string kFlag = "for --xds-address: ";
      if (const size_t at = why.find(kFlag); at != std::string::npos) {
        why.erase(0, at + kFlag.size());
      }
      if (const size_t forms = why.rfind(" ("); forms != std::string::npos) why.erase(forms);
    }
    return error(why);
  }
  StatusOptions options;
  options.http_host = address->host;
  options.http_port = address->port;
  const bool ipv6 = address->host.find(':') != std::string::npos;
  options.http_url = absl::StrCat("http://", ipv6 ? "[" : "", address->host, ipv6 ? "]" : "",
                                  ":", address->port);
  return options;
}

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
    if (args[0] == "serve") {
      command.kind = Command::Kind::kServe;
    } else if (args[0] == "validate") {
      command.kind = Command::Kind::kValidate;
    } else if (args[0] == "bootstrap") {
      command.kind = Command::Kind::kBootstrap;
    } else if (args[0] == "status") {
      command.kind = Command::Kind::kStatus;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command \"", args[0], "\" (see xdsd --help)"));
    }
    i = 1;
  }
  std::vector<std::string> positional;  // only `xdsd validate` takes one
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpfull") {
      command.kind = Command::Kind::kHelp;
      return command;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      if (command.kind != Command::Kind::kValidate) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", arg, "\" (see xdsd --help)"));
      }
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
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
    const FlagDoc* doc = FindFlagDoc(flag_name);
    absl::CommandLineFlag* flag = doc != nullptr ? absl::FindCommandLineFlag(flag_name) : nullptr;
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see xdsd --help)"));
    }
    if (doc->command != command.kind) return WrongCommandError(name, *doc, command.kind);
    if (!value.has_value()) {
      if (doc->value_name.empty()) {
        value = "true";  // a boolean flag: its name alone sets it
      } else if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      } else {
        value = args[++i];
      }
    }
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      // Abseil says "Illegal value 'x' specified for flag 'log_level'; <why>": keep the why.
      if (size_t why = error.find("; "); why != std::string::npos) error.erase(0, why + 2);
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value \"", *value, "\" for --", name, ": ", error));
    }
  }

  switch (command.kind) {
    case Command::Kind::kServe: {
      absl::StatusOr<ServeOptions> options = ServeOptionsFromFlags();
      if (!options.ok()) return options.status();
      command.serve = *std::move(options);
      break;
    }
    case Command::Kind::kValidate:
      if (positional.empty()) {
        return absl::InvalidArgumentError(
            "xdsd validate needs the configuration to check: xdsd validate PATH");
      }
      if (positional.size() > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected argument \"", positional[1], "\": xdsd validate checks one PATH"));
      }
      command.validate.config_path = positional[0];
      break;
    case Command::Kind::kBootstrap: {
      absl::StatusOr<BootstrapOptions> options = BootstrapOptionsFromFlags();
      if (!options.ok()) return options.status();
      command.bootstrap = *std::move(options);
      break;
    }
    case Command::Kind::kStatus: {
      absl::StatusOr<StatusOptions> options = StatusOptionsFromFlags();
      if (!options.ok()) return options.status();
      command.status = *std::move(options);
      break;
    }
    case Command::Kind::kHelp:
      break;
  }
  return command;
}

namespace {

// The help of every flag of `kind`, with its default.
std::string FlagsHelp(Command::Kind kind) {
  std::string text;
  for (const FlagDoc& doc : kFlags) {
    if (doc.command != kind) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(doc.name);
    if (flag == nullptr) continue;  // cannot happen: every flag is defined above
    std::string note(doc.default_note);
    if (note.empty()) {
      std::string default_value = flag->DefaultValue();
      if (default_value.empty()) default_value = "\"\"";
      note = absl::StrCat("default: ", default_value);
    }
    if (doc.value_name.empty()) {
      absl::StrAppendFormat(&text, "  --%s\n", DashedName(doc.name));
    } else {
      absl::StrAppendFormat(&text, "  --%s=%s\n", DashedName(doc.name), doc.value_name);
    }
    absl::StrAppend(&text, Wrap(absl::StrCat(flag->Help(), " (", note, ")"), "      ", 80));
  }
  return text;
}

}  // namespace

std::string HelpText() {
  std::string text =
      "xdsd: an xDS control plane for Envoy and gRPC proxyless clients.\n"
      "\n"
      "Usage:\n"
      "  xdsd [serve] [flags]     serve a configuration over xDS, with an admin HTTP server\n"
      "  xdsd validate PATH       check a configuration (a file or a directory, as --config)\n"
      "                           and print its errors, without serving it\n"
      "  xdsd bootstrap --node-id=ID [flags]\n"
      "                           print a bootstrap that points an Envoy or a gRPC client at\n"
      "                           xdsd\n"
      "  xdsd status [--http=URL] [--wait=DURATION] [--node=GLOB]\n"
      "                           ask a running xdsd which connected nodes run what it serves:\n"
      "                           a table of node, type, versions sent and ACKed, state, NACK\n"
      "                           error\n"
      "  xdsd help                print this help (also -h, --help)\n"
      "\n"
      "With no arguments xdsd serves the built-in demo configuration on the default ports.\n"
      "Flags are written --name=value or --name value; each belongs to one command.\n"
      "\n"
      "Flags of serve:\n";
  absl::StrAppend(&text, FlagsHelp(Command::Kind::kServe));
  absl::StrAppend(&text, "\nFlags of bootstrap:\n", FlagsHelp(Command::Kind::kBootstrap));
  absl::StrAppend(&text, "\nFlags of status:\n", FlagsHelp(Command::Kind::kStatus));
  absl::StrAppend(
      &text,
      "\n"
      "  -h, --help\n      Print this help and exit.\n"
      "\n"
      "Admin HTTP endpoints (on --http-port):\n"
      "  GET /                        the dashboard: every node's sync state, NACKs, reload errors\n"
      "  GET /healthz                 200 \"ok\" while serving\n"
      "  GET /readyz                  200 once the config is loaded and gRPC serves\n"
      "  GET /metrics                 Prometheus metrics\n"
      "  GET /v1/nodes                every node seen, as JSON: identity, open streams and, per\n"
      "                               resource type, the version sent, ACKed and NACKed (with\n"
      "                               the client's error); ?connected=true for connected nodes\n"
      "  GET /v1/nodes/{id}           one node, 404 when never seen\n"
      "  GET /v1/config               the configuration served: source, version, load time,\n"
      "                               the error of the last reload when it failed\n"
      "  GET /v1/config_dump?node=ID  the resources that node is served, as Envoy JSON\n"
      "  POST /v3/discovery:TYPE      the xDS REST gateway (clusters, endpoints, listeners,\n"
      "                               routes, scoped-routes, secrets, runtime, extension_configs)\n"
      "\n"
      "Stop xdsd with SIGINT (Ctrl-C) or SIGTERM: it closes the xDS streams and exits.\n"
      "Exit status: 0 after a clean stop (serve), a valid configuration (validate) or a printed\n"
      "bootstrap; 1 on a configuration or start-up error (validate prints every error on\n"
      "stderr, one a line: FILE:LINE: path: message); 2 on a command-line error.\n"
      "xdsd status exits 0 when every connected node (matching --node) ACKed the version it was\n"
      "last sent of every type it asked for (none connected counts as in sync), 1 when some node\n"
      "is PENDING, NACKED or NOT_SENT on a type, 3 when xdsd cannot be reached or does not\n"
      "answer as xdsd, 2 on a command-line error.\n"
      "\n"
      "Examples:\n"
      "  xdsd                                   serve the demo on ports 18000 (xDS), 19001 (HTTP)\n"
      "  xdsd serve --config=xdsd.yaml --log-level=debug\n"
      "  xdsd serve --config=conf.d/ --xds-port=18001 --http-port=0\n"
      "  xdsd validate conf.d/\n"
      "  xdsd status                            which nodes run the config, on localhost:19001\n"
      "  xdsd status --http=http://xdsd.internal:19001 --node='envoy-*' --wait=60s\n"
      "                                         in a deploy script: wait until they all ACKed\n"
      "  xdsd bootstrap --node-id=envoy-0 > envoy.yaml && envoy -c envoy.yaml\n"
      "  xdsd bootstrap --node-id=envoy-0 --node-cluster=edge --docker > envoy.yaml\n"
      "  xdsd bootstrap --node-id=client-0 --format=grpc > xds.json &&\n"
      "      GRPC_XDS_BOOTSTRAP=xds.json ./my-grpc-client\n");
  return text;
}

}  // namespace xdsd::cli

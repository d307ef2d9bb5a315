#include "cli/command_line.h"

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "cli/bootstrap.h"
#include "cli/command_flags.h"
#include "cli/flag_table.h"
#include "google/protobuf/stubs/common.h"

namespace xdsd::cli {
namespace {

absl::Status UnexpectedArgumentError(absl::string_view arg) {
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected argument \"", arg, "\" (see xdsd --help)"));
}

absl::Status InvalidValueError(absl::string_view flag, absl::string_view value,
                               absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value \"", value, "\" for --", flag, ": ", why));
}

// The error for `--name`, which is not a flag of `kind`: it may be one of another command.
absl::Status NotAFlagOfError(absl::string_view name, Command::Kind kind) {
  const std::string canonical = CanonicalFlagName(name);
  for (Command::Kind owner :
       {Command::Kind::kServe, Command::Kind::kValidate, Command::Kind::kBootstrap,
        Command::Kind::kStatus, Command::Kind::kReload, Command::Kind::kApply,
        Command::Kind::kRegister, Command::Kind::kHistory}) {
    if (owner == kind) continue;
    for (const FlagInfo& info : FlagInfos(owner)) {
      if (info.name != canonical) continue;
      if (kind == Command::Kind::kValidate && canonical == "config") {
        return absl::InvalidArgumentError(
            "xdsd validate takes the configuration as an argument, not --config: xdsd validate "
            "PATH");
      }
      return absl::InvalidArgumentError(absl::StrCat("--", name, " is a flag of xdsd ",
                                                     CommandName(owner), ", not of xdsd ",
                                                     CommandName(kind), " (see xdsd --help)"));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see xdsd --help)"));
}

bool IsHelp(absl::string_view arg) {
  return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--helpfull";
}

// What the arguments after the command name say, besides the flags.
struct Arguments {
  bool help = false;                    // -h or --help came before any error
  bool version = false;                 // --version, when the command has no such flag
  std::vector<std::string> positional;  // `xdsd validate` and `xdsd serve` take one
};

bool TakesPositional(Command::Kind kind) {
  return kind == Command::Kind::kValidate || kind == Command::Kind::kServe ||
         kind == Command::Kind::kApply || kind == Command::Kind::kDiff ||
         kind == Command::Kind::kHistory || kind == Command::Kind::kRollback ||
         kind == Command::Kind::kRollout;
}

// Reads `args` (the arguments after the command name) into `options` through the flags of
// `kind`, its `table`, in order: a -h or --help stops there.
template <typename Options>
absl::StatusOr<Arguments> ParseArguments(absl::Span<const std::string> args, Command::Kind kind,
                                         absl::Span<const Flag<Options>> table, Options* options) {
  Arguments result;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelp(arg)) {
      result.help = true;
      return result;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      if (!TakesPositional(kind)) return UnexpectedArgumentError(arg);
      result.positional.push_back(arg);
      continue;
    }
    if (arg == "--") return UnexpectedArgumentError(arg);
    absl::string_view body = arg;
    if (!absl::StartsWith(body, "--")) {
      // -config would be read by some tools as -c -o -n ... and by others as --config: say so
      // rather than guess.
      body.remove_prefix(1);
      return absl::InvalidArgumentError(absl::StrCat("\"", arg, "\": flags take two dashes: --",
                                                     body.substr(0, body.find('=')),
                                                     " (see xdsd --help)"));
    }
    body.remove_prefix(2);
    absl::string_view name = body;
    std::optional<absl::string_view> value;
    if (const size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    const Flag<Options>* flag = FindFlag(table, name);
    if (flag == nullptr && name == "version" && !value.has_value()) {
      result.version = true;
      return result;
    }
    if (flag == nullptr) return NotAFlagOfError(name, kind);
    if (!value.has_value()) {
      if (flag->info.is_boolean()) {
        value = "true";  // a boolean flag: its name alone sets it
      } else if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      } else {
        value = args[++i];
      }
    }
    if (absl::Status status = flag->parse(*value, options); !status.ok()) {
      return InvalidValueError(name, *value, status.message());
    }
  }
  return result;
}

// The checks of `xdsd serve` across flags.
absl::Status CheckServeOptions(const ServeOptions& options) {
  if (options.push_max_delay < options.push_quiet) {
    return absl::InvalidArgumentError("--push-max-delay is shorter than --push-quiet");
  }
  if (options.first_request_timeout <= absl::ZeroDuration() ||
      options.send_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--first-request-timeout and --send-timeout must be above 0");
  }
  if (options.xds_port != 0 && options.xds_port == options.http_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("--xds-port and --http-port are both ", options.xds_port));
  }
  if (options.xds_tls_cert.empty() != options.xds_tls_key.empty()) {
    return absl::InvalidArgumentError("--xds-tls-cert and --xds-tls-key go together");
  }
  if (!options.xds_client_ca.empty() && options.xds_tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--xds-client-ca needs --xds-tls-cert and --xds-tls-key (mutual TLS is TLS)");
  }
  if (options.xds_tls_refresh < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--xds-tls-refresh must be at least 1s");
  }
  return absl::OkStatus();
}

// The options of `xdsd bootstrap`, checked, with the address resolved.
absl::StatusOr<BootstrapOptions> ResolveBootstrapFlags(const BootstrapFlags& flags) {
  BootstrapOptions options = flags.options;
  if (options.node_id.empty()) {
    return absl::InvalidArgumentError(
        "xdsd bootstrap needs --node-id=ID (the node.id of the client)");
  }
  const XdsAddress defaults = {
      flags.docker ? std::string(kDockerHost) : std::string(kDefaultXdsHost), kDefaultXdsPort};
  // Several replicas: A,B,C, each with the same defaults.
  const std::vector<std::string> addresses = absl::StrSplit(flags.xds_address, ',');
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (addresses.size() > 1 && addresses[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value \"", flags.xds_address,
                       "\" for --xds-address: an empty address in the list"));
    }
    absl::StatusOr<XdsAddress> address = ParseXdsAddress(addresses[i], defaults);
    if (!address.ok()) return address.status();
    if (i == 0) {
      options.xds_host = address->host;
      options.xds_port = address->port;
    } else {
      options.other_replicas.push_back({address->host, address->port});
    }
  }
  if (absl::Status target = CheckGrpcTarget(options); !target.ok()) return target;
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!options.tls_cert.empty() && options.tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert needs --tls-ca (the CA that signed xdsd's certificate)");
  }
  return options;
}

std::optional<Command::Kind> CommandNamed(absl::string_view name) {
  for (Command::Kind kind :
       {Command::Kind::kServe, Command::Kind::kValidate, Command::Kind::kBootstrap,
        Command::Kind::kStatus, Command::Kind::kReload, Command::Kind::kApply, Command::Kind::kDiff,
        Command::Kind::kRegister, Command::Kind::kHistory, Command::Kind::kRollback,
        Command::Kind::kRollout, Command::Kind::kHelp, Command::Kind::kVersion}) {
    if (CommandName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<AdminTarget> ParseHttpAddress(const std::string& text) {
  AdminTarget options;
  if (absl::Status status = ParseHttpUrl(text, &options); !status.ok()) {
    return InvalidValueError("http", text, status.message());
  }
  return options;
}

absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args) {
  Command command;
  absl::Span<const std::string> rest = args;
  if (!rest.empty() && !absl::StartsWith(rest.front(), "-")) {
    const std::optional<Command::Kind> kind = CommandNamed(rest.front());
    if (!kind.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command \"", rest.front(), "\" (see xdsd --help)"));
    }
    command.kind = *kind;
    rest.remove_prefix(1);
  }
  absl::StatusOr<Arguments> arguments;
  switch (command.kind) {
    case Command::Kind::kHelp:
    case Command::Kind::kVersion:
      return command;
    case Command::Kind::kServe:
      arguments = ParseArguments(rest, command.kind, ServeFlagTable(), &command.serve);
      break;
    case Command::Kind::kValidate:
      arguments = ParseArguments(rest, command.kind, ValidateFlagTable(), &command.validate);
      break;
    case Command::Kind::kBootstrap: {
      BootstrapFlags flags;
      arguments = ParseArguments(rest, command.kind, BootstrapFlagTable(), &flags);
      if (arguments.ok() && !arguments->help) {
        absl::StatusOr<BootstrapOptions> options = ResolveBootstrapFlags(flags);
        if (!options.ok()) return options.status();
        command.bootstrap = *std::move(options);
      }
      break;
    }
    case Command::Kind::kStatus:
      arguments = ParseArguments(rest, command.kind, StatusFlagTable(), &command.status);
      break;
    case Command::Kind::kReload:
      arguments = ParseArguments(rest, command.kind, ReloadFlagTable(), &command.reload);
      break;
    case Command::Kind::kApply:
    case Command::Kind::kDiff:
      arguments = ParseArguments(rest, command.kind, ApplyFlagTable(), &command.apply);
      break;
    case Command::Kind::kRegister:
      arguments = ParseArguments(rest, command.kind, RegisterFlagTable(), &command.register_);
      break;
    case Command::Kind::kHistory:
    case Command::Kind::kRollback:
    case Command::Kind::kRollout:
      arguments = ParseArguments(rest, command.kind, AdminCallFlagTable(), &command.admin);
      break;
  }
  if (!arguments.ok()) return arguments.status();
  if (arguments->help) return Command{.kind = Command::Kind::kHelp};
  if (arguments->version) return Command{.kind = Command::Kind::kVersion};

  if (command.kind == Command::Kind::kServe) {
    const std::vector<std::string>& paths = arguments->positional;
    if (paths.size() > 1 || (!paths.empty() && !command.serve.config_path.empty())) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", paths.back(),
                                                     "\": xdsd serve takes one configuration, as ",
                                                     "PATH or --config PATH"));
    }
    if (!paths.empty()) command.serve.config_path = paths[0];
    if (absl::Status status = CheckServeOptions(command.serve); !status.ok()) return status;
  }
  if (command.kind == Command::Kind::kValidate) {
    const std::vector<std::string>& paths = arguments->positional;
    if (paths.empty()) {
      return absl::InvalidArgumentError(
          "xdsd validate needs the configuration to check: xdsd validate PATH");
    }
    if (paths.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", paths[1], "\": xdsd validate checks one PATH"));
    }
    command.validate.config_path = paths[0];
  }
  if (command.kind == Command::Kind::kApply || command.kind == Command::Kind::kDiff) {
    const std::string name(CommandName(command.kind));
    const std::vector<std::string>& paths = arguments->positional;
    if (paths.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("xdsd ", name,
                                                     " takes one configuration: xdsd ", name,
                                                     " PATH --to etcd://HOST:PORT/PREFIX"));
    }
    command.apply.config_path = paths[0];
    if (command.apply.to.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("xdsd ", name, " needs --to etcd://HOST:PORT[,HOST:PORT...]/PREFIX"));
    }
  }
  if (command.kind == Command::Kind::kRegister) {
    const RegisterOptions& options = command.register_;
    if (options.to.empty() || options.cluster.empty() || options.address.empty()) {
      return absl::InvalidArgumentError(
          "xdsd register needs --to etcd://HOST:PORT/PREFIX, --cluster NAME and --address "
          "HOST:PORT");
    }
    if (options.ttl < absl::Seconds(2)) {
      return absl::InvalidArgumentError("--ttl must be at least 2s");
    }
  }
  if (command.kind == Command::Kind::kHistory || command.kind == Command::Kind::kRollback) {
    std::vector<std::string>& args = arguments->positional;
    const bool history = command.kind == Command::Kind::kHistory;
    if (history ? (args.size() != 0 && args.size() != 2) : args.size() != 1) {
      return absl::InvalidArgumentError(
          history ? "xdsd history takes no revision (a list) or two (a diff): xdsd history A B"
                  : "xdsd rollback takes one revision: xdsd rollback N (see xdsd history)");
    }
    command.admin.args = std::move(args);
  }
  if (command.kind == Command::Kind::kRollout) {
    std::vector<std::string>& args = arguments->positional;
    if (args.size() > 1 || (args.size() == 1 && args[0] != "promote" && args[0] != "abort")) {
      return absl::InvalidArgumentError(
          "xdsd rollout takes nothing (show the rollout), promote or abort");
    }
    command.admin.args = std::move(args);
  }
  return command;
}

namespace {

// A command as the usage lines of --help show it.
struct CommandUsage {
  Command::Kind kind;
  absl::string_view name;       // as written in the synopsis: "[serve]" when it may be left out
  absl::string_view arguments;  // the positional arguments: "PATH"
  absl::string_view summary;
};

constexpr CommandUsage kUsages[] = {
    {Command::Kind::kServe, "[serve]", "[PATH]",
     "serve a configuration (PATH, the same as --config PATH) over xDS, with an admin HTTP "
     "server"},
    {Command::Kind::kValidate, "validate", "PATH",
     "check a configuration (a file or a directory, as --config) and print its errors, without "
     "serving it"},
    {Command::Kind::kBootstrap, "bootstrap", "",
     "print a bootstrap that points an Envoy or a gRPC client at xdsd"},
    {Command::Kind::kStatus, "status", "",
     "ask a running xdsd which connected nodes run what it serves: a table of node, type, "
     "versions sent and ACKed, state, NACK error"},
    {Command::Kind::kReload, "reload", "",
     "make a running xdsd load its configuration now (POST /v1/config/reload) and print the "
     "version it serves, or why it refused the configuration"},
    {Command::Kind::kApply, "apply", "PATH",
     "check a configuration as validate does, then write it to etcd in one transaction, "
     "refused if the config there changed meanwhile; every replica serves it"},
    {Command::Kind::kDiff, "diff", "PATH", "print what xdsd apply would change in etcd"},
    {Command::Kind::kRegister, "register", "",
     "hold an etcd lease that keeps HOST:PORT in a cluster's endpoints on every replica while "
     "it runs"},
    {Command::Kind::kHistory, "history", "[A B]",
     "list the revisions of the config a running xdsd served, and which one it serves; with "
     "two revisions, what changed from A to B, resource by resource and field by field"},
    {Command::Kind::kRollback, "rollback", "N",
     "serve revision N again, as a new revision, until the config source changes"},
    {Command::Kind::kRollout, "rollout", "[promote|abort]",
     "show the progressive rollout under way (wave, nodes per revision, a halt and its NACK); "
     "promote: start the next wave now; abort: every node back to the previous revision"},
    {Command::Kind::kHelp, "help", "", "print this help (also -h, --help)"},
    {Command::Kind::kVersion, "version", "",
     "print xdsd's version and the gRPC and protobuf versions it was built with (also "
     "--version)"},
};

// Where the summaries of the usage lines start.
constexpr absl::string_view kSummaryIndent = "                           ";

// `xdsd COMMAND ARGUMENTS` with the command's flags: the required ones, then the others each in
// brackets, or "[flags]" when there are more than fit on a line.
std::string Synopsis(const CommandUsage& usage) {
  std::string text = absl::StrCat("xdsd ", usage.name);
  if (!usage.arguments.empty()) absl::StrAppend(&text, " ", usage.arguments);
  std::vector<std::string> optional;
  for (const FlagInfo& info : FlagInfos(usage.kind)) {
    if (info.required) {
      absl::StrAppend(&text, " ", FlagSynopsis(info));
    } else {
      optional.push_back(absl::StrCat("[", FlagSynopsis(info), "]"));
    }
  }
  constexpr size_t kMostListed = 4;
  if (optional.size() > kMostListed) {
    absl::StrAppend(&text, " [flags]");
  } else {
    for (const std::string& flag : optional) absl::StrAppend(&text, " ", flag);
  }
  return text;
}

std::string UsageHelp() {
  std::string text;
  for (const CommandUsage& usage : kUsages) {
    std::string synopsis = absl::StrCat("  ", Synopsis(usage));
    if (synopsis.size() < kSummaryIndent.size()) {
      synopsis.resize(kSummaryIndent.size(), ' ');
    } else {
      absl::StrAppend(&synopsis, "\n", kSummaryIndent);
    }
    text.append(Wrap(usage.summary, synopsis, kSummaryIndent, 90));
  }
  return text;
}

// The help of every flag of `kind`.
std::string FlagsHelp(Command::Kind kind) {
  std::string text;
  for (const FlagInfo& info : FlagInfos(kind)) text.append(FlagHelp(info));
  return text;
}

}  // namespace

std::string VersionText() {
  return absl::StrCat("xdsd ", XDSD_VERSION, "\ngRPC ", grpc::Version(), "\nprotobuf ",
                      google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION), "\n");
}

std::string HelpText() {
  std::string text = absl::StrCat(
      "xdsd: an xDS control plane for Envoy and gRPC proxyless clients.\n"
      "\n"
      "Usage:\n",
      UsageHelp(),
      "\n"
      "With no arguments xdsd serves the built-in demo configuration on the default ports.\n"
      "Flags are written --name=value or --name value; each belongs to one command.\n");
  for (const CommandUsage& usage : kUsages) {
    const std::string flags = FlagsHelp(usage.kind);
    if (!flags.empty())
      absl::StrAppend(&text, "\nFlags of ", CommandName(usage.kind), ":\n", flags);
  }
  absl::StrAppend(
      &text,
      "\n"
      "  -h, --help\n      Print this help and exit.\n"
      "\n"
      "Stop xdsd with SIGINT (Ctrl-C) or SIGTERM: it closes the xDS streams and exits.\n"
      "Exit status: 0 after a clean stop (serve), a valid configuration (validate) or a printed\n"
      "bootstrap; 1 on a configuration or start-up error (validate prints every error on\n"
      "stderr, one a line: FILE:LINE: path: message); 2 on a command-line error.\n"
      "xdsd status exits 0 when every connected node (matching --node) ACKed the version it was\n"
      "last sent of every type it asked for (none connected counts as in sync), 1 when some node\n"
      "is PENDING, NACKED or NOT_SENT on a type, 3 when xdsd cannot be reached or does not\n"
      "answer as xdsd, 2 on a command-line error. With --version V it also exits 1 at once when\n"
      "xdsd refused the configuration or serves another version (it says which).\n"
      "xdsd reload exits 0 when xdsd serves the configuration it read, 1 when it refused it (the\n"
      "errors on stderr), 3 when xdsd cannot be reached.\n"
      "xdsd apply exits 0 once written (or nothing to change), 1 on an invalid configuration\n"
      "(nothing written), 3 when etcd cannot be reached, 4 when the config in etcd changed since\n"
      "it was read (nothing written: run it again).\n"
      "\n"
      "Examples:\n"
      "  xdsd                                   serve the demo on ports 18000 (xDS), 19001 (HTTP)\n"
      "  xdsd serve my.yaml                     serve my.yaml; reload it whenever it is saved\n"
      "  xdsd serve --config=xdsd.yaml --log-level=debug\n"
      "  xdsd serve --config=conf.d/ --xds-port=18001 --http-port=0\n"
      "  xdsd validate conf.d/                  check it; print the version it will be served as\n"
      "  xdsd validate my.yaml --against=http://127.0.0.1:19001\n"
      "                                         ... and whether that xdsd would take it\n"
      "  xdsd reload --admin-token-file=token   load the configuration now\n"
      "  xdsd status --wait=60s --version=V     wait until every node ACKed version V\n"
      "  xdsd apply conf.d/ --to=etcd://10.0.0.1:2379,10.0.0.2:2379/xdsd\n"
      "  xdsd register --to=etcd://10.0.0.1:2379/xdsd --cluster=backend --address=10.0.1.7:8080\n"
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

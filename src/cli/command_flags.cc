#include "cli/command_flags.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/bootstrap.h"

namespace xdsd::cli {
namespace {

// Every route that AdminServer::AddRoutes registers, the dashboard, the REST gateway
// (rest_gateway.h) and the fleet API (fleet_api.h) included. The test of the command line checks
// this list against admin_server.cc both ways.
constexpr AdminEndpoint kAdminEndpoints[] = {
    {"GET", "/", "the dashboard: every node's sync state, NACKs, reload errors"},
    {"GET", "/healthz", "200 \"ok\" while serving"},
    {"GET", "/readyz",
     "200 once the config is loaded and gRPC serves; 503 saying what is missing before"},
    {"GET", "/metrics",
     "Prometheus metrics: streams, pushes, bytes sent, NACKs, push-to-ACK latency, reloads, "
     "resources and versions served"},
    {"GET", "/v1/nodes",
     "every node seen, as JSON: identity, open streams and, per resource type, the version "
     "sent, ACKed and NACKed (with the client's error); ?connected=true for connected nodes"},
    {"GET", "/v1/nodes/{id}", "one node, 404 when never seen"},
    {"GET", "/v1/config",
     "the configuration served: source, version, load time, the error of the last reload when "
     "it failed"},
    {"GET", "/v1/config_dump?node={id}", "the resources that node is served, as Envoy JSON"},
    {"POST", "/v3/discovery:{type}",
     "the xDS REST gateway: a JSON DiscoveryRequest in, the DiscoveryResponse out ({type}: "
     "clusters, endpoints, listeners, routes, scoped-routes, secrets, runtime, "
     "extension_configs)"},
    {"GET", "/v1/fleet/{type}", "the names and versions of the resources served fleet-wide"},
    {"PUT", "/v1/fleet/{type}/{name}",
     "adds or replaces one resource served to every node (body: Envoy JSON); it replaces that "
     "type of the config file"},
    {"DELETE", "/v1/fleet/{type}/{name}", "removes one resource served fleet-wide"},
    {"POST", "/v1/fleet/{type}",
     "one change of several resources: {\"set\": [resources...], \"remove\": [names...]}"},
};

// The endpoints, as --help lists them under --http-port.
std::string AdminEndpointsHelp() {
  constexpr absl::string_view kIndent = "      ";
  constexpr size_t kColumn = 32;  // where the descriptions start, after kIndent
  const std::string description_indent = absl::StrCat(kIndent, std::string(kColumn, ' '));
  std::string text;
  for (const AdminEndpoint& endpoint : kAdminEndpoints) {
    std::string route = absl::StrCat(kIndent, endpoint.method, " ", endpoint.path);
    route.resize(std::max(route.size() + 1, description_indent.size()), ' ');
    absl::StrAppend(&text, Wrap(endpoint.description, route, description_indent, 92));
  }
  return text;
}

constexpr Flag<ServeOptions> kServeFlags[] = {
    {{.name = "config",
      .value_name = "PATH",
      .help = "Configuration to serve: a YAML or JSON file, or a directory of them. Resources "
              "are written as Envoy v3 YAML/JSON. Empty serves the built-in demo (a listener on "
              "port 10000 routing to an upstream TLS cluster).",
      .default_value = ""},
     ParseInto<&ServeOptions::config_path, ParseString>},
    {{.name = "xds-port",
      .value_name = "PORT",
      .help = "Port of the gRPC xDS services (ADS and per-type, on 0.0.0.0). 0 picks a free "
              "port.",
      .default_value = "18000"},
     ParseInto<&ServeOptions::xds_port, ParsePort>},
    {{.name = "http-port",
      .value_name = "PORT",
      .help = "Port of the admin HTTP server (on 0.0.0.0), which serves the endpoints below. 0 "
              "picks a free port.",
      .default_value = "19001",
      .details = AdminEndpointsHelp},
     ParseInto<&ServeOptions::http_port, ParsePort>},
    {{.name = "log-level",
      .value_name = "LEVEL",
      .help = "Lowest level logged to stderr: trace, debug, info, warn or error.",
      .default_value = "info"},
     ParseInto<&ServeOptions::log_level, ParseLogLevel>},
    {{.name = "push-quiet",
      .value_name = "DURATION",
      .help = "Changes (config reloads and the rest) are pushed to the proxies together once "
              "none came for this long, so a burst of changes makes one push. 0 pushes every "
              "change at once.",
      .default_value = "100ms"},
     ParseInto<&ServeOptions::push_quiet, ParseDuration>},
    {{.name = "push-max-delay",
      .value_name = "DURATION",
      .help = "The longest a change waits for the quiet period: under continuous changes, a "
              "push goes out at least this often.",
      .default_value = "1s"},
     ParseInto<&ServeOptions::push_max_delay, ParseDuration>},
    {{.name = "first-request-timeout",
      .value_name = "DURATION",
      .help = "An xDS stream that sends no request within this is closed (DEADLINE_EXCEEDED) "
              "and counted in xdsd_refused_total{reason=\"first_request_timeout\"}.",
      .default_value = "30s"},
     ParseInto<&ServeOptions::first_request_timeout, ParseDuration>},
    {{.name = "send-timeout",
      .value_name = "DURATION",
      .help = "An xDS stream whose response makes no progress for this long (the client stopped "
              "reading) is closed; the node's status says why, and it is counted in "
              "xdsd_refused_total{reason=\"send_timeout\"}.",
      .default_value = "60s"},
     ParseInto<&ServeOptions::send_timeout, ParseDuration>},
    {{.name = "max-streams-per-connection",
      .value_name = "N",
      .help = "At most this many concurrent gRPC streams on one client connection (HTTP/2 "
              "SETTINGS_MAX_CONCURRENT_STREAMS: more wait). 0: no limit.",
      .default_value = "100"},
     ParseInto<&ServeOptions::max_streams_per_connection, ParseNonNegativeInt>},
    {{.name = "drain-time",
      .value_name = "DURATION",
      .help = "On SIGTERM or SIGINT, /readyz answers 503 at once and xDS keeps serving this long "
              "(load balancers move new clients away), then the connections are closed (GOAWAY) "
              "and xdsd exits.",
      .default_value = "5s"},
     ParseInto<&ServeOptions::drain_time, ParseDuration>},
};

absl::Status ParseFormat(absl::string_view text, BootstrapOptions::Format* format) {
  if (text == "envoy") {
    *format = BootstrapOptions::Format::kEnvoy;
  } else if (text == "grpc") {
    *format = BootstrapOptions::Format::kGrpc;
  } else {
    return absl::InvalidArgumentError("must be envoy or grpc");
  }
  return absl::OkStatus();
}

constexpr Flag<BootstrapFlags> kBootstrapFlags[] = {
    {{.name = "node-id",
      .value_name = "ID",
      .help = "node.id of the client the bootstrap is for: xdsd tells nodes apart by it and "
              "matches groups on it.",
      .required = true},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseString(value, &flags->options.node_id);
     }},
    {{.name = "node-cluster",
      .value_name = "CLUSTER",
      .help = "node.cluster of the client: groups of the configuration match on it.",
      .default_value = "xdsd"},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseString(value, &flags->options.node_cluster);
     }},
    {{.name = "xds-address",
      .value_name = "HOST:PORT",
      .help = "Where the client reaches xdsd's xDS port: HOST:PORT, [IPV6]:PORT, :PORT (the "
              "default host) or HOST (port 18000). An IP address gives a STATIC xds_cluster, a "
              "host name a STRICT_DNS one.",
      .default_note = "127.0.0.1:18000; with --docker, host.docker.internal:18000"},
     ParseInto<&BootstrapFlags::xds_address, ParseString>},
    {{.name = "format",
      .value_name = "FORMAT",
      .help = "envoy: Envoy's v3 YAML bootstrap (envoy -c FILE); grpc: gRPC's xDS JSON "
              "bootstrap (GRPC_XDS_BOOTSTRAP=FILE).",
      .default_value = "envoy"},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseFormat(value, &flags->options.format);
     }},
    {{.name = "docker",
      .value_name = "",
      .help = "The client runs in a Docker container and xdsd on its host: the default host "
              "becomes host.docker.internal.",
      .default_value = "false"},
     ParseInto<&BootstrapFlags::docker, ParseBool>},
};

constexpr Flag<StatusOptions> kStatusFlags[] = {
    {{.name = "http",
      .value_name = "URL",
      .help = "The admin HTTP server of the xdsd to ask (its --http-port): http://HOST:PORT, "
              "HOST:PORT or HOST (port 19001); an IPv6 address in brackets.",
      .default_value = "http://127.0.0.1:19001"},
     ParseHttpUrl},
    {{.name = "wait",
      .value_name = "DURATION",
      .help = "Ask every 500ms until every node is in sync, for at most this long (30s, 2m, "
              "...); exit 1 with the last table when it runs out.",
      .default_value = "0",
      .default_note = "0, ask once"},
     ParseInto<&StatusOptions::wait, ParseDuration>},
    {{.name = "node",
      .value_name = "GLOB",
      .help = "Only the nodes whose node.id matches this glob (* any characters, ? one "
              "character), e.g. 'envoy-*'.",
      .default_value = "",
      .default_note = "every node"},
     ParseInto<&StatusOptions::node_glob, ParseString>},
};

template <typename Options>
std::vector<FlagInfo> InfosOf(absl::Span<const Flag<Options>> table) {
  std::vector<FlagInfo> infos;
  infos.reserve(table.size());
  for (const Flag<Options>& flag : table) infos.push_back(flag.info);
  return infos;
}

}  // namespace

absl::Span<const Flag<ServeOptions>> ServeFlagTable() { return kServeFlags; }
absl::Span<const Flag<BootstrapFlags>> BootstrapFlagTable() { return kBootstrapFlags; }
absl::Span<const Flag<StatusOptions>> StatusFlagTable() { return kStatusFlags; }
absl::Span<const AdminEndpoint> AdminEndpoints() { return kAdminEndpoints; }

std::vector<FlagInfo> FlagInfos(Command::Kind kind) {
  switch (kind) {
    case Command::Kind::kServe:
      return InfosOf(ServeFlagTable());
    case Command::Kind::kBootstrap:
      return InfosOf(BootstrapFlagTable());
    case Command::Kind::kStatus:
      return InfosOf(StatusFlagTable());
    case Command::Kind::kValidate:
    case Command::Kind::kHelp:
      break;
  }
  return {};
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

absl::Status ParseHttpUrl(absl::string_view text, StatusOptions* options) {
  auto error = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(why, " (http://HOST:PORT)"));
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
  options->http_host = address->host;
  options->http_port = address->port;
  const bool ipv6 = address->host.find(':') != std::string::npos;
  options->http_url =
      absl::StrCat("http://", ipv6 ? "[" : "", address->host, ipv6 ? "]" : "", ":", address->port);
  return absl::OkStatus();
}

}  // namespace xdsd::cli

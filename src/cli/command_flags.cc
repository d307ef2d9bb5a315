#include "cli/command_flags.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/bootstrap.h"
#include "cli/shared_flags.h"

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
    {"POST", "/v1/config/reload",
     "loads the configuration now (needs the token); answers the version served, or 422 with "
     "the errors when the configuration is refused (xdsd reload)"},
    {"GET", "/v1/config/resources",
     "the names of the configuration's resources by type (xdsd validate --against)"},
    {"GET", "/v1/config/history",
     "the revisions of the config served (--history-size): number, version, time, source, who, "
     "the names each added, removed and changed"},
    {"GET", "/v1/config/diff?from={A}&to={B}",
     "the resources that differ from revision A to B, field by field (secrets redacted)"},
    {"POST", "/v1/config/rollback",
     "body {\"revision\": N}: serves revision N again, as a new revision, until the source "
     "changes (needs the token)"},
    {"GET", "/v1/rollout",
     "each group's progressive rollout (the config's rollout:): revision and previous one, wave, "
     "state (rolling, baking, halted, aborted, done), nodes per revision, the halt's node and "
     "NACK"},
    {"POST", "/v1/rollout/promote", "starts the next wave now (needs the token)"},
    {"POST", "/v1/rollout/abort",
     "sends every node of the rollout back to the previous revision (needs the token)"},
    {"GET", "/v1/config_dump?node={id}", "the resources that node is served, as Envoy JSON"},
    {"POST", "/v3/discovery:{type}",
     "the xDS REST gateway: a JSON DiscoveryRequest in, the DiscoveryResponse out ({type}: "
     "clusters, endpoints, listeners, routes, scoped-routes, secrets, runtime, "
     "extension_configs: Envoy's REST paths)"},
    {"GET", "/v1/fleet/{type}", "the names and versions of the resources served fleet-wide"},
    {"PUT", "/v1/fleet/{type}/{name}",
     "adds or replaces one resource of the fleet overlay, served to every node over the "
     "config's resource of that name (body: Envoy JSON; needs the token)"},
    {"DELETE", "/v1/fleet/{type}/{name}",
     "removes one resource of the overlay (the config's own of that name is served again)"},
    {"POST", "/v1/fleet/{type}",
     "one change of several resources: {\"set\": [resources...], \"remove\": [names...]}"},
};

}  // namespace

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

namespace {

constexpr Flag<ValidateOptions> kValidateFlags[] = {
    {kMaxConfigBytes, ParseInto<&ValidateOptions::max_config_bytes, ParseByteSize>},
    {{.name = "against",
      .value_name = "URL",
      .help = "Also check the configuration as a reload of what the xdsd at this admin URL "
              "(http://HOST:PORT) serves now: the mass-removal guard of --max-removal.",
      .default_value = "",
      .default_note = "no running xdsd is asked"},
     [](absl::string_view value, ValidateOptions* options) {
       AdminTarget target;
       if (absl::Status status = ParseHttpUrl(value, &target); !status.ok()) return status;
       options->against = std::move(target);
       return absl::OkStatus();
     }},
    {kMaxRemoval, ParseInto<&ValidateOptions::max_removal, ParseShare>},
    {{.name = "ca",
      .value_name = "FILE",
      .help = "With an https:// --against: the CA certificate (PEM) that xdsd's admin "
              "certificate must be signed by.",
      .default_value = "",
      .default_note = "the system's trusted CAs"},
     ParseInto<&ValidateOptions::against_ca_file, ParseString>},
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
              "host name a STRICT_DNS one. Several replicas: A,B,C (Envoy: one endpoint each; "
              "gRPC: IP addresses of one family, one ipv4:/ipv6: list target).",
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
    {{.name = "tls-ca",
      .value_name = "FILE",
      .help = "Connect to xdsd over TLS, trusting this PEM CA for its certificate (a path as "
              "the client reads it).",
      .default_value = "",
      .default_note = "plaintext"},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseString(value, &flags->options.tls_ca);
     }},
    {{.name = "tls-cert",
      .value_name = "FILE",
      .help = "Mutual TLS: the client's PEM certificate (needs --tls-key and --tls-ca).",
      .default_value = ""},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseString(value, &flags->options.tls_cert);
     }},
    {{.name = "tls-key",
      .value_name = "FILE",
      .help = "The PEM private key of --tls-cert.",
      .default_value = ""},
     [](absl::string_view value, BootstrapFlags* flags) {
       return ParseString(value, &flags->options.tls_key);
     }},
};

constexpr FlagInfo kHttp = {
    .name = "http",
    .value_name = "URL",
    .help =
        "The admin HTTP server of the xdsd to ask (its --http-port): http://HOST:PORT, "
        "HOST:PORT or HOST (port 19001); an IPv6 address in brackets. https://HOST:PORT "
        "when xdsd serves it over TLS (--http-tls-cert); see --ca.",
    .default_value = "http://127.0.0.1:19001"};

constexpr FlagInfo kCa = {
    .name = "ca",
    .value_name = "FILE",
    .help =
        "With an https:// --http: the CA certificate (PEM) that xdsd's admin certificate "
        "must be signed by (its name must match the host of --http).",
    .default_value = "",
    .default_note = "the system's trusted CAs"};

template <typename Options>
absl::Status ParseTarget(absl::string_view value, Options* options) {
  return ParseHttpUrl(value, options);
}

constexpr Flag<StatusOptions> kStatusFlags[] = {
    {kHttp, ParseTarget<StatusOptions>},
    {kCa, ParseInto<&StatusOptions::ca_file, ParseString>},
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
    {{.name = "version",
      .value_name = "VERSION",
      .help = "In sync means every node ACKed this config version (the one `xdsd validate` "
              "prints) of every type it asked for. Fails at once (exit 1) when xdsd refused the "
              "configuration or has loaded another version since.",
      .default_value = "",
      .default_note = "the version xdsd serves now"},
     ParseInto<&StatusOptions::config_version, ParseString>},
};

constexpr Flag<ReloadOptions> kReloadFlags[] = {
    {kHttp, ParseTarget<ReloadOptions>},
    {kCa, ParseInto<&ReloadOptions::ca_file, ParseString>},
    {{.name = "admin-token-file",
      .value_name = "FILE",
      .help = "File holding your admin token (one of the daemon's --admin-token-file: the "
              "token alone or one NAME TOKEN line), sent as \"Authorization: Bearer TOKEN\".",
      .default_value = "",
      .default_note = "no token: refused by an xdsd that has one"},
     ParseInto<&ReloadOptions::admin_token_file, ParseString>},
};

absl::Status ParseRevision(absl::string_view text, int64_t* revision) {
  if (!absl::SimpleAtoi(text, revision) || *revision < 0) {
    return absl::InvalidArgumentError("must be an etcd revision (0: the revision read)");
  }
  return absl::OkStatus();
}

constexpr FlagInfo kTo = {.name = "to",
                          .value_name = "URL",
                          .help =
                              "Where the config is kept: etcd://HOST:PORT[,HOST:PORT...]/PREFIX "
                              "(docs/high-availability.md).",
                          .required = true};

constexpr Flag<ApplyOptions> kApplyFlags[] = {
    {kTo, ParseInto<&ApplyOptions::to, ParseString>},
    {{.name = "expect-revision",
      .value_name = "N",
      .help = "Write only if nothing of the config in etcd changed after revision N (what a "
              "script read or last applied); otherwise nothing is written and apply exits 4.",
      .default_value = "0",
      .default_note = "0, the revision apply reads"},
     ParseInto<&ApplyOptions::expect_revision, ParseRevision>},
    {kEtcdCa, ParseInto<&ApplyOptions::etcd_ca, ParseString>},
    {kEtcdCert, ParseInto<&ApplyOptions::etcd_cert, ParseString>},
    {kEtcdKey, ParseInto<&ApplyOptions::etcd_key, ParseString>},
    {kEtcdTimeout, ParseInto<&ApplyOptions::etcd_timeout, ParseDuration>},
    {kMaxConfigBytes, ParseInto<&ApplyOptions::max_config_bytes, ParseByteSize>},
};

constexpr Flag<RegisterOptions> kRegisterFlags[] = {
    {kTo, ParseInto<&RegisterOptions::to, ParseString>},
    {{.name = "cluster",
      .value_name = "NAME",
      .help = "The cluster to join: one whose endpoints come from registrations (its metadata "
              "says xdsd.endpoints: registrations).",
      .required = true},
     ParseInto<&RegisterOptions::cluster, ParseString>},
    {{.name = "address",
      .value_name = "HOST:PORT",
      .help = "The endpoint's address and port, as the proxies reach it.",
      .required = true},
     ParseInto<&RegisterOptions::address, ParseString>},
    {{.name = "ttl",
      .value_name = "DURATION",
      .help = "The lease's time to live: once xdsd register stops renewing it (killed, or the "
              "machine gone), the endpoint leaves within this long. Whole seconds, at least 2s.",
      .default_value = "10s"},
     ParseInto<&RegisterOptions::ttl, ParseDuration>},
    {{.name = "locality",
      .value_name = "REGION/ZONE",
      .help = "The endpoint's locality (for zone-aware routing).",
      .default_value = ""},
     ParseInto<&RegisterOptions::locality, ParseString>},
    {kEtcdCa, ParseInto<&RegisterOptions::etcd_ca, ParseString>},
    {kEtcdCert, ParseInto<&RegisterOptions::etcd_cert, ParseString>},
    {kEtcdKey, ParseInto<&RegisterOptions::etcd_key, ParseString>},
    {kEtcdTimeout, ParseInto<&RegisterOptions::etcd_timeout, ParseDuration>},
};

constexpr Flag<AdminCallOptions> kAdminCallFlags[] = {
    {{.name = "http",
      .value_name = "URL",
      .help = "The admin HTTP server of the xdsd to ask, as for xdsd status.",
      .default_value = "http://127.0.0.1:19001"},
     [](absl::string_view value, AdminCallOptions* options) {
       return ParseHttpUrl(value, &options->server);
     }},
    {{.name = "ca",
      .value_name = "FILE",
      .help = "For an https:// --http: the CA (PEM) that signed xdsd's certificate, as for xdsd "
              "status.",
      .default_value = "",
      .default_note = "the system's CAs"},
     [](absl::string_view value, AdminCallOptions* options) {
       return ParseString(value, &options->server.ca_file);
     }},
    {{.name = "admin-token-file",
      .value_name = "FILE",
      .help = "A file holding the admin token of the server (its --admin-token-file): needed to "
              "roll back, and to diff when the server has a token.",
      .default_value = ""},
     ParseInto<&AdminCallOptions::admin_token_file, ParseString>},
};

template <typename Options>
std::vector<FlagInfo> InfosOf(absl::Span<const Flag<Options>> table) {
  std::vector<FlagInfo> infos;
  infos.reserve(table.size());
  for (const Flag<Options>& flag : table) infos.push_back(flag.info);
  return infos;
}

}  // namespace

absl::Span<const Flag<ValidateOptions>> ValidateFlagTable() { return kValidateFlags; }
absl::Span<const Flag<BootstrapFlags>> BootstrapFlagTable() { return kBootstrapFlags; }
absl::Span<const Flag<StatusOptions>> StatusFlagTable() { return kStatusFlags; }
absl::Span<const Flag<ReloadOptions>> ReloadFlagTable() { return kReloadFlags; }
absl::Span<const Flag<ApplyOptions>> ApplyFlagTable() { return kApplyFlags; }
absl::Span<const Flag<RegisterOptions>> RegisterFlagTable() { return kRegisterFlags; }
absl::Span<const Flag<AdminCallOptions>> AdminCallFlagTable() { return kAdminCallFlags; }
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
      return InfosOf(ValidateFlagTable());
    case Command::Kind::kReload:
      return InfosOf(ReloadFlagTable());
    case Command::Kind::kApply:
    case Command::Kind::kDiff:
      return InfosOf(ApplyFlagTable());
    case Command::Kind::kRegister:
      return InfosOf(RegisterFlagTable());
    case Command::Kind::kHistory:
    case Command::Kind::kRollback:
    case Command::Kind::kRollout:
      return InfosOf(AdminCallFlagTable());
    case Command::Kind::kHelp:
    case Command::Kind::kVersion:
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
    case Command::Kind::kReload:
      return "reload";
    case Command::Kind::kApply:
      return "apply";
    case Command::Kind::kDiff:
      return "diff";
    case Command::Kind::kRegister:
      return "register";
    case Command::Kind::kHistory:
      return "history";
    case Command::Kind::kRollback:
      return "rollback";
    case Command::Kind::kRollout:
      return "rollout";
    case Command::Kind::kHelp:
      return "help";
    case Command::Kind::kVersion:
      return "version";
  }
  return "?";
}

absl::Status ParseHttpUrl(absl::string_view text, AdminTarget* options) {
  auto error = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(why, " (http[s]://HOST:PORT)"));
  };
  absl::string_view rest = text;
  if (const size_t scheme = rest.find("://"); scheme != absl::string_view::npos) {
    const absl::string_view name = rest.substr(0, scheme);
    if (name != "http" && name != "https") return error("xdsd's admin server speaks http or https");
    options->https = name == "https";
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
  options->http_url = absl::StrCat(options->https ? "https://" : "http://", ipv6 ? "[" : "",
                                   address->host, ipv6 ? "]" : "", ":", address->port);
  return absl::OkStatus();
}

}  // namespace xdsd::cli

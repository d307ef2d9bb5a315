#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_flags.h"
#include "cli/shared_flags.h"

// The flags of `xdsd serve`, in the order --help lists them.

namespace xdsd::cli {
namespace {

constexpr Flag<ServeOptions> kServeFlags[] = {
    {{.name = "config",
      .value_name = "PATH",
      .help = "Configuration to serve: a YAML or JSON file, or a directory of them. Resources "
              "are written as Envoy v3 YAML/JSON. Empty serves the built-in demo (a listener on "
              "port 10000 routing to an upstream TLS cluster). etcd://HOST:PORT[,HOST:PORT...]/"
              "PREFIX follows the config kept under PREFIX in etcd, as every replica does (see "
              "docs/high-availability.md).",
      .default_value = ""},
     ParseInto<&ServeOptions::config_path, ParseString>},
    {kEtcdCa, ParseInto<&ServeOptions::etcd_ca, ParseString>},
    {kEtcdCert, ParseInto<&ServeOptions::etcd_cert, ParseString>},
    {kEtcdKey, ParseInto<&ServeOptions::etcd_key, ParseString>},
    {kEtcdTimeout, ParseInto<&ServeOptions::etcd_timeout, ParseDuration>},
    {{.name = "xds-port",
      .value_name = "PORT",
      .help = "Port of the gRPC xDS services (ADS and per-type, on --xds-address). 0 picks a "
              "free port.",
      .default_value = "18000"},
     ParseInto<&ServeOptions::xds_port, ParsePort>},
    {{.name = "xds-address",
      .value_name = "ADDRESS",
      .help = "Address the gRPC xDS services listen on: an IPv4 or IPv6 address (::1, no "
              "brackets) or a host name. The default is every IPv4 interface; :: is every "
              "interface. Two replicas on one machine can share --xds-port on two addresses "
              "(127.0.0.1 and ::1) that one DNS name resolves to.",
      .default_value = "0.0.0.0"},
     ParseInto<&ServeOptions::xds_address, ParseString>},
    {{.name = "http-port",
      .value_name = "PORT",
      .help = "Port of the admin HTTP server (on --http-address), which serves the endpoints "
              "below. 0 picks a free port.",
      .default_value = "19001",
      .details = AdminEndpointsHelp},
     ParseInto<&ServeOptions::http_port, ParsePort>},
    {{.name = "http-address",
      .value_name = "ADDRESS",
      .help = "Address the admin HTTP server listens on. The default keeps it on this machine; "
              "0.0.0.0 opens it to the network (then give --admin-token-file, and TLS).",
      .default_value = "127.0.0.1"},
     ParseInto<&ServeOptions::http_address, ParseString>},
    {{.name = "http-tls-cert",
      .value_name = "FILE",
      .help = "PEM certificate (chain) of the admin HTTP server; with --http-tls-key it serves "
              "HTTPS instead of HTTP.",
      .default_value = ""},
     ParseInto<&ServeOptions::http_tls_cert, ParseString>},
    {{.name = "http-tls-key",
      .value_name = "FILE",
      .help = "PEM private key of --http-tls-cert.",
      .default_value = ""},
     ParseInto<&ServeOptions::http_tls_key, ParseString>},
    {{.name = "admin-token-file",
      .value_name = "FILE",
      .help = "File holding the bearer token (16 characters or more) that changes over the "
              "admin HTTP API (the fleet API) and config dumps require: \"Authorization: Bearer "
              "TOKEN\"; or one \"NAME TOKEN\" per line, a token per person, whose name the log "
              "gives with each change. Without it, changes are refused (403).",
      .default_value = ""},
     ParseInto<&ServeOptions::admin_token_file, ParseString>},
    {{.name = "max-http-body-bytes",
      .value_name = "SIZE",
      .help = "Largest body of an admin HTTP request; larger ones are refused with 413.",
      .default_value = "4MiB"},
     ParseInto<&ServeOptions::max_http_body_bytes, ParseByteSize>},
    {{.name = "state-dir",
      .value_name = "DIR",
      .help = "Directory where the fleet overlay (resources set over the fleet API) and the "
              "config history (--history-size) are kept, so that a restart keeps them. Empty: "
              "they live in memory only.",
      .default_value = ""},
     ParseInto<&ServeOptions::state_dir, ParseString>},
    {{.name = "history-size",
      .value_name = "N",
      .help = "How many revisions of the config served are kept for GET /v1/config/history, "
              "diffs and rollbacks (the oldest is dropped first).",
      .default_value = "50"},
     ParseInto<&ServeOptions::history_size, ParseCount>},
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
    // Limits on what outside input may cost; docs/hardening.md lists them all.
    {kMaxConfigBytes, ParseInto<&ServeOptions::max_config_bytes, ParseByteSize>},
    {kMaxRemoval, ParseInto<&ServeOptions::max_removal, ParseShare>},
    {{.name = "max-grpc-message-bytes",
      .value_name = "SIZE",
      .help = "The largest gRPC message xdsd accepts (a larger one fails with "
              "RESOURCE_EXHAUSTED), as istiod and grpc-go default to.",
      .default_value = "4MiB"},
     ParseInto<&ServeOptions::max_grpc_message_bytes, ParseByteSize>},
    {{.name = "max-names-per-stream",
      .value_name = "N",
      .help = "The most resource names one xDS stream may subscribe to, over all types; a "
              "request past it fails the stream with RESOURCE_EXHAUSTED.",
      .default_value = "100000"},
     ParseInto<&ServeOptions::max_names_per_stream, ParseCount>},
    {{.name = "sotw-full-responses",
      .value_name = "",
      .help = "Every state-of-the-world response carries all the resources the client "
              "subscribes to. By default only listener and cluster responses do (the protocol "
              "requires it); endpoints, routes, secrets... carry only what changed, and clients "
              "keep the rest. For a client that drops what a response leaves out.",
      .default_value = "false"},
     ParseInto<&ServeOptions::sotw_full_responses, ParseBool>},
    {{.name = "xds-tls-cert",
      .value_name = "FILE",
      .help = "Serve xDS over TLS (1.2 or newer) with this PEM certificate chain; needs "
              "--xds-tls-key. The files are read again every --xds-tls-refresh: a rotated "
              "certificate serves new connections without a restart. See docs/mtls.md.",
      .default_value = "",
      .default_note = "plaintext"},
     ParseInto<&ServeOptions::xds_tls_cert, ParseString>},
    {{.name = "xds-tls-key",
      .value_name = "FILE",
      .help = "The PEM private key of --xds-tls-cert.",
      .default_value = ""},
     ParseInto<&ServeOptions::xds_tls_key, ParseString>},
    {{.name = "xds-client-ca",
      .value_name = "FILE",
      .help = "Mutual TLS: a client must present a certificate this PEM CA signed, or the "
              "handshake fails. Its URI and DNS SANs are the identities that the config's "
              "authorization: and csds_identities: match.",
      .default_value = "",
      .default_note = "clients are not asked for a certificate"},
     ParseInto<&ServeOptions::xds_client_ca, ParseString>},
    {{.name = "xds-tls-refresh",
      .value_name = "DURATION",
      .help = "How often the TLS files are read again (at least 1s).",
      .default_value = "10s"},
     ParseInto<&ServeOptions::xds_tls_refresh, ParseDuration>},
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
    {{.name = "max-connection-age",
      .value_name = "DURATION",
      .help = "A client connection older than this (with gRPC's jitter of 10%) is sent a GOAWAY "
              "and the client reconnects, to any replica: after a replica restarts, clients "
              "spread over all of them again. 0: never.",
      .default_value = "30m"},
     ParseInto<&ServeOptions::max_connection_age, ParseDuration>},
    {{.name = "max-connection-age-grace",
      .value_name = "DURATION",
      .help = "How long the xDS streams of a connection past --max-connection-age may go on "
              "before they are closed (the client opens them again on a new connection).",
      .default_value = "30s"},
     ParseInto<&ServeOptions::max_connection_age_grace, ParseDuration>},
    {{.name = "forget-nodes-after",
      .value_name = "DURATION",
      .help = "How long a node whose streams all closed stays in /v1/nodes and `xdsd status` "
              "(as disconnected) before it is forgotten.",
      .default_value = "5m"},
     ParseInto<&ServeOptions::forget_nodes_after, ParseDuration>},
    {{.name = "max-nodes",
      .value_name = "N",
      .help = "The most nodes whose status is remembered; past it, the node disconnected the "
              "longest is forgotten first (connected nodes are always kept).",
      .default_value = "100000"},
     ParseInto<&ServeOptions::max_nodes, ParseCount>},
    {{.name = "max-node-metadata-bytes",
      .value_name = "SIZE",
      .help = "The most node metadata (serialized) kept per node for /v1/nodes and CSDS; "
              "larger metadata is replaced by the field \"xdsd.truncated\" saying its size.",
      .default_value = "64KiB"},
     ParseInto<&ServeOptions::max_node_metadata_bytes, ParseByteSize>},
};

}  // namespace

absl::Span<const Flag<ServeOptions>> ServeFlagTable() { return kServeFlags; }

}  // namespace xdsd::cli

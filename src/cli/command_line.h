#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "spdlog/common.h"

namespace xdsd::cli {

// What `xdsd serve` needs to know, parsed from its flags.
struct ServeOptions {
  int xds_port = 18000;                    // gRPC xDS services; 0 picks a free port
  std::string xds_address = "0.0.0.0";     // where the gRPC xDS services listen
  int http_port = 19001;                   // admin HTTP; 0 picks a free port
  std::string http_address = "127.0.0.1";  // where the admin HTTP server listens
  std::string http_tls_cert;               // PEM files; both set serve the admin port as HTTPS
  std::string http_tls_key;
  std::string admin_token_file;  // the bearer token of changes and config dumps; empty: none
  size_t max_http_body_bytes = size_t{4} << 20;  // larger HTTP bodies are refused with 413
  std::string state_dir;     // where the fleet overlay and history are kept; empty: not kept
  size_t history_size = 50;  // revisions kept (ConfigHistory)
  spdlog::level::level_enum log_level = spdlog::level::info;
  std::string config_path;  // a file, a directory or etcd://...; empty serves the built-in demo
  // TLS to etcd, when config_path is etcd://... (all empty: plaintext).
  std::string etcd_ca;
  std::string etcd_cert;
  std::string etcd_key;
  absl::Duration etcd_timeout = absl::Seconds(5);       // the deadline of each call to etcd
  absl::Duration push_quiet = absl::Milliseconds(100);  // see PushOptions
  absl::Duration push_max_delay = absl::Seconds(1);
  // Limits on what outside input may cost (docs/hardening.md).
  size_t max_config_bytes = size_t{64} << 20;       // all files of one config load together
  size_t max_grpc_message_bytes = size_t{4} << 20;  // one received gRPC message
  size_t max_names_per_stream = 100'000;            // resource names subscribed on one stream
  bool sotw_full_responses = false;  // every SotW response whole, not only LDS and CDS ones
  // TLS on the xDS port (docs/mtls.md): all empty serves plaintext.
  std::string xds_tls_cert;   // PEM certificate chain; needs xds_tls_key
  std::string xds_tls_key;    // PEM private key
  std::string xds_client_ca;  // PEM CA of the client certificates: mutual TLS
  absl::Duration xds_tls_refresh = absl::Seconds(10);  // how often the files are read again
  // Stream limits (see xdsd::StreamLimits) and how long a stopping xdsd keeps serving xDS
  // after /readyz turned 503.
  absl::Duration first_request_timeout = absl::Seconds(30);
  absl::Duration send_timeout = absl::Seconds(60);
  int max_streams_per_connection = 100;
  absl::Duration drain_time = absl::Seconds(5);
  // A client connection older than this (gRPC adds +-10% jitter) is told to go away (GOAWAY), so
  // that clients spread over the replicas again after one came back; zero: never.
  absl::Duration max_connection_age = absl::Minutes(30);
  // How long the streams of a connection told to go away may go on before they are cut.
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  absl::Duration forget_nodes_after = absl::Minutes(5);  // a disconnected node's status is kept
  size_t max_nodes = 100'000;                            // node statuses remembered
  size_t max_node_metadata_bytes = size_t{64} << 10;     // kept per node (serialized)
  // The most of the resources served that one reload may remove (config/mass_removal.h).
  double max_removal = 0.5;

  bool operator==(const ServeOptions&) const = default;
};

// Where a running xdsd's admin HTTP server is, from --http=[http[s]://]HOST[:PORT] (the port
// defaults to 19001): what `xdsd status`, `xdsd reload` and `xdsd validate --against` ask.
struct AdminTarget {
  std::string http_host = "127.0.0.1";  // a host name or an IP address (IPv6 without brackets)
  int http_port = 19001;                // 1 to 65535
  std::string http_url = "http://127.0.0.1:19001";  // as messages show it
  bool https = false;   // an https:// URL (xdsd serves its admin port with --http-tls-cert)
  std::string ca_file;  // --ca: the CA (PEM) that signed xdsd's certificate; "": the system's

  bool operator==(const AdminTarget&) const = default;
};

// What `xdsd validate PATH` needs to know.
struct ValidateOptions {
  std::string config_path;  // a file or a directory, as for `xdsd serve --config`
  size_t max_config_bytes = size_t{64} << 20;  // as for `xdsd serve`
  // --against URL: also check the config as a reload of what that xdsd serves now (the
  // mass-removal guard, with --max-removal).
  std::optional<AdminTarget> against;
  std::string against_ca_file;  // --ca: the CA of an https --against; "": the system's
  double max_removal = 0.5;

  bool operator==(const ValidateOptions&) const = default;
};

// What `xdsd apply PATH --to etcd://...` and `xdsd diff PATH --to etcd://...` need to know.
struct ApplyOptions {
  std::string config_path;  // a file or a directory, as for `xdsd validate`
  std::string to;           // etcd://HOST:PORT[,HOST:PORT...]/PREFIX
  // Apply only if nothing under the prefix changed after this revision; 0: the revision read.
  int64_t expect_revision = 0;
  std::string etcd_ca;  // TLS to etcd, as for `xdsd serve`
  std::string etcd_cert;
  std::string etcd_key;
  absl::Duration etcd_timeout = absl::Seconds(5);
  size_t max_config_bytes = size_t{64} << 20;

  bool operator==(const ApplyOptions&) const = default;
};

// What `xdsd register` needs to know.
struct RegisterOptions {
  std::string to;                          // etcd://HOST:PORT[,HOST:PORT...]/PREFIX
  std::string cluster;                     // the cluster whose endpoints come from registrations
  std::string address;                     // HOST:PORT of the endpoint
  std::string locality;                    // REGION/ZONE, or empty
  absl::Duration ttl = absl::Seconds(10);  // the lease's: how long the endpoint outlives xdsd
  std::string etcd_ca;
  std::string etcd_cert;
  std::string etcd_key;
  absl::Duration etcd_timeout = absl::Seconds(5);

  bool operator==(const RegisterOptions&) const = default;
};

// What `xdsd bootstrap` needs to know, parsed from its flags. The address is resolved: the
// defaults (127.0.0.1:18000, or host.docker.internal:18000 with --docker) are already applied.
struct BootstrapOptions {
  enum class Format {
    kEnvoy,  // Envoy's v3 YAML bootstrap
    kGrpc,   // gRPC's xDS JSON bootstrap (GRPC_XDS_BOOTSTRAP)
  };
  std::string node_id;  // never empty after parsing
  std::string node_cluster = "xdsd";
  std::string xds_host = "127.0.0.1";  // a host name, an IPv4 or an IPv6 address (no brackets)
  int xds_port = 18000;                // 1 to 65535
  // The other replicas of `--xds-address A,B,C` (B and C; A is xds_host:xds_port), in order.
  struct Replica {
    std::string host;  // as xds_host
    int port = 0;
    bool operator==(const Replica&) const = default;
  };
  std::vector<Replica> other_replicas;
  Format format = Format::kEnvoy;
  // TLS to xdsd (all empty: plaintext). The CA that signed xdsd's certificate, and the client's
  // own certificate and key for mutual TLS; paths as the client will read them.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;

  bool operator==(const BootstrapOptions&) const = default;
};

// What `xdsd status` needs to know, parsed from its flags.
struct StatusOptions : AdminTarget {
  // How long to poll until every node is in sync; zero asks once.
  absl::Duration wait = absl::ZeroDuration();
  std::string node_glob;  // only the node ids matching it (* and ?); empty for every node
  // --version V: in sync means every node ACKed the config version V (what `xdsd validate`
  // prints); empty: whatever xdsd serves now.
  std::string config_version;

  bool operator==(const StatusOptions&) const = default;
};

// What `xdsd reload` needs to know, parsed from its flags.
struct ReloadOptions : AdminTarget {
  std::string admin_token_file;  // the token of the daemon's --admin-token-file; empty: none

  bool operator==(const ReloadOptions&) const = default;
};

// What the commands that read or roll back the revisions of a running xdsd need:
// `xdsd history`, `xdsd history A B` (a diff), `xdsd rollback N`.
struct AdminCallOptions {
  StatusOptions server;           // --http, as for `xdsd status` (only its address is used)
  std::string admin_token_file;   // the --admin-token-file of the server; empty: none
  std::vector<std::string> args;  // the positional arguments

  bool operator==(const AdminCallOptions&) const = default;
};

// A parsed command line.
struct Command {
  enum class Kind {
    kServe,      // `xdsd`, `xdsd serve [flags]`, `xdsd [flags]`
    kValidate,   // `xdsd validate PATH`
    kBootstrap,  // `xdsd bootstrap --node-id=ID [flags]`
    kStatus,     // `xdsd status [flags]`
    kReload,     // `xdsd reload [flags]`
    kApply,      // `xdsd apply PATH --to etcd://...`
    kDiff,       // `xdsd diff PATH --to etcd://...`
    kRegister,   // `xdsd register --to etcd://... --cluster NAME --address HOST:PORT`
    kHistory,    // `xdsd history [A B] [flags]`
    kRollback,   // `xdsd rollback N [flags]`
    kRollout,    // `xdsd rollout [promote|abort] [flags]`
    kHelp,       // `xdsd help`, or -h / --help anywhere
    kVersion,    // `xdsd --version`, `xdsd version`
  };
  Kind kind = Kind::kServe;
  ServeOptions serve;          // set when kind is kServe
  ValidateOptions validate;    // set when kind is kValidate
  BootstrapOptions bootstrap;  // set when kind is kBootstrap
  StatusOptions status;        // set when kind is kStatus
  ReloadOptions reload;        // set when kind is kReload
  ApplyOptions apply;          // set when kind is kApply or kDiff
  RegisterOptions register_;   // set when kind is kRegister
  AdminCallOptions admin;      // set when kind is kHistory, kRollback or kRollout
};

// Parses the --http value of `xdsd status`: [http://]HOST[:PORT][/], HOST an IPv6 address in
// brackets, PORT 19001 when left out.
absl::StatusOr<AdminTarget> ParseHttpAddress(const std::string& text);

// Parses `args` (without the program name). Flags are written `--name=value` or `--name value`
// (a boolean flag: `--name` or `--name=true|false`); a dash and an underscore are the same in a
// name (`--xds-port`, `--xds_port`). Only xdsd's own flags are accepted, and only on the command
// they belong to. Fails with InvalidArgument naming the offending argument.
//
// Pure: the result depends on `args` alone (every flag starts from its default), and parsing
// touches no global state, so it is thread-safe. The flags of each command are in
// cli/command_flags.h.
absl::StatusOr<Command> ParseCommandLine(const std::vector<std::string>& args);

// The text `xdsd --help` prints: usage, every flag of every command with its default, the
// endpoints of the admin HTTP server. Made from the tables the parser reads.
std::string HelpText();

// The text `xdsd --version` prints: xdsd's version, and the versions of gRPC and protobuf it
// runs with, one a line.
std::string VersionText();

}  // namespace xdsd::cli

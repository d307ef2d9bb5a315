#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command_line.h"

namespace xdsd::cli {

// `xdsd bootstrap`: the configuration a client needs to reach xdsd over xDS, written out so that
// it can be used as it is (`envoy -c`, GRPC_XDS_BOOTSTRAP). Pure functions of their arguments;
// thread-safe.

// Where a client finds xdsd when --xds-address does not say.
inline constexpr absl::string_view kDefaultXdsHost = "127.0.0.1";
// The Docker host as a container sees it (Docker Desktop; on Linux, with
// `--add-host=host.docker.internal:host-gateway`).
inline constexpr absl::string_view kDockerHost = "host.docker.internal";
inline constexpr int kDefaultXdsPort = 18000;

// An address of xdsd's xDS port as a client dials it.
struct XdsAddress {
  std::string host;  // a host name, or an IPv4 or IPv6 address (without brackets)
  int port = 0;
};

// Parses --xds-address: "HOST:PORT", "[IPV6]:PORT", ":PORT" (host from `defaults`), "HOST"
// (port from `defaults`), or "" (`defaults`). A host name is made of letters, digits, '.', '-'
// and '_'; a port is 1 to 65535. InvalidArgument naming the flag otherwise.
absl::StatusOr<XdsAddress> ParseXdsAddress(absl::string_view text, const XdsAddress& defaults);

// True when `host` is an IPv4 or IPv6 address (without brackets), false for a host name.
bool IsIpAddress(absl::string_view host);

// With several replicas (options.other_replicas), what a gRPC bootstrap can reach: one target
// for all of them, so IP addresses of one family (gRPC's ipv4:/ipv6: list targets). Before
// gRFC A71 a gRPC client uses only the first of several xds_servers, and with A71 the others
// only while the first is down, so a list of servers would not spread or fail over. OK for
// Envoy bootstraps; InvalidArgument saying what to give instead otherwise.
absl::Status CheckGrpcTarget(const BootstrapOptions& options);

// Envoy's v3 bootstrap, as YAML: the node; the admin interface on 0.0.0.0:19000; listeners and
// clusters (and through them routes and endpoints) over ADS from the static cluster
// "xds_cluster", which reaches xdsd over HTTP/2, one endpoint per replica (STATIC for IP
// addresses, STRICT_DNS when one is a host name). With options.tls_ca, xds_cluster speaks TLS (an
// UpstreamTlsContext trusting that CA, and presenting tls_cert/tls_key when given: mutual TLS).
std::string EnvoyBootstrapYaml(const BootstrapOptions& options);

// gRPC's xDS bootstrap, as pretty-printed JSON: one xDS server speaking xDS v3, and the node.
// With several replicas its server_uri lists them all (ipv4:A:P,B:P,...; see CheckGrpcTarget).
// Its channel_creds are insecure, or with options.tls_ca TLS (gRFC A65: "type": "tls" with
// ca_certificate_file, and certificate_file/private_key_file for mutual TLS).
std::string GrpcBootstrapJson(const BootstrapOptions& options);

// The bootstrap in options.format, ending with a newline.
std::string RenderBootstrap(const BootstrapOptions& options);

}  // namespace xdsd::cli

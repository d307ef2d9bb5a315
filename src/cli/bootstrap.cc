#include "cli/bootstrap.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/port_check.h"
#include "nlohmann/json.hpp"

namespace xdsd::cli {
namespace {

absl::Status AddressError(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid value \"", text, "\" for --xds-address: ",
                                                 why, " (HOST:PORT, [IPV6]:PORT, :PORT or HOST)"));
}

bool IsHostName(absl::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

// `text` as a YAML (and JSON) double-quoted string, so that any node id or host stays a string
// ("1", "yes", "null" included). Bytes that are not UTF-8 become U+FFFD rather than failing.
std::string Quoted(absl::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every replica the client may reach, the first one first.
std::vector<BootstrapOptions::Replica> Replicas(const BootstrapOptions& options) {
  std::vector<BootstrapOptions::Replica> replicas = {{options.xds_host, options.xds_port}};
  replicas.insert(replicas.end(), options.other_replicas.begin(), options.other_replicas.end());
  return replicas;
}

bool IsIpv6(absl::string_view host) { return host.find(':') != absl::string_view::npos; }

// HOST:PORT as gRPC dials it: an IPv6 address in brackets.
std::string HostPort(const BootstrapOptions::Replica& replica) {
  return JoinHostPort(replica.host, replica.port);
}

// The one target a gRPC client dials: HOST:PORT for one replica; for several, gRPC's ipv4: or
// ipv6: address list (CheckGrpcTarget), over which the xDS channel picks the first that answers
// and moves to another when it breaks.
std::string ServerUri(const BootstrapOptions& options) {
  if (options.other_replicas.empty()) return HostPort(Replicas(options)[0]);
  std::vector<std::string> addresses;
  for (const BootstrapOptions::Replica& replica : Replicas(options)) {
    addresses.push_back(HostPort(replica));
  }
  return absl::StrCat(IsIpv6(options.xds_host) ? "ipv6:" : "ipv4:", absl::StrJoin(addresses, ","));
}

}  // namespace

absl::Status CheckGrpcTarget(const BootstrapOptions& options) {
  if (options.format != BootstrapOptions::Format::kGrpc || options.other_replicas.empty()) {
    return absl::OkStatus();
  }
  const bool ipv6 = IsIpv6(options.xds_host);
  for (const BootstrapOptions::Replica& replica : Replicas(options)) {
    if (!IsIpAddress(replica.host) || IsIpv6(replica.host) != ipv6) {
      return absl::InvalidArgumentError(
          "--xds-address with several replicas: a gRPC client dials one target, and a list "
          "target (ipv4:A,B or ipv6:A,B) holds IP addresses of one family only. Give the IP "
          "addresses of every replica, or one DNS name that resolves to all of them "
          "(--xds-address NAME:PORT); see docs/high-availability.md");
    }
  }
  return absl::OkStatus();
}

bool IsIpAddress(absl::string_view host) {
  const std::string text(host);
  in6_addr address;  // large enough for either family
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

absl::StatusOr<XdsAddress> ParseXdsAddress(absl::string_view text, const XdsAddress& defaults) {
  XdsAddress address = defaults;
  if (text.empty()) return address;
  absl::string_view host = text;
  std::optional<absl::string_view> port;
  if (absl::ConsumePrefix(&host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) return AddressError(text, "no closing ']'");
    absl::string_view rest = host.substr(close + 1);
    host = host.substr(0, close);
    if (!IsIpAddress(host) || host.find(':') == absl::string_view::npos) {
      return AddressError(text, "not an IPv6 address in brackets");
    }
    if (!rest.empty()) {
      if (!absl::ConsumePrefix(&rest, ":")) return AddressError(text, "':' expected after ']'");
      port = rest;
    }
  } else {
    const size_t colon = host.find(':');
    if (colon != absl::string_view::npos) {
      if (host.find(':', colon + 1) != absl::string_view::npos) {
        return AddressError(text, "an IPv6 address is written in brackets");
      }
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (!host.empty() && !IsHostName(host)) {
      return AddressError(text, "a host is a name (letters, digits, '.', '-', '_') or an IP");
    }
  }
  if (!host.empty()) address.host = std::string(host);
  if (port.has_value()) {
    int number = 0;
    if (!absl::SimpleAtoi(*port, &number) || number < 1 || number > 65535) {
      return AddressError(text, "a port is between 1 and 65535");
    }
    address.port = number;
  }
  return address;
}

namespace {

// The xds_cluster's transport_socket for TLS to xdsd (an UpstreamTlsContext with file-based
// certificates: Envoy reads them again when they change), or "" for plaintext.
std::string EnvoyTransportSocket(const BootstrapOptions& options) {
  if (options.tls_ca.empty()) return "";
  std::string text = absl::StrFormat(
      R"(      # TLS to xdsd: xdsd's certificate must chain to the CA below.
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: %s
          common_tls_context:
            tls_params: { tls_minimum_protocol_version: TLSv1_2 }
            validation_context:
              trusted_ca: { filename: %s }
)",
      Quoted(options.xds_host), Quoted(options.tls_ca));
  if (!options.tls_cert.empty()) {
    absl::StrAppend(&text,
                    absl::StrFormat(
                        R"(            # Mutual TLS: the identity xdsd authorizes this node by.
            tls_certificates:
              - certificate_chain: { filename: %s }
                private_key: { filename: %s }
)",
                        Quoted(options.tls_cert), Quoted(options.tls_key)));
  }
  return text;
}

// gRPC's channel_creds: TLS with file-based certificates (gRFC A65), or insecure.
nlohmann::ordered_json GrpcChannelCreds(const BootstrapOptions& options) {
  if (options.tls_ca.empty()) {
    return nlohmann::ordered_json::array({{{"type", "insecure"}}});
  }
  nlohmann::ordered_json config = {{"ca_certificate_file", options.tls_ca}};
  if (!options.tls_cert.empty()) {
    config["certificate_file"] = options.tls_cert;
    config["private_key_file"] = options.tls_key;
  }
  return nlohmann::ordered_json::array({{{"type", "tls"}, {"config", config}}});
}

}  // namespace

std::string EnvoyBootstrapYaml(const BootstrapOptions& options) {
  bool ip = true;
  std::string endpoints;
  for (const BootstrapOptions::Replica& replica : Replicas(options)) {
    ip = ip && IsIpAddress(replica.host);
    absl::StrAppend(&endpoints, absl::StrFormat(R"(              - endpoint:
                  address:
                    socket_address: { address: %s, port_value: %d }
)",
                                                Quoted(replica.host), replica.port));
  }
  const bool several = !options.other_replicas.empty();
  const char* type = ip ? (several ? "STATIC  # IP addresses" : "STATIC  # an IP address")
                        : (several ? "STRICT_DNS  # host names, resolved by Envoy"
                                   : "STRICT_DNS  # a host name, resolved by Envoy");
  // Written by hand rather than emitted, so that it reads like the bootstraps in Envoy's
  // documentation and carries comments. Every value that comes from the command line is quoted.
  return absl::StrFormat(
      R"(# Envoy bootstrap written by `xdsd bootstrap`. Everything but the connection to xdsd comes
# from xdsd over ADS: listeners and clusters, and through them routes and endpoints.
#   envoy -c THIS_FILE
node:
  id: %s
  cluster: %s

admin:
  address:
    socket_address: { address: 0.0.0.0, port_value: 19000 }

dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services:
      - envoy_grpc:
          cluster_name: xds_cluster
    set_node_on_first_message_only: true
  cds_config:
    ads: {}
    resource_api_version: V3
  lds_config:
    ads: {}
    resource_api_version: V3

static_resources:
  clusters:
    - name: xds_cluster
      type: %s
      connect_timeout: 1s
      load_assignment:
        cluster_name: xds_cluster
        endpoints:
%s          - lb_endpoints:
%s      # xDS is gRPC, so the connection to xdsd must be HTTP/2.
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config:
            http2_protocol_options: {}
%s)",
      Quoted(options.node_id), Quoted(options.node_cluster), type,
      several ? "          # Every replica of xdsd: the ADS stream goes to one of them, "
                "and to another when it breaks.\n"
              : "",
      endpoints, EnvoyTransportSocket(options));
}

std::string GrpcBootstrapJson(const BootstrapOptions& options) {
  // ordered_json keeps the keys in the order of gRPC's documentation.
  const nlohmann::ordered_json bootstrap = {
      {"xds_servers", nlohmann::ordered_json::array({{
                          {"server_uri", ServerUri(options)},
                          {"channel_creds", GrpcChannelCreds(options)},
                          {"server_features", nlohmann::ordered_json::array({"xds_v3"})},
                      }})},
      {"node",
       {
           {"id", options.node_id},
           {"cluster", options.node_cluster},
           {"locality", nlohmann::ordered_json::object()},
       }},
  };
  return bootstrap.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string RenderBootstrap(const BootstrapOptions& options) {
  switch (options.format) {
    case BootstrapOptions::Format::kGrpc:
      return GrpcBootstrapJson(options) + "\n";
    case BootstrapOptions::Format::kEnvoy:
      break;
  }
  return EnvoyBootstrapYaml(options);
}

}  // namespace xdsd::cli

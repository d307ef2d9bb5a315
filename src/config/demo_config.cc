#include <string_view>

#include "config/config_loader.h"

namespace xdsd::config {

// Kept identical to examples/demo.yaml (a test compares them), so that the file a user copies
// is the configuration the binary serves.
std::string_view DemoConfigYaml() {
  static constexpr std::string_view kDemo =
      R"yaml(# The built-in demo of xdsd (what `xdsd` serves when started with no config file).
#
# Envoy listens on port 10000 and sends every request to https://www.bbc.com, rewriting the
# Host header to www.bbc.com and the path to /robots.txt:
#
#   curl localhost:10000        # prints the BBC's robots.txt
#
# Every resource is written exactly as in Envoy's own v3 YAML.
resources:
  listeners:
    - name: listener_0
      address:
        socket_address: { address: 0.0.0.0, port_value: 10000 }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress_http
                codec_type: AUTO
                rds:
                  route_config_name: local_route
                  config_source:
                    ads: {}
                    resource_api_version: V3
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router

  routes:
    - name: local_route
      virtual_hosts:
        - name: local_service
          domains: ["*"]
          routes:
            - match: { prefix: "/" }
              route:
                cluster: service_bbc
                host_rewrite_literal: www.bbc.com
                prefix_rewrite: /robots.txt

  clusters:
    - name: service_bbc
      type: LOGICAL_DNS
      dns_lookup_family: V4_ONLY
      connect_timeout: 5s
      load_assignment:
        cluster_name: service_bbc
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: www.bbc.com, port_value: 443 }
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: www.bbc.com
)yaml";
  return kDemo;
}

}  // namespace xdsd::config

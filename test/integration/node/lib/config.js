'use strict';
// The xdsd configuration files of the scenario, written as Envoy v3 YAML, one value per line
// so that a test can tell on which line a given value is.

const fs = require('node:fs');
const path = require('node:path');

const TARGET = 'echo.test';  // the client dials xds:///echo.test
const ROUTE_NAME = 'echo-route';

function listenerLines() {
  return [
    '  listeners:',
    `    - name: ${TARGET}`,
    '      api_listener:',
    '        api_listener:',
    '          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    '          stat_prefix: echo',
    '          rds:',
    `            route_config_name: ${ROUTE_NAME}`,
    '            config_source:',
    '              ads: {}',
    '              resource_api_version: V3',
    '          http_filters:',
    '            - name: envoy.filters.http.router',
    '              typed_config:',
    '                "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  ];
}

// `route` is {cluster: NAME} or {weighted: [[NAME, WEIGHT], ...]}.
function routeLines(route) {
  const lines = [
    '  routes:',
    `    - name: ${ROUTE_NAME}`,
    '      virtual_hosts:',
    '        - name: echo',
    '          domains: ["*"]',
    '          routes:',
    '            - match:',
    '                prefix: ""',
    '              route:',
  ];
  if (route.cluster !== undefined) {
    lines.push(`                cluster: ${route.cluster}`);
  } else {
    lines.push('                weighted_clusters:', '                  clusters:');
    for (const [name, weight] of route.weighted) {
      lines.push(`                    - name: ${name}`, `                      weight: ${weight}`);
    }
  }
  return lines;
}

// `typo`, when set, is a misspelt field name written instead of lb_policy in that cluster;
// `lbPolicies` maps cluster names to an lb_policy other than ROUND_ROBIN.
function clusterLines(names, typo, lbPolicies = {}) {
  const lines = ['  clusters:'];
  for (const name of names) {
    lines.push(
      `    - name: ${name}`,
      '      type: EDS',
      '      eds_cluster_config:',
      '        eds_config:',
      '          ads: {}',
      '          resource_api_version: V3',
      `      ${typo && typo.cluster === name ? typo.field : 'lb_policy'}: ${lbPolicies[name] ?? 'ROUND_ROBIN'}`,
    );
  }
  return lines;
}

function endpointLines(backends) {
  const lines = ['  endpoints:'];
  for (const [name, port] of backends) {
    lines.push(
      `    - cluster_name: ${name}`,
      '      endpoints:',
      '        - locality:',
      '            region: r',
      '          load_balancing_weight: 1',
      '          lb_endpoints:',
      '            - endpoint:',
      '                address:',
      '                  socket_address:',
      '                    address: 127.0.0.1',
      `                    port_value: ${port}`,
    );
  }
  return lines;
}

// A whole config file. `backends` maps cluster names to the ports of their one endpoint;
// every cluster is always defined, only the route changes (and, for the broken configs, a
// typo or a route to a cluster that does not exist). `head`: more top-level lines, before the
// resources (a rollout policy).
function renderConfig({ label, backends, route, typo, lbPolicies, head = [] }) {
  const lines = [
    `# xdsd configuration written by an integration test: ${label}`,
    ...head,
    'resources:',
    ...listenerLines(),
    ...routeLines(route),
    ...clusterLines([...backends.keys()], typo, lbPolicies),
    ...endpointLines(backends),
  ];
  return `${lines.join('\n')}\n`;
}

// The 1-based line of the first line of `text` that contains `needle`.
function lineOf(text, needle) {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}

// Saves `text` as `file` the way editors do: a new file renamed over the old one, so that
// xdsd never reads a half-written file.
function saveConfig(file, text) {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

module.exports = { TARGET, renderConfig, lineOf, saveConfig };

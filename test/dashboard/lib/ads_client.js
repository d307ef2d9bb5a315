'use strict';
// A raw ADS client (state of the world) that plays one node: it subscribes to some xDS types on
// one AggregatedDiscoveryService stream and answers each response as its policy says: ACK it,
// NACK it with an error text, or leave it unanswered.

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { pollUntil } = require('../../support/poll');

const TYPE_URLS = {
  listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  clusters: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secrets: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
};
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE_URLS).map(([name, url]) => [url, name]));

const INVALID_ARGUMENT = 3;

let adsService = null;
function loadService() {
  if (adsService === null) {
    const definition = protoLoader.loadSync(path.join(__dirname, '..', 'discovery.proto'), {
      keepCase: true, longs: String, enums: String, defaults: true,
    });
    adsService = grpc.loadPackageDefinition(definition)
        .envoy.service.discovery.v3.AggregatedDiscoveryService;
  }
  return adsService;
}

class AdsClient {
  // node: {id, cluster, user_agent_name, user_agent_version}
  // subscriptions: {typeName: [resource names], ...}; [] subscribes to every resource.
  // answer(typeName, response): 'ack', 'ignore', or {nack: 'error text'}. Default: ACK all.
  constructor({ port, node, subscriptions, answer }) {
    Object.assign(this, { port, node, subscriptions });
    this.answer = answer || (() => 'ack');
    this.acked = {};      // typeName -> the latest version this client ACKed
    this.responses = {};  // typeName -> how many responses arrived
    this.streamError = null;
    this.closed = false;
  }

  start() {
    const Service = loadService();
    this.client = new Service(`127.0.0.1:${this.port}`, grpc.credentials.createInsecure());
    this.stream = this.client.StreamAggregatedResources();
    this.stream.on('data', (response) => this.onResponse(response));
    this.stream.on('error', (error) => {
      if (!this.closed) this.streamError = error;
    });
    this.stream.on('status', () => {});
    let first = true;
    for (const [typeName, names] of Object.entries(this.subscriptions)) {
      this.send({
        version_info: '', node: first ? this.node : null, resource_names: names,
        type_url: TYPE_URLS[typeName], response_nonce: '',
      });
      first = false;
    }
    return this;
  }

  send(request) {
    if (!this.closed) this.stream.write(request);
  }

  onResponse(response) {
    const typeName = TYPE_NAMES[response.type_url] || response.type_url;
    this.responses[typeName] = (this.responses[typeName] || 0) + 1;
    const answer = this.answer(typeName, response);
    if (answer === 'ignore') return;
    const request = {
      version_info: this.acked[typeName] || '', resource_names: this.subscriptions[typeName] || [],
      type_url: response.type_url, response_nonce: response.nonce,
    };
    if (answer && typeof answer === 'object' && typeof answer.nack === 'string') {
      request.error_detail = { code: INVALID_ARGUMENT, message: answer.nack };
    } else {
      request.version_info = response.version_info;
      this.acked[typeName] = response.version_info;
    }
    this.send(request);
  }

  // Waits until each of `types` (default: every subscribed type) has had a response.
  async waitForResponses(types = Object.keys(this.subscriptions), timeoutMs = 10000) {
    await pollUntil(`node ${this.node.id} to receive ${types.join(', ')}`, timeoutMs, () => {
      if (this.streamError) {
        throw Object.assign(new Error(`stream failed: ${this.streamError.message}`), { fatal: true });
      }
      return types.every((t) => this.responses[t] > 0);
    }, { intervalMs: 100, describe: () => JSON.stringify(this.responses) });
  }

  // Closes the stream and the channel: the node shows as disconnected.
  close() {
    if (this.closed) return;
    this.closed = true;
    this.stream.cancel();
    this.client.close();
  }
}

module.exports = { AdsClient, TYPE_URLS };

'use strict';
// @grpc/grpc-js-xds, bootstrapped as `xdsd bootstrap --format grpc --xds-address A,B,C` writes
// it for three replicas that follow one config in etcd (one ipv4: list target), calls its
// backend in a loop while the replica it is connected to is killed with SIGKILL: it moves to
// another replica, which sends it nothing (the versions it ACKed are that replica's too), and
// no RPC fails meanwhile.
//
// Run: XDSD_BINARY=/path/to/xdsd node --test grpc_js_failover.test.js   (see README.md)

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');

const { TARGET, renderConfig } = require('./lib/config');
const { startBackend, newEchoClient, echoOnce, startLoad, summarize } = require('./lib/echo');
const { httpGetJson } = require('./lib/http');
const { XdsdProcess, freePorts } = require('./lib/xdsd_process');
const { startEtcd } = require('../../support/etcd');
const { pollUntil } = require('../../support/poll');

const NODE_ID = 'grpc-js-failover';
const TYPE_URLS = [
  'type.googleapis.com/envoy.config.listener.v3.Listener',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
];

// The node's types on `replica` when every one is SYNCED, else null.
async function syncedTypes(replica) {
  let nodes;
  try {
    nodes = await httpGetJson(replica.httpPort, '/v1/nodes');
  } catch {
    return null;  // a killed replica
  }
  const node = (Array.isArray(nodes) ? nodes : []).find((entry) => entry.id === NODE_ID);
  const types = {};
  for (const url of TYPE_URLS) {
    const type = (node?.types ?? []).find((entry) => entry.type_url === url);
    if (type?.state !== 'SYNCED') return null;
    types[url] = type;
  }
  return types;
}

describe('grpc-js-xds moves off a killed replica', { timeout: 120_000 }, () => {
  const binary = process.env.XDSD_BINARY;
  let tmp;
  let etcd;
  let backend;
  const replicas = [];
  let client;

  before(async () => {
    assert.ok(binary, 'XDSD_BINARY is not set: set it to the path of the xdsd binary');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdsd-grpc-js-failover-'));
    etcd = await startEtcd(tmp);
    backend = await startBackend('A');
    const url = `etcd://${etcd.endpoint}/xdsd`;
    const configPath = path.join(tmp, 'config.yaml');
    fs.writeFileSync(configPath, renderConfig({
      label: 'failover', backends: new Map([['backend-a', backend.port]]),
      route: { cluster: 'backend-a' },
    }));
    const applied = childProcess.spawnSync(binary, ['apply', configPath, '--to', url],
                                           { timeout: 30000, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    for (let i = 0; i < 3; i++) {
      const [xdsPort, httpPort] = await freePorts(2);
      const replica = new XdsdProcess({ binary, configPath: url, xdsPort, httpPort,
                                        logPath: path.join(tmp, `xdsd${i}.log`) });
      await replica.start();
      replicas.push(replica);
    }
    // grpc-js-xds reads its bootstrap once, so it is written before the package is loaded.
    const bootstrap = childProcess.spawnSync(binary, [
      'bootstrap', '--format=grpc', '--node-id', NODE_ID,
      '--xds-address', replicas.map((r) => `127.0.0.1:${r.xdsPort}`).join(','),
    ], { timeout: 30000, encoding: 'utf8' });
    assert.equal(bootstrap.status, 0, bootstrap.stderr);
    assert.match(bootstrap.stdout, /"server_uri": "ipv4:127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,/);
    const bootstrapPath = path.join(tmp, 'bootstrap.json');
    fs.writeFileSync(bootstrapPath, bootstrap.stdout);
    process.env.GRPC_XDS_BOOTSTRAP = bootstrapPath;
    require('@grpc/grpc-js-xds').register();
    client = newEchoClient(`xds:///${TARGET}`);
  });

  after(async () => {
    client?.close();
    for (const replica of replicas) await replica.kill();
    if (etcd) {
      etcd.child.kill('SIGKILL');
      await etcd.exited;
    }
    backend?.server.forceShutdown();
    if (tmp && !process.env.XDSD_TEST_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reconnects to another replica, is sent nothing, and no RPC fails', async () => {
    const first = await echoOnce(client, { deadlineMs: 20000, waitForReady: true });
    assert.ok(first.ok, first.error);
    let held = null;
    const connected = await pollUntil('the client SYNCED on one replica', 10000, async () => {
      for (const replica of replicas) {
        held = await syncedTypes(replica);
        if (held) return replica;
      }
      return null;
    }, { intervalMs: 50 });

    const load = startLoad(client);
    await connected.kill();  // SIGKILL
    const killed = Date.now();
    const others = replicas.filter((replica) => replica !== connected);
    let moved = null;
    await pollUntil('the client SYNCED on another replica', 30000, async () => {
      for (const replica of others) {
        moved = await syncedTypes(replica);
        if (moved) return true;
      }
      return false;
    }, { intervalMs: 20 });
    const movedMs = Date.now() - killed;
    for (const url of TYPE_URLS) {
      assert.equal(moved[url].version_sent, '', `${url} was sent again: ${JSON.stringify(moved[url])}`);
      assert.equal(moved[url].version_acked, held[url].version_acked, url);
    }
    const atMove = load.results.length;
    await pollUntil('100 more RPCs', 10000, () => load.results.length >= atMove + 100,
                    { intervalMs: 20 });
    const summary = summarize(await load.stop());
    assert.equal(summary.failed, 0,
      `${summary.failed} of ${summary.total} RPCs failed: ${summary.errors.join('; ')}`);
    console.log(`[failover] grpc-js-xds SYNCED on another replica ${movedMs} ms after the kill, ` +
                `sent nothing; ${summary.total} RPCs, none failed`);
  });
});

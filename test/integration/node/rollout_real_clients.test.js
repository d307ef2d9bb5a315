'use strict';
// A progressive rollout with the three real xDS clients: gRPC C++'s (test/integration/
// xds_echo_client), grpc-go's (test/integration/go/cmd/echoclient) and grpc-js-xds's
// (echo_client.js), each its own process with its own node id, all dialing xds:///echo.test.
// For each client kind in turn, that kind is the canary wave (node id canary-*) and the other
// two are the rest of the fleet:
//   1. a good change (the cluster's endpoint moves from backend A to B) reaches the canary
//      first and the rest only after the canary ACKed and the bake time passed;
//   2. a bad change, a cluster with lb_policy MAGLEV (which none of these clients supports), is
//      really NACKed by the canary, with the client's own error; the rollout halts, no other node
//      is ever sent it, and every client keeps serving RPCs;
//   3. `xdsd rollout abort` returns every node, the canary too, to the previous revision, and
//      the canary, which still runs it, is sent it once more, ACKs it and is SYNCED again
//      (docs/PROTOCOL.md rule 33) instead of staying NACKED.
//
// Needs XDSD_BINARY, XDS_ECHO_CLIENT (the gRPC C++ client) and GO (the go command); ctest sets
// them.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { pollUntil } = require('../../support/poll');
const { XdsdProcess, freePorts } = require('./lib/xdsd_process');
const { TARGET, renderConfig, saveConfig } = require('./lib/config');
const { startBackend } = require('./lib/echo');
const { httpGetJson } = require('./lib/http');

const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const BAKE_SECONDS = 2;
const ADMIN_TOKEN = 'rollout-test-token';
const KINDS = ['grpc-cpp', 'grpc-go', 'grpc-js'];

const binary = process.env.XDSD_BINARY;
const cppClient = process.env.XDS_ECHO_CLIENT;
const goCommand = process.env.GO ?? 'go';

// The policy of every config of the scenario: the canary, then everyone.
const ROLLOUT = [
  'rollout:',
  '  waves:',
  '    - nodes: ["canary-*"]',
  '    - percent: 100',
  `  bake: ${BAKE_SECONDS}s`,
  '  halt_on_nack: true',
];

// One client process: every line it prints is kept, parsed.
class Client {
  constructor(kind, nodeId, command, args, env) {
    Object.assign(this, { kind, nodeId, lines: [], stderr: '' });
    this.child = childProcess.spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text));
      } catch {
        this.stderr += `unparsed: ${text}\n`;
      }
    });
    this.child.stderr.on('data', (data) => {
      this.stderr = (this.stderr + data).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  // The time of the first call answered by `backend` at or after `since` (ms), or undefined.
  firstReached(backend, since = 0) {
    return this.lines.find((line) => line.ok && line.backend === backend && line.at >= since)?.at;
  }

  failuresSince(since) {
    return this.lines.filter((line) => !line.ok && line.at >= since);
  }

  lastLine() {
    return JSON.stringify(this.lines.at(-1) ?? null);
  }

  async stop() {
    this.child.stdin.end();  // the clients stop when their standard input closes
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

function bootstrap(file, xdsPort, nodeId) {
  fs.writeFileSync(file, JSON.stringify({
    xds_servers: [{
      server_uri: `127.0.0.1:${xdsPort}`,
      channel_creds: [{ type: 'insecure' }],
      server_features: ['xds_v3'],
    }],
    node: { id: nodeId, cluster: 'rollout-test', locality: {} },
  }, null, 2));
}

function startClient(kind, nodeId, tmp, xdsPort, goClient) {
  const bootstrapFile = path.join(tmp, `bootstrap-${nodeId}.json`);
  bootstrap(bootstrapFile, xdsPort, nodeId);
  const env = { GRPC_XDS_BOOTSTRAP: bootstrapFile };
  const args = [TARGET, '100'];
  switch (kind) {
    case 'grpc-cpp': return new Client(kind, nodeId, cppClient, args, env);
    case 'grpc-go': return new Client(kind, nodeId, goClient, args, env);
    default: return new Client(kind, nodeId, process.execPath,
                               [path.join(__dirname, 'echo_client.js'), ...args], env);
  }
}

// The Cluster type of node `nodeId` in GET /v1/nodes/ID, or undefined.
async function clusterStatus(httpPort, nodeId) {
  const node = await httpGetJson(httpPort, `/v1/nodes/${nodeId}`);
  return node.types.find((type) => type.type_url === CLUSTER_TYPE);
}

// The rollout of the default resources in GET /v1/rollout, or undefined before the first.
async function defaultRollout(httpPort) {
  const { rollouts } = await httpGetJson(httpPort, '/v1/rollout');
  return rollouts.find((rollout) => rollout.group === '');
}

function runCli(args) {
  return childProcess.spawnSync(binary, args, { encoding: 'utf8', timeout: 20_000 });
}

describe('a progressive rollout with the three real xDS clients', { timeout: 360_000 }, () => {
  let goClient;
  let tmpRoot;
  let anyFailure = false;

  before(() => {
    assert.ok(binary, 'XDSD_BINARY must name the xdsd binary');
    assert.ok(cppClient, 'XDS_ECHO_CLIENT must name the gRPC C++ client program');
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'xdsd-rollout-clients-'));
    goClient = path.join(tmpRoot, 'echoclient');
    const build = childProcess.spawnSync(goCommand, ['build', '-o', goClient, './cmd/echoclient'],
      { cwd: path.join(__dirname, '..', 'go'), encoding: 'utf8', timeout: 300_000 });
    assert.equal(build.status, 0, `go build of the grpc-go client failed:\n${build.stderr}`);
  });

  after(() => {
    if (!tmpRoot) return;
    if (anyFailure || process.env.XDSD_TEST_KEEP_TMP) console.log(`kept ${tmpRoot}`);
    else fs.rmSync(tmpRoot, { recursive: true, force: true });
  });

  for (const canaryKind of KINDS) {
    it(`${canaryKind} as the canary: a change it NACKs stops there`, { timeout: 120_000 },
      async (t) => {
        const tmp = fs.mkdtempSync(path.join(tmpRoot, `${canaryKind}-`));
        const configPath = path.join(tmp, 'xdsd.yaml');
        const tokenFile = path.join(tmp, 'token');
        fs.writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
        const [backendA, backendB] = [await startBackend('A'), await startBackend('B')];
        const config = (label, port, lbPolicies) => renderConfig({
          label, backends: new Map([['echo', port]]), route: { cluster: 'echo' }, lbPolicies,
          head: ROLLOUT,
        });
        saveConfig(configPath, config('to A', backendA.port));
        const [xdsPort, httpPort] = await freePorts(2);
        const xdsd = new XdsdProcess({
          binary, configPath, xdsPort, httpPort, logPath: path.join(tmp, 'xdsd.log'),
          extraArgs: ['--admin-token-file', tokenFile],
        });
        const clients = [];
        t.after(async () => {
          await Promise.all(clients.map((client) => client.stop()));
          await xdsd.stop().catch(() => xdsd.kill());
          backendA.server.forceShutdown();
          backendB.server.forceShutdown();
        });
        try {
          await xdsd.start();
          for (const kind of KINDS) {
            const nodeId = kind === canaryKind ? `canary-${kind}` : `fleet-${kind}`;
            clients.push(startClient(kind, nodeId, tmp, xdsPort, goClient));
          }
          const canary = clients.find((client) => client.kind === canaryKind);
          const fleet = clients.filter((client) => client !== canary);
          const describeClients = () => clients.map(
            (client) => `${client.nodeId}: ${client.lastLine()} ${client.stderr.slice(-300)}`)
            .join('; ');

          // Every client reaches A through xDS.
          await pollUntil('every client to reach backend A', 60_000,
            () => clients.every((client) => client.firstReached('A') !== undefined),
            { intervalMs: 100, describe: describeClients });

          // 1. A good change: the canary first, the rest only after its ACK and the bake.
          const changedAt = Date.now();
          saveConfig(configPath, config('to B', backendB.port));
          await pollUntil('every client to reach backend B', 30_000,
            () => clients.every((client) => client.firstReached('B', changedAt) !== undefined),
            { intervalMs: 100, describe: describeClients });
          const canaryAt = canary.firstReached('B', changedAt);
          for (const client of fleet) {
            const at = client.firstReached('B', changedAt);
            assert.ok(at - canaryAt >= (BAKE_SECONDS - 0.5) * 1000,
              `${client.nodeId} reached B ${at - canaryAt} ms after the canary; the bake is ` +
              `${BAKE_SECONDS}s`);
          }
          await pollUntil('the rollout of the good change to finish', 10_000,
            async () => (await defaultRollout(httpPort))?.state === 'done');
          const good = await clusterStatus(httpPort, canary.nodeId);
          assert.ok(good.version_acked, 'the canary ACKed the clusters of the good change');

          // 2. A bad change: a load-balancing policy no gRPC client supports.
          const badAt = Date.now();
          saveConfig(configPath, config('MAGLEV', backendB.port, { echo: 'MAGLEV' }));
          const nacked = await pollUntil(`${canary.nodeId} to NACK the MAGLEV cluster`, 30_000,
            async () => {
              const status = await clusterStatus(httpPort, canary.nodeId);
              return status?.version_nacked ? status : undefined;
            });
          assert.match(nacked.nack_error, /lb.?policy|LB policy/i,
            `${canaryKind} NACKed the cluster for another reason: ${nacked.nack_error}`);
          assert.notEqual(nacked.version_nacked, good.version_acked);
          const halted = await pollUntil('the rollout to halt', 10_000, async () => {
            const rollout = await defaultRollout(httpPort);
            return rollout?.state === 'halted' ? rollout : undefined;
          });
          assert.equal(halted.halt?.node, canary.nodeId, JSON.stringify(halted));
          assert.equal(halted.halt.type, 'clusters', JSON.stringify(halted));
          assert.equal(halted.wave, 1, JSON.stringify(halted));
          for (const client of fleet) {
            const status = await clusterStatus(httpPort, client.nodeId);
            assert.equal(status.version_sent, good.version_acked,
              `${client.nodeId} was sent clusters the canary NACKed`);
            assert.equal(status.version_acked, good.version_acked);
            assert.equal(status.version_nacked, '');
          }
          for (const client of clients) {
            assert.deepEqual(client.failuresSince(badAt), [],
              `${client.nodeId} saw RPCs fail after the bad change`);
            assert.ok(client.firstReached('B', Date.now() - 1000) !== undefined,
              `${client.nodeId} still reaches B: ${client.lastLine()}`);
          }

          // 3. Abort: every node, the canary too, is served the previous revision again (the
          // canary still runs it: it kept it when it NACKed).
          const abort = runCli(['rollout', 'abort', '--http', `http://127.0.0.1:${httpPort}`,
                                '--admin-token-file', tokenFile]);
          assert.equal(abort.status, 0, `xdsd rollout abort: ${abort.stdout}${abort.stderr}`);
          const aborted = await pollUntil('the rollout to be aborted', 10_000, async () => {
            const rollout = await defaultRollout(httpPort);
            return rollout?.state === 'aborted' ? rollout : undefined;
          });
          assert.deepEqual(aborted.nodes, { [`r${halted.previous_revision}`]: 3 },
            JSON.stringify(aborted));
          assert.equal((await clusterStatus(httpPort, canary.nodeId)).version_acked,
            good.version_acked);
          // Every client, the canary too, ACKed the clusters it is served: SYNCED.
          const statuses = () => Promise.all(
            clients.map((client) => clusterStatus(httpPort, client.nodeId)));
          await pollUntil('every client to be SYNCED on the previous revision', 30_000,
            async () => (await statuses()).every((status) => status?.state === 'SYNCED' &&
              status.version_sent === good.version_acked &&
              status.version_acked === good.version_acked),
            { intervalMs: 100,
              describe: async () => JSON.stringify(await statuses().catch((e) => e.message)) });
          const status = runCli(['status', '--http', `http://127.0.0.1:${httpPort}`]);
          assert.equal(status.status, 0, `xdsd status: ${status.stdout}${status.stderr}`);
          const canaryRow = status.stdout.split('\n')
            .find((line) => line.startsWith(`${canary.nodeId} `));
          assert.match(canaryRow ?? '', / SYNCED\s*$/, status.stdout);
          for (const client of clients) {
            assert.deepEqual(client.failuresSince(badAt), [],
              `${client.nodeId} saw RPCs fail`);
          }
        } catch (error) {
          anyFailure = true;
          error.message += `\n${xdsd.logTail(60)}\nclients: ${clients.map(
            (client) => `${client.nodeId}: ${client.stderr.slice(-500)}`).join('\n')}`;
          throw error;
        }
      });
  }
});

'use strict';
// The real xdsd daemon, driven by a real gRPC xDS client nobody here wrote: the Node package
// @grpc/grpc-js-xds, dialing xds:///echo.test. Two local echo backends, A and B, answer with
// their names, so each RPC tells which route and cluster the client was given.
//
//   1. the config routes echo.test to A: RPCs reach A;
//   2. the file is rewritten to route to B: RPCs reach B within 5 s, none fails meanwhile;
//   3. an 80/20 split between A and B is observed over 400 RPCs;
//   3b. backend-b's one endpoint moves to a third backend, C: the EDS response carries
//      backend-b only (PROTOCOL 32), the client keeps backend-a's endpoints, and the split
//      goes on between A and C with no RPC failing;
//   4. broken configs (a misspelt field; a route to a cluster that does not exist) are
//      refused: RPCs keep reaching the last good backends, GET /v1/config names file, line
//      and field;
//   5. xdsd is stopped (SIGTERM) and restarted with the last good config on the same ports:
//      RPCs never fail, and the reconnected client is sent nothing (content-hash versions
//      are the same), every type SYNCED with an empty version_sent.
//
// Run: XDSD_BINARY=/path/to/xdsd node --test   (see README.md)

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');

for (const dependency of ['@grpc/grpc-js', '@grpc/grpc-js-xds', '@grpc/proto-loader']) {
  try {
    require.resolve(dependency);
  } catch {
    throw new Error(`${dependency} is not installed: run npm ci --prefix test/integration/node`);
  }
}

const { TARGET, renderConfig, lineOf, saveConfig } = require('./lib/config');
const { startBackend, newEchoClient, echoOnce, startLoad, summarize } = require('./lib/echo');
const { httpGetJson } = require('./lib/http');
const { pollUntil } = require('../../support/poll');
const { XdsdProcess, freePorts } = require('./lib/xdsd_process');

const NODE_ID = 'grpc-js-test';
const XDS_TYPES = {
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
};
const CONFIG_FILE_NAME = 'echo-xdsd.yaml';

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function json(value) {
  return JSON.stringify(value);
}

// The share of RPCs that reached `backend`, among the successful ones.
function shareOf(summary, backend) {
  const ok = summary.total - summary.failed;
  return ok === 0 ? 0 : (summary.byBackend[backend] ?? 0) / ok;
}

describe(`xdsd serving @grpc/grpc-js-xds (xds:///${TARGET})`, { timeout: 180_000 }, () => {
  let tmp;
  let configPath;
  let xdsd;
  let backends = [];
  let client;
  let configs;
  let lastGood;  // {name, text, shares: {A: fraction, B: fraction}}: what xdsd is known to serve
  let anyFailure = false;

  // Wraps a step: on failure, the xdsd log tail is shown as a diagnostic and the temporary
  // directory (config, bootstrap, full xdsd log) is kept.
  function step(name, options, body) {
    it(name, options, async (t) => {
      try {
        await body(t);
      } catch (error) {
        anyFailure = true;
        if (xdsd) for (const line of xdsd.logTail(20).split('\n')) t.diagnostic(line);
        throw error;
      }
    });
  }

  async function nodeStatus() {
    const nodes = await httpGetJson(xdsd.httpPort, '/v1/nodes');
    assert.ok(Array.isArray(nodes), `GET /v1/nodes should be a JSON array, got ${json(nodes)}`);
    return nodes.find((node) => node.id === NODE_ID) ?? null;
  }

  // {LDS: {state, version_sent, version_acked, ...}, ...} for the types of XDS_TYPES present.
  function typesByName(node) {
    const types = {};
    for (const [name, url] of Object.entries(XDS_TYPES)) {
      const type = (node?.types ?? []).find((entry) => entry.type_url === url);
      if (type) types[name] = type;
    }
    return types;
  }

  // Asserts that the RPCs of `summary` all succeeded and were spread like `lastGood` says.
  function assertServedByLastGood(summary, what) {
    assert.equal(summary.failed, 0,
      `${what}: ${summary.failed} of ${summary.total} RPCs failed: ${summary.errors.join('; ')}`);
    for (const backend of Object.keys(summary.byBackend)) {
      assert.ok((lastGood.shares[backend] ?? 0) > 0,
        `${what}: RPCs reached ${backend}, which the last good config (${lastGood.name}) does ` +
        `not route to: ${json(summary.byBackend)}`);
    }
    const expected = lastGood.shares.A ?? 0;
    const observed = shareOf(summary, 'A');
    assert.ok(Math.abs(observed - expected) <= 0.1,
      `${what}: the share of A is ${observed.toFixed(3)}, the last good config ` +
      `(${lastGood.name}) gives ${expected} ± 0.1: ${json(summary.byBackend)}`);
  }

  before(async () => {
    const binary = process.env.XDSD_BINARY;
    if (!binary) {
      throw new Error('XDSD_BINARY is not set: set it to the path of the xdsd binary, e.g. ' +
                      'XDSD_BINARY=/work/main/build/src/cli/xdsd node --test');
    }
    try {
      fs.accessSync(binary, fs.constants.X_OK);
    } catch (error) {
      throw new Error(`XDSD_BINARY=${binary} is not an executable file: ${error.message}`);
    }

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdsd-grpc-js-xds-'));
    fs.mkdirSync(path.join(tmp, 'config'));  // xdsd watches this directory: nothing else in it
    configPath = path.join(tmp, 'config', CONFIG_FILE_NAME);

    backends = [await startBackend('A'), await startBackend('B'), await startBackend('C')];
    const endpoints = new Map([['backend-a', backends[0].port], ['backend-b', backends[1].port]]);
    const config = (label, route, typo, clusters = endpoints) =>
      renderConfig({ label, backends: clusters, route, typo });
    const split = { weighted: [['backend-a', 80], ['backend-b', 20]] };
    configs = {
      toA: { name: 'route to A', shares: { A: 1 },
             text: config('route to A', { cluster: 'backend-a' }) },
      toB: { name: 'route to B', shares: { B: 1 },
             text: config('route to B', { cluster: 'backend-b' }) },
      split: { name: '80/20 split', shares: { A: 0.8, B: 0.2 },
               text: config('80/20 split', split) },
      movedB: { name: '80/20 split, backend-b at C', shares: { A: 0.8, C: 0.2 },
                text: config('80/20 split, backend-b at C', split, undefined,
                             new Map([...endpoints, ['backend-b', backends[2].port]])) },
      // Broken: would route to B, but a field of cluster backend-b is misspelt.
      typo: config('route to B, with a misspelt field', { cluster: 'backend-b' },
                   { cluster: 'backend-b', field: 'lb_polcy' }),
      // Broken: routes to a cluster that is not defined.
      dangling: config('route to a missing cluster', { cluster: 'backend-missing' }),
    };
    saveConfig(configPath, configs.toA.text);
    lastGood = configs.toA;

    const [xdsPort, httpPort] = await freePorts(2);
    xdsd = new XdsdProcess({ binary, configPath, xdsPort, httpPort,
                             logPath: path.join(tmp, 'xdsd.log') });
    await xdsd.start();

    // grpc-js-xds reads its bootstrap once, so it is written before the package is loaded.
    const bootstrapPath = path.join(tmp, 'bootstrap.json');
    fs.writeFileSync(bootstrapPath, json({
      xds_servers: [{
        server_uri: `127.0.0.1:${xdsPort}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      }],
      node: { id: NODE_ID, cluster: 'test', locality: {} },
    }));
    process.env.GRPC_XDS_BOOTSTRAP = bootstrapPath;
    require('@grpc/grpc-js-xds').register();
    client = newEchoClient(`xds:///${TARGET}`);
  });

  after(async () => {
    client?.close();
    if (xdsd) {
      try {
        await xdsd.stop();
      } catch {
        await xdsd.kill();
      }
    }
    for (const backend of backends) backend.server.forceShutdown();
    if (!tmp) return;
    if (anyFailure || process.env.XDSD_TEST_KEEP_TMP) {
      console.log(`kept ${tmp} (config, bootstrap.json, xdsd.log) for inspection`);
    } else {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  step('1. the config routes echo.test to backend A: RPCs reach A', { timeout: 30_000 },
    async () => {
      // The first RPC waits for the client to resolve LDS, RDS, CDS and EDS.
      const first = await echoOnce(client, { deadlineMs: 20_000, waitForReady: true });
      assert.ok(first.ok, `the first RPC to xds:///${TARGET} failed (waited up to 20 s for ` +
                          `the xDS resources): ${first.error}`);
      const results = [first];
      while (results.length < 20) results.push(await echoOnce(client));
      const summary = summarize(results);
      assert.equal(summary.failed, 0,
        `${summary.failed} of 20 RPCs failed: ${summary.errors.join('; ')}`);
      assert.deepEqual(summary.byBackend, { A: 20 },
        `all 20 RPCs should reach A, got ${json(summary.byBackend)}`);
    });

  step('2. the file is rewritten to route to B: RPCs reach B within 5 s, none fails',
    { timeout: 30_000 }, async (t) => {
      const load = startLoad(client);
      let switched = null;
      const savedAt = Date.now();
      try {
        saveConfig(configPath, configs.toB.text);
        // Done once 20 RPCs in a row, all ended after the save, reached B.
        await pollUntil('20 RPCs in a row to reach B', 8000, () => {
          const last = load.results.slice(-20);
          return last.length === 20 && last[0].at >= savedAt &&
                 last.every((result) => result.ok && result.backend === 'B');
        }, { describe: () => json(summarize(load.results.filter((r) => r.at >= savedAt))) });
      } catch (error) {
        switched = error;
      } finally {
        await load.stop();
      }
      const summary = summarize(load.results);
      t.diagnostic(`RPCs during the switch: ${json(summary)}`);
      assert.equal(summary.failed, 0,
        `RPCs failed while the route changed from A to B: ${summary.failed} of ` +
        `${summary.total}: ${summary.errors.join('; ')}`);
      if (switched) {
        throw new Error(`RPCs did not move to B after the config file was saved ` +
                        `(does xdsd reload its config?): ${switched.message}`);
      }
      const firstB = load.results.findIndex((result) => result.ok && result.backend === 'B');
      const delay = load.results[firstB].at - savedAt;
      t.diagnostic(`first RPC reached B ${delay} ms after the save; RPCs to A after that: ` +
                   `${load.results.slice(firstB).filter((r) => r.backend === 'A').length}`);
      assert.ok(delay <= 5000,
        `RPCs reached B ${delay} ms after the config file was saved, later than 5000 ms`);
      lastGood = configs.toB;
    });

  // Saves `next` (an 80/20 split between `a` and `b`), waits until both answer, then checks
  // that no RPC failed meanwhile and that 400 RPCs split 80/20 (± 0.08) between them.
  async function checkSplit(t, next, a, b) {
    const load = startLoad(client);
    let applied = null;
    const savedAt = Date.now();
    try {
      saveConfig(configPath, next.text);
      // The split is in force once both backends answer RPCs that ended after the save.
      await pollUntil(`RPCs to reach both ${a} and ${b} after "${next.name}" was saved`, 5000,
        () => {
          const seen = summarize(load.results.filter((r) => r.at >= savedAt)).byBackend;
          return seen[a] > 0 && seen[b] > 0;
        }, { describe: () => json(summarize(load.results.filter((r) => r.at >= savedAt))) });
    } catch (error) {
      applied = error;
    } finally {
      await load.stop();
    }
    const during = summarize(load.results);
    assert.equal(during.failed, 0,
      `RPCs failed while "${next.name}" was applied: ${during.failed} of ${during.total}: ` +
      `${during.errors.join('; ')}`);
    if (applied) {
      throw new Error(`"${next.name}" was not applied within 5 s of saving the config ` +
                      `(does xdsd reload its config?): ${applied.message}`);
    }

    const results = [];
    while (results.length < 400) results.push(await echoOnce(client));
    const summary = summarize(results);
    t.diagnostic(`400 RPCs under "${next.name}": ${json(summary.byBackend)}`);
    assert.equal(summary.failed, 0,
      `${summary.failed} of 400 RPCs failed under "${next.name}": ${summary.errors.join('; ')}`);
    const shareA = shareOf(summary, a);
    assert.ok(Math.abs(shareA - 0.8) <= 0.08,
      `${a} answered ${shareA.toFixed(3)} of 400 RPCs, expected 0.80 ± 0.08: ` +
      `${json(summary.byBackend)}`);
    assert.deepEqual(Object.keys(summary.byBackend).sort(), [a, b].sort(),
      `only ${a} and ${b} should answer: ${json(summary.byBackend)}`);
    lastGood = next;
  }

  step('3. an 80/20 split between A and B is observed over 400 RPCs (A share 0.80 ± 0.08)',
    { timeout: 40_000 }, (t) => checkSplit(t, configs.split, 'A', 'B'));

  step('3b. only backend-b\'s endpoint changes, to C: backend-a keeps its 80% (the EDS ' +
       'response leaves it out), none fails', { timeout: 40_000 },
    (t) => checkSplit(t, configs.movedB, 'A', 'C'));

  // Saves a broken config and checks that xdsd refuses it: RPCs keep being served by the last
  // good config, versions stay, and GET /v1/config names the file, the line and the field.
  async function checkBrokenConfig(t, { text, line, mustMention }) {
    const configBefore = await httpGetJson(xdsd.httpPort, '/v1/config').catch(() => null);
    const nodeBefore = typesByName(await nodeStatus());
    const load = startLoad(client);
    const savedAt = Date.now();
    let reported = null;
    let reportError = null;
    try {
      saveConfig(configPath, text);
      try {
        reported = await pollUntil(`GET /v1/config to report an error mentioning ${mustMention[0]}`,
          5000, async () => {
            const config = await httpGetJson(xdsd.httpPort, '/v1/config');
            const message = config.last_error?.message ?? '';
            return message.includes(mustMention[0]) ? config : null;
          }, { describe: async () => json(await httpGetJson(xdsd.httpPort, '/v1/config')) });
      } catch (error) {
        reportError = error;
      }
      // RPCs go on for a while once the error is known (or the wait gave up): xdsd reloads
      // within 1 s, so 1.5 s of RPCs after the report would show a config that slipped through.
      const until = Date.now() + 1500;
      await pollUntil('1.5 s of RPCs (and at least 200) after the broken config was saved', 30_000,
        () => Date.now() >= until && load.results.filter((r) => r.at >= savedAt).length >= 200);
    } finally {
      await load.stop();
    }
    const summary = summarize(load.results.filter((r) => r.at >= savedAt));
    t.diagnostic(`RPCs after the broken config was saved: ${json(summary)}`);
    assertServedByLastGood(summary, 'after a broken config was saved');

    if (reportError) throw reportError;
    assert.ok(configBefore, 'GET /v1/config failed before the broken config was saved');
    t.diagnostic(`GET /v1/config: ${json(reported)}`);
    const { message, at } = reported.last_error;
    // One error per line; a mistake may cause more than one (a cluster that fails to parse
    // also leaves the route to it dangling): the one about the mistake is checked.
    const errorLine = message.split('\n').find((text) => text.includes(mustMention[0]));
    const where = new RegExp(`${escapeRegExp(CONFIG_FILE_NAME)}:(\\d+):`).exec(errorLine);
    assert.ok(where, `last_error.message should name the file and a line ` +
                     `("${CONFIG_FILE_NAME}:LINE:"): ${message}`);
    assert.equal(Number(where[1]), line,
      `last_error.message should name line ${line} of the file (the offending value): ${message}`);
    for (const needle of mustMention) {
      assert.ok(message.includes(needle), `last_error.message should mention "${needle}": ${message}`);
    }
    assert.ok(at, `last_error.at should say when the error happened: ${json(reported.last_error)}`);
    assert.equal(reported.version, configBefore.version,
      `the served config version should stay ${configBefore.version} after a refused config`);
    const nodeAfter = typesByName(await nodeStatus());
    for (const [name, type] of Object.entries(nodeBefore)) {
      assert.equal(nodeAfter[name]?.version_acked, type.version_acked,
        `${name}: the client should have been sent nothing new after a refused config`);
    }
  }

  step('4a. a config with a misspelt field is refused: the last good config keeps serving, ' +
       'GET /v1/config names file, line and field', { timeout: 40_000 }, async (t) => {
    await checkBrokenConfig(t, {
      text: configs.typo,
      line: lineOf(configs.typo, 'lb_polcy:'),
      mustMention: ['lb_polcy'],
    });
  });

  step('4b. a config routing to a missing cluster is refused: the last good config keeps ' +
       'serving, GET /v1/config names file, line and field', { timeout: 40_000 }, async (t) => {
    await checkBrokenConfig(t, {
      text: configs.dangling,
      line: lineOf(configs.dangling, 'cluster: backend-missing'),
      mustMention: ['backend-missing', 'route.cluster'],
    });
  });

  step('5. xdsd restarts with the last good config: RPCs never fail, the client is sent ' +
       'nothing new (every type SYNCED, version_sent empty)', { timeout: 60_000 }, async (t) => {
    const before = typesByName(await nodeStatus());
    t.diagnostic(`before the restart (${lastGood.name}): ${json(before)}`);
    const load = startLoad(client);
    let node = null;
    try {
      const exit = await xdsd.stop();
      assert.deepEqual(exit, { code: 0, signal: null },
        `xdsd should exit with status 0 after SIGTERM, got ${json(exit)}`);
      // The file may hold a refused config by now: xdsd restarts with the last good one.
      saveConfig(configPath, lastGood.text);
      // The client keeps serving from its cache while the control plane is away.
      const stoppedAt = load.results.length;
      await pollUntil('100 RPCs while xdsd is down', 20_000,
        () => load.results.length >= stoppedAt + 100);
      await xdsd.start();
      node = await pollUntil(`node ${NODE_ID} to reconnect with LDS, RDS, CDS and EDS, none PENDING`,
        30_000, async () => {
          const status = await nodeStatus();
          const types = Object.values(typesByName(status));
          return types.length === 4 && types.every((type) => type.state !== 'PENDING') ? status : null;
        }, { intervalMs: 100, describe: async () => json(await nodeStatus()) });
      // A few more RPCs on the new stream.
      const reconnectedAt = load.results.length;
      await pollUntil('50 RPCs after the client reconnected', 20_000,
        () => load.results.length >= reconnectedAt + 50);
    } finally {
      await load.stop();
    }
    const summary = summarize(load.results);
    t.diagnostic(`RPCs across the restart: ${json(summary)}`);
    assertServedByLastGood(summary, 'across the restart of xdsd');

    const after = typesByName(node);
    t.diagnostic(`after the restart: ${json(after)}`);
    for (const [name, type] of Object.entries(after)) {
      assert.equal(type.state, 'SYNCED',
        `${name}: state should be SYNCED after the reconnect, got ${json(type)}`);
      assert.equal(type.version_acked, before[name]?.version_acked,
        `${name}: the version the client reports on reconnect (version_info) should be the ` +
        `version it had before the restart, got ${json(type)}`);
      assert.equal(type.version_sent, '',
        `${name}: nothing should be sent to a client that already has the same config ` +
        `(version_sent should be empty), got ${json(type)}`);
    }
  });
});

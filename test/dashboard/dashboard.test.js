'use strict';
// The dashboard (GET / of xdsd's admin HTTP server) in headless Chromium, against the real
// daemon and raw ADS clients in mixed states: it must show the config, every node with one
// coloured cell per xDS type, the NACKs with the client's error text, a reload error within
// seconds, and the nodes' text as text, never as HTML.
//
// Needs: XDSD_BINARY (default ../../build/src/cli/xdsd), Chromium (CHROMIUM, default
// /usr/bin/chromium), `npm ci` in this folder. Screenshots go to XDSD_SCREENSHOT_DIR (default:
// the test's temporary folder, printed at the end).

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { chromium } = require('playwright-core');
const { AdsClient } = require('./lib/ads_client');
const { startEtcd } = require('../support/etcd');
const { pollUntil, withTimeout } = require('../support/poll');
const { Xdsd } = require('./lib/xdsd');

const BINARY = process.env.XDSD_BINARY ||
               path.resolve(__dirname, '..', '..', 'build', 'src', 'cli', 'xdsd');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CONFIG = fs.readFileSync(path.join(__dirname, 'config.yaml'), 'utf8');
const NACK_TEXT = 'cluster payments: invalid lb policy';
const PAGE_WAIT_MS = 10000;  // the page polls every second

// What the page shows, read from its DOM (the nodes table, the NACK list, the config cards).
function readPage() {
  const text = (root, selector) => {
    const node = root.querySelector(selector);
    return node ? node.textContent.trim() : null;
  };
  const visible = (id) => {
    const node = document.getElementById(id);
    return node !== null && !node.hidden && node.offsetParent !== null;
  };
  const headers = [...document.querySelectorAll('#nodes-head th')].map((th) => th.textContent.trim());
  const nodes = [...document.querySelectorAll('#nodes-body tr')].map((tr) => {
    const tds = [...tr.children];
    const cells = {};
    for (const td of tr.querySelectorAll('td.sync')) {
      cells[td.dataset.type] = {
        state: td.dataset.state,
        label: text(td, '.state'),
        version: text(td, '.ver'),
        title: td.title,
        background: getComputedStyle(td).backgroundColor,
      };
    }
    return {
      id: tds[0].textContent, cluster: tds[1].textContent, agent: tds[2].textContent,
      status: tds[3].textContent.trim(), streams: tds[4].textContent, cells,
    };
  });
  const nacks = [...document.querySelectorAll('#nacks-body tr')].map((tr) => {
    const tds = [...tr.children].map((td) => td.textContent);
    return {
      when: tds[0], node: tds[1], type: tds[2], version: tds[3],
      versionTitle: tr.children[3].title, error: tds[4], count: tds[5], now: tds[6],
    };
  });
  return {
    source: text(document, '#config-source'),
    version: text(document, '#config-version'),
    loadedAt: text(document, '#config-loaded-at'),
    live: text(document, '#live-text'),
    reloadError: visible('reload-error') ? {
      title: text(document, '#reload-error-title'),
      message: text(document, '#reload-error-message'),
      color: getComputedStyle(document.getElementById('reload-error')).borderLeftColor,
    } : null,
    nodesEmpty: visible('nodes-empty'),
    nacksEmpty: visible('nacks-empty'),
    headers,
    nodes,
    nacks,
    injected: document.querySelectorAll('main img, main script, #nodes-body b, #nacks-body b').length,
    xss: window.__xss === undefined ? null : window.__xss,
    rollouts: visible('rollout-panel') ? [...document.querySelectorAll('#rollout-body .rollout')].map((r) => ({
      group: r.dataset.group, state: r.dataset.state, head: text(r, '.rollout-head'),
      nodes: text(r, '.rollout-nodes'), halt: text(r, '.rollout-halt'),
    })) : null,
  };
}

describe('the dashboard', () => {
  let dir;
  let configPath;
  let xdsd;
  let context;
  let page;
  const screenshotDir = process.env.XDSD_SCREENSHOT_DIR;
  const pageErrors = [];  // uncaught exceptions and console errors of the page
  const foreignRequests = [];  // requests to anywhere but xdsd
  const clients = [];

  function startClient(options) {
    const client = new AdsClient({ port: xdsd.xdsPort, ...options }).start();
    clients.push(client);
    return client;
  }

  // Polls the page until `check(state)` passes (it asserts); fails with the last assertion.
  async function waitForPage(what, check, timeoutMs = PAGE_WAIT_MS) {
    let last;
    return pollUntil(what, timeoutMs, async () => {
      last = await page.evaluate(readPage);
      check(last);
      return last;
    }, { intervalMs: 100 });
  }

  async function screenshot(name, on = page) {
    const file = path.join(screenshotDir || dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await on.screenshot({ path: file, fullPage: true });
    console.log(`screenshot: ${file}`);
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdsd-dashboard-test-'));
    configPath = path.join(dir, 'config.yaml');
    fs.writeFileSync(configPath, CONFIG);
    // Run in `dir` with a relative path, so the page (and its screenshots) show "config.yaml".
    xdsd = new Xdsd({
      binary: BINARY, configPath: 'config.yaml', cwd: dir, logPath: path.join(dir, 'xdsd.log'),
    });
    await xdsd.start();

    assert.ok(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (scripts/setup.sh installs it)`);
    // A fresh profile each run; nothing in the browser may reach the network.
    context = await withTimeout('Chromium to start', 60000, chromium.launchPersistentContext(
      path.join(dir, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
        viewport: { width: 1400, height: 600 },  // screenshots take the whole page's height
        colorScheme: 'light',
        timeout: 60000,
      }));
    page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${xdsd.baseUrl}/`) && !url.startsWith('data:')) foreignRequests.push(url);
    });
  });

  after(async () => {
    for (const client of clients) client.close();
    // The page first, so that its polling does not log errors while xdsd stops.
    if (context) await withTimeout('Chromium to close', 30000, context.close()).catch(() => {});
    if (xdsd) await xdsd.stop();
    if (dir && !process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('serves a self-contained HTML page with a strict policy', async () => {
    const response = await fetch(`${xdsd.baseUrl}/`, { signal: AbortSignal.timeout(3000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    assert.match(response.headers.get('content-security-policy'), /default-src 'none'/);
    const html = await response.text();
    assert.match(html, /^<!doctype html>/i);
    // No external URL: no src/href other than data:, no http(s) URL in the page at all.
    assert.doesNotMatch(html, /https?:\/\//);
    assert.doesNotMatch(html, /\b(src|href)="(?!data:)/);
  });

  test('shows the config and an empty fleet without errors', async () => {
    const config = await xdsd.getJson('/v1/config');
    await page.goto(`${xdsd.baseUrl}/`, { waitUntil: 'load' });
    const state = await waitForPage('the config and the empty fleet', (s) => {
      assert.equal(s.version, config.version);
      assert.equal(s.source, config.source);
      assert.ok(s.nodesEmpty, 'the empty-fleet message is shown');
      assert.ok(s.nacksEmpty, 'the no-NACK message is shown');
      assert.match(s.live, /^live/);
    });
    assert.equal(state.reloadError, null);
    assert.deepEqual(state.nodes, []);
    assert.ok(state.loadedAt && state.loadedAt !== '—', `loaded at: ${state.loadedAt}`);
    assert.deepEqual(pageErrors, []);
    await screenshot('dashboard-empty.png');
  });

  test('shows each node per xDS type: SYNCED, NACKED with the error, PENDING, disconnected',
       async () => {
    const envoy = { user_agent_name: 'envoy', user_agent_version: '1.30.1' };
    const everything = {
      listeners: [], routes: ['shop_routes'], clusters: [], endpoints: ['payments', 'checkout'],
    };
    // ACKs everything.
    const synced = startClient({
      node: { id: 'front-envoy-1', cluster: 'front-proxy', ...envoy }, subscriptions: everything,
    });
    // Rejects the clusters, ACKs the rest.
    const nacking = startClient({
      node: { id: 'payments-envoy-7', cluster: 'payments', ...envoy }, subscriptions: everything,
      answer: (type) => (type === 'clusters' ? { nack: NACK_TEXT } : 'ack'),
    });
    // Never answers the routes; asks for a secret that does not exist.
    const pending = startClient({
      node: { id: 'edge-envoy-3', cluster: 'edge', user_agent_name: 'envoy', user_agent_version: '1.29.4' },
      subscriptions: { ...everything, secrets: ['edge-cert'] },
      answer: (type) => (type === 'routes' ? 'ignore' : 'ack'),
    });
    // A gRPC proxyless client that ACKs everything, then goes away.
    const gone = startClient({
      node: { id: 'checkout-grpc-2', cluster: 'checkout', user_agent_name: 'grpc-node-js', user_agent_version: '1.14.7' },
      subscriptions: { listeners: [], routes: ['shop_routes'], clusters: [], endpoints: ['checkout'] },
    });
    await Promise.all([synced, nacking, gone].map((c) => c.waitForResponses()));
    await pending.waitForResponses(['listeners', 'routes', 'clusters', 'endpoints']);
    gone.close();

    const config = await xdsd.getJson('/v1/config');
    const state = await waitForPage('the four nodes in their states', (s) => {
      assert.deepEqual(s.nodes.map((n) => n.id).sort(),
                       ['checkout-grpc-2', 'edge-envoy-3', 'front-envoy-1', 'payments-envoy-7']);
      const byId = Object.fromEntries(s.nodes.map((n) => [n.id, n]));
      for (const type of ['listeners', 'routes', 'clusters', 'endpoints']) {
        assert.equal(byId['front-envoy-1'].cells[type]?.state, 'SYNCED', `front-envoy-1 ${type}`);
      }
      assert.equal(byId['payments-envoy-7'].cells.clusters?.state, 'NACKED');
      for (const type of ['listeners', 'routes', 'endpoints']) {
        assert.equal(byId['payments-envoy-7'].cells[type]?.state, 'SYNCED', `payments-envoy-7 ${type}`);
      }
      assert.equal(byId['edge-envoy-3'].cells.routes?.state, 'PENDING');
      assert.equal(byId['checkout-grpc-2'].status, 'disconnected');
      assert.equal(s.nacks.length, 1, JSON.stringify(s.nacks));
    });

    // The columns: the fixed ones, then the types in use in make-before-break order.
    assert.deepEqual(state.headers.slice(0, 5), ['Node', 'Cluster', 'User agent', 'Status', 'Streams']);
    assert.deepEqual(state.headers.slice(5).map((h) => h.split(/[A-Z]/)[0]),
                     ['listeners', 'routes', 'clusters', 'endpoints', 'secrets']);

    const nodes = await xdsd.getJson('/v1/nodes');
    const status = (id, type) => nodes.find((n) => n.id === id).types.find((t) => t.type === type);
    const byId = Object.fromEntries(state.nodes.map((n) => [n.id, n]));

    const front = byId['front-envoy-1'];
    assert.equal(front.cluster, 'front-proxy');
    assert.equal(front.agent, 'envoy 1.30.1');
    assert.equal(front.status, 'connected');
    assert.equal(front.streams, '1');
    const frontClusters = status('front-envoy-1', 'clusters');
    assert.equal(front.cells.clusters.label, 'SYNCED');
    assert.equal(front.cells.clusters.version, `${frontClusters.version_acked.slice(0, 8)}…`);
    assert.match(front.cells.clusters.title, new RegExp(`ACKed: ${frontClusters.version_acked}`));
    assert.equal(front.cells.secrets.state, 'NONE', 'a type the node does not use');

    // The NACKed cell is red and carries the ACKed (still running) version; the rejected
    // version and the error are in the tooltip and in the NACK list.
    const payments = byId['payments-envoy-7'];
    const rejected = status('payments-envoy-7', 'clusters');
    assert.equal(rejected.state, 'NACKED');
    assert.equal(payments.cells.clusters.label, 'NACKED');
    assert.equal(payments.cells.clusters.version, '—', 'nothing of the clusters was ever ACKed');
    assert.match(payments.cells.clusters.title, new RegExp(`rejected: ${rejected.version_nacked}`));
    assert.ok(payments.cells.clusters.title.includes(NACK_TEXT));
    const [nack] = state.nacks;
    assert.equal(nack.node, 'payments-envoy-7');
    assert.equal(nack.type, 'clusters');
    assert.equal(nack.error, NACK_TEXT);
    assert.equal(nack.versionTitle, rejected.version_nacked);
    assert.equal(nack.version, `${rejected.version_nacked.slice(0, 8)}…`);
    assert.equal(nack.now, 'REJECTED');
    assert.match(nack.when, /^\d\d:\d\d:\d\d$/);

    // The colours: green, red, amber and grey are four different backgrounds.
    const colours = {
      SYNCED: front.cells.listeners.background,
      NACKED: payments.cells.clusters.background,
      PENDING: byId['edge-envoy-3'].cells.routes.background,
      NOT_SENT: byId['edge-envoy-3'].cells.secrets.background,
    };
    assert.equal(byId['edge-envoy-3'].cells.secrets.state, status('edge-envoy-3', 'secrets').state);
    assert.equal(new Set(Object.values(colours)).size, 4, JSON.stringify(colours));
    const [r, g] = colours.SYNCED.match(/\d+/g).map(Number);
    assert.ok(g > r, `SYNCED is green: ${colours.SYNCED}`);
    const [r2, g2] = colours.NACKED.match(/\d+/g).map(Number);
    assert.ok(r2 > g2, `NACKED is red: ${colours.NACKED}`);

    assert.equal(state.version, config.version);
    assert.equal(state.reloadError, null);
    assert.deepEqual(pageErrors, []);
    await screenshot('dashboard.png');
  });

  test('shows a reload error within seconds, and clears it once the file is fixed', async () => {
    const served = await xdsd.getJson('/v1/config');
    const broken = CONFIG.replace('lb_policy: LEAST_REQUEST', 'lb_polcy: LEAST_REQUEST');
    assert.notEqual(broken, CONFIG);
    fs.writeFileSync(configPath, broken);

    const state = await waitForPage('the reload error on the page', (s) => {
      assert.ok(s.reloadError, 'the reload error banner is shown');
      assert.match(s.reloadError.message, /lb_polcy/);
    });
    assert.match(state.reloadError.message, /^config\.yaml:\d+: clusters\[1\]\.lb_polcy: unknown field "lb_polcy"/);
    assert.ok(state.reloadError.title.includes(`still serving version ${served.version}`),
              state.reloadError.title);
    const [r, g, b] = state.reloadError.color.match(/\d+/g).map(Number);
    assert.ok(r > 150 && g < 100 && b < 100, `the banner is red: ${state.reloadError.color}`);
    assert.equal(state.version, served.version, 'the old version is still served');
    await screenshot('dashboard-reload-error.png');

    fs.writeFileSync(configPath, CONFIG);
    await waitForPage('the reload error to go away', (s) => {
      assert.equal(s.reloadError, null);
      assert.equal(s.version, served.version, 'the same content has the same version');
    });
    assert.deepEqual(pageErrors, []);
  });

  test('shows what nodes send as text, never as HTML', async () => {
    const evilId = '<img src=x onerror="window.__xss=1">evil-node';
    const evilError = '<script>window.__xss=2</script><b>bold</b> & "quotes"';
    const client = startClient({
      node: { id: evilId, cluster: '<b>cluster</b>', user_agent_name: '<img src=y onerror="window.__xss=3">' },
      subscriptions: { clusters: [] },
      answer: () => ({ nack: evilError }),
    });
    await client.waitForResponses();
    const state = await waitForPage('the untrusted node', (s) => {
      const node = s.nodes.find((n) => n.id === evilId);
      assert.ok(node, 'the node id is shown verbatim');
      assert.equal(node.cluster, '<b>cluster</b>');
      assert.equal(node.cells.clusters?.state, 'NACKED');
      assert.ok(s.nacks.some((n) => n.node === evilId && n.error === evilError), JSON.stringify(s.nacks));
    });
    assert.equal(state.injected, 0, 'no element was made from node data');
    assert.equal(state.xss, null, 'no script from node data ran');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreignRequests, [], 'the page asked for nothing but xdsd');
  });

  test('shows the etcd source: connected at a revision, and a banner while etcd is down',
       async () => {
    const etcdDir = path.join(dir, 'etcd');
    fs.mkdirSync(etcdDir);
    const etcd = await startEtcd(etcdDir);
    const url = `etcd://${etcd.endpoint}/xdsd`;
    let replica = null;
    let etcdPage = null;
    try {
      const applied = childProcess.spawnSync(BINARY, ['apply', configPath, '--to', url],
                                             { timeout: 30000, encoding: 'utf8' });
      assert.equal(applied.status, 0, applied.stderr);
      replica = new Xdsd({
        binary: BINARY, configPath: url, cwd: etcdDir, logPath: path.join(etcdDir, 'xdsd.log'),
      });
      await replica.start();
      const { etcd: source } = await replica.getJson('/v1/config');
      assert.equal(source.connected, true);
      etcdPage = await context.newPage();
      const errors = [];
      etcdPage.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
      await etcdPage.goto(`${replica.baseUrl}/`, { waitUntil: 'load' });
      const read = () => etcdPage.evaluate(() => ({
        line: document.getElementById('config-etcd').textContent.trim(),
        banner: document.getElementById('etcd-banner').hidden ? null
          : document.getElementById('etcd-title').textContent.trim(),
      }));
      let seen = null;
      await pollUntil('the etcd line', PAGE_WAIT_MS, async () => {
        seen = await read();
        return seen.line === `etcd: connected to ${etcd.endpoint} · etcd revision ${source.revision}`;
      }, { describe: () => JSON.stringify(seen) });
      assert.equal(seen.banner, null);

      etcd.child.kill('SIGKILL');
      await etcd.exited;
      await pollUntil('the etcd banner', 20000, async () => {
        seen = await read();
        return seen.banner !== null;
      }, { describe: () => JSON.stringify(seen) });
      assert.equal(seen.line, `etcd: unreachable · still serving etcd revision ${source.revision}`);
      assert.match(seen.banner, new RegExp(`still serving etcd revision ${source.revision}`));
      await screenshot('dashboard-etcd-down.png', etcdPage);
      assert.deepEqual(errors, []);
    } finally {
      if (etcdPage) await etcdPage.close();
      if (replica) await replica.kill();
      etcd.child.kill('SIGKILL');
    }
  });

  test('shows a rollout: the wave, the nodes per revision, and the halt with the NACK', async () => {
    assert.equal((await page.evaluate(readPage)).rollouts, null, 'no panel without a rollout');
    const canary = startClient({
      node: { id: 'canary-1', cluster: 'shop' },
      subscriptions: { clusters: [] },
      // ACKs what it has now, rejects the change.
      answer: (type) => (type === 'clusters' && canary.responses.clusters > 1
        ? { nack: 'cluster payments: lb policy RANDOM is not supported' } : 'ack'),
    });
    const other = startClient({ node: { id: 'web-1', cluster: 'shop' }, subscriptions: { clusters: [] } });
    await canary.waitForResponses();
    await other.waitForResponses();
    const changed = CONFIG.replace('lb_policy: ROUND_ROBIN', 'lb_policy: RANDOM') +
        'rollout: {waves: [{nodes: ["canary-*"]}, {percent: 100}], bake: 1h}\n';
    assert.ok(changed.includes('lb_policy: RANDOM'));
    fs.writeFileSync(configPath, changed);

    const state = await waitForPage('the halted rollout', (s) => {
      assert.ok(s.rollouts && s.rollouts.length === 1, JSON.stringify(s.rollouts));
      assert.equal(s.rollouts[0].state, 'halted');
    });
    const [rollout] = state.rollouts;
    assert.match(rollout.head, /^default resources: r\d+ over r\d+ · wave 1\/2 · halted$/);
    assert.match(rollout.nodes, /^connected nodes by revision: r\d+: \d+ · r\d+: \d+$/);
    assert.equal(rollout.halt,
                 'halted: canary-1 NACKed clusters: cluster payments: lb policy RANDOM is not supported');
    assert.equal(other.responses.clusters, 1, 'the other node was not sent the change');
    await screenshot('dashboard-rollout-halted.png');
    assert.deepEqual(pageErrors, []);
  });
});

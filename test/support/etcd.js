'use strict';
// A one-member etcd (Debian's etcd-server) on loopback for the Node tests (test/dashboard,
// test/integration/node). Only `node:` modules, so both npm projects can require this file by
// its relative path.

const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { pollUntil } = require('./poll');

// A port of 127.0.0.1 nothing listens on now (the kernel's pick, released).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts the member, its data and log in `dir`, and resolves once it answers:
// {endpoint: "127.0.0.1:PORT", child, exited (a promise of the exit)}. The caller kills it.
async function startEtcd(dir) {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const log = fs.openSync(path.join(dir, 'etcd.log'), 'w');
  const child = childProcess.spawn('/usr/bin/etcd', [
    '--name', 'test', '--data-dir', path.join(dir, 'etcd-data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`, '--log-level', 'error', '--logger', 'zap',
  ], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await pollUntil('etcd to answer', 20000, () => {
    const run = childProcess.spawnSync('/usr/bin/etcdctl',
      ['--endpoints', `127.0.0.1:${clientPort}`, '--command-timeout=1s', 'get', 'x'],
      { timeout: 5000 });
    return run.status === 0;
  }, { intervalMs: 100 });
  return { endpoint: `127.0.0.1:${clientPort}`, child, exited };
}

module.exports = { freePort, startEtcd };

'use strict';
// Runs the real xdsd daemon as a child process: start, wait until it answers /healthz, stop
// with SIGTERM. Its stderr and stdout go to a log file that survives restarts.

const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const { pollUntil } = require('../../../support/poll');
const { httpGet } = require('./http');

// Picks `count` distinct free TCP ports on 127.0.0.1 (all held open at once, then released).
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function tailOf(path, lines = 40) {
  try {
    return fs.readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

class XdsdProcess {
  // `extraArgs`: more flags for `xdsd serve`.
  constructor({ binary, configPath, xdsPort, httpPort, logPath, extraArgs = [] }) {
    Object.assign(this, { binary, configPath, xdsPort, httpPort, logPath, extraArgs });
    this.child = null;
    this.exit = null;  // {code, signal} once the current child has exited
    this.exited = null;  // a promise of `exit`
  }

  get running() {
    return this.child !== null && this.exit === null;
  }

  logTail(lines) {
    return `xdsd log (${this.logPath}), last lines:\n${tailOf(this.logPath, lines)}`;
  }

  // Starts xdsd and resolves once GET /healthz answers 200; throws (with the log) otherwise.
  async start(timeoutMs = 15000) {
    if (this.running) throw new Error('xdsd is already running');
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `--- test: starting xdsd at ${new Date().toISOString()}\n`);
    try {
      this.exit = null;
      this.child = childProcess.spawn(this.binary, [
        'serve',
        '--config', this.configPath,
        '--xds-port', String(this.xdsPort),
        '--http-port', String(this.httpPort),
        '--log-level', 'info',
        ...this.extraArgs,
      ], { stdio: ['ignore', log, log] });
    } finally {
      fs.closeSync(log);
    }
    const child = this.child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.once('error', (error) => {
        this.exit = { code: null, signal: null, error };
        resolve(this.exit);
      });
    });
    try {
      await pollUntil(`xdsd to answer GET /healthz on port ${this.httpPort}`, timeoutMs, async () => {
        if (this.exit !== null) {
          throw Object.assign(new Error(`xdsd exited during start-up: ${JSON.stringify(this.exit)}`),
                              { fatal: true });
        }
        try {
          return (await httpGet(this.httpPort, '/healthz', 1000)).status === 200;
        } catch {
          return false;  // not listening yet
        }
      }, { intervalMs: 50 });
    } catch (error) {
      await this.kill();
      throw new Error(`${error.message}\n${this.logTail()}`);
    }
  }

  // SIGTERM, then waits (bounded) for the exit; returns {code, signal}.
  async stop(timeoutMs = 15000) {
    if (!this.running) return this.exit;
    this.child.kill('SIGTERM');
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const exit = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (exit === null) {
      await this.kill();
      throw new Error(`xdsd did not exit within ${timeoutMs} ms of SIGTERM\n${this.logTail()}`);
    }
    return exit;
  }

  // SIGKILL, for clean-up after a failure.
  async kill() {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

module.exports = { XdsdProcess, freePorts };

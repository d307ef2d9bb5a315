'use strict';
// The real xdsd daemon as a child process, on ports it picks itself (--xds-port 0
// --http-port 0): they are read from its log line
//   serving xDS (gRPC) on 0.0.0.0:P, admin HTTP on http://0.0.0.0:Q
// (https:// when it serves the admin API over TLS, --http-tls-cert).

const childProcess = require('node:child_process');
const fs = require('node:fs');
const { pollUntil, withTimeout } = require('../../support/poll');

const SERVING = /serving xDS \(gRPC\) on [^\s,]*:(\d+), admin HTTP on (https?):\/\/[^\s]*:(\d+)/;

class Xdsd {
  // configPath may be relative to `cwd` (the daemon's working directory).
  constructor({ binary, configPath, logPath, cwd }) {
    Object.assign(this, { binary, configPath, logPath, cwd });
    this.child = null;
    this.log = '';
    this.exit = null;
    this.xdsPort = 0;
    this.httpPort = 0;
    this.httpScheme = 'http';
  }

  get baseUrl() {
    return `${this.httpScheme}://127.0.0.1:${this.httpPort}`;
  }

  logTail(lines = 30) {
    return `xdsd log (${this.logPath}), last lines:\n` +
           this.log.trimEnd().split('\n').slice(-lines).join('\n');
  }

  async start(timeoutMs = 15000) {
    if (!fs.existsSync(this.binary)) {
      throw new Error(`no xdsd binary at ${this.binary} (set XDSD_BINARY)`);
    }
    const logFile = fs.openSync(this.logPath, 'w');
    this.child = childProcess.spawn(this.binary, [
      'serve', '--config', this.configPath, '--xds-port', '0', '--http-port', '0',
      '--log-level', 'info',
    ], { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk) => {
      this.log += chunk.toString('utf8');
      fs.writeSync(logFile, chunk);
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        fs.closeSync(logFile);
        resolve(this.exit);
      });
    });
    this.child.once('error', (error) => {
      this.exit = { error: error.message };
    });
    try {
      const match = await pollUntil('xdsd to log its ports', timeoutMs, () => {
        if (this.exit !== null) {
          throw Object.assign(new Error(`xdsd exited: ${JSON.stringify(this.exit)}`), { fatal: true });
        }
        return SERVING.exec(this.log);
      }, { intervalMs: 25 });
      this.xdsPort = Number(match[1]);
      this.httpScheme = match[2];
      this.httpPort = Number(match[3]);
    } catch (error) {
      await this.kill();
      throw new Error(`${error.message}\n${this.logTail()}`);
    }
  }

  async getJson(path) {
    const response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(3000) });
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}: ${body}`);
    return JSON.parse(body);
  }

  // SIGTERM, and SIGKILL if it has not exited after `timeoutMs`.
  async stop(timeoutMs = 15000) {
    if (this.child === null || this.exit !== null) return;
    this.child.kill('SIGTERM');
    try {
      await withTimeout('xdsd to exit after SIGTERM', timeoutMs, this.exited);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  async kill() {
    if (this.child === null || this.exit !== null) return;
    this.child.kill('SIGKILL');
    await withTimeout('xdsd to exit after SIGKILL', 10000, this.exited);
  }
}

module.exports = { Xdsd };

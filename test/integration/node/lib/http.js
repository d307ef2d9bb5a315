'use strict';
// Small HTTP client for xdsd's admin server (loopback only).

async function httpGet(port, path, timeoutMs = 2000) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await response.text();
  return { status: response.status, body };
}

async function httpGetJson(port, path) {
  const { status, body } = await httpGet(port, path);
  if (status !== 200) throw new Error(`GET ${path}: HTTP ${status}: ${body.trim()}`);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new Error(`GET ${path}: not JSON (${error.message}): ${body.slice(0, 200)}`);
  }
}

module.exports = { httpGet, httpGetJson };

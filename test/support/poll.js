'use strict';
// Bounded waiting for the Node tests (test/integration/node, test/dashboard): a test never
// sleeps to wait for something, it polls it with a deadline. Only `node:` modules are used, so
// both npm projects can require this file by its relative path.

const { setTimeout: pause } = require('node:timers/promises');

// Calls `probe` until it returns a truthy value, and returns that value. After `timeoutMs`
// throws an error naming `what` and the last thing seen: the last error `probe` threw, or what
// `describe()` says. A probe that throws is retried, unless its error has `fatal` set: that one
// is thrown at once, as there is no point in waiting any longer.
async function pollUntil(what, timeoutMs, probe, { intervalMs = 50, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = null;
    } catch (error) {
      if (error.fatal) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      let seen = '';
      if (lastError) seen = `; last error: ${lastError.message}`;
      else if (describe) seen = `; last seen: ${await describe()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await pause(intervalMs);
  }
}

// Resolves with `promise`, or rejects after `timeoutMs`.
async function withTimeout(what, timeoutMs, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { pollUntil, withTimeout };

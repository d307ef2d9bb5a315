'use strict';
// Bounded waiting: every wait in these tests is a poll with a deadline.

const { setTimeout: pause } = require('node:timers/promises');

// Calls `probe` until it returns a truthy value, which is returned. Throws once `timeoutMs`
// has passed; the error names what was awaited and the last thing `describe` said about it.
// A probe that throws is retried, unless its error has `fatal` set.
async function pollUntil(what, timeoutMs, probe, { intervalMs = 50, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = null;
    } catch (error) {
      if (error.fatal) throw error;  // no point in waiting any longer
      lastError = error;
    }
    if (Date.now() >= deadline) {
      let detail = '';
      if (lastError) detail = `; last error: ${lastError.message}`;
      else if (describe) detail = `; last seen: ${await describe()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await pause(intervalMs);
  }
}

module.exports = { pollUntil };

'use strict';
// The echo service of echo.proto: backends that answer with their name, and a client call
// that never throws (it returns what happened).

const path = require('node:path');
const { setTimeout: pause } = require('node:timers/promises');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, '..', 'echo.proto'), {
  keepCase: true,
  defaults: true,
});
const { Echo } = grpc.loadPackageDefinition(definition).xdsd.test;

// A gRPC server on 127.0.0.1 (a free port) whose every answer carries `name`.
async function startBackend(name) {
  const server = new grpc.Server();
  server.addService(Echo.service, {
    Echo(call, callback) {
      callback(null, { backend: name, message: call.request.message });
    },
  });
  const port = await new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  return { name, port, server };
}

function newEchoClient(target) {
  return new Echo(target, grpc.credentials.createInsecure());
}

// One RPC. Resolves to {ok: true, backend} or {ok: false, error: "CODE: details"}.
function echoOnce(client, { deadlineMs = 3000, waitForReady = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    client.Echo({ message: 'ping' }, { deadline: Date.now() + deadlineMs, waitForReady },
      (error, reply) => {
        const at = Date.now();
        if (error) {
          resolve({ ok: false, at, ms: at - started,
                    error: `${grpc.status[error.code] ?? error.code}: ${error.details}` });
        } else {
          resolve({ ok: true, at, ms: at - started, backend: reply.backend });
        }
      });
  });
}

// Issues RPCs one after the other until stopped; `results` grows as they end. A pause of
// `pauseMs` between RPCs keeps the load continuous without taking a whole core.
function startLoad(client, { pauseMs = 1 } = {}) {
  const results = [];
  let stopping = false;
  const running = (async () => {
    while (!stopping) {
      results.push(await echoOnce(client));
      await pause(pauseMs);
    }
  })();
  return {
    results,
    async stop() {
      stopping = true;
      await running;
      return results;
    },
  };
}

// {total, failed, byBackend: {A: n, ...}, errors: [first few error texts]}.
function summarize(results) {
  const summary = { total: results.length, failed: 0, byBackend: {}, errors: [] };
  for (const result of results) {
    if (result.ok) {
      summary.byBackend[result.backend] = (summary.byBackend[result.backend] ?? 0) + 1;
    } else {
      summary.failed++;
      if (summary.errors.length < 5) summary.errors.push(result.error);
    }
  }
  return summary;
}

module.exports = { startBackend, newEchoClient, echoOnce, startLoad, summarize };

'use strict';
// grpc-js-xds's proxyless client as a program, for tests that drive several client kinds at
// once: dials xds:///TARGET (the bootstrap named by GRPC_XDS_BOOTSTRAP) and calls Echo every
// INTERVAL_MS milliseconds, printing one JSON line per call:
//   {"client":"grpc-js","at":MS,"ok":true,"backend":"A"}
//   {"client":"grpc-js","at":MS,"ok":false,"error":"UNAVAILABLE: ..."}
// It stops when its standard input closes, so that it never outlives the test that started it.
//
// Usage: node echo_client.js TARGET [INTERVAL_MS]

const { setTimeout: pause } = require('node:timers/promises');
const { newEchoClient, echoOnce } = require('./lib/echo');

async function main() {
  const [target, intervalText = '100'] = process.argv.slice(2);
  const intervalMs = Number(intervalText);
  if (!target || !Number.isInteger(intervalMs) || intervalMs < 1) {
    process.stderr.write('usage: node echo_client.js TARGET [INTERVAL_MS]\n');
    process.exit(2);
  }
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  require('@grpc/grpc-js-xds').register();
  const client = newEchoClient(`xds:///${target}`);
  for (;;) {
    const result = await echoOnce(client);
    const line = { client: 'grpc-js', at: result.at, ok: result.ok };
    if (result.ok) line.backend = result.backend;
    else line.error = result.error;
    process.stdout.write(`${JSON.stringify(line)}\n`);
    await pause(intervalMs);
  }
}

main();

// Starts an S3-compatible server (@20minutes/s3rver) for the provisioning tests.
// Usage: node s3rver.js DATA_DIR [BUCKET...]
// Prints "LISTENING <port>" once ready, then one "REQUEST <method> <url> <range>" line per request so that the
// tests can count what the AWS SDK actually sent. Exits when stdin closes (the test process went away).
'use strict';
const S3rver = require('@20minutes/s3rver');

async function main() {
  const [directory, ...buckets] = process.argv.slice(2);
  if (!directory) throw new Error('usage: node s3rver.js DATA_DIR [BUCKET...]');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = await server.run();
  server.httpServer.on('request', (req) => {
    process.stdout.write(`REQUEST ${req.method} ${req.url} ${req.headers.range || '-'}\n`);
  });
  process.stdout.write(`LISTENING ${address.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`s3rver failed: ${err.stack || err}\n`);
  process.exit(1);
});

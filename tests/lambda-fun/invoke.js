// Runs a `provided` (custom runtime) function with @vercel/fun and invokes it with each payload in turn.
// Usage: node invoke.js CONFIG.json   where CONFIG is {"directory": DIR, "env": {...}, "payloads": [...]}
// Prints one JSON line: [{"StatusCode": 200, "FunctionError": null|"Handled"|"Unhandled", "Payload": "..."}...]
'use strict';
const fs = require('node:fs');
const { createFunction } = require('@vercel/fun');

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const fn = await createFunction({
    FunctionName: 'llambda-test',
    Code: { Directory: config.directory },
    Handler: 'bootstrap',
    Runtime: 'provided',
    MemorySize: 512,
    Environment: { Variables: config.env || {} },
  });
  const results = [];
  try {
    for (const payload of config.payloads) {
      const r = await fn.invoke({ InvocationType: 'RequestResponse', Payload: JSON.stringify(payload) });
      results.push({ StatusCode: r.StatusCode, FunctionError: r.FunctionError || null, Payload: String(r.Payload) });
    }
  } finally {
    await fn.destroy();
  }
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});

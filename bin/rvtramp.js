#!/usr/bin/env node
'use strict';
// Runs the compiled CLI. `npm ci` builds dist/ through the prepare script.
let main;
try {
  main = require('../dist/harness/cli/main.js').main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('rvtramp: dist/ is missing; run `npm ci` (or `npm run build`) first\n');
    process.exit(3);
  }
  throw err;
}
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });

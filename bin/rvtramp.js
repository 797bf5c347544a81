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
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The command is done: end the process even if a selftest left a timer running, once
  // stdout has taken everything written to it.
  // (A write error is main's to report: it exits 141 or 74 itself.)
  process.stdout.write('', (err) => {
    if (!err) process.exit(code);
  });
});

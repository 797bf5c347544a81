'use strict';
// mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", which CI
// dashboards read whatever the test runner. Skipped tests are mocha's pending ones (oracle tests
// without their tools print the reason just before they skip).
const Mocha = require('mocha');

class RvtrampReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = RvtrampReporter;

// Mocha's spec output, then the plain closing line CI reads: "N passed, N failed[, N skipped]".
'use strict';
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      const counts = `${s.passes || 0} passed, ${s.failures || 0} failed` +
        (s.pending ? `, ${s.pending} skipped` : '');
      // .ci/run runs the suite twice (SQLite, then the registry tests on PostgreSQL): it labels each
      // run's line and prints the plain total line itself, once, at the end.
      const label = process.env.SMKI_COUNT_LABEL;
      const line = label ? `${label}: ${counts}` : counts;
      if (process.env.SMKI_COUNT_FILE) {
        require('node:fs').writeFileSync(process.env.SMKI_COUNT_FILE, JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, skipped: s.pending || 0 }));
      }
      // After Spec's own epilogue so it is the last line.
      process.nextTick(() => process.stdout.write(`\n${line}\n`));
    });
  }
}
module.exports = CountReporter;

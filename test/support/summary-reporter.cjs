// Mocha's spec reporter plus the plain closing line CI reads: "N passed, N failed[, N skipped]".
// Before that line it names what did not run and why (issue 22): a local run without MariaDB or Chromium
// passes with half the suite left out, and that must be said at the end, not only in a warning scrolled
// away at the start. Reasons come from the support code that decided (databases.ts registers MariaDB's in
// globalThis.__complaintsNotRun) and from the suites skipped (pending tests, grouped by top-level suite).
'use strict';
const Mocha = require('mocha');
const { existsSync, writeFileSync } = require('node:fs');
const { relative } = require('node:path');

const CHROMIUM = '/usr/bin/chromium';

function topSuite(test) {
  let s = test.parent;
  while (s && s.parent && !s.parent.root) s = s.parent;
  return s && s.title ? s.title : '(root)';
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    /** Top-level suite title → number of its tests that did not run. */
    const pendingBySuite = new Map();
    // Wall time per test file (its top-level suites, hooks included), written as JSON to the path in
    // COMPLAINTS_TEST_TIMES: how much of the run each file (or a group of files) costs.
    const timesPath = process.env.COMPLAINTS_TEST_TIMES;
    const secondsByFile = {};
    const startedAt = new Map();
    if (timesPath) {
      runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite) => {
        if (suite.file && suite.parent && suite.parent.root) startedAt.set(suite, Date.now());
      });
      runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite) => {
        const start = startedAt.get(suite);
        if (start === undefined) return;
        const file = relative(process.cwd(), suite.file);
        secondsByFile[file] = (secondsByFile[file] || 0) + (Date.now() - start) / 1000;
      });
    }
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, () => failed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => {
      skipped++;
      const title = topSuite(test);
      pendingBySuite.set(title, (pendingBySuite.get(title) || 0) + 1);
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      // Registered after the spec reporter's epilogue, so these are the last lines printed.
      const notRun = globalThis.__complaintsNotRun instanceof Map ? globalThis.__complaintsNotRun : new Map();
      const lines = [];
      for (const [what, why] of notRun) lines.push(`  - ${what}: ${why}`);
      for (const [suite, count] of pendingBySuite) {
        let why = 'skipped (.skip or this.skip())';
        if (/chromium|browser/i.test(suite) && !existsSync(CHROMIUM)) why = `${CHROMIUM} is missing (apt-get install -y chromium)`;
        else if (/mariadb|galera/i.test(suite) && notRun.has('MariaDB')) why = `MariaDB: ${notRun.get('MariaDB')}`;
        lines.push(`  - ${suite}: ${count} test${count === 1 ? '' : 's'} not run: ${why}`);
      }
      if (lines.length) process.stdout.write(`\nNot run in this run (the result below does not cover them):\n${lines.join('\n')}\n`);
      if (timesPath) writeFileSync(timesPath, `${JSON.stringify(secondsByFile, null, 1)}\n`);
      process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    });
  }
}

module.exports = SummaryReporter;

// Mutation testing (issue 22): `npm run test:mutation`. The money and state code is mutated and the fast
// SQLite test files that exercise it (test/mutation/mocharc.json) must kill each mutant. MariaDB is left
// out (COMPLAINTS_TEST_DATABASES=sqlite, set by the npm script): the races have their own MariaDB tests
// (test/integration/money-races.test.ts), and one SQLite file per test keeps a run to one machine's worth.
// perTest coverage runs only the tests that reach a mutant; concurrency stays low on a shared 2-core box.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  mochaOptions: { config: 'test/mutation/mocharc.json' },
  testRunnerNodeArgs: ['--import', 'tsx'],
  checkers: ['typescript'],
  // The checker re-checks every file a mutant's file reaches on each mutant; it was the cost of a mutant
  // (a covering test run takes ~1 s, the install in the suites' `before` ~0.15 s). tsconfig.mutation.json
  // leaves out test/ and bench/ (tsx runs them untyped anyway), so fewer files are re-checked.
  tsconfigFile: process.env.STRYKER_TSCONFIG ?? 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ['src/offsets/**/*.ts', 'src/compensations/**/*.ts', 'src/complaints/transitions.ts', '!src/**/messages.ts'],
  ignorePatterns: ['bench/results', 'test-output', 'clients', '.ci'],
  coverageAnalysis: 'perTest',
  // Mocha cannot reload ES modules, so a mutant that runs while a module loads (a top-level constant,
  // a schema literal) would cost a new worker each (~10 s here): those are left out and counted as ignored.
  ignoreStatic: true,
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'test-output/mutation/index.html' },
  jsonReporter: { fileName: 'test-output/mutation/mutation.json' },
  thresholds: { high: 90, low: 75, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

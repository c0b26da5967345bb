// `complaints jobs run NAME` as a function (main.ts wires it to the command line): a run by hand is
// recorded, an unknown job or an uninstalled database is a clear error with exit code 2.
import { expect } from 'chai';
import { jobsRunCommand } from '../../src/cli/commands/jobs.js';
import { CliError } from '../../src/cli/options.js';
import { ManualClock } from '../../src/clock.js';
import { listRuns } from '../../src/jobs/runner.js';
import { startBackgroundWork } from '../../src/jobs/background.js';
import { sqliteKind, type TestDatabase } from '../support/databases.js';
import { jobContext, migrate } from '../support/jobsHarness.js';
import { toDbTime } from '../../src/db/time.js';
import { enqueue, listUndelivered } from '../../src/notifications/outbox.js';

async function quietly<T>(work: () => Promise<T>): Promise<{ value: T; out: string }> {
  const original = console.log;
  let out = '';
  console.log = (...args: unknown[]) => void (out += `${args.join(' ')}\n`);
  try {
    return { value: await work(), out };
  } finally {
    console.log = original;
  }
}

describe('jobs run command (sqlite)', () => {
  let t: TestDatabase;
  before(async () => {
    t = await sqliteKind.create();
  });
  after(async () => t?.drop());

  it('refuses a database where the plugin is not installed', async () => {
    const error = await jobsRunCommand({ db: t.url, lang: 'en' }, 'daily-digest').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CliError).with.property('exitCode', 2);
    expect(String((error as Error).message)).to.contain('complaints install');
  });

  it('runs a job by hand and records the run', async () => {
    await migrate(t.db);
    const { value, out } = await quietly(() => jobsRunCommand({ db: t.url, lang: 'en' }, 'follow-ups'));
    expect(value).to.equal(0);
    expect(out).to.match(/✔ follow-ups \(run #\d+\) due=0 overdue=0 notified=0/);
    const runs = await listRuns({ db: t.db, tables: jobContext(t.db, new ManualClock(new Date())).tables }, { job: 'follow-ups' });
    expect(runs).to.have.length(1);
    expect(runs[0]!.slot).to.match(/^manual:/);
  });

  it('runs the purge by hand, keeping undelivered notices', async () => {
    const ctx = jobContext(t.db, new ManualClock(new Date()));
    const old = new Date(Date.now() - 400 * 86_400_000);
    for (const delivered of [true, false]) {
      await t.db.transaction((trx) => enqueue(trx, ctx.tables, 'assigned', { complaintId: 1 }, old));
      if (delivered)
        await t
          .db(ctx.tables.outbox)
          .whereNull('delivered_at')
          .update({ delivered_at: toDbTime(old) });
    }
    const { value, out } = await quietly(() => jobsRunCommand({ db: t.url, lang: 'en' }, 'purge'));
    expect(value).to.equal(0);
    expect(out).to.match(/✔ purge \(run #\d+\) notices=1 runs=0 claims=0/);
    expect(await listUndelivered(t.db, ctx.tables)).to.have.length(1);
    expect(await t.db(ctx.tables.outbox)).to.have.length(1);
  });

  it('names the known jobs when given an unknown one', async () => {
    const error = await jobsRunCommand({ db: t.url }, 'nightly').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CliError).with.property('exitCode', 2);
    expect(String((error as Error).message)).to.contain('expire-offsets');
  });

  it('starts and stops the background work together', async () => {
    const work = await startBackgroundWork(jobContext(t.db, new ManualClock(new Date())));
    expect(work.scheduler.started).to.equal(true);
    await work.stop();
    expect(work.scheduler.started).to.equal(false);
  });
});

// Three separate processes share one database and race for the same slot: exactly one runs it.
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/clock.js';
import { listRuns } from '../../src/jobs/runner.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { addComplaint, jobContext, migrate, outboxRows } from '../support/jobsHarness.js';

const SCRIPT = fileURLToPath(new URL('../support/raceJob.ts', import.meta.url));

interface Instance {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  result: Promise<{ status: string }>;
}

function startInstance(args: string[]): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async () => {
    const line = await iterator.next();
    if (line.done) throw new Error(`instance ended early: ${stderr}`);
    return line.value;
  };
  const ready = next().then((l) => expect(l).to.equal('ready'));
  const result = ready.then(next).then((l) => JSON.parse(l) as { status: string });
  return { child, ready: ready.then(() => undefined), result };
}

for (const kind of databaseKinds) {
  describe(`one run per slot across three processes (${kind.kind})`, function () {
    this.timeout(60000);
    let t: TestDatabase;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
    });
    after(async () => t?.drop());

    it('records exactly one run and one digest', async () => {
      const now = new Date('2026-10-09T00:00:00Z');
      const ctx = jobContext(t.db, new ManualClock(now));
      await addComplaint(ctx, { receivedAt: new Date('2026-10-08T03:00:00Z') });
      const slot = '2026-10-09T00:00:00Z';
      const instances = [0, 1, 2].map(() => startInstance([t.url, 'daily-digest', slot, now.toISOString()]));
      await Promise.all(instances.map((i) => i.ready));
      for (const i of instances) i.child.stdin.write('go\n');
      const results = await Promise.all(instances.map((i) => i.result));
      expect(results.map((r) => r.status).sort()).to.deep.equal(['ok', 'skipped', 'skipped']);
      const runs = await listRuns(ctx, { job: 'daily-digest' });
      expect(runs.map((r) => [r.slot, r.outcome])).to.deep.equal([[slot, 'ok']]);
      expect(await t.db(ctx.tables.jobClaims).where({ job: 'daily-digest', slot })).to.have.length(1);
      // One company digest and one for the complaint's community, each written once.
      expect((await outboxRows(ctx, 'daily_digest')).map((r) => r.dedupe_key)).to.deep.equal([
        'daily_digest:2026-10-08',
        'daily_digest:2026-10-08:community:1',
      ]);
    });
  });
}

// Reliability: connection faults (MariaDB). Connections are killed from outside, and MariaDB traffic is
// cut and paused through a TCP relay (the real server keeps running: other work shares it).
import { expect } from 'chai';
import type { Connection } from 'mysql2/promise';
import { USER_HEADER } from '../../src/auth/adapter.js';
import type { TestDatabase } from '../support/databases.js';
import { intakeBody } from '../support/complaintData.js';
import { staff } from '../support/pageHarness.js';
import { people } from '../support/pluginHarness.js';
import {
  adminConnection,
  afterFaults,
  ConnectionKiller,
  note,
  databaseOf,
  poolState,
  quiet,
  requireMariadb,
  sleep,
  TcpRelay,
  viaPort,
  waitForPoolIdle,
  within,
} from '../support/faults.js';
import {
  checkBooks,
  freshMariadb,
  MoneyModel,
  poolFor,
  randomOp,
  record,
  retryLost,
  rng,
  runOp,
  startMoneyWorld,
  startStack,
  T,
  type MoneyWorld,
  type Op,
  type Stack,
} from '../support/reliability.js';

describe('reliability: connections killed during a money run (MariaDB)', function () {
  this.timeout(120_000);
  let world: MoneyWorld;
  let admin: Connection;

  before(async function () {
    requireMariadb();
    world = await startMoneyWorld({ offsetsPerUnit: 2, approved: '500.00' });
    quiet(world.h.db);
    admin = await adminConnection();
  });
  after(async () => {
    await admin?.end();
    await world?.h.close();
  });

  it('injects KILL <id> of a random connection of the test database every 50 ms during at least 30 rounds (and 4 s) of 50 concurrent money calls: each call answers or fails fast with a connection error (HTTP 503 database_unavailable), never hangs or 500s; the pool drains to zero in use; retrying the failed calls with their keys converges to books that match what callers were told', async function () {
    const killer = new ConnectionKiller(admin, databaseOf(world.h.database.url), 50);
    const model = new MoneyModel();
    const random = rng(Number(process.env.RELIABILITY_SEED ?? 7));
    const problems: string[] = [];
    let slowest = 0;
    let lost = 0;
    killer.start();
    const started = Date.now();
    let calls = 0;
    try {
      // At least 30 rounds, and at least 4 s of killing however fast the machine is.
      for (let round = 1; round <= 30 || Date.now() - started < 4000; round++) {
        calls += 50;
        const claimed = new Set<string>();
        const ops: Op[] = Array.from({ length: 50 }, () => randomOp(world, model, random, claimed));
        const outcomes = await Promise.all(
          ops.map(async (op, i) => {
            const started = Date.now();
            const outcome = await within(runOp(world, op, i % 5 === 0 ? 'http' : 'hook'), 20_000, `${op.kind} ${op.key}`);
            if (outcome.status === 'lost') slowest = Math.max(slowest, Date.now() - started);
            return outcome;
          }),
        );
        ops.forEach((op, i) => {
          if (outcomes[i]!.status === 'lost') lost++;
          const problem = record(model, op, outcomes[i]!, { lossAllowed: true });
          if (problem) problems.push(`round ${round}: ${problem}`);
        });
      }
    } finally {
      await killer.stop();
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    expect(killer.kills, 'connections killed').to.be.greaterThan(40);
    expect(lost, 'calls that met a killed connection').to.be.greaterThan(0);
    expect(slowest, 'slowest failure (ms)').to.be.below(5_000);
    expect(world.h.unexpectedErrors, 'HTTP 500s').to.deep.equal([]);
    await waitForPoolIdle(world.h.db, 10_000);
    expect(poolState(world.h.db).used).to.equal(0);

    note(
      `${killer.kills} connections killed, ${lost} of ${calls} calls lost their connection (slowest failure ${slowest} ms), ${model.applied.size} applications acknowledged before retries`,
    );
    const retried = await retryLost(world, model);
    expect(retried, retried.join('\n')).to.deep.equal([]);
    const books = await afterFaults(() => checkBooks(world, model));
    expect(books, books.join('\n')).to.deep.equal([]);
  });
});

/** How long MariaDB's bytes stop flowing (RELIABILITY_PAUSE_MS to try a longer black hole). */
const PAUSE_MS = Number(process.env.RELIABILITY_PAUSE_MS ?? 3000);

interface Sample {
  kind: 'create' | 'list' | 'check' | 'page';
  phase: string;
  start: number;
  ms: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
  key?: string;
  description?: string;
  id?: number;
}

describe('reliability: MariaDB traffic cut and paused under load (TCP relay)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let relay: TcpRelay;
  let stack: Stack;

  before(async function () {
    requireMariadb();
    database = await freshMariadb();
    relay = new TcpRelay();
    const port = await relay.start();
    const db = poolFor(viaPort(database.url, port), 10);
    quiet(db);
    stack = await startStack(db);
  });
  after(async () => {
    await stack?.close();
    await stack?.db.destroy();
    await relay?.close();
    await database?.drop();
  });

  it(`injects a cut (connections reset, new ones refused; held until 20 requests were refused) and a ${PAUSE_MS / 1000} s pause (no bytes) under 16 concurrent clients: while cut, requests fail fast with 503 database_unavailable; while paused they wait; never a 500; both recover by themselves, the pool drains to zero in use, and every acknowledged complaint (201) is there afterwards`, async function () {
    const samples: Sample[] = [];
    // The phases move on when the clients have seen what each phase is about (signals), not after sleeps.
    const watchers = new Set<() => void>();
    const seen = (what: string, count: number, match: (s: Sample) => boolean): Promise<void> =>
      within(
        new Promise<void>((resolve) => {
          const check = () => {
            if (samples.filter(match).length < count) return;
            watchers.delete(check);
            resolve();
          };
          watchers.add(check);
          check();
        }),
        30_000,
        what,
      );
    let phase = 'normal';
    let stop = false;
    let n = 0;
    const token = stack.token(people.counter);
    const pageToken = stack.token(staff.counter);
    const worker = async (w: number) => {
      while (!stop) {
        const i = ++n;
        const r = (i * 7 + w) % 10;
        const kind: Sample['kind'] = r < 5 ? 'create' : r < 7 ? 'list' : r < 9 ? 'check' : 'page';
        const start = Date.now();
        const sample: Sample = { kind, phase, start, ms: 0, status: 0 };
        try {
          if (kind === 'create') {
            sample.key = `relay-${w}-${i}`;
            sample.description = `断网测试 ${w}-${i}`;
            const res = await fetch(`${stack.origin}${stack.base}/api/complaints`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', [USER_HEADER]: token, 'Idempotency-Key': sample.key },
              body: JSON.stringify(intakeBody('101', { description: sample.description })),
            });
            sample.status = res.status;
            sample.retryAfter = res.headers.get('retry-after');
            const body = (await res.json()) as { complaint?: { id: number }; error?: { code: string } };
            sample.code = body.error?.code;
            sample.id = body.complaint?.id;
          } else if (kind === 'page') {
            const res = await fetch(`${stack.origin}${stack.base}/list`, { headers: { [USER_HEADER]: pageToken } });
            sample.status = res.status;
            sample.retryAfter = res.headers.get('retry-after');
            const text = await res.text();
            if (res.status === 503) sample.code = text.includes('请稍后重试') ? 'database_unavailable' : 'unclear_page';
          } else {
            const res =
              kind === 'list'
                ? await stack.api('GET', '/api/complaints?limit=5', { as: people.counter })
                : await stack.billing('POST', '/api/billing/check', { billId: '1001', offsets: [] });
            sample.status = res.status;
            sample.code = res.body?.error?.code;
            sample.retryAfter = 'headers' in res ? (res.headers as Headers).get('retry-after') : '5';
          }
        } catch (err) {
          sample.status = -1;
          sample.code = String((err as Error).message);
        }
        sample.ms = Date.now() - start;
        samples.push(sample);
        for (const check of [...watchers]) check();
        if (sample.status === 503) await sleep(10);
      }
    };
    const marks: Record<string, number> = {};
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    await seen('answers before the cut', 40, (s) => s.phase === 'normal' && s.status < 300);
    marks.cut = Date.now();
    phase = 'cut';
    await relay.cut();
    await seen('refusals while cut', 20, (s) => s.phase === 'cut' && s.status === 503);
    marks.restored = Date.now();
    phase = 'after-cut';
    await relay.restore();
    await seen('answers after the cut', 40, (s) => s.phase === 'after-cut' && s.status < 300);
    marks.paused = Date.now();
    phase = 'paused';
    relay.pause();
    // The length of the fault itself (bytes held, no query timeout in the driver), not an ordering wait.
    await sleep(PAUSE_MS);
    marks.resumed = Date.now();
    phase = 'after-pause';
    await relay.restore();
    // Recovered: a request sent after the resume was answered; from then on, 60 more requests are answered.
    await seen('an answer after the pause', 1, (s) => s.phase === 'after-pause' && s.status < 300);
    const recoveredAt = Date.now();
    await seen('answers once recovered', 60, (s) => s.start >= recoveredAt);
    stop = true;
    await within(Promise.all(workers), 20_000, 'the load');

    const summary = (list: Sample[]) => JSON.stringify(list.slice(0, 5));
    // Only answers the client can act on: success, or 503 database_unavailable with Retry-After.
    const odd = samples.filter((s) => ![200, 201, 503].includes(s.status) || (s.status === 503 && (s.code !== 'database_unavailable' || !s.retryAfter)));
    expect(odd, summary(odd)).to.deep.equal([]);
    expect(stack.errors, 'logged 500s').to.deep.equal([]);

    // Fail fast while cut: the refusals come back at once.
    const cutFailures = samples.filter((s) => s.status === 503 && s.start >= marks.cut! && s.start < marks.restored!);
    expect(cutFailures.length, 'refusals while cut').to.be.greaterThan(10);
    const slowCut = cutFailures.filter((s) => s.ms > 1000);
    expect(slowCut, `slow refusals while cut: ${summary(slowCut)}`).to.deep.equal([]);
    // While paused (no query timeout in the driver), requests wait for the bytes: none longer than the pause
    // plus a margin, and none fails other than with 503.
    const slowest = Math.max(...samples.map((s) => s.ms));
    expect(slowest, 'slowest request (ms)').to.be.below(PAUSE_MS + 6000);

    // Recovery by itself, soon after each restore.
    for (const [label, at] of [
      ['cut', marks.restored!],
      ['pause', marks.resumed!],
    ] as const) {
      const firstOk = samples.filter((s) => s.start >= at && s.status < 300).sort((a, b) => a.start - b.start)[0];
      expect(firstOk, `a success after the ${label}`).to.not.equal(undefined);
      expect(firstOk!.start + firstOk!.ms - at, `recovery after the ${label} (ms)`).to.be.below(2500);
    }
    const onceRecovered = samples.filter((s) => s.start >= recoveredAt);
    expect(onceRecovered.length).to.be.greaterThan(0);
    expect(
      onceRecovered.filter((s) => s.status >= 300),
      'failures once recovered',
    ).to.deep.equal([]);

    await waitForPoolIdle(stack.db, 10_000);
    expect(poolState(stack.db).used).to.equal(0);
    const recovery = (at: number) => {
      const first = samples.filter((s) => s.start >= at && s.status < 300).sort((a, b) => a.start - b.start)[0];
      return first ? first.start + first.ms - at : -1;
    };
    note(
      `${samples.length} requests: ${samples.filter((s) => s.status < 300).length} answered, ${samples.filter((s) => s.status === 503).length} × 503 (${cutFailures.length} while cut, slowest ${Math.max(...cutFailures.map((s) => s.ms))} ms); recovered ${recovery(marks.restored!)} ms after the cut, ${recovery(marks.resumed!)} ms after the pause; slowest request ${slowest} ms`,
    );

    // Every acknowledged complaint is there, with what was acknowledged.
    const acknowledged = samples.filter((s) => s.kind === 'create' && s.status === 201);
    expect(acknowledged.length).to.be.greaterThan(20);
    const rows = (await database.db(T.complaints).select('id', 'idempotency_key', 'description')) as Array<{
      id: number;
      idempotency_key: string;
      description: string;
    }>;
    const byKey = new Map(rows.map((r) => [r.idempotency_key, r]));
    for (const s of acknowledged) {
      const row = byKey.get(s.key!);
      expect(row, `complaint ${s.key} acknowledged (201) but missing`).to.not.equal(undefined);
      expect(row!.id).to.equal(s.id);
      expect(row!.description).to.equal(s.description);
    }
    // The refused ones, sent again with the same key, make exactly one complaint each.
    const refused = samples.filter((s) => s.kind === 'create' && s.status !== 201 && s.status !== 200);
    for (const s of refused) {
      const res = await stack.api('POST', '/api/complaints', {
        as: people.counter,
        body: intakeBody('101', { description: s.description }),
        headers: { 'Idempotency-Key': s.key! },
      });
      expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 201]);
    }
    const keys = (await database.db(T.complaints).select('idempotency_key')) as Array<{ idempotency_key: string }>;
    expect(keys.length, 'one complaint per key').to.equal(new Set(keys.map((k) => k.idempotency_key)).size);
  });
});

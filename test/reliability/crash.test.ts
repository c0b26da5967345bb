// Reliability: a crash between an application's writes and its COMMIT (MariaDB). The apply (or reverse)
// transaction has consumed the offset and written its application row when its connection dies: killed
// by the server while it waits at the audit insert, or its socket destroyed as the audit insert or the
// COMMIT is sent. The caller must see an error (503 on HTTP), never a success for what was rolled back;
// a retry with the same key must converge to exactly one application.
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { Connection } from 'mysql2/promise';
import { isConnectionError } from '../../src/db/errors.js';
import { countRows } from '../support/offsetData.js';
import { adminConnection, afterFaults, databaseOf, poolState, quiet, requireMariadb, waitForPoolIdle, within } from '../support/faults.js';
import { cashier, checkBooks, MoneyModel, readBooks, startMoneyWorld, T, type MoneyWorld } from '../support/reliability.js';

interface KnexConnection {
  __knexUid?: string;
  threadId?: number;
  destroy(): void;
}

/** The pooled connection a knex query event ran on. */
function connectionOf(db: Knex, uid: string | undefined): KnexConnection | undefined {
  const pool = (db.client as { pool: { used: Array<{ resource: KnexConnection }> } }).pool;
  return pool.used.map((u) => u.resource).find((c) => c.__knexUid === uid);
}

/**
 * Arms a knex 'query' hook: the first query inside a transaction whose SQL matches gets `strike` called
 * with its connection, synchronously, before the statement is sent.
 */
function armAt(db: Knex, match: RegExp, strike: (conn: KnexConnection) => void): { fired: () => boolean; disarm: () => void } {
  let fired = false;
  const listener = (q: { sql?: string; __knexUid?: string; __knexTxId?: string }) => {
    if (fired || !q.__knexTxId || !match.test(q.sql ?? '')) return;
    const conn = connectionOf(db, q.__knexUid);
    if (!conn) return;
    fired = true;
    strike(conn);
  };
  db.on('query', listener);
  return { fired: () => fired, disarm: () => db.off('query', listener) };
}

const AUDIT_INSERT = /^insert into `cmp_events`/i;
const COMMIT = /^COMMIT;?$/i;

async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await within(p, 20_000, 'the call') };
  } catch (error) {
    return { ok: false, error };
  }
}

describe('reliability: crash before commit (MariaDB)', function () {
  this.timeout(60_000);
  let world: MoneyWorld;
  let admin: Connection;
  let n = 0;

  before(async function () {
    requireMariadb();
    world = await startMoneyWorld({ offsetsPerUnit: 1, approved: '5000.00' });
    quiet(world.h.db);
    admin = await adminConnection();
    await admin.query(`USE \`${databaseOf(world.h.database.url)}\``);
  });
  after(async () => {
    await admin?.end();
    await world?.h.close();
  });
  afterEach(async () => {
    await waitForPoolIdle(world.h.db, 10_000);
    const problems = await afterFaults(() => checkBooks(world, new MoneyModel(), { exact: false }));
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  const input = () => {
    const offset = world.offsets[0]!;
    return { offsetId: offset.id, billId: world.bills.get(offset.unitId)![0]!, amountFen: 100 + (++n % 50), idempotencyKey: `CRASH-${n}` };
  };

  /** Holds the audit table so the insert waits on the server, then KILLs that connection from outside. */
  async function killWhileWaitingAtAuditInsert<T>(call: () => Promise<T>): Promise<{ result: Awaited<ReturnType<typeof outcome<T>>>; fired: boolean }> {
    await admin.query(`LOCK TABLES ${T.events} WRITE`);
    let threadId: number | undefined;
    const hook = armAt(world.h.db, AUDIT_INSERT, (conn) => (threadId = conn.threadId));
    try {
      const pending = outcome(call());
      const deadline = Date.now() + 10_000;
      while (threadId === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // The insert is now waiting for the table; the transaction's other writes are done.
      if (threadId !== undefined) await admin.query(`KILL ${Number(threadId)}`);
      return { result: await pending, fired: hook.fired() };
    } finally {
      hook.disarm();
      await admin.query('UNLOCK TABLES');
    }
  }

  async function destroyAt<T>(match: RegExp, call: () => Promise<T>) {
    const hook = armAt(world.h.db, match, (conn) => conn.destroy());
    try {
      return { result: await outcome(call()), fired: hook.fired() };
    } finally {
      hook.disarm();
    }
  }

  for (const [label, crash] of [
    ['the server KILLs its connection while the audit insert waits', (call: () => Promise<unknown>) => killWhileWaitingAtAuditInsert(call)],
    ['its socket is destroyed as the audit insert is sent', (call: () => Promise<unknown>) => destroyAt(AUDIT_INSERT, call)],
    ['its socket is destroyed as COMMIT is sent', (call: () => Promise<unknown>) => destroyAt(COMMIT, call)],
  ] as const) {
    it(`apply: ${label} → the caller gets a connection error, nothing was applied, and a retry with the same key applies exactly once`, async () => {
      const data = input();
      const before = await readBooks(world.h.db);
      const { result, fired } = await crash(() => world.h.offsets.apply(data, cashier));
      expect(fired, 'the crash was injected').to.equal(true);
      expect(result.ok, `the caller was told it succeeded: ${JSON.stringify((result as { value?: unknown }).value)}`).to.equal(false);
      expect(
        isConnectionError((result as { error: unknown }).error),
        `a clear connection error, got: ${String((result as { error: Error }).error?.message)}`,
      ).to.equal(true);
      expect(await readBooks(world.h.db), 'rolled back').to.deep.equal(before);
      const retried = await world.h.offsets.apply(data, cashier);
      expect(retried.amountFen).to.equal(data.amountFen);
      expect(await world.h.offsets.apply(data, cashier)).to.deep.equal(retried);
      expect(await countRows(world.h.db, T.offsetApplications, { idempotency_key: data.idempotencyKey })).to.equal(1);
      expect(await countRows(world.h.db, T.events, { entity_type: 'offset', action: 'apply' })).to.equal(before.applyEvents + 1);
    });

    it(`reverse: ${label} → the caller gets a connection error, nothing was restored, and a retry with the same reversal key restores exactly once`, async () => {
      const data = input();
      await world.h.offsets.apply(data, cashier);
      const before = await readBooks(world.h.db);
      const reversal = { idempotencyKey: data.idempotencyKey, reversalKey: `VOID-${data.idempotencyKey}` };
      const { result, fired } = await crash(() => world.h.offsets.reverse(reversal, cashier));
      expect(fired, 'the crash was injected').to.equal(true);
      expect(result.ok, 'the caller was told it succeeded').to.equal(false);
      expect(
        isConnectionError((result as { error: unknown }).error),
        `a clear connection error, got: ${String((result as { error: Error }).error?.message)}`,
      ).to.equal(true);
      expect(await readBooks(world.h.db), 'rolled back').to.deep.equal(before);
      const retried = await world.h.offsets.reverse(reversal, cashier);
      expect(await world.h.offsets.reverse(reversal, cashier)).to.deep.equal(retried);
      const after = await readBooks(world.h.db);
      expect(after.reversed).to.equal(before.reversed + 1);
      expect(after.reverseEvents).to.equal(before.reverseEvents + 1);
      expect(after.remainingFen).to.equal(before.remainingFen + data.amountFen);
    });
  }

  it('over the signed billing API: the same crash at the audit insert answers 503 database_unavailable, and the retried call 200 with one application', async () => {
    const data = input();
    const { result, fired } = await killWhileWaitingAtAuditInsert(() => world.h.billing('POST', '/api/billing/apply', data));
    expect(fired).to.equal(true);
    const res = (result as { ok: true; value: { status: number; body: any } }).value;
    expect(res.status, JSON.stringify(res.body)).to.equal(503);
    expect(res.body.error.code).to.equal('database_unavailable');
    const retried = await world.h.billing('POST', '/api/billing/apply', data);
    expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
    expect(await countRows(world.h.db, T.offsetApplications, { idempotency_key: data.idempotencyKey })).to.equal(1);
    expect(world.h.unexpectedErrors).to.deep.equal([]);
  });

  it('injects a server KILL racing the COMMIT ten times: whatever the caller was told is true (success → the row exists; error → a retry converges), exactly one application per key', async () => {
    for (let i = 0; i < 10; i++) {
      const data = input();
      let threadId: number | undefined;
      let killing: Promise<unknown> = Promise.resolve();
      const hook = armAt(world.h.db, COMMIT, (conn) => {
        threadId = conn.threadId;
        killing = admin.query(`KILL ${Number(threadId)}`).catch(() => {});
      });
      const result = await outcome(world.h.offsets.apply(data, cashier));
      hook.disarm();
      await killing;
      expect(threadId, 'the kill was sent').to.be.a('number');
      const rows = await afterFaults(() => countRows(world.h.db, T.offsetApplications, { idempotency_key: data.idempotencyKey }));
      if (result.ok) expect(rows, 'told success, so the application must exist').to.equal(1);
      else expect(isConnectionError(result.error), String((result.error as Error)?.message)).to.equal(true);
      // The retry may itself meet the killed connection, handed back to the pool as it died: a clear
      // connection error again, and the next retry goes through.
      for (let attempt = 0; ; attempt++) {
        try {
          await world.h.offsets.apply(data, cashier);
          break;
        } catch (err) {
          expect(isConnectionError(err), String((err as Error)?.message)).to.equal(true);
          expect(attempt, 'retries').to.be.below(5);
        }
      }
      expect(await afterFaults(() => countRows(world.h.db, T.offsetApplications, { idempotency_key: data.idempotencyKey }))).to.equal(1);
    }
    expect(poolState(world.h.db).used).to.equal(0);
  });
});

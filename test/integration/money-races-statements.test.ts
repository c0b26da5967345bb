// Races timed at one statement (MariaDB only: SQLite serialises writers, so none of these can happen
// there). Each left the last survivors of issue 22's mutation run alive; each test fails with its mutant
// applied by hand (see bench/results/mutation-2026-12-07-b.md). The pattern: the first writer runs through
// the real service inside an open transaction (the ERP's, or a context whose db is that transaction) and
// waits; the second starts, and once it sends the statement named (knex's query event), or once that
// statement waits on a row lock or was answered (where the order must not depend on which reaches the
// server first), the first commits.
// - a cancellation between a compensation's read of the complaint and its locked read
//   (compensations/service.ts `{ lock: true }` and `if (late) throw late`);
// - two identical compensation submits racing on the unique key (the duplicate-key replay);
// - a request changed between a merge's read of it and its conditional UPDATE (merges.ts, the
//   offset_changed refusal);
// - an offset revoked while an application waits on its row (apply.ts, diagnose's locked read);
// - two applications, and two reversals, with the same idempotency key at once (apply.ts, the locking
//   re-reads of the application: after apply's failed UPDATE, or in refuse(), which answers the same
//   replay, so the test fails only with both unlocked; after reverse's failed UPDATE).
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createCompensationService, type RecordCompensationInput } from '../../src/compensations/service.js';
import { createComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { createOffsetService } from '../../src/offsets/service.js';
import { expireOffsetsJob } from '../../src/jobs/expireOffsets.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { mariadbAvailable, mariadbKind } from '../support/databases.js';
import { within } from '../support/faults.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { cashier, counter, director, manager, supervisor } = people;
const paid: RecordCompensationInput = { payer: 'insurer', amount: '300.00', paidOn: '2026-11-28', method: 'transfer' };

interface QueryEvent {
  sql: string;
  __knexTxId?: string;
}

/** A deferred: a promise and the function that settles it. */
function signal<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** A promise's outcome, so a refusal can be awaited after the other side was let go. */
function settled<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: any }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
}

/**
 * Runs `work` in a transaction left open until `commit()`: `done` gives its answer once it has run.
 * `txIds` are the transactions (and savepoints) it used, so the other side's statements can be told apart.
 */
const open: Array<() => void> = [];
function held<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>) {
  const txIds = new Set<string>();
  const listener = (q: QueryEvent) => q.__knexTxId && txIds.add(q.__knexTxId);
  db.on('query', listener);
  const answer = signal<T>();
  const release = signal();
  const finished = db.transaction(async (trx) => {
    const value = await work(trx);
    answer.fire(value);
    await release.promise;
  });
  finished.catch(() => undefined);
  open.push(() => release.fire());
  const done = Promise.race([answer.promise, finished.then(() => expect.fail('the held transaction ended before its work answered'))]).finally(() =>
    db.removeListener('query', listener),
  ) as Promise<T>;
  return {
    done,
    txIds,
    commit: async () => {
      release.fire();
      await finished;
    },
  };
}

/** Fires when a statement of another transaction than `others` matching `pattern` is sent. */
function sent(db: Knex, others: Set<string>, pattern: RegExp): Promise<void> {
  const seen = signal();
  const listener = (q: QueryEvent) => {
    if (q.__knexTxId && !others.has(q.__knexTxId) && pattern.test(q.sql)) {
      db.removeListener('query', listener);
      seen.fire();
    }
  };
  db.on('query', listener);
  return within(seen.promise, 15000, `a statement matching ${pattern}`);
}

/**
 * Fires once a statement of another transaction than `others` matching `pattern` has been answered, or is
 * waiting on a row lock on the server (InnoDB's LOCK WAIT, asked until seen): either way it has read what
 * it will read, whether or not it locks.
 */
function answeredOrWaiting(db: Knex, others: Set<string>, pattern: RegExp): Promise<void> {
  const seen = signal();
  let uid: string | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    db.removeListener('query', onQuery);
    db.removeListener('query-response', onResponse);
    seen.fire();
  };
  const waitingOnALock = async () => {
    while (!finished) {
      const [rows] = (await db.raw(
        `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
         WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE()`,
      )) as [Array<{ n: number | string }>];
      if (Number(rows[0]!.n) > 0) finish();
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const onQuery = (q: QueryEvent & { __knexQueryUid?: string }) => {
    if (uid === undefined && q.__knexTxId && !others.has(q.__knexTxId) && pattern.test(q.sql)) {
      uid = q.__knexQueryUid;
      void waitingOnALock();
    }
  };
  const onResponse = (_answer: unknown, q: { __knexQueryUid?: string }) => uid !== undefined && q.__knexQueryUid === uid && finish();
  db.on('query', onQuery);
  db.on('query-response', onResponse);
  return within(seen.promise, 15000, `a statement matching ${pattern} answered or waiting`);
}

describe('races timed at one statement (mariadb)', function () {
  this.timeout(60000);
  let h: OffsetHarness;
  let billSeq = 0;

  before(async function () {
    if (!mariadbAvailable) this.skip(); // SQLite serialises writers: neither side can wait on a row there
    h = await startOffsetHarness(mariadbKind, simpleHost);
  });
  afterEach(() => open.splice(0).forEach((letGo) => letGo())); // a failed test leaves no transaction open
  after(async () => h?.close());

  const t = (name: keyof OffsetHarness['ctx']['tables']) => h.ctx.tables[name] as string;
  const complaint = async (): Promise<Complaint> => (await h.complaints.create(intakeBody('101'), counter)).complaint;
  const compensationRows = (complaintId: number) => h.db(t('compensations')).where({ complaint_id: complaintId });
  const newBill = async (amountFen: number): Promise<string> => {
    const id = 960000 + ++billSeq;
    await h.db('bills').insert({ id, unit_id: 101, amount: (amountFen / 100).toFixed(2), period: '2026-11', status: 'unpaid' });
    return String(id);
  };
  const lockedComplaintRead = () => new RegExp(`^select .* from \`${t('complaints')}\` .*for update$`, 'i');
  const complaintReadInTransaction = () => new RegExp(`^select .* from \`${t('complaints')}\``, 'i');

  it('a compensation whose complaint is cancelled after its first read is refused at the locked read, nothing recorded', async () => {
    const c = await complaint();
    const cancelling = held(h.db, (trx) =>
      createComplaintService({ ...h.ctx, db: trx }).transition(
        c.id,
        'cancel',
        { version: c.version, cancelKind: 'registered_in_error', reason: '误登记' },
        supervisor,
      ),
    );
    expect((await cancelling.done).state).to.equal('cancelled');
    // The service's first read (outside its transaction) sees the complaint open: the cancel is not committed.
    // The cancel commits once the read in the service's transaction waits on the row (or, unlocked, answered).
    const lockedRead = answeredOrWaiting(h.db, cancelling.txIds, complaintReadInTransaction());
    const recording = settled(createCompensationService(h.ctx).record(c.id, paid, manager));
    await lockedRead;
    await cancelling.commit();
    const outcome = await recording;
    expect(outcome.ok, outcome.ok ? 'recorded on a cancelled complaint' : '').to.equal(false);
    await refused(Promise.reject((outcome as { err: unknown }).err), 'complaint_cancelled', 409);
    expect(await compensationRows(c.id)).to.deep.equal([]);
  });

  it('two identical submits at once make one record; the second is answered with it as a replay', async () => {
    const c = await complaint();
    const input = { ...paid, idempotencyKey: `same-form-${c.id}` };
    const compensations = createCompensationService(h.ctx);
    const first = held(h.db, (trx) => compensations.record(c.id, input, manager, { trx }));
    const made = await first.done;
    expect(made.created).to.equal(true);
    // The second finds no record by the key (not committed yet), passes its checks and waits on the lock.
    const waiting = sent(h.db, first.txIds, lockedComplaintRead());
    const second = settled(compensations.record(c.id, input, manager));
    await waiting;
    await first.commit();
    const outcome = await second;
    expect(outcome.ok, outcome.ok ? '' : String((outcome as { err: unknown }).err)).to.equal(true);
    const answer = (outcome as { value: typeof made }).value;
    expect(answer.created, 'a replay').to.equal(false);
    expect(answer.compensation).to.deep.equal(made.compensation);
    expect(await compensationRows(c.id)).to.have.length(1);
  });

  it('a merge whose request changes between its read and its UPDATE is refused (offset_changed, both languages), nothing moved', async () => {
    const duplicate = await assessedComplaint(h, '101');
    const survivor = await assessedComplaint(h, '101');
    const r = await h.offsets.raise({ complaintId: duplicate.id, amount: '6', reason: '补偿' }, counter);
    // The service's own approve and reject lock the complaint (a locked read; the event's foreign key), so
    // they queue behind the merge's lock here; the request is changed by a writer that does not (on Galera,
    // whose locks are node-local, a decision on another node does not wait either).
    const deciding = held(h.db, (trx) =>
      trx(t('offsets'))
        .where({ id: r.id, status: 'requested', version: r.version })
        .update({ status: 'rejected', decided_by: director.id, decided_by_name: director.name, decision_note: '不同意', version: r.version + 1 }),
    );
    expect(await deciding.done).to.equal(1);
    // The merge's read of the request (its snapshot, taken at its first read, still shows it pending); its
    // UPDATE then waits on the row until the change commits, whichever reaches the server first.
    const reading = sent(h.db, deciding.txIds, new RegExp(`^select \\* from \`${t('offsets')}\` where \`id\` = \\?`));
    const d = (await h.complaints.get(duplicate.id, supervisor)).complaint;
    const merging = settled(h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复' }, supervisor));
    await reading;
    await deciding.commit();
    const outcome = await merging;
    const err = await refused(outcome.ok ? Promise.resolve(outcome.value) : Promise.reject(outcome.err), 'offset_changed', 409);
    expect(err.localized['zh-CN']).to.equal(`抵扣申请 #${r.id} 刚被他人处理，请刷新后重试合并`);
    expect(err.localized.en).to.equal(`Offset request #${r.id} was just changed by someone else; reload and merge again`);
    const row = await offsetRow(h.db, h, r.id);
    expect([Number(row.complaint_id), row.status, Number(row.version)]).to.deep.equal([duplicate.id, 'rejected', r.version + 1]);
    expect((await h.complaints.get(duplicate.id, supervisor)).complaint.state).to.not.equal('merged');
    const carried = await h.db(t('events')).where({ entity_type: 'offset', entity_id: r.id, action: 'carried_over' });
    expect(carried).to.deep.equal([]);
  });

  it('two applications with one key at once: one application, the other answered as its replay', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '30.00');
    const billId = await newBill(100000);
    const input = { offsetId: o.id, billId, amountFen: 3000, idempotencyKey: `once-${o.id}` };
    const first = held(h.db, (trx) => h.offsets.apply(input, cashier, { trx }));
    const applied = await first.done;
    // The second, in its own ERP transaction, reads before the first commits, then waits on the bill's ledger.
    const waiting = sent(h.db, first.txIds, /^(insert|update) /i);
    const second = held(h.db, (trx) => h.offsets.apply(input, cashier, { trx }));
    await waiting;
    await first.commit();
    const again = await second.done;
    await second.commit();
    expect(again).to.deep.equal(applied);
    expect(await h.db(t('offsetApplications')).where({ offset_id: o.id })).to.have.length(1);
    expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(0);
    expect((await h.offsets.reconcile()).ok).to.equal(true);
  });

  it('an offset revoked while an application in the ERP’s transaction waits on its row is refused as revoked, nothing taken', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '30.00');
    const billId = await newBill(100000);
    const revoking = held(h.db, (trx) => createOffsetService({ ...h.ctx, db: trx }).revoke(o.id, { note: '业主改选现金赔付', version: o.version }, director));
    expect((await revoking.done).status).to.equal('revoked');
    // The application reads the offset as approved (the revoke is not committed), then its UPDATE waits on the row.
    const consuming = sent(h.db, revoking.txIds, new RegExp(`^update \`${t('offsets')}\``, 'i'));
    const applying = held(h.db, (trx) => h.offsets.apply({ offsetId: o.id, billId, amountFen: 1500, idempotencyKey: `late-${o.id}` }, cashier, { trx }));
    await consuming;
    await revoking.commit();
    // Why the UPDATE took nothing is read from the row as committed, not from the application's snapshot.
    const err = await refused(applying.done, 'revoked', 409);
    expect(err.details).to.include({ offsetId: o.id, remainingFen: 0 });
    expect(await h.db(t('offsetApplications')).where({ offset_id: o.id })).to.deep.equal([]);
    const row = await offsetRow(h.db, h, o.id);
    expect([row.status, Number(row.remaining_fen), Number(row.revoked_fen)]).to.deep.equal(['revoked', 0, 3000]);
  });

  it('two reversals with one key at once: one reversal, the other answered as its replay', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '30.00');
    const billId = await newBill(100000);
    const key = `void-${o.id}`;
    await h.offsets.apply({ offsetId: o.id, billId, amountFen: 1200, idempotencyKey: key }, cashier);
    const input = { idempotencyKey: key, reversalKey: `${key}-r` };
    const first = held(h.db, (trx) => h.offsets.reverse(input, cashier, { trx }));
    const reversed = await first.done;
    const waiting = sent(h.db, first.txIds, /for update$/i);
    const second = held(h.db, (trx) => h.offsets.reverse(input, cashier, { trx }));
    await waiting;
    await first.commit();
    const again = await second.done;
    await second.commit();
    expect(again).to.deep.equal(reversed);
    expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(3000);
    expect((await h.offsets.reconcile()).ok).to.equal(true);
  });

  it('two revokes of one approval at once: one revokes, the other is told the offset changed (stale_version), not that it was used up', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '30.00');
    const input = { note: '业主改选现金赔付', version: o.version };
    const first = held(h.db, (trx) => createOffsetService({ ...h.ctx, db: trx }).revoke(o.id, input, director));
    expect((await first.done).status).to.equal('revoked');
    // The second reads the offset as approved at the same version (the first is not committed), then its
    // conditional UPDATE waits on the row; once the first commits it matches nothing.
    const updating = sent(h.db, first.txIds, new RegExp(`^update \`${t('offsets')}\``, 'i'));
    const second = held(h.db, (trx) => createOffsetService({ ...h.ctx, db: trx }).revoke(o.id, input, manager));
    await updating;
    await first.commit();
    const err = await refused(second.done, 'stale_version', 409);
    expect(err.details).to.include({ status: 'revoked' });
    const row = await offsetRow(h.db, h, o.id);
    expect([row.status, Number(row.remaining_fen), Number(row.revoked_fen)]).to.deep.equal(['revoked', 0, 3000]);
    expect(await h.db(t('events')).where({ entity_type: 'offset', entity_id: o.id, action: 'revoke' })).to.have.length(1);
  });

  it('a cancel in a transaction whose snapshot predates an application withdraws what is left after it, and its audit row tells the amounts as they were', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '30.00');
    const billId = await newBill(100000);
    const applying = held(h.db, (trx) =>
      h.offsets.apply({ offsetId: o.id, billId, amountFen: 1000, idempotencyKey: `before-cancel-${o.id}` }, cashier, { trx }),
    );
    expect((await applying.done).remainingFen).to.equal(2000);
    // The caller's transaction reads the offset (its snapshot: ¥30.00 left, the application not committed),
    // then cancels the complaint once the application has committed.
    const snapshotTaken = signal();
    const applied = signal();
    const cancelling = held(h.db, async (trx) => {
      await trx(t('offsets')).where({ id: o.id }).first();
      snapshotTaken.fire();
      await applied.promise;
      return createComplaintService({ ...h.ctx, db: trx }).transition(
        c.id,
        'cancel',
        { version: c.version, cancelKind: 'registered_in_error', reason: '误登记' },
        supervisor,
      );
    });
    await snapshotTaken.promise;
    await applying.commit();
    applied.fire();
    expect((await cancelling.done).state).to.equal('cancelled');
    await cancelling.commit();
    const row = await offsetRow(h.db, h, o.id);
    expect([row.status, Number(row.remaining_fen), Number(row.revoked_fen)]).to.deep.equal(['revoked', 0, 2000]);
    const withdrawn = (await h.db(t('events')).where({ entity_type: 'offset', entity_id: o.id, action: 'withdraw' }).first()) as { changes: string };
    expect(JSON.parse(withdrawn.changes)).to.deep.include({ remaining_fen: [2000, 0], revoked_fen: [0, 2000] });
    expect((await h.offsets.reconcile()).ok).to.equal(true);
  });

  it('an offset expired by the job while an application made before midnight commits records what was left after it', async () => {
    const c = await assessedComplaint(h, '101');
    const o = await approvedOffset(h, c.id, '20.00', { expiresOn: '2026-11-30' });
    const billId = await newBill(100000);
    // 23:59:59 on its last valid day in Shanghai: the ERP's transaction applies ¥10.00 and stays open.
    const beforeMidnight = createOffsetService({ ...h.ctx, clock: { now: () => new Date('2026-11-30T15:59:59.000Z') } });
    const applying = held(h.db, (trx) =>
      beforeMidnight.apply({ offsetId: o.id, billId, amountFen: 1000, idempotencyKey: `midnight-${o.id}` }, cashier, { trx }),
    );
    expect((await applying.done).remainingFen).to.equal(1000);
    // After midnight the job lists the offset (¥20.00 left as committed) and its UPDATE waits on the row.
    const expiring = sent(h.db, applying.txIds, new RegExp(`^update \`${t('offsets')}\``, 'i'));
    const job = expireOffsetsJob.run(h.ctx, new Date('2026-11-30T16:00:01.000Z'));
    await expiring;
    await applying.commit();
    await job;
    const row = await offsetRow(h.db, h, o.id);
    expect([row.status, Number(row.remaining_fen)]).to.deep.equal(['expired', 1000]);
    const expired = (await h.db(t('events')).where({ entity_type: 'offset', entity_id: o.id, action: 'expire' }).first()) as { note: string };
    expect(expired.note).to.contain('过期时剩余 ¥10.00').and.to.contain('¥10.00 left');
  });
});

// The money path under load and failure, on both databases: concurrent applications never exceed the
// approval, one idempotency key makes one application, a reversal restores once, the host's transaction
// carries our writes, a killed connection (MariaDB) leaves nothing half-done, the database itself refuses
// a negative remaining amount, reconciliation finds a hand-made mismatch, and a month-end batch check
// answers 3,000 bills in a constant number of queries.
import { onTransactionEvent } from '../../src/db/transactionEvents.js';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createDb } from '../../src/db/connection.js';
import { isConnectionError } from '../../src/db/errors.js';
import type { ApplyAnswer } from '../../src/offsets/apply.js';
import type { OffsetRefusedError } from '../../src/offsets/refusals.js';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people } from '../support/pluginHarness.js';
import {
  approvedOffset,
  assessedComplaint,
  countRows,
  offsetEvents,
  offsetRow,
  refused,
  startOffsetHarness,
  type OffsetHarness,
} from '../support/offsetData.js';
import type { Complaint } from '../../src/complaints/types.js';

const { cashier } = people;

for (const kind of databaseKinds) {
  describe(`offsets: the money path under load and failure (${kind.kind})`, function () {
    this.timeout(120000);
    let h: OffsetHarness;
    let c: Complaint; // unit 102: bills 1004 (¥99,999.99) and 1005 (¥1,200.00)
    let seq = 0;
    const key = (label: string) => `${kind.kind}-${label}-${++seq}`;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      onTransactionEvent(h.db, (e) => {
        if (e.cause === '1213') ourDeadlocks++;
      });
      c = await assessedComplaint(h, '102');
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    /**
     * Deadlocks (errno 1213) our transactions met on this test's own database, as the retry code reports
     * them (src/db/transactionEvents, keyed by the knex instance): the server-wide Innodb_deadlocks counter
     * also counted other databases' deadlocks. A deadlock is either retried (reported here) or reaches the
     * caller (the tests below fail on any unexpected refusal).
     */
    let ourDeadlocks = 0;
    function deadlocks(): number {
      return ourDeadlocks;
    }

    async function applicationsOf(offsetId: number): Promise<Array<Record<string, any>>> {
      return (await h.db(h.ctx.tables.offsetApplications).where({ offset_id: offsetId }).orderBy('id')) as Array<Record<string, any>>;
    }

    it('never lets 50 concurrent applications exceed one approval: the successes add up to it and nothing is left', async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      const started = Date.now();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 100, idempotencyKey: key(`c50-${i}`) }, cashier)),
      );
      const ms = Date.now() - started;
      const ok = results.filter((r): r is PromiseFulfilledResult<ApplyAnswer> => r.status === 'fulfilled').map((r) => r.value);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as OffsetRefusedError);
      expect(failed.map((e) => e.refusal ?? e.message)).to.satisfy((codes: string[]) => codes.every((code) => code === 'exceeds_remaining'));
      expect(ok).to.have.length(10);
      expect(ok.reduce((s, a) => s + a.amountFen, 0)).to.equal(1000);
      // Each success saw a different remaining amount: 900, 800, …, 0.
      expect(ok.map((a) => a.remainingFen).sort((a, b) => a - b)).to.deep.equal([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
      const row = await offsetRow(h.db, h, o.id);
      expect(Number(row.remaining_fen)).to.equal(0);
      expect(row.status).to.equal('exhausted');
      const apps = await applicationsOf(o.id);
      expect(apps.reduce((s, a) => s + Number(a.amount_fen), 0)).to.equal(1000);
      expect((await offsetEvents(h, o.id)).filter(([action]) => action === 'apply')).to.have.length(10);
      expect((await h.offsets.reconcile()).ok).to.equal(true);
      console.log(`      [${kind.kind}] 50 concurrent applications against ¥10.00: 10 applied, 40 refused, ${ms} ms`);
    });

    it('never exceeds the approval with 50 concurrent applications of different amounts', async () => {
      const o = await approvedOffset(h, c.id, '5.00');
      const amounts = Array.from({ length: 50 }, (_, i) => 1 + ((i * 37) % 50)); // 1..50 fen, shuffled; they add up to 1275
      const results = await Promise.allSettled(
        amounts.map((amountFen, i) => h.offsets.apply({ offsetId: o.id, billId: '1004', amountFen, idempotencyKey: key(`mix-${i}`) }, cashier)),
      );
      const appliedFen = results.reduce((s, r, i) => s + (r.status === 'fulfilled' ? amounts[i]! : 0), 0);
      expect(appliedFen).to.be.at.most(500).and.greaterThan(0);
      const row = await offsetRow(h.db, h, o.id);
      expect(Number(row.remaining_fen)).to.equal(500 - appliedFen);
      expect((await applicationsOf(o.id)).reduce((s, a) => s + Number(a.amount_fen), 0)).to.equal(appliedFen);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as OffsetRefusedError).refusal).to.equal('exceeds_remaining');
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    it('never lets 50 concurrent applications of 50 different offsets take more than one bill, without deadlocks', async () => {
      const other = await assessedComplaint(h, '101');
      const many = [];
      for (let i = 0; i < 50; i++) many.push(await approvedOffset(h, other.id, '3.00'));
      const started = Date.now();
      // Bill 1001 is ¥120.50: forty applications of ¥3.00 fit, the other ten do not.
      const keys = many.map((_, i) => key(`bill-${i}`));
      const deadlocksBefore = deadlocks();
      const results = await Promise.allSettled(
        many.map((o, i) => h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 300, idempotencyKey: keys[i]! }, cashier)),
      );
      const ms = Date.now() - started;
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : ((r.reason as OffsetRefusedError).refusal ?? String(r.reason))));
      expect(outcomes.filter((o) => o === 'ok')).to.have.length(40);
      expect(outcomes.filter((o) => o !== 'ok')).to.deep.equal(Array(10).fill('exceeds_bill'));
      // The bill's first application makes its lock row while 49 others wait for it: they queue, none deadlocks.
      expect(deadlocks() - deadlocksBefore, 'deadlocks on our database (retried by our code)').to.equal(0);
      expect((await h.offsets.check({ billId: '1001', offsets: [] })).appliedFen).to.equal(12000);
      expect((await h.offsets.reconcile()).ok).to.equal(true);
      console.log(`      [${kind.kind}] 50 concurrent applications of different offsets to one ¥120.50 bill: 40 applied, 10 refused, ${ms} ms`);
      // Reversals and new applications on the same bill at once: each restores once, the bill never overflows.
      const appliedKeys = keys.filter((_, i) => results[i]!.status === 'fulfilled').slice(0, 20);
      const reversals = appliedKeys.map((k) => h.offsets.reverse({ idempotencyKey: k, reversalKey: `${k}-void` }, cashier));
      const unused = many.filter((_, i) => results[i]!.status === 'rejected');
      const fresh = unused.map((o, i) => h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 300, idempotencyKey: key(`bill-again-${i}`) }, cashier));
      const mixed = await Promise.allSettled([...reversals, ...fresh]);
      expect(mixed.slice(0, 20).every((r) => r.status === 'fulfilled')).to.equal(true);
      for (const r of mixed.slice(20)) if (r.status === 'rejected') expect((r.reason as OffsetRefusedError).refusal).to.equal('exceeds_bill');
      const applied = (await h.offsets.check({ billId: '1001', offsets: [] })).appliedFen;
      expect(applied).to.be.at.most(12050);
      expect(applied).to.equal(12000 - 20 * 300 + 300 * mixed.slice(20).filter((r) => r.status === 'fulfilled').length);
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    it('takes first applications to 40 new bills at once without a deadlock (no shared index gap)', async function () {
      if (kind.kind !== 'mariadb') this.skip();
      const other = await assessedComplaint(h, '101');
      const offsets: Array<{ id: number }> = [];
      for (let i = 0; i < 4; i++) offsets.push(await approvedOffset(h, other.id, '100'));
      // New bills with neighbouring ids: none has an application yet, so they share one gap of the index.
      const bills = Array.from({ length: 40 }, (_, i) => ({ id: 700000 + i, unit_id: 101, amount: '10.00', period: '2027-01', status: 'unpaid' }));
      await h.db('bills').insert(bills);
      const before = deadlocks();
      const results = await Promise.allSettled(
        bills.map((b, i) => h.offsets.apply({ offsetId: offsets[i % 4]!.id, billId: String(b.id), amountFen: 500, idempotencyKey: key(`gap-${i}`) }, cashier)),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).to.deep.equal([]);
      expect(deadlocks() - before, 'deadlocks on our database during the run').to.equal(0);
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    it('applies two offset lines to one bill inside one host transaction', async () => {
      const a = await approvedOffset(h, c.id, '1.00');
      const b = await approvedOffset(h, c.id, '2.00');
      const bill = '1004';
      const answers = await h.db.transaction(async (trx) => [
        await h.offsets.apply({ offsetId: a.id, billId: bill, amountFen: 100, idempotencyKey: key('line-1') }, cashier, { trx }),
        await h.offsets.apply({ offsetId: b.id, billId: bill, amountFen: 200, idempotencyKey: key('line-2') }, cashier, { trx }),
      ]);
      expect(answers.map((x) => x.remainingFen)).to.deep.equal([0, 0]);
      expect(await applicationsOf(a.id)).to.have.length(1);
      expect(await applicationsOf(b.id)).to.have.length(1);
    });

    it('makes one application of 10 concurrent calls with the same key, all answering identically; the key with another amount is refused', async () => {
      const o = await approvedOffset(h, c.id, '3.00');
      const k = key('same');
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 120, idempotencyKey: k }, cashier)),
      );
      for (const a of answers) expect(a).to.deep.equal(answers[0]);
      expect(answers[0]).to.include({ offsetId: o.id, billId: '1005', amountFen: 120, remainingFen: 180, idempotencyKey: k, state: 'applied' });
      expect(await applicationsOf(o.id)).to.have.length(1);
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(180);
      // Later, sequentially: the stored answer again.
      expect(await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 120, idempotencyKey: k }, cashier)).to.deep.equal(answers[0]);
      const err = await refused(h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 121, idempotencyKey: k }, cashier), 'idempotency_mismatch', 409);
      expect(err.details.stored).to.deep.equal({ offsetId: o.id, billId: '1005', amountFen: 120, state: 'applied' });
      await refused(h.offsets.apply({ offsetId: o.id, billId: '1004', amountFen: 120, idempotencyKey: k }, cashier), 'idempotency_mismatch', 409);
      // Concurrent mismatches are refused too, and leave the one application alone.
      const mixed = await Promise.allSettled(
        [120, 121, 120, 122].map((amountFen) => h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen, idempotencyKey: k }, cashier)),
      );
      expect(mixed.map((r) => (r.status === 'fulfilled' ? 'same' : (r.reason as { code: string }).code))).to.deep.equal([
        'same',
        'idempotency_mismatch',
        'same',
        'idempotency_mismatch',
      ]);
      expect(await applicationsOf(o.id)).to.have.length(1);
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(180);
    });

    it('restores a reversed application once, even when the reversal is sent ten times at once', async () => {
      const o = await approvedOffset(h, c.id, '2.00');
      const k = key('rev');
      await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 200, idempotencyKey: k }, cashier);
      expect((await offsetRow(h.db, h, o.id)).status).to.equal('exhausted');
      const reversals = await Promise.all(Array.from({ length: 10 }, () => h.offsets.reverse({ idempotencyKey: k, reversalKey: `${k}-void` }, cashier)));
      for (const r of reversals) expect(r).to.deep.equal(reversals[0]);
      expect(reversals[0]).to.include({ amountFen: 200, remainingFen: 200, reversalKey: `${k}-void` });
      const row = await offsetRow(h.db, h, o.id);
      expect(Number(row.remaining_fen)).to.equal(200);
      expect(row.status).to.equal('approved');
      await refused(h.offsets.reverse({ idempotencyKey: k, reversalKey: `${k}-void-2` }, cashier), 'already_reversed', 409);
      await refused(h.offsets.reverse({ idempotencyKey: `${k}-unknown`, reversalKey: `${k}-void-3` }, cashier), 'application_not_found', 404);
      expect((await offsetEvents(h, o.id)).map(([a]) => a)).to.deep.equal(['request', 'approve', 'apply', 'reverse']);
      // The restored amount can be used again, under a new key.
      await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 200, idempotencyKey: key('rev-again') }, cashier);
      // A reversal key is the host's voiding id: it cannot restore a second application.
      await refused(h.offsets.reverse({ idempotencyKey: `${kind.kind}-rev-again-${seq}`, reversalKey: `${k}-void` }, cashier), 'idempotency_mismatch', 409);
      const report = await h.offsets.reconcile();
      expect(report.ok).to.equal(true);
    });

    it("commits or rolls back with the host's own transaction", async () => {
      const o = await approvedOffset(h, c.id, '4.00');
      const eventsBefore = await countRows(h.db, h.ctx.tables.events);
      const k = key('host-rollback');
      const hostFailure = new Error('the host could not save the payment');
      let answer: ApplyAnswer | undefined;
      const outcome = await h.db
        .transaction(async (trx) => {
          answer = await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 150, idempotencyKey: k }, cashier, { trx });
          // Inside the transaction our write is visible…
          expect(Number((await trx(h.ctx.tables.offsets).where({ id: o.id }).first()).remaining_fen)).to.equal(250);
          throw hostFailure;
        })
        .catch((err: unknown) => err);
      expect(outcome).to.equal(hostFailure);
      expect(answer).to.include({ remainingFen: 250 });
      // …and after the rollback nothing of it is left.
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(400);
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(0);
      expect(await countRows(h.db, h.ctx.tables.events)).to.equal(eventsBefore);

      // A refusal inside the host's transaction undoes only our part; the host's transaction goes on.
      await h.db.transaction(async (trx) => {
        await refused(
          h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 401, idempotencyKey: key('host-refused') }, cashier, { trx }),
          'exceeds_remaining',
          409,
        );
        const committed = await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 150, idempotencyKey: k }, cashier, { trx });
        expect(committed.remainingFen).to.equal(250);
      });
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(250);
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(1);
      // Reversal in a rolled-back host transaction restores nothing either.
      await h.db
        .transaction(async (trx) => {
          await h.offsets.reverse({ idempotencyKey: k, reversalKey: `${k}-void` }, cashier, { trx });
          throw hostFailure;
        })
        .catch(() => undefined);
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(250);
      expect((await h.db(h.ctx.tables.offsetApplications).where({ idempotency_key: k }).first()).state).to.equal('applied');
    });

    if (kind.kind === 'mariadb') {
      describe('a connection killed mid-apply (MariaDB)', () => {
        let admin: Knex;
        let blocker: Knex;
        before(() => {
          admin = createDb(h.database.url, { poolMax: 1 });
          blocker = createDb(h.database.url, { poolMax: 1 });
        });
        after(async () => {
          await admin?.destroy();
          await blocker?.destroy();
        });

        /**
         * The connection whose statement waits on the held audit table. PROCESSLIST is live; INNODB_TRX is
         * a cache InnoDB refreshes only after 0.1 s without readers, so polling it often never sees the wait.
         */
        async function waitingThread(table: string): Promise<{ id: number; query: string }> {
          for (let i = 0; i < 250; i++) {
            const [rows] = (await admin.raw(
              `SELECT ID AS id, INFO AS query FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE ?`,
              [`insert into \`${table}\`%`],
            )) as [Array<{ id: number; query: string | null }>];
            if (rows[0]) return { id: Number(rows[0].id), query: String(rows[0].query ?? '') };
            await new Promise((r) => setTimeout(r, 20));
          }
          throw new Error('the apply never reached the held audit table');
        }

        it('leaves nothing half-done when the connection dies between consuming and recording, and a retry converges', async () => {
          const o = await approvedOffset(h, c.id, '6.00');
          const k = key('killed');
          const eventsBefore = await countRows(h.db, h.ctx.tables.events);
          // Another transaction holds the end of the audit table: the apply consumes the offset, writes its
          // application row, then waits to write its audit event, with its transaction open.
          const hold = await blocker.transaction();
          const maxId = Number(((await hold(h.ctx.tables.events).max({ m: 'id' })) as Array<{ m: number }>)[0]!.m);
          await hold.raw(`SELECT id FROM ?? WHERE id > ? FOR UPDATE`, [h.ctx.tables.events, maxId]);
          const applying = h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 250, idempotencyKey: k }, cashier).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          try {
            const waiting = await waitingThread(h.ctx.tables.events);
            // Mid-apply: the offset was consumed (600 → 350) and the application written in that transaction.
            expect(waiting.query).to.contain('"remaining_fen\\":[600,350]').and.contain(k);
            await admin.raw(`KILL ${waiting.id}`);
          } finally {
            await hold.rollback().catch(() => undefined);
          }
          const result = await applying;
          expect('error' in result && isConnectionError(result.error), String('error' in result ? result.error : 'applied')).to.equal(true);
          // Nothing of it survived: remaining, application, audit event.
          expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(600);
          expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(0);
          expect(await countRows(h.db, h.ctx.tables.events)).to.equal(eventsBefore);
          // The host retries with the same key: applied exactly once.
          const retried = await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 250, idempotencyKey: k }, cashier);
          expect(retried.remainingFen).to.equal(350);
          expect(await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 250, idempotencyKey: k }, cashier)).to.deep.equal(retried);
          expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(1);
          expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(350);
          expect((await h.offsets.reconcile()).ok).to.equal(true);
        });

        it("leaves nothing when the host's own connection is killed after the apply, before its commit; the retry converges", async () => {
          const o = await approvedOffset(h, c.id, '6.00');
          const k = key('host-killed');
          const outcome = await h.db
            .transaction(async (trx) => {
              const [[{ id }]] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [[{ id: number }]];
              const answer = await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 600, idempotencyKey: k }, cashier, { trx });
              expect(answer.remainingFen).to.equal(0);
              await admin.raw(`KILL ${Number(id)}`);
              // The host goes on to write its payment: the connection is gone, so the transaction fails.
              await trx.raw('SELECT 1');
            })
            .then(
              () => 'committed',
              () => 'failed',
            );
          expect(outcome).to.equal('failed');
          expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(600);
          expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(0);
          const retried = await h.db.transaction((trx) =>
            h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 600, idempotencyKey: k }, cashier, { trx }),
          );
          expect(retried.remainingFen).to.equal(0);
          expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(1);
          expect((await offsetRow(h.db, h, o.id)).status).to.equal('exhausted');
          expect((await h.offsets.reconcile()).ok).to.equal(true);
        });
      });
    }

    it('has the database refuse a remaining amount below zero (or above the approval) written by hand', async () => {
      const o = await approvedOffset(h, c.id, '1.00');
      const table = h.ctx.tables.offsets;
      const before = await offsetRow(h.db, h, o.id);
      const attempts = [
        h.db(table).where({ id: o.id }).update({ remaining_fen: -1 }),
        h
          .db(table)
          .where({ id: o.id })
          .update({ remaining_fen: h.db.raw('remaining_fen - 101') }),
        h.db.raw(`UPDATE ${table} SET remaining_fen = -50 WHERE id = ?`, [o.id]),
        h.db(table).where({ id: o.id }).update({ remaining_fen: 101 }),
        h.db(table).where({ id: o.id }).update({ approved_fen: 0, remaining_fen: 0 }),
      ];
      for (const [i, attempt] of attempts.entries()) {
        const err = await attempt.then(
          () => null,
          (e: unknown) => e as { code?: string; errno?: number },
        );
        expect(err, `attempt ${i} must be refused`).to.not.equal(null);
        expect(err!.code ?? String(err!.errno), `attempt ${i}`).to.match(/CONSTRAINT|ER_|^\d+$/);
      }
      expect(await offsetRow(h.db, h, o.id)).to.deep.equal(before);
      // The CHECK is declared in the schema itself, not only implied by UNSIGNED.
      if (kind.kind === 'mariadb') {
        const [checks] = (await h.db.raw(
          `SELECT CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
          [table],
        )) as [Array<{ name: string; clause: string }>];
        expect(checks.find((r) => r.name === `${table}_remaining_chk`)?.clause).to.contain('remaining_fen');
      } else {
        const { sql } = (await h.db('sqlite_master').where({ type: 'table', name: table }).first()) as { sql: string };
        expect(sql).to.contain('remaining_fen >= 0');
      }
      // The application amounts are guarded the same way.
      await refused(
        h
          .db(h.ctx.tables.offsetApplications)
          .insert({
            offset_id: o.id,
            bill_id: '1005',
            amount_fen: 0,
            idempotency_key: key('zero'),
            params_hash: 'x',
            state: 'applied',
            remaining_after_fen: 100,
            applied_at: '2026-11-28 01:00:00.000',
            applied_by: 'x',
            applied_by_name: 'x',
          })
          .catch((e: { code?: string; errno?: number }) => {
            throw Object.assign(new Error('refused'), { code: 'refused_by_db', driver: e.code ?? e.errno });
          }),
        'refused_by_db',
      );
    });

    it('reconciliation finds a hand-made mismatch and says by how much', async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      await h.offsets.apply({ offsetId: o.id, billId: '1004', amountFen: 300, idempotencyKey: key('recon') }, cashier);
      const clean = await h.offsets.reconcile();
      expect(clean.ok).to.equal(true);
      expect(clean.totals.approvedFen).to.equal(clean.totals.appliedFen - clean.totals.reversedFen + clean.totals.remainingFen + clean.totals.revokedFen);
      // Someone "fixes" the remaining amount by hand.
      await h.db(h.ctx.tables.offsets).where({ id: o.id }).update({ remaining_fen: 750 });
      const report = await h.offsets.reconcile();
      expect(report.ok).to.equal(false);
      expect(report.mismatches).to.deep.equal([
        {
          offsetId: o.id,
          complaintId: c.id,
          status: 'approved',
          approvedFen: 1000,
          appliedFen: 300,
          reversedFen: 0,
          remainingFen: 750,
          revokedFen: 0,
          differenceFen: -50,
        },
      ]);
      expect(report.offsetsChecked).to.equal(clean.offsetsChecked);
      await h.db(h.ctx.tables.offsets).where({ id: o.id }).update({ remaining_fen: 700 });
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    it('checks 3,000 bills in one batch in a constant number of queries, answering each in order', async () => {
      // 3,000 more bills on units 101 and 102 (the host's data in this test database).
      const bills = Array.from({ length: 3000 }, (_, i) => ({
        id: 500000 + i,
        unit_id: i % 2 ? 102 : 101,
        amount: `${(i % 500) + 1}.${String(i % 100).padStart(2, '0')}`,
        period: '2026-12',
        status: 'unpaid',
      }));
      for (let i = 0; i < bills.length; i += 500) await h.db('bills').insert(bills.slice(i, i + 500));
      const other = await assessedComplaint(h, '101', { threatenedWithholding: true });
      // One offset on each unit, and one limited to the first new bill.
      const on102 = await approvedOffset(h, c.id, '100');
      const on101 = await approvedOffset(h, other.id, '100');
      const limited = await approvedOffset(h, other.id, '1', { billIds: ['500000'] });
      const batch = bills.map((b, i) => ({
        billId: String(b.id),
        offsets: [
          ...(i % 3 === 1 ? [{ offsetId: on102.id, amountFen: 100 }] : i % 3 === 2 ? [{ offsetId: on101.id, amountFen: 100 }] : []),
          ...(i % 7 === 0 ? [{ offsetId: limited.id, amountFen: 1 }] : []),
        ],
      }));

      const count = async <T>(work: () => Promise<T>): Promise<{ result: T; queries: number; ms: number }> => {
        let queries = 0;
        const listener = () => queries++;
        h.db.on('query', listener);
        const started = Date.now();
        try {
          const result = await work();
          return { result, queries, ms: Date.now() - started };
        } finally {
          h.db.removeListener('query', listener);
        }
      };
      await h.offsets.checkBills(batch.slice(0, 1)); // warm the host table descriptions and settings
      const one = await count(() => h.offsets.checkBills(batch.slice(0, 1)));
      const all = await count(() => h.offsets.checkBills(batch));
      const results = all.result;
      expect(results.map((r) => r.billId)).to.deep.equal(batch.map((b) => b.billId));
      expect(results.every((r) => r.found && r.collectible)).to.equal(true);
      // Chunks of 1,000 ids: three host-bill queries, three applied-amount queries, a few more; never one per bill.
      expect(all.queries)
        .to.be.at.most(one.queries + 6)
        .and.at.most(15);
      for (const [i, r] of results.entries()) {
        const unit = bills[i]!.unit_id;
        const expected = batch[i]!.offsets.map((l) => {
          if (l.offsetId === limited.id) return unit !== 101 ? 'other_unit' : bills[i]!.id === 500000 ? 'allowed' : 'not_valid_for_bill';
          return (l.offsetId === on102.id) === (unit === 102) ? 'allowed' : 'other_unit';
        });
        expect(
          r.offsets.map((v) => v.code),
          `bill ${r.billId}`,
        ).to.deep.equal(expected);
        const warned = r.warnings.some((w) => w.code === 'withholding_threat');
        expect(warned, `bill ${r.billId}`).to.equal(bills[i]!.unit_id === 101);
      }
      console.log(`      [${kind.kind}] batch check: 3,000 bills in ${all.queries} queries (1 bill: ${one.queries}), ${all.ms} ms`);
    });
  });
}

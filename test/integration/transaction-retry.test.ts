// Conflicting transactions on one MariaDB server, standing in for a Galera certification conflict (which
// the loser also sees as deadlock 1213): our own transactions are retried whole with bounded attempts,
// every retry is reported to the listeners (metrics), and when the attempts run out the billing API
// answers 503 `retry_later` with Retry-After, having written nothing, so the host's retry with the same
// payment id is safe. Also: causal reads are off on a server without wsrep, and switchable.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { mariadbAvailable, mariadbKind, sqliteKind, type TestDatabase } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { approvedOffset, assessedComplaint, countRows, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { inTransaction, onTransactionRetry, type TransactionRetry } from '../../src/db/transaction.js';
import { errorPageFor } from '../../src/http/pageErrors.js';
import { causalReadsEnabled, configureCausalReads, seeLatestWrites } from '../../src/db/causalReads.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

(mariadbAvailable ? describe : describe.skip)('transaction retries and the 503 for conflicts (mariadb)', function () {
  this.timeout(60000);

  describe('a real deadlock between two connections', () => {
    let database: TestDatabase;
    let db: Knex;
    before(async () => {
      database = await mariadbKind.create();
      db = database.db;
      await db.schema.createTable('t', (t) => {
        t.integer('id').primary();
        t.integer('v').notNullable();
      });
      await db('t').insert(Array.from({ length: 12 }, (_, i) => ({ id: i + 1, v: 0 })));
    });
    after(async () => database?.drop());

    it('is retried whole: the loser runs again and both commit; the retry is reported with errno 1213', async () => {
      const seen: TransactionRetry[] = [];
      const stop = onTransactionRetry((e) => seen.push(e));
      const own: TransactionRetry[] = [];
      let ourAttempts = 0;
      try {
        // The other transaction changes many rows (so InnoDB picks ours, the lighter one, as the victim),
        // takes row 2, then waits for row 1, which ours holds; ours then asks for row 2: a cycle.
        let otherHasRow2!: () => void;
        const row2Taken = new Promise<void>((r) => (otherHasRow2 = r));
        let oursHasRow1!: () => void;
        const row1Taken = new Promise<void>((r) => (oursHasRow1 = r));
        const other = db.transaction(async (trx) => {
          await trx('t')
            .whereBetween('id', [2, 12])
            .update({ v: trx.raw('v + 100') });
          otherHasRow2();
          await row1Taken;
          await trx('t')
            .where({ id: 1 })
            .update({ v: trx.raw('v + 100') });
        });
        const ours = inTransaction(
          db,
          async (trx) => {
            ourAttempts++;
            await trx('t')
              .where({ id: 1 })
              .update({ v: trx.raw('v + 1') });
            if (ourAttempts === 1) {
              await row2Taken;
              oursHasRow1();
              await sleep(100); // the other is now waiting for row 1
            }
            await trx('t')
              .where({ id: 2 })
              .update({ v: trx.raw('v + 1') });
            return ourAttempts;
          },
          { onRetry: (e) => own.push(e) },
        );
        const [, attempts] = await Promise.all([other, ours]);
        expect(attempts).to.equal(2);
      } finally {
        stop();
      }
      expect(own).to.have.length(1);
      expect(own[0]).to.include({ attempt: 1, maxAttempts: 5, errno: 1213, code: 'ER_LOCK_DEADLOCK', willRetry: true });
      expect(own[0]!.delayMs).to.be.within(5, 10);
      expect(seen).to.deep.equal(own);
      // The same error, had the retries run out, is a "try again" page, not a 500.
      const page = errorPageFor(Object.assign(new Error('deadlock'), { errno: own[0]!.errno }), () => expect.fail('logged as unexpected'));
      expect(page.status).to.equal(503);
      expect(page.message.en).to.match(/not saved/);
      // Each side's changes are there exactly once.
      const rows = (await db('t').whereIn('id', [1, 2]).orderBy('id')) as Array<{ v: number }>;
      expect(rows.map((r) => r.v)).to.deep.equal([101, 101]);
    });

    it('gives up after the bounded attempts and lets the 1213 go up', async () => {
      const own: TransactionRetry[] = [];
      let attempts = 0;
      const deadlock = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
        errno: 1213,
        code: 'ER_LOCK_DEADLOCK',
      });
      try {
        await inTransaction(
          db,
          async () => {
            attempts++;
            throw deadlock;
          },
          { retries: 2, onRetry: (e) => own.push(e) },
        );
        expect.fail('should have given up');
      } catch (err) {
        expect(err).to.equal(deadlock);
      }
      expect(attempts).to.equal(3);
      expect(own.map((e) => [e.attempt, e.willRetry])).to.deep.equal([
        [1, true],
        [2, true],
        [3, false],
      ]);
    });

    it('does not retry what is not a conflict', async () => {
      let attempts = 0;
      try {
        await inTransaction(db, async (trx) => {
          attempts++;
          await trx('t').insert({ id: 1, v: 0 }); // duplicate key
        });
      } catch (err) {
        expect((err as { errno: number }).errno).to.equal(1062);
      }
      expect(attempts).to.equal(1);
    });
  });

  describe('the billing API when the retries run out', () => {
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(mariadbKind, simpleHost);
    });
    after(async () => h?.close());

    it('answers 503 retry_later with Retry-After, writes nothing, and the same payment id applies once later', async () => {
      const complaint = await assessedComplaint(h, '101');
      const offset = await approvedOffset(h, complaint.id, '30');
      const ledger = h.ctx.tables.offsetBillLedger;
      // Every write to bill 1001's ledger row fails as a certification conflict would: errno 1213.
      const trigger = 'cmp_test_force_deadlock';
      for (const timing of ['INSERT', 'UPDATE']) {
        await h.db.raw(
          `CREATE TRIGGER ${trigger}_${timing.toLowerCase()} BEFORE ${timing} ON \`${ledger}\` FOR EACH ROW ` +
            `IF NEW.bill_id = '1001' THEN SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock found when trying to get lock; try restarting transaction'; END IF`,
        );
      }
      const seen: TransactionRetry[] = [];
      const stop = onTransactionRetry((e) => seen.push(e));
      const body = { offsetId: offset.id, billId: '1001', amountFen: 1200, idempotencyKey: 'PAY-RETRY-1' };
      let res;
      try {
        res = await h.billing('POST', '/api/billing/apply', body, { headers: { 'accept-language': 'en' } });
      } finally {
        stop();
        for (const timing of ['insert', 'update']) await h.db.raw(`DROP TRIGGER IF EXISTS ${trigger}_${timing}`);
      }
      expect(res.status, JSON.stringify(res.body)).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('1');
      expect(res.body.error).to.include({ code: 'retry_later', retryable: true });
      expect(res.body.error.message).to.match(/retry/i);
      expect(seen.map((e) => [e.attempt, e.errno, e.willRetry])).to.deep.equal([
        [1, 1213, true],
        [2, 1213, true],
        [3, 1213, true],
        [4, 1213, true],
        [5, 1213, false],
      ]);
      expect(h.unexpectedErrors).to.deep.equal([]);
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: 'PAY-RETRY-1' })).to.equal(0);
      expect(Number((await h.db(h.ctx.tables.offsets).where({ id: offset.id }).first()).remaining_fen)).to.equal(3000);

      // The host retries the same payment: applied once, and a second retry replays it.
      const again = await h.billing('POST', '/api/billing/apply', body);
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      const replay = await h.billing('POST', '/api/billing/apply', body);
      expect(replay.status).to.equal(200);
      expect(replay.body.applicationId).to.equal(again.body.applicationId);
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: 'PAY-RETRY-1' })).to.equal(1);
      expect(Number((await h.db(h.ctx.tables.offsets).where({ id: offset.id }).first()).remaining_fen)).to.equal(1800);
    });
  });

  describe('causal reads', () => {
    it('are off on a server without wsrep and on SQLite, and can be forced on or off', async () => {
      const maria = await mariadbKind.create();
      const lite = await sqliteKind.create();
      try {
        expect(await causalReadsEnabled(maria.db)).to.equal(false);
        expect(await causalReadsEnabled(lite.db)).to.equal(false);
        await seeLatestWrites(lite.db);
        configureCausalReads(maria.db, 'on');
        expect(await causalReadsEnabled(maria.db)).to.equal(true);
        // The statement itself is accepted by MariaDB with wsrep off (it waits for nothing there).
        await maria.db.transaction(async (trx) => {
          expect(await causalReadsEnabled(trx)).to.equal(true);
          await seeLatestWrites(trx);
        });
        configureCausalReads(maria.db, 'off');
        expect(await causalReadsEnabled(maria.db)).to.equal(false);
      } finally {
        await maria.drop();
        await lite.drop();
      }
    });
  });
});

// The optional database guard (install --enforce-offsets) on both databases and two host shapes: a
// trigger on the host payment table refuses a row carrying an offset that has no matching applied
// application, accepts a matching one (also inside the host's transaction), and goes away on uninstall;
// host rows are never changed and the host schema is back as it was after uninstall.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds } from '../support/databases.js';
import { HC, simpleHost, stringIdHost, type HostFixture } from '../fixtures/hosts.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, countRows, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { checksumTables } from '../support/checksum.js';
import { isMysql } from '../../src/db/connection.js';
import { install, InstallError, status, uninstall } from '../../src/install/installer.js';
import { OFFSET_GUARD_MESSAGE, offsetGuardName, offsetGuardTable } from '../../src/install/offsetGuard.js';
import { validateMapping, type HostMapping } from '../../src/host/mapping.js';

const { cashier } = people;

interface PaymentHost {
  fixture: HostFixture;
  table: string;
  /** A payment row for the host's own columns. */
  row(n: number, billId: string, offsetAmount: number | null, offsetRef: string | null): Record<string, unknown>;
  /** The offset amount as the host writes it, for an application of `fen`. */
  amount(fen: number): number | string;
  unit: string;
  bills: [string, string];
}

/** simpleHost with a payments table: integer ids, yuan as DECIMAL(10,2). */
const yuanPayments: PaymentHost = {
  table: 'payments',
  fixture: {
    ...simpleHost,
    name: 'simpleHost+payments',
    tables: [...simpleHost.tables, 'payments'],
    mapping: {
      ...simpleHost.mapping,
      payment: { table: 'payments', key: 'id', columns: { bill: 'bill_id', offsetAmount: 'offset_amount', offsetRef: 'offset_ref' } },
    },
    async create(db) {
      await simpleHost.create(db);
      const sql =
        'CREATE TABLE payments (id INT NOT NULL PRIMARY KEY, bill_id INT NOT NULL, cash DECIMAL(10,2) NOT NULL, offset_amount DECIMAL(10,2), offset_ref VARCHAR(64))';
      await db.raw(isMysql(db) ? `${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4` : sql);
      await db('payments').insert([
        { id: 1, bill_id: 1003, cash: '1.15', offset_amount: null, offset_ref: null },
        { id: 2, bill_id: 1003, cash: '0.00', offset_amount: '0.00', offset_ref: null },
      ]);
    },
  },
  row: (n, billId, offsetAmount, offsetRef) => ({ id: 100 + n, bill_id: Number(billId), cash: '1.00', offset_amount: offsetAmount, offset_ref: offsetRef }),
  amount: (fen) => (fen / 100).toFixed(2),
  unit: '101',
  bills: ['1001', '1002'],
};

/** stringIdHost with a utf8mb3 fee-detail table: long varchar ids, fen as INT. */
const fenPayments: PaymentHost = {
  table: 'pay_fee_detail',
  fixture: {
    ...stringIdHost,
    name: 'stringIdHost+pay_fee_detail',
    tables: [...stringIdHost.tables, 'pay_fee_detail'],
    mapping: {
      ...stringIdHost.mapping,
      payment: { table: 'pay_fee_detail', key: 'detail_id', columns: { bill: 'fee_id', offsetAmount: 'discount_amount', offsetRef: 'discount_ref' } },
    },
    async create(db) {
      await stringIdHost.create(db);
      const sql =
        'CREATE TABLE pay_fee_detail (detail_id VARCHAR(30) NOT NULL PRIMARY KEY, fee_id VARCHAR(30) NOT NULL, received_amount INT NOT NULL, discount_amount INT NOT NULL DEFAULT 0, discount_ref VARCHAR(64))';
      await db.raw(isMysql(db) ? `${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb3` : sql);
      await db('pay_fee_detail').insert([
        { detail_id: '912020010100000001', fee_id: HC.fee.paid, received_amount: 30000, discount_amount: 0, discount_ref: null },
      ]);
    },
  },
  row: (n, billId, offsetAmount, offsetRef) => ({
    detail_id: `9120200101${String(n).padStart(8, '0')}`,
    fee_id: billId,
    received_amount: 100,
    discount_amount: offsetAmount ?? 0,
    discount_ref: offsetRef,
  }),
  amount: (fen) => fen,
  unit: HC.room.twoOwners,
  bills: [HC.fee.unpaid1, HC.fee.unpaid2],
};

/** Every row of the host tables, without the schema: install and uninstall must never change these. */
async function hostRows(db: Knex, tables: string[]): Promise<string> {
  const out: unknown[] = [];
  for (const table of tables) out.push(table, await db(table).select('*').orderByRaw('1'));
  return JSON.stringify(out);
}

async function refusedByGuard(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e as { message: string },
  );
  expect(err, 'the guard must refuse this row').to.not.equal(null);
  expect(err!.message).to.contain('without an applied offset application');
}

for (const kind of databaseKinds) {
  for (const host of [yuanPayments, fenPayments]) {
    describe(`offset guard trigger on ${host.fixture.name} (${kind.kind})`, function () {
      this.timeout(60000);
      let h: OffsetHarness;
      let mapping: HostMapping;
      let n = 0;
      const insert = (billId: string, offsetAmount: number | string | null, offsetRef: string | null, db: Knex | Knex.Transaction = h.db) =>
        db(host.table).insert(host.row(++n, billId, offsetAmount as number | null, offsetRef));

      before(async () => {
        h = await startOffsetHarness(kind, host.fixture);
        mapping = validateMapping(host.fixture.mapping);
      });
      after(async () => h?.close());

      it('is off by default, and refuses to install without a payment mapping', async () => {
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(null);
        expect((await status(h.db, mapping)).offsetGuardTable).to.equal(null);
        const { payment: _none, ...withoutPayment } = mapping;
        const err = await install(h.db, withoutPayment, { enforceOffsets: true }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(InstallError);
        expect((err as Error).message).to.contain('payment');
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(null);
      });

      it('install adds it and uninstall removes it, changing no host row and leaving the host schema as it was', async () => {
        const before = await checksumTables(h.db, host.fixture.tables);
        const rows = await hostRows(h.db, host.fixture.tables);
        const result = await install(h.db, mapping, { enforceOffsets: true });
        expect(result.offsetGuard).to.deep.equal({ trigger: offsetGuardName('cmp_'), table: host.table });
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(host.table);
        expect((await status(h.db, mapping)).offsetGuardTable).to.equal(host.table);
        expect(await hostRows(h.db, host.fixture.tables)).to.equal(rows);
        // Only the payment table's schema gained the trigger.
        const installed = await checksumTables(h.db, host.fixture.tables);
        for (const table of host.fixture.tables) expect(installed[table] === before[table], table).to.equal(table !== host.table);
        // Installing again re-creates it (a changed mapping takes effect) and still changes no row.
        await install(h.db, mapping, { enforceOffsets: true });
        expect(await checksumTables(h.db, host.fixture.tables)).to.deep.equal(installed);
        // An install without the flag leaves it in place.
        await install(h.db, mapping);
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(host.table);
        const removed = await uninstall(h.db, mapping);
        expect(removed).to.include({ purged: false, offsetGuardRemoved: true });
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(null);
        expect(await checksumTables(h.db, host.fixture.tables)).to.deep.equal(before);
      });

      it('refuses a payment row carrying an offset that was never applied, by direct SQL', async () => {
        await install(h.db, mapping, { enforceOffsets: true });
        await refusedByGuard(insert(host.bills[0], host.amount(1000), 'FORGED-1'));
        await refusedByGuard(insert(host.bills[0], host.amount(1), null));
        // Rows without an offset are the host's business: always accepted.
        await insert(host.bills[0], null, null);
        await insert(host.bills[0], host.amount(0), 'no offset here');
      });

      it('accepts the row of an applied offset (same key, bill and amount) and refuses any other', async () => {
        const c = await assessedComplaint(h, host.unit);
        const o = await approvedOffset(h, c.id, '20');
        const k = `PAY-${kind.kind}-${host.table}-1`;
        await h.offsets.apply({ offsetId: o.id, billId: host.bills[0], amountFen: 1000, idempotencyKey: k }, cashier);
        await refusedByGuard(insert(host.bills[0], host.amount(1001), k));
        await refusedByGuard(insert(host.bills[1], host.amount(1000), k));
        await refusedByGuard(insert(host.bills[0], host.amount(1000), `${k}-other`));
        await refusedByGuard(insert(host.bills[0], host.amount(1000), k.toLowerCase()));
        await insert(host.bills[0], host.amount(1000), k);
        // Once the payment is voided and the application reversed, the same row is refused again.
        await h.offsets.reverse({ idempotencyKey: k, reversalKey: `${k}-void` }, cashier);
        await refusedByGuard(insert(host.bills[0], host.amount(1000), k));
      });

      it("accepts the payment in the host's transaction right after the apply, and keeps neither when it rolls back", async () => {
        const c = await assessedComplaint(h, host.unit);
        const o = await approvedOffset(h, c.id, '5');
        const k = `PAY-${kind.kind}-${host.table}-trx`;
        const before = await countRows(h.db, host.table);
        await h.db
          .transaction(async (trx) => {
            await h.offsets.apply({ offsetId: o.id, billId: host.bills[0], amountFen: 300, idempotencyKey: k }, cashier, { trx });
            await insert(host.bills[0], host.amount(300), k, trx);
            throw new Error('the host changes its mind');
          })
          .catch(() => undefined);
        expect(await countRows(h.db, host.table)).to.equal(before);
        expect(await h.db(h.ctx.tables.offsetApplications).where({ idempotency_key: k }).first()).to.equal(undefined);
        await h.db.transaction(async (trx) => {
          await h.offsets.apply({ offsetId: o.id, billId: host.bills[0], amountFen: 300, idempotencyKey: k }, cashier, { trx });
          await insert(host.bills[0], host.amount(300), k, trx);
        });
        expect(await countRows(h.db, host.table)).to.equal(before + 1);
        expect(await h.db(h.ctx.tables.offsetApplications).where({ idempotency_key: k, state: 'applied' }).first()).to.not.equal(undefined);
      });

      it('is dropped by uninstall --purge before our tables, so the host keeps taking payments', async () => {
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(host.table);
        const rows = await hostRows(h.db, host.fixture.tables);
        const result = await uninstall(h.db, mapping, { purge: true });
        expect(result).to.include({ purged: true, offsetGuardRemoved: true });
        expect(await offsetGuardTable(h.db, 'cmp_')).to.equal(null);
        expect(await hostRows(h.db, host.fixture.tables)).to.equal(rows);
        await insert(host.bills[0], host.amount(500), 'no plugin any more');
        expect(OFFSET_GUARD_MESSAGE.length).to.be.at.most(128);
      });
    });
  }
}

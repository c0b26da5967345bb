// The money stores' own refusals, called directly: a bill's ledger never takes more than the bill, a
// reversal never gives back more than the ledger holds (and says which bill and how much), an approval
// total never passes its limit. The services check these before calling, so only a direct call reaches
// them; they are the last guard when a check upstream is wrong. Asked for by the mutation run of issue 22
// (store/billLedger.ts, store/approvalTotals.ts).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { announceOffsetEvent } from '../../src/offsets/events.js';
import { addToApprovalTotal, readApprovalTotals } from '../../src/offsets/store/approvalTotals.js';
import { giveBackToBill, takeFromBill } from '../../src/offsets/store/billLedger.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

for (const kind of databaseKinds) {
  describe(`offset money stores refuse what would pass a limit (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    const ledgerOf = async (billId: string) => {
      const row = await h.db(h.ctx.tables.offsetBillLedger).where({ bill_id: billId }).first();
      return row ? Number(row.applied_fen) : null;
    };

    it('a bill ledger refuses an amount larger than the bill, and takes one that fits', async () => {
      expect(await h.db.transaction((trx) => takeFromBill(trx, h.ctx.tables, '1004', 12051, 12050))).to.equal(false);
      expect(await ledgerOf('1004')).to.equal(null);
      expect(await h.db.transaction((trx) => takeFromBill(trx, h.ctx.tables, '1004', 12050, 12050))).to.equal(true);
      expect(await ledgerOf('1004')).to.equal(12050);
    });

    it('a reversal of more than the ledger holds is refused with the bill and the amount, and changes nothing', async () => {
      await h.db.transaction((trx) => takeFromBill(trx, h.ctx.tables, '1005', 300, 120000));
      let message = '';
      try {
        await h.db.transaction((trx) => giveBackToBill(trx, h.ctx.tables, '1005', 301));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.equal('Offset ledger of bill 1005 holds less than the 301 fen being reversed; run offsets reconcile');
      expect(await ledgerOf('1005')).to.equal(300);
    });

    it('an approval total refuses an amount above its limit outright, and adds one within it', async () => {
      const c = await assessedComplaint(h, '101');
      expect(await h.db.transaction((trx) => addToApprovalTotal(trx, h.ctx.tables, c.id, 'role', 'manager', 501, 500))).to.equal(false);
      expect((await readApprovalTotals(h.db, h.ctx.tables, c.id)).byRole.get('manager') ?? 0).to.equal(0);
      expect(await h.db.transaction((trx) => addToApprovalTotal(trx, h.ctx.tables, c.id, 'role', 'manager', 500, 500))).to.equal(true);
      expect((await readApprovalTotals(h.db, h.ctx.tables, c.id)).byRole.get('manager')).to.equal(500);
    });

    it('an event for an offset that does not exist is refused, naming the offset, and leaves no outbox row', async () => {
      const before = await h.db(h.ctx.tables.outbox).count({ n: '*' });
      let message = '';
      try {
        await h.db.transaction((trx) => announceOffsetEvent(trx, h.ctx.tables, 'revoked', { offsetId: 987654, amountFen: 1 }, people.manager, new Date()));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.equal('announceOffsetEvent: offset 987654 does not exist');
      expect(await h.db(h.ctx.tables.outbox).count({ n: '*' })).to.deep.equal(before);
    });
  });
}

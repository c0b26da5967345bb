// A reversal's audit row, read back: into an approval still open the amount returns to remaining_fen; into
// a revoked one it can never be used again and goes to revoked_fen. Either way the row names the bill, the
// payment id, the voiding reference and the amount. Asked for by the mutation run of issue 22
// (src/offsets/apply.ts: the revoked case's figures were never read).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { cashier, manager } = people;

for (const kind of databaseKinds) {
  describe(`reversals: the audit row into an open and into a revoked offset (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    async function reverseRow(offsetId: number): Promise<Record<string, any>> {
      return (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: offsetId, action: 'reverse' }).first()) as Record<string, any>;
    }

    it('into an open approval: remaining_fen before and after', async () => {
      const o = await approvedOffset(h, (await assessedComplaint(h, '102')).id, '10.00');
      const pay = `${kind.kind}-rv-open`;
      await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 400, idempotencyKey: pay }, cashier);
      await h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void` }, cashier);
      const row = await reverseRow(o.id);
      expect(JSON.parse(row.changes)).to.deep.equal({ remaining_fen: [600, 1000] });
      expect(row.note).to.equal(`账单 1005 · 收款号 ${pay} · 作废单 ${pay}-void · ¥4.00`);
    });

    it('into a revoked approval: revoked_fen before and after, remaining stays 0', async () => {
      const o = await approvedOffset(h, (await assessedComplaint(h, '102')).id, '10.00');
      const pay = `${kind.kind}-rv-revoked`;
      await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 400, idempotencyKey: pay }, cashier);
      await h.offsets.revoke(o.id, { note: '撤回', version: o.version }, manager);
      await h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void` }, cashier);
      const row = await reverseRow(o.id);
      expect(JSON.parse(row.changes)).to.deep.equal({ revoked_fen: [600, 1000] });
      const after = await offsetRow(h.db, h, o.id);
      expect([after.status, Number(after.remaining_fen), Number(after.revoked_fen)]).to.deep.equal(['revoked', 0, 1000]);
    });
  });
}

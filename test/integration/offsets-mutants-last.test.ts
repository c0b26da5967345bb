// The last offsets survivors of issue 22's mutation run that SQLite can show, killed by hand:
// - billingCheck.ts `billVisibleTo`'s `if (!bill) return true`: a cashier limited to some communities
//   checking a bill the host has but the mapping leaves out (the erp-hosts' water bill) must be told it is
//   not mapped (bill_not_mapped), not that it does not exist (the mutant answers bill_not_found).
// - summaries.ts, the approvers' queue after the host deleted the unit: the owner names come from the
//   complaint (as registered), and none when the complaint named no owner.
import { expect } from 'chai';
import { erpHosts } from '../fixtures/erpHosts.js';
import { simpleHost } from '../fixtures/hosts.js';
import { approvalQueueFacts } from '../../src/offsets/summaries.js';
import { findOffset } from '../../src/offsets/store/offsetStore.js';
import { databaseKinds } from '../support/databases.js';
import { people, person } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, director } = people;

for (const kind of databaseKinds) {
  for (const host of erpHosts) {
    describe(`a scoped cashier checking a bill outside the mapping on ${host.name} (${kind.kind})`, function () {
      this.timeout(60000);
      let h: OffsetHarness;
      before(async () => {
        h = await startOffsetHarness(kind, host);
      });
      after(async () => h?.close());

      it('is told the bill is not mapped (bill_not_mapped, both languages), as a cashier who sees everything is', async () => {
        const w = host.walk;
        const unit = (await h.ctx.host.getUnit(w.unit))!;
        expect(unit.communityId, 'the walk unit belongs to a community').to.not.equal(null);
        const scoped = person('cashier', 'cash-scoped', '收银员本小区', [String(unit.communityId)]);
        const complaint = await assessedComplaint(h, w.unit);
        const offset = await approvedOffset(h, complaint.id, '5.00');
        const lines = [{ offsetId: offset.id, amountFen: 100 }];
        for (const asker of [scoped, people.cashier]) {
          const check = await h.offsets.check({ billId: w.unmappedBill, offsets: lines }, asker);
          expect(check.found, asker.id).to.equal(false);
          expect(check.offsets[0]!.code, asker.id).to.equal('bill_not_mapped');
          expect(check.offsets[0]!.message['zh-CN']).to.contain('不在本插件的账单映射范围内');
          expect(check.offsets[0]!.message.en).to.contain(`Bill ${w.unmappedBill} exists but is outside`);
        }
      });
    });
  }

  describe(`the approvers' queue after the host deleted the unit (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('shows the unit and owner as the complaint registered them, and no owner where it named none', async () => {
      const named = await assessedComplaint(h, '102');
      const unnamed = await assessedComplaint(h, '102');
      expect(named.ownerName, 'the complaint took the owner from the host').to.be.a('string').and.not.equal('');
      // A complaint registered without an owner's name (an owner the host did not know then).
      await h.db(h.ctx.tables.complaints).where({ id: unnamed.id }).update({ owner_name: null });
      const requests = [
        await h.offsets.raise({ complaintId: named.id, amount: '8', reason: '补偿' }, counter),
        await h.offsets.raise({ complaintId: unnamed.id, amount: '9', reason: '补偿' }, counter),
      ];
      await h.db('units').where({ id: 102 }).update({ is_deleted: 1 });
      try {
        expect(await h.ctx.host.getUnit('102'), 'the host no longer shows the unit').to.equal(null);
        const offsets = await Promise.all(requests.map(async (r) => (await findOffset(h.db as any, h.ctx.tables, r.id))!));
        const facts = await approvalQueueFacts(h.ctx, offsets, director);
        const [first, second] = requests.map((r) => facts.get(r.id)!);
        expect([first!.complaintCode, first!.category, first!.unitLabel, first!.ownerNames]).to.deep.equal([
          named.code,
          named.category,
          named.unitLabel,
          [named.ownerName],
        ]);
        expect([second!.complaintCode, second!.category, second!.unitLabel, second!.ownerNames]).to.deep.equal([
          unnamed.code,
          unnamed.category,
          unnamed.unitLabel,
          [],
        ]);
      } finally {
        await h.db('units').where({ id: 102 }).update({ is_deleted: 0 });
      }
    });
  });
}

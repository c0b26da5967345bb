// A host whose bills carry their own owner (the owner billed, not only the unit): the billing check
// compares the offset's owner with the bill's owner column, so a bill issued to someone else on the same
// unit is refused as another owner's. Asked for by the mutation run of issue 22 (billingCheck.ts
// ownerMatches: simpleHost's bills have no owner, so no test read that column).
import { expect } from 'chai';
import { simpleHost, type HostFixture } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const billsWithOwner: HostFixture = {
  ...simpleHost,
  name: 'simpleHostBillsWithOwner',
  mapping: { ...simpleHost.mapping, bill: { ...simpleHost.mapping.bill, columns: { ...simpleHost.mapping.bill.columns, owner: 'owner_id' } } },
  async create(db) {
    await simpleHost.create(db);
    await db.schema.alterTable('bills', (t) => t.integer('owner_id'));
    await db('bills').update({ owner_id: 1 });
    await db('bills').insert({ id: 1010, unit_id: 101, amount: '80.00', period: '2024-04', status: 'unpaid', owner_id: 2 }); // billed to a tenant
  },
};

for (const kind of databaseKinds) {
  describe(`billing check on bills that carry their owner (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, billsWithOwner);
    });
    after(async () => h?.close());

    it("allows the offset on its owner's bill and refuses it on a bill of the same unit billed to someone else", async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '5.00');
      expect(o.ownerId).to.equal('1');
      const own = await h.offsets.check({ billId: '1001', offsets: [{ offsetId: o.id, amountFen: 100 }] });
      expect(own.offsets.map((v) => [v.code, v.allowed])).to.deep.equal([['allowed', true]]);
      const tenant = await h.offsets.check({ billId: '1010', offsets: [{ offsetId: o.id, amountFen: 100 }] });
      expect(tenant.offsets.map((v) => [v.code, v.allowed])).to.deep.equal([['other_owner', false]]);
    });
  });
}

// A payment voided twice under two voiding ids: the second is refused as already reversed, naming the
// voiding id that did it, with the keys in the answer's details so the billing system can match its own
// records. Asked for by the mutation run of issue 22 (apply.ts alreadyReversed: its details were never read).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { cashier } = people;

for (const kind of databaseKinds) {
  describe(`a payment voided under a second voiding id (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('is refused as already reversed, naming the first voiding id, with both voiding ids and the payment in the details', async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '2.00');
      const pay = `${kind.kind}-twice`;
      await h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 50, idempotencyKey: pay }, cashier);
      await h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void-1` }, cashier);
      const err = await refused(h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void-2` }, cashier), 'already_reversed', 409);
      expect(err.details).to.deep.equal({ idempotencyKey: pay, reversalKey: `${pay}-void-1`, requestedReversalKey: `${pay}-void-2` });
      expect(err.localized['zh-CN']).to.include(`${pay}-void-1`);
      expect(err.localized.en).to.include(`${pay}-void-1`);
    });
  });
}

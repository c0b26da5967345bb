// The billing check with several lines in one call, as the cashier's screen reads it: lines on one offset
// share what is left of it, lines on one bill share what the bill can still take, and a refused line's
// sentence names the amounts as they stand after the lines before it. Asked for by the mutation run of
// issue 22 (src/offsets/billingCheck.ts: the running figures of a refused line were never read).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

for (const kind of databaseKinds) {
  describe(`billing check: several lines in one call, with running figures (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('two lines on one offset: the second is refused with what the first left of it', async () => {
      const o = await approvedOffset(h, (await assessedComplaint(h, '102')).id, '10.00');
      const check = await h.offsets.check({
        billId: '1005',
        offsets: [
          { offsetId: o.id, amountFen: 600 },
          { offsetId: o.id, amountFen: 500 },
        ],
      });
      expect(check.offsets.map((v) => [v.code, v.allowed, v.remainingFen])).to.deep.equal([
        ['allowed', true, 1000],
        ['exceeds_remaining', false, 1000],
      ]);
      expect(check.offsets[1]!.message).to.deep.equal({
        'zh-CN': '抵扣金额 ¥5.00 超过剩余可抵扣金额 ¥4.00',
        en: 'The amount ¥5.00 exceeds the remaining ¥4.00 of this offset',
      });
    });

    it('two offsets on one small bill: the second is refused with what is applied and still open after the first', async () => {
      const c = await assessedComplaint(h, '101');
      const a = await approvedOffset(h, c.id, '1.00');
      const b = await approvedOffset(h, c.id, '1.00');
      const check = await h.offsets.check({
        billId: '1002',
        offsets: [
          { offsetId: a.id, amountFen: 20 },
          { offsetId: b.id, amountFen: 20 },
        ],
      });
      expect(check.offsets.map((v) => v.code)).to.deep.equal(['allowed', 'exceeds_bill']);
      expect(check.offsets[1]!.message).to.deep.equal({
        'zh-CN': '抵扣合计超过账单金额 ¥0.29：已抵扣 ¥0.20，本账单还可抵扣 ¥0.09',
        en: 'The offsets would add up to more than the bill amount ¥0.29: ¥0.20 already applied, ¥0.09 still open to offsets',
      });
    });
  });
}

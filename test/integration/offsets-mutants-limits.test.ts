// Over an approval limit, the approver is told whose total passes which limit, in yuan, and who may
// approve instead: only roles other than theirs with room left for the amount, unlimited first, then the
// highest limit. Asked for by the mutation run of issue 22 (src/offsets/approvals.ts: the list of who may
// approve and its order were never read).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { assessedComplaint, offsetRow, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, manager } = people;

for (const kind of databaseKinds) {
  describe(`approval limits: who is over, by how much, and who may approve instead (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost, { settings: { roleApprovalLimitsFen: { supervisor: 50000, manager: 500000, director: null } } });
    });
    after(async () => h?.close());

    it('a supervisor over their limit is pointed to the director (no limit) and the manager, in that order', async () => {
      const c = await assessedComplaint(h, '101');
      const o = await h.offsets.raise({ complaintId: c.id, amount: '600', reason: '补偿' }, counter);
      const e = await refused(h.offsets.approve(o.id, { version: o.version }, supervisor), 'over_approval_limit', 403);
      expect(e.localized).to.deep.equal({
        'zh-CN': `您在投诉 ${c.code} 上已批准 ¥0.00，加上本次 ¥600.00 共 ¥600.00，超过额度 ¥500.00；可由总经理（不限额）或项目经理（额度 ¥5,000.00）审批`,
        en: `You have approved ¥0.00 on complaint ${c.code}; with this ¥600.00 that is ¥600.00, over the limit of ¥500.00; it can be approved by Director (no limit) or Manager (limit ¥5,000.00)`,
      });
      expect((await offsetRow(h.db, h, o.id)).status).to.equal('requested');
    });

    it('a manager over their own total on the complaint is offered only the roles with room left (not the supervisor, not their own)', async () => {
      const c = await assessedComplaint(h, '102');
      const first = await h.offsets.raise({ complaintId: c.id, amount: '4500', reason: '补偿' }, counter);
      await h.offsets.approve(first.id, { version: first.version }, manager);
      const second = await h.offsets.raise({ complaintId: c.id, amount: '600', reason: '补偿' }, counter);
      const e = await refused(h.offsets.approve(second.id, { version: second.version }, manager), 'over_approval_limit', 403);
      expect(e.localized).to.deep.equal({
        'zh-CN': `您在投诉 ${c.code} 上已批准 ¥4,500.00，加上本次 ¥600.00 共 ¥5,100.00，超过额度 ¥5,000.00；可由总经理（不限额）审批`,
        en: `You have approved ¥4,500.00 on complaint ${c.code}; with this ¥600.00 that is ¥5,100.00, over the limit of ¥5,000.00; it can be approved by Director (no limit)`,
      });
      expect((await offsetRow(h.db, h, second.id)).status).to.equal('requested');
    });

    it('offers a role whose room left is exactly the amount', async () => {
      const c = await assessedComplaint(h, '104');
      const o = await h.offsets.raise({ complaintId: c.id, amount: '5000', reason: '补偿' }, counter);
      const e = await refused(h.offsets.approve(o.id, { version: o.version }, supervisor), 'over_approval_limit', 403);
      expect(e.localized['zh-CN']).to.match(/；可由总经理（不限额）或项目经理（额度 ¥5,000.00）审批$/);
      expect(e.localized.en).to.match(/; it can be approved by Director \(no limit\) or Manager \(limit ¥5,000.00\)$/);
    });
  });
}

// A merge and the duplicate's offsets, read as the supervisor and the auditor see them: the refusal names
// the approved offset, its amount and whether it was used up; a request the survivor cannot take (a
// non-property dispute) is named with the survivor's reason; a carried request leaves one audit row on
// each complaint's timeline with the complaint it moved between. Asked for by the mutation run of issue 22
// (src/offsets/merges.ts).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, cashier } = people;

for (const kind of databaseKinds) {
  describe(`merging a complaint with offsets: refusals in words, carried-over audit rows (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    const fresh = async (id: number) => (await h.complaints.get(id, supervisor)).complaint;

    it('an approved offset stops the merge, named with its amount and whether it is used up', async () => {
      const survivor = await assessedComplaint(h, '101');
      const duplicate = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, duplicate.id, '3.00');
      const d = await fresh(duplicate.id);
      const open = await refused(
        h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复' }, supervisor),
        'merge_offset_decided',
        409,
      );
      expect(open.details).to.deep.equal({ offsetId: o.id });
      expect(open.localized['zh-CN']).to.include(`投诉 ${d.code} 的抵扣 #${o.id} 已批准 ¥3.00（尚未用完）`);
      expect(open.localized.en).to.include(`Offset #${o.id} of complaint ${d.code} was approved (¥3.00, not used up)`);

      await h.offsets.apply({ offsetId: o.id, billId: '1002', amountFen: 29, idempotencyKey: `${kind.kind}-m-a-${o.id}` }, cashier);
      await h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 271, idempotencyKey: `${kind.kind}-m-b-${o.id}` }, cashier);
      const used = await refused(
        h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复' }, supervisor),
        'merge_offset_decided',
        409,
      );
      expect(used.localized['zh-CN']).to.include('已批准 ¥3.00（已用完）');
      expect(used.localized.en).to.include('(¥3.00, used up)');
      expect((await fresh(d.id)).state).to.not.equal('merged');
    });

    it('a pending request the survivor cannot take stops the merge, naming the requests and the reason', async () => {
      const survivor = await assessedComplaint(h, '101', { disputeType: 'non_property' });
      const duplicate = await assessedComplaint(h, '101');
      const a = await h.offsets.raise({ complaintId: duplicate.id, amount: '2', reason: '补偿' }, counter);
      const b = await h.offsets.raise({ complaintId: duplicate.id, amount: '3', reason: '补偿' }, counter);
      const d = await fresh(duplicate.id);
      const s = await fresh(survivor.id);
      const err = await refused(
        h.complaints.merge(d.id, { version: d.version, survivorId: s.id, reason: '重复' }, supervisor),
        'merge_offset_not_carried',
        409,
      );
      expect(err.details).to.deep.equal({ offsetIds: [a.id, b.id] });
      expect(err.localized['zh-CN']).to.equal(
        `投诉 ${d.code} 有待审批的抵扣申请 #${a.id}、#${b.id}，但不能转到 ${s.code}：非物业纠纷不属于物业公司责任，不能申请抵扣物业费`,
      );
      expect(err.localized.en).to.equal(
        `Complaint ${d.code} has offset requests awaiting approval (#${a.id}, #${b.id}) that cannot go to ${s.code}: A non-property dispute is not the company’s liability; no fee offset can be requested for it`,
      );
      const rows = (await h.db(h.ctx.tables.offsets).whereIn('id', [a.id, b.id])) as Array<Record<string, any>>;
      expect(rows.map((r) => Number(r.complaint_id))).to.deep.equal([d.id, d.id]);
    });

    it('a carried request leaves an audit row on both timelines with the move and a note naming both complaints', async () => {
      const survivor = await assessedComplaint(h, '102');
      const duplicate = await assessedComplaint(h, '102');
      const r = await h.offsets.raise({ complaintId: duplicate.id, amount: '7.5', reason: '补偿' }, counter);
      const d = await fresh(duplicate.id);
      const result = await h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复登记' }, supervisor);
      expect(result.carriedOffsetIds).to.deep.equal([r.id]);
      const rows = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: r.id, action: 'carried_over' }).orderBy('id')) as Array<
        Record<string, any>
      >;
      const note = `随投诉 ${d.code} 合并转入 ${survivor.code} / Carried over from ${d.code} into ${survivor.code}`;
      expect(rows.map((e) => [Number(e.complaint_id), e.from_state, e.to_state, e.actor_id, e.note, JSON.parse(e.changes)])).to.deep.equal([
        [d.id, 'requested', 'requested', supervisor.id, note, { complaint_id: [d.id, survivor.id] }],
        [survivor.id, 'requested', 'requested', supervisor.id, note, { complaint_id: [d.id, survivor.id] }],
      ]);
    });
  });
}

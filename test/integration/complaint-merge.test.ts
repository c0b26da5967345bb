// Merging a duplicate into a survivor (合并) on both databases, with the money kept whole: a duplicate
// with an offset request awaiting approval closes as merged, points at the survivor, and its request is
// the same row now on the survivor (never copied, never lost; approved there and counted once by
// reconcile); a duplicate with an approved offset is refused with the reason and nothing changes; the
// duplicate's complainant is followed up once the survivor is replied to; every step is on the timelines.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { planBody, replyBody } from '../support/complaintData.js';
import { tableNames } from '../../src/db/tables.js';
import { ValidationError } from '../../src/common/errors.js';

const T = tableNames('cmp_');

for (const kind of databaseKinds) {
  describe(`complaint merge (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(() => h?.close());

    const snapshot = async () => ({
      complaints: await h.db(T.complaints).orderBy('id'),
      offsets: await h.db(T.offsets).orderBy('id'),
      totals: await h.db(T.offsetApprovalTotals).orderBy(['complaint_id', 'scope', 'scope_id']),
    });

    it('carries an offset request over to the survivor; the duplicate closes as merged and points to it', async () => {
      const survivor = await assessedComplaint(h, '101');
      const duplicate = await assessedComplaint(h, '101');
      const request = await h.offsets.raise({ complaintId: duplicate.id, amount: '88.80', reason: '电梯停运期间爬楼摔伤的医药费' }, people.counter);
      const requestsBefore = Number(((await h.db(T.offsets).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

      const result = await h.complaints.merge(
        duplicate.id,
        { version: duplicate.version, survivorId: survivor.id, reason: '同一电梯故障重复登记' },
        people.supervisor,
      );
      expect(result.carriedOffsetIds).to.deep.equal([request.id]);
      expect(result.duplicate.state).to.equal('merged');
      expect(result.duplicate.mergedIntoId).to.equal(survivor.id);
      expect(result.survivor.version).to.equal(survivor.version + 1);

      const row = await h.db(T.offsets).where({ id: request.id }).first();
      expect(Number(row.complaint_id)).to.equal(survivor.id);
      expect(row.status).to.equal('requested');
      expect(Number(row.requested_fen)).to.equal(8880);
      expect(Number(((await h.db(T.offsets).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)).to.equal(requestsBefore);

      // Approved on the survivor, counted once.
      const moved = await h.offsets.get(request.id, people.director);
      await h.offsets.approve(request.id, { note: '同意', version: moved.offset.version }, people.director);
      const totals = await h.db(T.offsetApprovalTotals).where({ scope: 'approver', scope_id: people.director.id });
      expect(totals.map((t) => [Number(t.complaint_id), Number(t.approved_fen)])).to.deep.equal([[survivor.id, 8880]]);
      const reconcile = await h.offsets.reconcile();
      expect(reconcile.ok, JSON.stringify(reconcile).slice(0, 500)).to.equal(true);

      // Both timelines say it; a merged complaint takes no new offset.
      const dupEvents = await h.complaints.events(duplicate.id, people.supervisor);
      expect(dupEvents.map((e) => e.action)).to.include.members(['merge', 'carried_over']);
      const survEvents = await h.complaints.events(survivor.id, people.supervisor);
      expect(survEvents.map((e) => e.action)).to.include.members(['merge_in', 'carried_over']);
      await refused(h.offsets.raise({ complaintId: duplicate.id, amount: '1', reason: 'x' }, people.counter), 'complaint_merged', 409);

      const detail = await h.complaints.get(survivor.id, people.supervisor);
      expect(detail.mergedFrom!.map((m) => [m.code, m.followedUp])).to.deep.equal([[duplicate.code, false]]);
      expect((await h.complaints.get(duplicate.id, people.supervisor)).mergedInto!.id).to.equal(survivor.id);
    });

    it('follows the duplicate’s complainant up through the survivor, once the survivor is replied to', async () => {
      const survivor = await assessedComplaint(h, '102');
      const { complaint: dupRaw } = await h.complaints.create({ ...(await dupBody()), unitId: '102' }, people.counter);
      const { duplicate } = await h.complaints.merge(dupRaw.id, { version: dupRaw.version, survivorId: survivor.id, reason: '重复登记' }, people.supervisor);
      await refused(
        h.complaints.followUp(duplicate.id, { version: duplicate.version, method: 'phone', satisfied: true }, people.counter),
        'survivor_not_replied',
        409,
      );

      let s = await h.complaints.get(survivor.id, people.supervisor).then((d) => d.complaint);
      s = await h.complaints.transition(s.id, 'plan', { version: s.version, ...planBody }, people.supervisor);
      s = await h.complaints.transition(s.id, 'resolve', { version: s.version, ...replyBody }, people.supervisor);
      expect(s.state).to.equal('resolved');
      h.clock.advance(3_600_000);
      const visit = await h.complaints.followUp(
        duplicate.id,
        { version: duplicate.version, method: 'phone', satisfied: true, complainantWords: '修好了' },
        people.counter,
      );
      expect(visit.complaint.state).to.equal('merged');
      expect(visit.followUp.satisfied).to.equal(true);
      await refused(
        h.complaints.followUp(duplicate.id, { version: visit.complaint.version, method: 'phone', satisfied: true }, people.counter),
        'already_followed_up',
        409,
      );
      const detail = await h.complaints.get(survivor.id, people.supervisor);
      expect(detail.mergedFrom!.map((m) => m.followedUp)).to.deep.equal([true]);
    });

    it('refuses a merge whose duplicate has an approved offset, saying why, and changes nothing', async () => {
      const survivor = await assessedComplaint(h, '101');
      const duplicate = await assessedComplaint(h, '101');
      await approvedOffset(h, duplicate.id, '50.00');
      const fresh = await h.complaints.get(duplicate.id, people.supervisor).then((d) => d.complaint);
      const before = await snapshot();
      const eventsBefore = Number(((await h.db(T.events).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const err = await refused(
        h.complaints.merge(fresh.id, { version: fresh.version, survivorId: survivor.id, reason: '重复' }, people.supervisor),
        'merge_offset_decided',
        409,
      );
      expect(err.localized['zh-CN']).to.include('已批准 ¥50.00');
      expect(err.localized.en).to.include('cannot move with a merge');
      expect(await snapshot()).to.deep.equal(before);
      expect(Number(((await h.db(T.events).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)).to.equal(eventsBefore);
    });

    it('refuses a request that cannot follow (another unit), and bad input at its field', async () => {
      const survivor = await assessedComplaint(h, '101');
      const duplicate = await assessedComplaint(h, '102');
      await h.offsets.raise({ complaintId: duplicate.id, amount: '10', reason: '另一户的损失' }, people.counter);
      const other = await assessedComplaint(h, '103');
      const before = await snapshot();
      await refused(
        h.complaints.merge(duplicate.id, { version: duplicate.version, survivorId: survivor.id, reason: '重复' }, people.supervisor),
        'merge_offset_other_unit',
        409,
      );
      expect(await snapshot()).to.deep.equal(before);

      const field = async (input: Record<string, unknown>) => {
        try {
          await h.complaints.merge(duplicate.id, { version: duplicate.version, reason: '重复', ...input }, people.supervisor);
        } catch (err) {
          if (err instanceof ValidationError) return err.fields.map((f) => f.field);
          throw err;
        }
        return [];
      };
      expect(await field({ survivorId: duplicate.id })).to.deep.equal(['survivorId']);
      expect(await field({ survivorId: 999999 })).to.deep.equal(['survivorId']);
      expect(await field({ survivorId: other.id })).to.deep.equal(['survivorId']);
      await refused(
        h.complaints.merge(duplicate.id, { version: duplicate.version, survivorId: survivor.id, reason: '重复' }, people.counter),
        'forbidden',
        403,
      );
      expect(await snapshot()).to.deep.equal(before);
    });

    it('merges over HTTP', async () => {
      const survivor = await assessedComplaint(h, '101');
      const duplicate = await assessedComplaint(h, '101');
      const res = await h.api('POST', `/api/complaints/${duplicate.id}/merge`, {
        as: people.supervisor,
        body: { version: duplicate.version, survivorId: survivor.id, reason: '重复' },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.duplicate.state).to.equal('merged');
      const again = await h.api('POST', `/api/complaints/${duplicate.id}/merge`, {
        as: people.supervisor,
        body: { version: res.body.duplicate.version, survivorId: survivor.id, reason: '重复' },
      });
      expect(again.status).to.equal(409);
      expect(again.body.error.code).to.equal('merge_not_open');
    });
  });
}

async function dupBody(): Promise<Record<string, unknown>> {
  const { intakeBody } = await import('../support/complaintData.js');
  return intakeBody('102');
}

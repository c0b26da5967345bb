// Every notice kind of the outbox against the change it announces, on both databases: assigned,
// escalated (by hand and by the rule), follow-up due, offset awaiting approval and offset decided are
// written in the change's own transaction — a change whose notice cannot be written does not happen
// (the outbox table is swapped for a missing one), and a notice whose change rolls back is not sent —
// while deadline near and overdue, which no change makes true, come from the deadlines job, once each.
import { expect } from 'chai';
import { escalateOverdue } from '../../src/complaints/escalation.js';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { runByHand } from '../../src/jobs/runner.js';
import { createOffsetService } from '../../src/offsets/service.js';
import type { PluginContext } from '../../src/common/context.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, planBody, replyBody, unitsOf } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const DAY = 24 * 3_600_000;
const { counter, supervisor, director } = people;
const units = unitsOf(simpleHost);

for (const kind of databaseKinds) {
  describe(`notices in the transaction of their change (${kind.kind})`, function () {
    let h: PluginHarness;
    let complaints: ComplaintService;
    /** The same plugin whose outbox table is missing: any notice it writes fails. */
    let broken: PluginContext;

    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      complaints = createComplaintService(h.ctx);
      broken = { ...h.ctx, tables: { ...h.ctx.tables, outbox: 'cmp_no_such_outbox' } };
    });
    after(async () => h?.close());

    const notices = async (topic: string, complaintId?: number) =>
      ((await h.db(h.ctx.tables.outbox).where({ topic }).orderBy('id')) as Array<Record<string, unknown>>)
        .map((r) => ({
          key: r.dedupe_key as string | null,
          complaintId: r.complaint_id === null ? null : Number(r.complaint_id),
          payload: JSON.parse(String(r.payload)) as Record<string, any>,
        }))
        .filter((n) => complaintId === undefined || n.payload.complaintId === complaintId);
    const events = async (id: number) => (await complaints.events(id, supervisor)).map((e) => e.action);
    const read = async (id: number) => (await complaints.get(id, supervisor)).complaint;
    const register = async (unitId = units.a) => (await complaints.create(intakeBody(unitId), counter)).complaint;
    const step = (c: Complaint, action: string, body: Record<string, unknown>, service = complaints) =>
      service.transition(c.id, action, { version: c.version, ...body }, supervisor);
    /** The work failed because its notice could not be written (the missing outbox table). */
    const failsOnOutbox = async (work: Promise<unknown>) => {
      const error = await work.then(
        () => null,
        (e: unknown) => e,
      );
      expect(String((error as Error | null)?.message), 'failed on the outbox').to.match(/cmp_no_such_outbox/);
    };

    it('assigned: written with start-investigation (when it names someone) and with the plan, or not at all', async () => {
      let c = await register();
      c = await step(c, 'start-investigation', {});
      expect(await notices('assigned', c.id), 'nobody named').to.deep.equal([]);
      c = await step(c, 'assess', assessProperty);

      // The plan fails when its notice cannot be written: no change, no event.
      const before = await events(c.id);
      await failsOnOutbox(step(c, 'plan', planBody, createComplaintService(broken)));
      expect(await read(c.id)).to.include({ state: c.state, version: c.version, assigneeId: c.assigneeId });
      expect(await events(c.id)).to.deep.equal(before);

      // A plan rolled back with the host's transaction leaves no notice either.
      await h.db
        .transaction(async (trx) => {
          await complaints.transition(c.id, 'plan', { version: c.version, ...planBody }, supervisor, { trx });
          throw new Error('host rolled back');
        })
        .catch(() => undefined);
      expect((await notices('assigned', c.id)).filter((n) => n.payload.action === 'plan')).to.deep.equal([]);

      c = await step(c, 'plan', planBody);
      const planned = (await notices('assigned', c.id)).filter((n) => n.payload.action === 'plan');
      expect(planned).to.have.length(1);
      expect(planned[0]!.key).to.equal(`assigned:${c.id}:v${c.version}`);
      expect(planned[0]!.complaintId).to.equal(c.id);
      expect(planned[0]!.payload).to.deep.include({
        complaintId: c.id,
        code: c.code,
        state: 'processing',
        department: 'engineering',
        assigneeId: 'eng-7',
        assigneeName: '工程部刘师傅',
        communityId: units.communityA,
        planDeadline: new Date(planBody.deadline).toISOString(),
        planDeadlineLocal: '2026-12-05 10:00',
        measures: planBody.measures,
        assignedBy: supervisor.id,
      });
      expect(planned[0]!.payload).not.to.have.property('complainantPhone');
    });

    it('assigned: start-investigation naming a department announces it, once per change', async () => {
      let c = await register(units.b);
      c = await step(c, 'start-investigation', { department: 'security', assigneeId: 'sec-1', assigneeName: '秩序部张队' });
      const [notice, ...more] = await notices('assigned', c.id);
      expect(more).to.deep.equal([]);
      expect(notice!.key).to.equal(`assigned:${c.id}:v${c.version}`);
      expect(notice!.payload).to.deep.include({
        action: 'start-investigation',
        department: 'security',
        assigneeId: 'sec-1',
        previousDepartment: null,
        planDeadline: null,
      });
      c = await step(c, 'note', { note: '已电话联系业主' });
      expect(await notices('assigned', c.id)).to.have.length(1);
    });

    it('escalated by hand: written with the escalation, or the escalation does not happen', async () => {
      let c = await register();
      await failsOnOutbox(step(c, 'escalate', { severity: 'important', reason: '业主多次来电' }, createComplaintService(broken)));
      expect((await read(c.id)).severity).to.equal(null);
      c = await step(c, 'escalate', { severity: 'important', reason: '业主多次来电' });
      const [notice, ...more] = await notices('escalated', c.id);
      expect(more).to.deep.equal([]);
      expect(notice!.key).to.equal(`escalated:${c.id}:${c.escalatedAt!.toISOString()}`);
      expect(notice!.payload).to.deep.include({
        severity: 'important',
        reason: '业主多次来电',
        automatic: false,
        escalatedBy: supervisor.id,
        escalatedAt: c.escalatedAt!.toISOString(),
      });
    });

    it('escalated by the rule: the notice is in escalateOverdue’s transaction, not left to the job', async () => {
      const start = h.clock.now();
      let c = await register(units.b);
      c = await step(c, 'assess', { ...assessProperty, severity: 'minor' });
      h.clock.set(new Date(start.getTime() + 30 * DAY + 60_000));
      try {
        // Without an outbox the escalation rolls back: still minor, no auto-escalate event.
        await failsOnOutbox(escalateOverdue(broken, h.clock.now()));
        expect((await read(c.id)).severity).to.equal('minor');
        expect(await events(c.id)).not.to.include('auto-escalate');

        const run = await escalateOverdue(h.ctx, h.clock.now());
        expect(run.escalated.map((e) => e.id)).to.include(c.id);
        expect(run.notified).to.equal(run.escalated.length);
        const after = await read(c.id);
        const [notice, ...more] = await notices('escalated', c.id);
        expect(more).to.deep.equal([]);
        expect(notice!.key).to.equal(`escalated:${c.id}:${after.escalatedAt!.toISOString()}`);
        expect(notice!.payload).to.deep.include({ severity: 'major', automatic: true, escalatedBy: 'system', reason: after.escalationReason });
        // The job after the rule has nothing left to announce.
        const job = await runByHand(h.ctx, 'escalate', { now: h.clock.now() });
        expect(job).to.deep.include({ status: 'ok', counts: { escalated: 0, notified: 0 } });
        expect(await notices('escalated', c.id)).to.have.length(1);
      } finally {
        h.clock.set(start);
      }
    });

    it('follow-up due: written with the reply under the follow-ups job’s key, so the job adds nothing', async () => {
      let c = await register();
      c = await step(c, 'assess', assessProperty);
      c = await step(c, 'plan', planBody);
      await failsOnOutbox(step(c, 'resolve', replyBody, createComplaintService(broken)));
      expect((await read(c.id)).state).to.equal('processing');
      c = await step(c, 'resolve', replyBody);
      const [notice, ...more] = await notices('follow_up_due', c.id);
      expect(more).to.deep.equal([]);
      expect(notice!.key).to.equal(`follow_up_due:follow_up:${c.id}:${c.followUpDueAt!.toISOString()}`);
      expect(notice!.payload).to.deep.include({ stage: 'follow_up', state: 'resolved', dueAt: c.followUpDueAt!.toISOString() });
      const job = await runByHand(h.ctx, 'follow-ups', { now: h.clock.now() });
      expect(job.status === 'ok' && job.counts.notified).to.equal(0);
      expect(await notices('follow_up_due', c.id)).to.have.length(1);
    });

    it('deadline near and overdue: from the deadlines job, once per complaint and deadline', async () => {
      const start = h.clock.now();
      let c = await register(units.b);
      c = await step(c, 'assess', assessProperty);
      c = await step(c, 'plan', { ...planBody, deadline: new Date(start.getTime() + 6 * 3_600_000).toISOString() });
      try {
        expect((await runByHand(h.ctx, 'deadlines', { now: start })).status).to.equal('ok');
        const [near] = await notices('deadline_near', c.id);
        expect(near!.key).to.equal(`deadline_near:handling:${c.id}:${c.dueAt!.toISOString()}`);
        expect(near!.payload).to.deep.include({ assigneeId: 'eng-7', stage: 'handling' });
        h.clock.set(new Date(start.getTime() + 7 * 3_600_000));
        await runByHand(h.ctx, 'deadlines', { now: h.clock.now() });
        await runByHand(h.ctx, 'deadlines', { now: h.clock.now() });
        const overdue = await notices('overdue', c.id);
        expect(overdue.map((n) => n.key)).to.deep.equal([`overdue:handling:${c.id}:${c.dueAt!.toISOString()}`]);
        expect(overdue[0]!.complaintId).to.equal(c.id);
      } finally {
        h.clock.set(start);
      }
    });

    it('offset awaiting approval and offset decided: written with the request and each decision (approve, reject, revoke)', async () => {
      let c = await register();
      c = await step(c, 'assess', assessProperty);
      const offsets = createOffsetService(h.ctx);
      const brokenOffsets = createOffsetService(broken);
      const countOffsets = async () =>
        Number(((await h.db(h.ctx.tables.offsets).where({ complaint_id: c.id }).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);

      await failsOnOutbox(brokenOffsets.raise({ complaintId: c.id, amount: '120.50', reason: '阳台漏水一个月' }, counter));
      expect(await countOffsets()).to.equal(0);

      const first = await offsets.raise({ complaintId: c.id, amount: '120.50', reason: '阳台漏水一个月' }, counter);
      const [awaiting, ...more] = await notices('offset_awaiting_approval', c.id);
      expect(more).to.deep.equal([]);
      expect(awaiting!.payload).to.deep.include({
        offsetId: first.id,
        complaintId: c.id,
        requestedFen: 12050,
        requestedBy: counter.id,
        communityId: units.communityA,
      });

      await failsOnOutbox(brokenOffsets.approve(first.id, { version: first.version }, director));
      expect((await offsets.get(first.id, director)).offset.status).to.equal('requested');
      expect(await notices('offset_decided', c.id)).to.deep.equal([]);

      const approved = await offsets.approve(first.id, { amount: '100.00', version: first.version }, director);
      const second = await offsets.raise({ complaintId: c.id, amount: '30.00', reason: '清洁费' }, counter);
      await offsets.reject(second.id, { note: '改为现金赔付', version: second.version }, director);
      await failsOnOutbox(brokenOffsets.revoke(first.id, { note: '业主改选现金赔付', version: approved.version }, director));
      expect((await offsets.get(first.id, director)).offset.status).to.equal('approved');
      await offsets.revoke(first.id, { note: '业主改选现金赔付', version: approved.version }, director);

      const decided = (await notices('offset_decided', c.id)).map((n) => [n.payload.offsetId, n.payload.status, n.payload.approvedFen, n.payload.decidedBy]);
      expect(decided).to.deep.equal([
        [first.id, 'approved', 10000, director.id],
        [second.id, 'rejected', null, director.id],
        [first.id, 'revoked', 10000, director.id],
      ]);
      expect((await notices('offset_decided', c.id))[2]!.payload).to.deep.include({ revokedBy: director.id, note: '业主改选现金赔付' });
      expect(await notices('offset_awaiting_approval', c.id)).to.have.length(2);
    });
  });
}

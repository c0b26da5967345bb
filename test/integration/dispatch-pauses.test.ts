// Dispatch to people, deadline policies and pauses (issue 18), through the complaint service on both
// databases with a manual clock (times are Asia/Shanghai; the 2026 calendar seeded in the settings:
// Mid-Autumn Sep 25–27 and National Day Oct 1–7 off, Sunday Sep 20 and Saturday Oct 10 make-up working days).
//
// - The staff directory without a host staff table is the people seen signing in who may handle a job;
//   a complaint is dispatched only to someone who may see its community, by id, with the directory's name.
// - The promise printed on the slip comes from the deadline policy of the category and severity, and is
//   kept apart from the plan's deadline: the reply rate is measured against the promise, the handling
//   rate against the plan, even after a plan sets a later deadline.
// - A pause across the Mid-Autumn holiday and the make-up Sunday moves the promise and the plan deadline
//   by exactly the working time it stopped, and escalation age by exactly its plain time.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { ConflictError, ValidationError } from '../../src/common/errors.js';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { longPausesJob } from '../../src/jobs/longPauses.js';
import { deadlinesJob } from '../../src/jobs/deadlines.js';
import { buildReport } from '../../src/reports/report.js';
import type { ServiceCalendar } from '../../src/calendar/calendar.js';
import { recordSignedIn, searchStaff } from '../../src/staff/directory.js';
import { simpleHost } from '../fixtures/hosts.js';
import { ruoyiHost } from '../fixtures/erpHosts.js';
import { resolveAssignee } from '../../src/staff/directory.js';
import { assessProperty, intakeBody, unitsOf } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people, person, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const H = 3_600_000;
const sh = (local: string) => new Date(`2026-${local.replace(' ', 'T')}:00+08:00`);
const iso = (local: string) => sh(local).toISOString();
const { counter, supervisor, manager } = people;
const units = unitsOf(simpleHost);
const zhang = person('handler', 'eng-zhang', '工程部张师傅', [units.communityA]);
const li = person('handler', 'eng-li', '工程部李师傅', [units.communityOther]);
const wang = person('handler', 'eng-wang', '工程部王师傅', null);

for (const kind of databaseKinds) {
  describe(`dispatch, deadline policies and pauses (${kind.kind})`, function () {
    let h: PluginHarness;
    let complaints: ComplaintService;
    let seeded: ServiceCalendar;

    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      complaints = createComplaintService(h.ctx);
      seeded = (await h.ctx.settings.get()).serviceCalendar;
      for (const someone of [zhang, li, wang, counter, supervisor]) await recordSignedIn(h.ctx, someone);
    });
    after(async () => h?.close());
    afterEach(() =>
      h.ctx.settings.update({ deadlinePolicies: [], routingRules: [], serviceCalendar: { ...seeded, mode: 'calendar' }, pauseAlertHours: 168 }, SYSTEM_ACTOR),
    );

    const at = (local: string) => h.clock.set(sh(local));
    const register = async (local: string, unitId = units.a, overrides: Record<string, unknown> = {}): Promise<Complaint> => {
      at(local);
      return (await complaints.create(intakeBody(unitId, overrides), counter)).complaint;
    };
    const act = (c: Complaint, action: string, input: Record<string, unknown>, actor: Actor = supervisor) =>
      complaints.transition(c.id, action, { version: c.version, ...input }, actor);
    const assessed = async (c: Complaint) => act(await act(c, 'start-investigation', {}), 'assess', assessProperty);
    const plan = (c: Complaint, local: string, assigneeId = zhang.id) =>
      act(c, 'plan', { department: 'engineering', assigneeId, measures: '更换曳引机钢丝绳', deadline: iso(local) });
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    };

    describe('the staff directory and dispatch', () => {
      it('offers the people seen signing in who may handle a job and may see the community', async () => {
        const inA = (await searchStaff(h.ctx, { communityId: units.communityA })).map((s) => s.id);
        expect(inA).to.have.members([zhang.id, wang.id, supervisor.id]); // not li (other community), not the counter (cannot handle)
        const inOther = (await searchStaff(h.ctx, { communityId: units.communityOther })).map((s) => s.id);
        expect(inOther).to.have.members([li.id, wang.id, supervisor.id]);
        expect((await searchStaff(h.ctx, { q: '张师傅' })).map((s) => s.id)).to.deep.equal([zhang.id]);
        const c = await register('11-02 09:00');
        expect((await complaints.staffFor(c.id, supervisor)).map((s) => s.id)).to.have.members([zhang.id, wang.id, supervisor.id]);
      });

      it("dispatches by id with the directory's name, refuses someone who may not see the community, and the job is the handler's", async () => {
        const c = await assessed(await register('11-02 09:00'));
        const refused = await refusal(plan(c, '11-05 18:00', li.id));
        expect(refused).to.be.instanceOf(ValidationError);
        expect((refused as ValidationError).fields.map((f) => f.field)).to.deep.equal(['assigneeId']);
        expect((refused as ValidationError).fields[0]!.message['zh-CN'])
          .to.include('工程部李师傅')
          .and.include('无权查看');
        const unknown = await refusal(act(c, 'plan', { department: 'engineering', assigneeId: 'nobody', measures: '修', deadline: iso('11-05 18:00') }));
        expect((unknown as ValidationError).fields[0]!.message.en).to.include('staff directory has nobody');

        const planned = await plan(c, '11-05 18:00');
        expect(planned.assigneeId).to.equal(zhang.id);
        expect(planned.assigneeName).to.equal('工程部张师傅');
        // "Assigned to me", as the handler signed in: the job is theirs, and waits for them to accept it.
        const mine = await complaints.list({ assigneeId: zhang.id, awaitingAcceptance: true }, zhang);
        expect(mine.items.map((x) => x.id)).to.include(c.id);
        expect((await complaints.list({ assigneeId: supervisor.id }, supervisor)).items.map((x) => x.id)).not.to.include(c.id);

        const notAssignee = await refusal(act(planned, 'accept', {}, supervisor));
        expect(notAssignee).to.be.instanceOf(ConflictError);
        const accepted = await act(planned, 'accept', {}, zhang);
        expect(accepted.acceptedAt!.toISOString()).to.equal(iso('11-02 09:00'));
        expect((await complaints.list({ assigneeId: zhang.id, awaitingAcceptance: true }, zhang)).items.map((x) => x.id)).not.to.include(c.id);
      });

      it('reassigns with a reason: audited, both handlers told through the outbox, the new one to accept anew', async () => {
        let c = await plan(await assessed(await register('11-03 09:00', units.b)), '11-06 18:00');
        c = await act(c, 'accept', {}, zhang);
        at('11-03 11:00');
        expect(await refusal(act(c, 'reassign', { assigneeId: zhang.id, reason: '同一人' }))).to.be.instanceOf(ValidationError);
        const moved = await act(c, 'reassign', { assigneeId: wang.id, reason: '张师傅病假' });
        expect(moved).to.include({ assigneeId: wang.id, assigneeName: '工程部王师傅', acceptedAt: null });
        const event = (await complaints.events(c.id, supervisor)).find((e) => e.action === 'reassign')!;
        expect(event.note).to.equal('张师傅病假');
        expect(event.changes).to.deep.include({ assigneeId: [zhang.id, wang.id], assigneeName: ['工程部张师傅', '工程部王师傅'] });
        const notices = (await h.db(h.ctx.tables.outbox).where({ topic: 'reassigned', complaint_id: c.id }).orderBy('id')) as Array<{ payload: string }>;
        expect(notices.map((n) => JSON.parse(n.payload) as Record<string, unknown>).map((p) => [p.recipient, p.recipientId, p.reason])).to.deep.equal([
          ['new', wang.id, '张师傅病假'],
          ['previous', zhang.id, '张师傅病假'],
        ]);
      });

      it('pre-fills the plan from the routing rule and the deadline policy', async () => {
        await h.ctx.settings.update(
          {
            routingRules: [
              { category: '*', communityId: '*', department: 'customer_service', handlerId: null },
              { category: 'facilities', communityId: units.communityA, department: 'engineering', handlerId: zhang.id },
            ],
            deadlinePolicies: [{ category: 'facilities', severity: 'important', replyHours: 24, handlingHours: 72, clock: 'calendar' }],
          },
          SYSTEM_ACTOR,
        );
        const c = await assessed(await register('11-04 09:00'));
        expect(await complaints.dispatchDefaults(c.id, supervisor)).to.deep.include({
          department: 'engineering',
          handlerId: zhang.id,
          handlingHours: 72,
          clock: 'calendar',
        });
        expect((await complaints.dispatchDefaults(c.id, supervisor)).handlingDueAt.toISOString()).to.equal(iso('11-07 09:00'));
        // A plan without a handler picked goes to the rule's default handler.
        const routed = await act(c, 'plan', { department: 'engineering', measures: '检修水泵', deadline: iso('11-06 18:00') });
        expect(routed).to.include({ assigneeId: zhang.id, assigneeName: '工程部张师傅', acceptedAt: null });
        const elsewhere = await register('11-04 09:00', units.other, { category: 'parking' });
        expect(await complaints.dispatchDefaults(elsewhere.id, supervisor)).to.deep.include({ department: 'customer_service', handlerId: null });
      });
    });

    describe('deadline policies: the promise apart from the plan', () => {
      it('promises by the policy in working hours and measures the reply rate against it even after a later plan deadline', async () => {
        await h.ctx.settings.update(
          {
            serviceCalendar: { ...seeded, mode: 'calendar' },
            deadlinePolicies: [
              { category: '*', severity: '*', replyHours: 48, handlingHours: 120, clock: 'calendar' },
              { category: 'renovation', severity: '*', replyHours: 8, handlingHours: 40, clock: 'working' },
            ],
          },
          SYSTEM_ACTOR,
        );
        // Tue Nov 10 14:00 + 8 working hours: 14:00–18:00, then Wed 09:00–13:00.
        let c = await register('11-10 14:00', units.a, { category: 'renovation' });
        expect(c.replyDueAt!.toISOString()).to.equal(iso('11-11 13:00'));
        expect(c.deadlineClock).to.equal('working');
        c = await plan(await assessed(c), '11-13 18:00');
        const stored = (await complaints.get(c.id, supervisor)).complaint;
        expect(stored.replyDueAt!.toISOString(), 'the promise on the slip stays').to.equal(iso('11-11 13:00'));
        expect(stored.dueAt!.toISOString(), 'the stage deadline is the plan').to.equal(iso('11-13 18:00'));
        at('11-12 10:00');
        await act(stored, 'resolve', { reply: '已恢复施工管理', basis: '装修管理规定' });
        at('11-20 10:00');
        const r = await buildReport(h.ctx, { from: '2026-11-10', to: '2026-11-10', actor: manager });
        expect(r.replyOnTime, 'late against the promise').to.deep.equal({ count: 0, of: 1, rate: 0, late: 1, overdueOpen: 0 });
        expect(r.handlingOnTime, 'on time against the plan').to.deep.equal({ count: 1, of: 1, rate: 1, late: 0, overdueOpen: 0 });
        expect(r.onTime.count, 'the stage figure would have called it on time').to.equal(1);
      });
    });

    describe('pause and resume', () => {
      it('excludes a pause across the Mid-Autumn holiday and a make-up Sunday exactly: deadlines by working time, escalation by plain time', async () => {
        await h.ctx.settings.update(
          { deadlinePolicies: [{ category: 'facilities', severity: '*', replyHours: 16, handlingHours: 40, clock: 'working' }] },
          SYSTEM_ACTOR,
        );
        // Thu Sep 17 10:00 + 16 working hours: 8 h that day, 8 h on Friday: promised by Fri Sep 18 17:00.
        const c = await assessed(await register('09-17 10:00', units.b));
        expect(c.replyDueAt!.toISOString()).to.equal(iso('09-18 17:00'));
        // A second complaint already planned, due Tue Sep 22 12:00.
        const p = await plan(await assessed(await register('09-17 10:00', units.other)), '09-22 12:00', wang.id);

        at('09-18 10:00');
        const paused = await act(c, 'pause', { party: 'utility', reason: '等待自来水公司更换主管道' }, zhang);
        const pausedPlan = await act(p, 'pause', { party: 'developer', reason: '等待开发商确认保修' }, wang);
        expect(paused).to.include({ pauseParty: 'utility' });
        expect(await refusal(act(paused, 'pause', { party: 'utility', reason: '再次' }, zhang))).to.be.instanceOf(ConflictError);

        // While paused: past the printed promise, yet neither overdue nor escalating.
        at('09-22 09:00');
        expect((await complaints.list({ overdue: true, limit: 100 }, supervisor)).items.map((x) => x.id)).not.to.include(c.id);
        expect((await complaints.list({ paused: true, limit: 100 }, supervisor)).items.map((x) => x.id)).to.include.members([c.id, p.id]);
        await deadlinesJob.run(h.ctx, sh('09-22 09:00'));
        const warned = (await h.db(h.ctx.tables.outbox).whereIn('topic', ['overdue', 'deadline_near']).pluck('complaint_id')) as number[];
        expect(warned.map(Number), 'no deadline notice for a paused clock').not.to.include.members([c.id]);

        // Resumed Mon Sep 28 10:00. Stopped: Sep 18 10–18 (8 h), the make-up Sunday Sep 20 (9 h), Sep 21–24 (36 h),
        // the holiday Sep 25–27 (0), Sep 28 09–10 (1 h) = 54 working hours; 10 days of plain time.
        at('09-28 10:00');
        const resumed = await act(paused, 'resume', {}, zhang);
        // 7 working hours were left of the promise (Sep 18 10:00 → 17:00): Sep 28 10:00 + 7 h.
        expect(resumed.replyDueEffectiveAt!.toISOString()).to.equal(iso('09-28 17:00'));
        expect(resumed.replyDueAt!.toISOString(), 'the printed promise is not rewritten').to.equal(iso('09-18 17:00'));
        expect(resumed.dueAt!.toISOString()).to.equal(iso('09-28 17:00'));
        expect(resumed.pausedMs).to.equal(240 * H);
        expect(resumed.escalationFrom!.toISOString()).to.equal(iso('09-27 10:00'));
        const [pause] = await complaints.pauses(c.id, supervisor);
        expect(pause).to.deep.include({ reason: '等待自来水公司更换主管道', party: 'utility', serviceMs: 54 * H, calendarMs: 240 * H });
        expect(pause!.endedAt!.toISOString()).to.equal(iso('09-28 10:00'));

        // The plan had Sep 18 10–18 (8) + Sep 20 (9) + Sep 21 (9) + Sep 22 09–12 (3) = 29 h left: Sep 28 10–18 (8),
        // Sep 29 (9), Sep 30 (9), National Day off, Thu Oct 8 09:00 + 3 h.
        const resumedPlan = await act(pausedPlan, 'resume', {}, wang);
        expect(resumedPlan.planDueEffectiveAt!.toISOString()).to.equal(iso('10-08 12:00'));
        expect(resumedPlan.planDeadline!.toISOString()).to.equal(iso('09-22 12:00'));
        expect(resumedPlan.dueAt!.toISOString()).to.equal(iso('10-08 12:00'));

        // Replied at 16:00 on Sep 28: after the printed promise, before it moved by the pause: on time.
        const planned = await plan(resumed, '09-29 18:00');
        expect(planned.dueAt!.toISOString()).to.equal(iso('09-29 18:00'));
        expect(planned.replyDueEffectiveAt!.toISOString(), 'the plan does not move the promise').to.equal(iso('09-28 17:00'));
        at('09-28 16:00');
        await act(planned, 'resolve', { reply: '主管道已更换', basis: '自来水公司施工单' });
        at('10-08 11:00');
        await act(await act(resumedPlan, 'accept', {}, wang), 'resolve', { reply: '已修复', basis: '保修单' });
        at('10-09 09:00');
        const r = await buildReport(h.ctx, { from: '2026-09-17', to: '2026-09-17', actor: manager });
        // The planned one was promised by Sep 18 17:00 too (moved to Sep 28 17:00 by its pause): replied Oct 8,
        // late against the promise, on time against its plan (Oct 8 12:00 after the pause).
        expect(r.replyOnTime).to.deep.equal({ count: 1, of: 2, rate: 1 / 2, late: 1, overdueOpen: 0 });
        expect(r.handlingOnTime).to.deep.equal({ count: 2, of: 2, rate: 1, late: 0, overdueOpen: 0 });
      });

      it('escalates 30 days after receipt plus the paused time, to the minute', async () => {
        const c = await assessed(await register('09-01 10:00', units.b, { category: 'security' }));
        at('09-18 10:00');
        const paused = await act(c, 'pause', { party: 'government', reason: '等待派出所调查结果' });
        at('09-28 10:00');
        await act(paused, 'resume', {});
        // Without the pause it would escalate on Oct 1 10:00; the pause adds exactly 10 days.
        expect((await complaints.escalateOverdue(sh('10-01 10:00'))).escalated.map((x) => x.id)).not.to.include(c.id);
        expect((await complaints.escalateOverdue(sh('10-11 09:59'))).escalated.map((x) => x.id)).not.to.include(c.id);
        expect((await complaints.escalateOverdue(sh('10-11 10:00'))).escalated.map((x) => x.id)).to.include(c.id);
      });

      it('moves a plan made during a pause only by the part of the pause after it', async () => {
        // Calendar hours (no policy): paused Nov 16 09:00, planned Nov 18 09:00 due Nov 20 09:00, resumed Nov 19 09:00.
        const c = await assessed(await register('11-16 08:00', units.b, { category: 'cleaning_greening' }));
        at('11-16 09:00');
        const paused = await act(c, 'pause', { party: 'contractor', reason: '等待绿化外包单位' });
        at('11-18 09:00');
        const planned = await plan(paused, '11-20 09:00');
        at('11-19 09:00');
        const resumed = await act(planned, 'resume', {});
        expect(resumed.planDueEffectiveAt!.toISOString(), 'one day of the pause came after the plan').to.equal(iso('11-21 09:00'));
        expect(resumed.escalationFrom!.toISOString(), 'the whole pause for escalation').to.equal(iso('11-19 08:00'));
      });

      it('never escalates a complaint while its clock is paused', async () => {
        const c = await assessed(await register('08-01 10:00', units.b, { category: 'pets' }));
        at('08-20 10:00');
        await act(c, 'pause', { party: 'neighbour', reason: '等待邻居回国' });
        expect((await complaints.escalateOverdue(sh('09-15 10:00'))).escalated.map((x) => x.id)).not.to.include(c.id);
        expect((await complaints.list({ overdue: true, limit: 100 }, supervisor)).items.map((x) => x.id)).not.to.include(c.id);
        at('09-15 10:00');
        await act((await complaints.get(c.id, supervisor)).complaint, 'resume', {});
      });

      it('tells the supervisor once of a pause longer than the setting', async () => {
        await h.ctx.settings.update({ pauseAlertHours: 24 }, SYSTEM_ACTOR);
        const c = await assessed(await register('12-01 09:00', units.a, { category: 'neighbour' }));
        at('12-01 10:00');
        await act(c, 'pause', { party: 'neighbour', reason: '楼上业主出差，下周回来' });
        expect(await longPausesJob.run(h.ctx, sh('12-02 09:59'))).to.deep.include({ notified: 0 });
        expect(await longPausesJob.run(h.ctx, sh('12-02 10:00'))).to.deep.include({ notified: 1 });
        expect(await longPausesJob.run(h.ctx, sh('12-03 10:00'))).to.deep.include({ notified: 0 });
        const [notice] = (await h.db(h.ctx.tables.outbox).where({ topic: 'pause_overdue', complaint_id: c.id })) as Array<{ payload: string }>;
        expect(JSON.parse(notice!.payload)).to.deep.include({ recipientRole: 'supervisor', party: 'neighbour', pausedHours: 24, alertAfterHours: 24 });
      });
    });
  });
}

for (const kind of databaseKinds) {
  describe(`the staff directory from the host's user table (RuoYi sys_user, ${kind.kind})`, function () {
    let h: PluginHarness;
    before(async () => {
      h = await startPluginHarness(kind, ruoyiHost);
    });
    after(async () => h?.close());

    it('lists live users with their department and mobile, limited by the communities column', async () => {
      const inOne = await searchStaff(h.ctx, { communityId: '1' });
      expect(inOne.map((s) => [s.id, s.name, s.department, s.mobile, s.communityIds])).to.deep.equal([
        ['1', '系统管理员', '客服中心', null, null],
        ['201', '张师傅', '工程部', '13600001111', ['1']],
      ]);
      expect((await searchStaff(h.ctx, { communityId: '2' })).map((s) => s.id)).to.deep.equal(['202', '1']); // by name, as pinyin sorts
      expect((await searchStaff(h.ctx, { q: '1360000' })).map((s) => s.id)).to.deep.equal(['202', '201']);
    });

    it('is the authority: nobody outside it is assigned, nor anyone who may not see the community', async () => {
      expect(await resolveAssignee(h.ctx, '201', undefined, '1')).to.deep.equal({ name: '张师傅' });
      const outside = await resolveAssignee(h.ctx, '202', undefined, '1');
      expect('error' in outside && outside.error.message['zh-CN'])
        .to.include('李师傅')
        .and.include('无权查看');
      const disabled = await resolveAssignee(h.ctx, '203', '王师傅', '1');
      expect('error' in disabled && disabled.error.field).to.equal('assigneeId');
      const c = await createComplaintService(h.ctx).create(intakeBody(ruoyiHost.walk.unit), counter);
      const planned = await createComplaintService(h.ctx).transition(c.complaint.id, 'start-investigation', { version: 1, assigneeId: '201' }, supervisor);
      expect(planned).to.include({ assigneeId: '201', assigneeName: '张师傅' });
    });
  });
}

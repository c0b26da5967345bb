// Deadlines in service time, on both databases with a manual clock (times are Asia/Shanghai, the 2026
// calendar seeded in the settings: National Day Oct 1–7 off, Saturday Oct 10 a make-up working day).
// In 'working' mode the reply promise and the 24-hour follow-up window count working hours 09:00–18:00
// on working days; in the default 'calendar' mode they are plain hours. The promise is stored at receipt,
// so a later change of settings does not move it, and the report judges "replied on time" by it.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { buildReport } from '../../src/reports/report.js';
import type { ServiceCalendar } from '../../src/calendar/calendar.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody, unitsOf } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const sh = (local: string) => new Date(`2026-${local.replace(' ', 'T')}:00+08:00`);
const iso = (local: string) => sh(local).toISOString();
const { counter, supervisor, manager } = people;
const units = unitsOf(simpleHost);

for (const kind of databaseKinds) {
  describe(`deadlines in service time (${kind.kind})`, function () {
    let h: PluginHarness;
    let complaints: ComplaintService;
    let seeded: ServiceCalendar;

    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      complaints = createComplaintService(h.ctx);
      seeded = (await h.ctx.settings.get()).serviceCalendar;
    });
    after(async () => h?.close());

    const working = () => h.ctx.settings.update({ serviceCalendar: { ...seeded, mode: 'working' } }, supervisor);
    const calendarDays = () => h.ctx.settings.update({ serviceCalendar: seeded, replyPromiseHours: 48, followUpHours: 24 }, supervisor);
    afterEach(calendarDays);

    const register = async (local: string, unitId = units.a): Promise<Complaint> => {
      h.clock.set(sh(local));
      return (await complaints.create(intakeBody(unitId), counter)).complaint;
    };
    /** Answered at the counter (an inquiry): received → resolved, the follow-up window starts. */
    const answer = async (c: Complaint, local: string, actor: Actor = counter): Promise<Complaint> => {
      h.clock.set(sh(local));
      return complaints.transition(c.id, 'resolve', { version: c.version, reply: '已解释收费依据', basis: '物业服务合同第五条', nature: 'inquiry' }, actor);
    };

    it('promises the reply in working hours, skipping the National Day holiday, and keeps the promise when settings change', async () => {
      await working();
      // Sep 30 10:00–18:00 = 8 h; Oct 8, 9 and the make-up Saturday Oct 10 = 27 h; Mon Oct 12 = 9 h; Tue Oct 13 4 h.
      let c = await register('09-30 10:00');
      expect(c.replyDueAt!.toISOString()).to.equal(iso('10-13 13:00'));
      expect(c.dueAt!.toISOString()).to.equal(iso('10-13 13:00'));
      await h.ctx.settings.update({ replyPromiseHours: 24 }, supervisor);
      h.clock.set(sh('10-08 09:30'));
      c = await complaints.transition(c.id, 'start-investigation', { version: c.version, department: 'customer_service' }, supervisor);
      expect(c.dueAt!.toISOString(), 'the promise made at receipt').to.equal(iso('10-13 13:00'));
      // A complaint registered now gets the new promise: 24 working hours from 09:30 on Oct 8.
      const later = await register('10-08 09:30', units.b);
      expect(later.dueAt!.toISOString()).to.equal(iso('10-10 15:30'));
    });

    it('makes the follow-up visit due after the holiday for a reply just before it, counting the make-up Saturday', async () => {
      await working();
      const c = await register('09-30 15:00');
      // Sep 30 16:00–18:00 = 2 h; Oct 8 and 9 = 18 h; the make-up Saturday Oct 10 09:00 + 4 h.
      const resolved = await answer(c, '09-30 16:00');
      expect(resolved.followUpDueAt!.toISOString()).to.equal(iso('10-10 13:00'));
      expect(resolved.dueAt!.toISOString()).to.equal(iso('10-10 13:00'));
      const stored = await complaints.get(c.id, supervisor);
      expect(stored.complaint.followUpDueAt!.toISOString()).to.equal(iso('10-10 13:00'));
    });

    it('counts a make-up Saturday as a working day and skips an ordinary one', async () => {
      await working();
      // Fri Oct 9 15:00: 3 h, Sat Oct 10 (make-up) 9 h, Sun off, Mon Oct 12 9 h, Tue Oct 13 3 h.
      const beforeMakeUp = await answer(await register('10-09 14:00'), '10-09 15:00');
      expect(beforeMakeUp.followUpDueAt!.toISOString()).to.equal(iso('10-13 12:00'));
      // Fri Oct 16 15:00: 3 h, the weekend off, Mon Oct 19 9 h, Tue Oct 20 9 h, Wed Oct 21 3 h.
      const ordinary = await answer(await register('10-16 14:00', units.b), '10-16 15:00');
      expect(ordinary.followUpDueAt!.toISOString()).to.equal(iso('10-21 12:00'));
    });

    it('counts plain hours in the default calendar mode', async () => {
      expect((await h.ctx.settings.get()).serviceCalendar.mode).to.equal('calendar');
      const c = await register('09-30 10:00', units.b);
      expect(c.dueAt!.toISOString()).to.equal(iso('10-02 10:00'));
      const resolved = await answer(c, '09-30 16:00');
      expect(resolved.followUpDueAt!.toISOString()).to.equal(iso('10-01 16:00'));
    });

    it('judges "replied on time" in the report by the promise in working hours', async () => {
      await working();
      // Mon Sep 28 17:00: 1 h, Sep 29–30 18 h, Oct 8–10 27 h, Mon Oct 12 2 h: due Oct 12 11:00 (plain hours: Sep 30 17:00).
      const c = await register('09-28 17:00');
      expect(c.replyDueAt!.toISOString()).to.equal(iso('10-12 11:00'));
      await answer(c, '10-09 10:00');
      const late = await register('09-28 17:30', units.b);
      await answer(late, '10-12 12:00');
      h.clock.set(sh('10-20 09:00'));
      const report = await buildReport(h.ctx, { from: '2026-09-28', to: '2026-09-28', actor: manager });
      expect(report.complaints).to.equal(2);
      expect(report.onTime).to.deep.equal({ count: 1, of: 2, rate: 1 / 2, late: 1, overdueOpen: 0 });
    });
  });
}

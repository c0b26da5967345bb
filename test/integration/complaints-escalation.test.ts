// Escalation with a manual clock: valid complaints unresolved past escalationDays since the first
// receipt become major with a reason and an event, once; supervisors may also raise severity by hand.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';
import { act, assessProperty, followUp, intakeBody, planBody, register, replyBody, step, unitsOf } from '../support/complaintData.js';
import { escalateOverdue } from '../../src/complaints/escalation.js';
import { createComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';

const DAY = 24 * 3600 * 1000;
const { counter, supervisor, director } = people;

for (const kind of databaseKinds) {
  for (const fixture of [simpleHost, stringIdHost]) {
    describe(`complaint escalation: ${fixture.name} on ${kind.kind}`, function () {
      let h: PluginHarness;
      const units = unitsOf(fixture);
      const read = async (id: number) => (await h.api('GET', `/api/complaints/${id}`, { as: counter })).body.complaint as Complaint;

      before(async () => {
        h = await startPluginHarness(kind, fixture);
      });
      after(async () => h?.close());
      afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

      it('raises valid complaints unresolved for escalationDays to major, once, with reason and event', async () => {
        const start = h.clock.now();
        let valid = await register(h, counter, intakeBody(units.a, { category: 'timeliness' }));
        valid = await step(h, supervisor, valid, 'assess', { ...assessProperty, severity: 'minor' });
        const unassessed = await register(h, counter, intakeBody(units.a, { category: 'other' }));
        let inquiry = await register(h, counter, intakeBody(units.b, { category: 'fees' }));
        inquiry = await step(h, supervisor, inquiry, 'assess', { disputeType: 'property', nature: 'inquiry', severity: 'minor' });
        let answered = await register(h, counter, intakeBody(units.b));
        answered = await step(h, supervisor, answered, 'assess', assessProperty);
        answered = await step(h, supervisor, answered, 'plan', planBody);
        answered = await step(h, supervisor, answered, 'resolve', replyBody);

        const service = createComplaintService(h.ctx);
        expect((await service.escalateOverdue(new Date(start.getTime() + 30 * DAY - 60_000))).escalated).to.deep.equal([]);
        h.clock.set(new Date(start.getTime() + 30 * DAY + 60_000));
        const run = await escalateOverdue(h.ctx, h.clock.now());
        expect(run.escalated.map((e) => e.id)).to.deep.equal([valid.id]);
        const after = await read(valid.id);
        expect(after).to.include({ severity: 'major', state: 'investigating', version: valid.version + 1, updatedBy: 'system' });
        expect(after.escalationReason).to.contain('30');
        expect(after.escalatedAt).to.equal(h.clock.now().toISOString());
        for (const id of [unassessed.id, inquiry.id, answered.id]) expect((await read(id)).escalatedAt).to.equal(null);

        const events = await h.api('GET', `/api/complaints/${valid.id}/events`, { as: counter });
        const last = events.body.events.at(-1);
        expect(last).to.include({ action: 'auto-escalate', actorId: 'system', fromState: 'investigating', toState: 'investigating' });
        expect(last.changes.severity).to.deep.equal(['minor', 'major']);

        const eventCount = await h.db(h.ctx.tables.events).count({ n: '*' });
        expect((await escalateOverdue(h.ctx, h.clock.now())).escalated, 'second run').to.deep.equal([]);
        expect(await h.db(h.ctx.tables.events).count({ n: '*' })).to.deep.equal(eventCount);
        // An escalated complaint cannot be assessed back down.
        const down = await act(h, supervisor, after, 'assess', { ...assessProperty, severity: 'important' });
        expect(down.status).to.equal(400);
        expect(down.body.error.fields[0]).to.include({ field: 'severity' });
      });

      it('counts from the first receipt across an unsatisfied follow-up chain', async () => {
        const start = h.clock.now();
        let first = await register(h, counter, intakeBody(units.a, { category: 'service_quality' }));
        first = await step(h, supervisor, first, 'assess', { ...assessProperty, severity: 'minor' });
        first = await step(h, supervisor, first, 'plan', { ...planBody, deadline: new Date(start.getTime() + 40 * DAY).toISOString() });
        h.clock.set(new Date(start.getTime() + 20 * DAY));
        first = await step(h, supervisor, first, 'resolve', replyBody);
        const res = await followUp(h, counter, first, { method: 'phone', satisfied: false, complainantWords: '还是老样子' });
        const next = res.body.continuation as Complaint;
        expect(next.severity).to.equal('important');
        h.clock.set(new Date(start.getTime() + 30 * DAY + 60_000));
        const run = await escalateOverdue(h.ctx, h.clock.now());
        expect(run.escalated.map((e) => e.id))
          .to.include(next.id)
          .and.not.include(first.id);
      });

      it('follows the configured number of days', async () => {
        await h.ctx.settings.update({ escalationDays: 7 }, supervisor);
        try {
          let c = await register(h, counter, intakeBody(units.b, { category: 'renovation' }));
          c = await step(h, supervisor, c, 'assess', { ...assessProperty, severity: 'minor' });
          h.clock.advance(7 * DAY + 1000);
          expect((await escalateOverdue(h.ctx, h.clock.now())).escalated.map((e) => e.id)).to.deep.equal([c.id]);
        } finally {
          await h.ctx.settings.update({ escalationDays: 30 }, supervisor);
        }
      });

      it('lets supervisors and directors raise severity by hand with a reason, never lower it', async () => {
        let c = await register(h, counter, intakeBody(units.a, { category: 'security', severity: 'minor' }));
        const byCounter = await act(h, counter, c, 'escalate', { severity: 'major', reason: '业主要找媒体' });
        expect(byCounter.status).to.equal(403);
        const noReason = await act(h, supervisor, c, 'escalate', { severity: 'important' });
        expect(noReason.status).to.equal(400);
        expect(noReason.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['reason']);
        c = await step(h, supervisor, c, 'escalate', { severity: 'important', reason: '业主多次来电' });
        expect(c).to.include({ severity: 'important', escalationReason: '业主多次来电' });
        const same = await act(h, director, c, 'escalate', { severity: 'important', reason: '再次' });
        expect(same.status).to.equal(400);
        c = await step(h, director, c, 'escalate', { severity: 'major', reason: '业主要找媒体' });
        expect(c.severity).to.equal('major');
        const list = await h.api('GET', `/api/complaints?severity=major&unitId=${units.a}&category=security`, { as: counter });
        expect(list.body.items.map((i: Complaint) => i.id)).to.deep.equal([c.id]);
      });
    });
  }
}

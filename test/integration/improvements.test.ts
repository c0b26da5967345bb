// The improvement register (总结改进) on both databases: an action recorded from a report figure (the
// category 设施设备 of community 1), its status changed with the version, and its effect: complaints and
// repeats in that scope in the N days before the day it took effect against the N days after, with the
// counts, partial while the after-window runs. Complaints of other categories, communities or days, and
// cancelled ones, are not counted.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { startOffsetHarness, refused, type OffsetHarness } from '../support/offsetData.js';
import { intakeBody } from '../support/complaintData.js';
import { createImprovementService } from '../../src/reports/improvements.js';
import { ValidationError } from '../../src/common/errors.js';

const DAY = 86_400_000;

for (const kind of databaseKinds) {
  describe(`improvement register (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: OffsetHarness;
    before(async () => {
      // 2026-11-01 10:00 Shanghai
      h = await startOffsetHarness(kind, simpleHost, { now: '2026-11-01T02:00:00.000Z' });
    });
    after(() => h?.close());

    it('records an action from a figure and measures complaints and repeats before and after it', async () => {
      const improvements = createImprovementService(h.ctx);
      const file = (unitId: string, category = 'facilities') => h.complaints.create(intakeBody(unitId, { category }), people.counter);
      // Before (11-01 … 11-10): four facilities complaints in community 1, two of them repeats (same unit within the window).
      await file('101');
      h.clock.advance(DAY);
      await file('101'); // repeat of the first
      await file('102');
      h.clock.advance(DAY);
      await file('102'); // repeat
      await file('101', 'pets'); // another category
      await file('103'); // another community
      const cancelled = await file('102');
      await h.complaints.transition(
        cancelled.complaint.id,
        'cancel',
        { version: cancelled.complaint.version, cancelKind: 'registered_in_error', reason: '登记错误' },
        people.counter,
      );

      // 11-11: the company replaces the lift brakes (taken that day).
      const action = await improvements.record(
        {
          scopeKind: 'category',
          scopeValue: 'facilities',
          communityId: '1',
          what: '更换3号楼电梯制动器并加密维保至每周一次',
          ownerName: '工程部刘经理',
          dueOn: '2026-11-20',
          takenOn: '2026-11-11',
        },
        people.supervisor,
      );
      expect(action.status).to.equal('planned');
      const started = await improvements.setStatus(action.id, { version: action.version, status: 'in_progress' }, people.supervisor);
      await refused(improvements.setStatus(action.id, { version: action.version, status: 'done' }, people.supervisor), 'stale_version', 409);
      await improvements.setStatus(action.id, { version: started.version, status: 'done' }, people.supervisor);

      // After (11-11 … 11-20): one facilities complaint in community 1, a repeat (unit 101 had one on 11-02).
      h.clock.set('2026-11-12T02:00:00.000Z');
      await file('101');

      const partial = await improvements.effect(action.id, 10, people.supervisor);
      expect(partial.complete).to.equal(false);
      expect(partial.change).to.equal(null);
      expect(partial.before).to.deep.equal({ from: '2026-11-01', to: '2026-11-10', complaints: 4, repeats: 2 });
      expect(partial.after).to.deep.equal({ from: '2026-11-11', to: '2026-11-20', complaints: 1, repeats: 1 });

      h.clock.advance(20 * DAY);
      const done = await improvements.effect(action.id, 10, people.supervisor);
      expect(done.complete).to.equal(true);
      expect(done.change).to.deep.equal({ complaints: -3, repeats: -1 });
      expect((await improvements.list(people.manager)).map((a) => [a.id, a.status])).to.deep.equal([[action.id, 'done']]);
      const events = await h.db('cmp_events').where({ entity_type: 'improvement', entity_id: action.id }).orderBy('id');
      expect(events.map((e) => e.action)).to.deep.equal(['create', 'status', 'status']);
    });

    it('refuses bad input at its field and a counter clerk without report.view', async () => {
      const improvements = createImprovementService(h.ctx);
      const fields = async (input: Record<string, unknown>) => {
        try {
          await improvements.record(input, people.supervisor);
        } catch (err) {
          if (err instanceof ValidationError) return err.fields.map((f) => f.field).sort();
          throw err;
        }
        return [];
      };
      expect(await fields({ scopeKind: 'floor', scopeValue: '3', what: 'x', ownerName: 'y', dueOn: '2026-11-20' })).to.deep.equal(['scopeKind']);
      expect(await fields({ scopeKind: 'unit', scopeValue: '101', what: ' ', ownerName: 'y', dueOn: '2026-13-01' })).to.deep.equal(['dueOn', 'what']);
      await refused(
        improvements.record({ scopeKind: 'unit', scopeValue: '101', what: 'x', ownerName: 'y', dueOn: '2026-11-20' }, people.counter),
        'forbidden',
        403,
      );
      await refused(improvements.effect(999999, 10, people.supervisor), 'not_found', 404);
    });
  });
}

for (const kind of databaseKinds) {
  describe(`improvement register over HTTP and on the report page (${kind.kind})`, function () {
    this.timeout(60_000);
    it('records through /api/improvements and shows the action with its before/after counts on the report', async () => {
      const { startPageHarness, staff, userHeader, unescapeHtml } = await import('../support/pageHarness.js');
      const h = await startPageHarness(kind, simpleHost, { now: '2026-11-05T02:00:00.000Z' });
      try {
        await h.plugin.complaints.create(intakeBody('101'), staff.counter);
        const headers = { ...userHeader(staff.supervisor, h.clock), 'content-type': 'application/json' };
        const res = await fetch(`${h.origin}${h.base}/api/improvements`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            scopeKind: 'unit',
            scopeValue: '101',
            communityId: '1',
            what: '1-101 门口加装挡水条',
            ownerName: '工程部',
            dueOn: '2026-11-30',
            takenOn: '2026-11-06',
          }),
        });
        expect(res.status).to.equal(201);
        const { action } = (await res.json()) as { action: { id: number } };
        const effect = await fetch(`${h.origin}${h.base}/api/improvements/${action.id}/effect?days=5`, { headers });
        const body = (await effect.json()) as { effect: { before: { complaints: number }; complete: boolean } };
        expect(body.effect.before.complaints).to.equal(1);
        expect(body.effect.complete).to.equal(false);
        const page = await fetch(`${h.origin}${h.base}/report?from=2026-11-01&to=2026-11-30&effectDays=5`, { headers: userHeader(staff.supervisor, h.clock) });
        const html = unescapeHtml(await page.text());
        expect(page.status).to.equal(200);
        expect(html).to.include('整改措施及效果');
        expect(html).to.include('1-101 门口加装挡水条');
        expect(html).to.match(/>1 \/ 0<\/td><td class="num">0 \/ 0 \*</);
      } finally {
        await h.close();
      }
    });
  });
}

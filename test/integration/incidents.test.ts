// Incidents (事件 / 群诉) on both databases: a lift outage brings forty complaints; they join one incident,
// are assessed, planned and replied to at once (each complaint through its own guarded transition, with
// its own timeline event), then each owner is followed up on their own (some satisfied, some not); a
// closed incident takes no more complaints; the report counts the incident once and its complaints too.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { startOffsetHarness, refused, type OffsetHarness } from '../support/offsetData.js';
import { intakeBody, planBody } from '../support/complaintData.js';
import { buildReport } from '../../src/reports/report.js';
import { tableNames } from '../../src/db/tables.js';

const T = tableNames('cmp_');
const H = 3_600_000;

for (const kind of databaseKinds) {
  describe(`incidents (${kind.kind})`, function () {
    this.timeout(120_000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost, { now: '2026-11-10T01:00:00.000Z' });
    });
    after(() => h?.close());

    it('handles forty complaints of one lift outage together and follows each owner up alone', async () => {
      const { incidents } = h.complaints;
      const incident = await incidents.create({ title: '3号楼电梯停运', communityId: '1', description: '11月10日早高峰电梯故障' }, people.supervisor);
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) {
        const { complaint } = await h.complaints.create(
          intakeBody(i % 2 ? '101' : '102', { complainantName: `业主${i}`, complainantPhone: `1380013${String(8000 + i)}` }),
          people.counter,
        );
        await incidents.join(incident.id, complaint.id, people.supervisor);
        ids.push(complaint.id);
      }
      const assessed = await incidents.act(incident.id, 'assess', { disputeType: 'property', nature: 'valid', severity: 'important' }, people.supervisor);
      expect(assessed.done).to.have.length(40);
      const planned = await incidents.act(incident.id, 'plan', planBody, people.supervisor);
      expect(planned.done).to.have.length(40);
      h.clock.advance(5 * H);
      const replied = await incidents.act(incident.id, 'resolve', { reply: '电梯已修复并通过检测', basis: '维保单位检测报告 WB-2026-118' }, people.supervisor);
      expect(replied.done.map((c) => c.id)).to.deep.equal(ids);
      expect(replied.skipped).to.deep.equal([]);
      const rows = await h.db(T.complaints).whereIn('id', ids).select('state', 'resolution_reply', 'resolved_at');
      expect(new Set(rows.map((r) => `${r.state}|${r.resolution_reply}`))).to.deep.equal(new Set(['resolved|电梯已修复并通过检测']));
      // Each complaint has its own reply event.
      const events = await h.db(T.events).whereIn('complaint_id', ids).where({ entity_type: 'complaint', action: 'resolve' });
      expect(events).to.have.length(40);
      // Replying again touches nothing: each is past that step.
      const again = await incidents.act(incident.id, 'resolve', { reply: '再答', basis: '无' }, people.supervisor);
      expect(again.done).to.have.length(0);
      expect(again.skipped).to.have.length(40);

      // Follow-ups stay one by one: no group follow-up, each owner their own visit.
      await refused(incidents.act(incident.id, 'follow-up', {}, people.supervisor), 'not_found', 404);
      h.clock.advance(2 * H);
      for (const [i, id] of ids.entries()) {
        const c = (await h.complaints.get(id, people.counter)).complaint;
        const visit = await h.complaints.followUp(
          id,
          { version: c.version, method: 'phone', satisfied: i % 10 !== 0, complainantWords: `业主${i}回访` },
          people.counter,
        );
        expect(visit.complaint.state).to.equal(i % 10 !== 0 ? 'closed' : 'closed_unsatisfied');
      }
      expect(await h.db(T.followUps).whereIn('complaint_id', ids)).to.have.length(40);

      // Closed: no one joins any more.
      const closed = await incidents.close(incident.id, (await incidents.get(incident.id, people.supervisor)).incident.version, people.supervisor);
      expect(closed.state).to.equal('closed');
      const late = await h.complaints.create(intakeBody('101'), people.counter);
      await refused(incidents.join(incident.id, late.complaint.id, people.supervisor), 'incident_closed', 409);

      const report = await buildReport(h.ctx, { from: '2026-11-01', to: '2026-11-30', communityId: null, actor: people.manager });
      expect(report.incidents).to.deep.equal({ incidents: 1, complaints: 40 });
      // 40 incident complaints, 4 unsatisfied continuations, 1 late one: every complaint counted too.
      expect(report.complaints).to.equal(45);
    });

    it('keeps complaints of another community or already elsewhere out', async () => {
      const { incidents } = h.complaints;
      const a = await incidents.create({ title: '小区停水', communityId: '1' }, people.supervisor);
      const b = await incidents.create({ title: '小区停电', communityId: '1' }, people.supervisor);
      const c = await h.complaints.create(intakeBody('101'), people.counter);
      await incidents.join(a.id, c.complaint.id, people.supervisor);
      await refused(incidents.join(b.id, c.complaint.id, people.supervisor), 'already_in_incident', 409);
      const other = await h.complaints.create(intakeBody('103'), people.counter);
      try {
        await incidents.join(a.id, other.complaint.id, people.supervisor);
        expect.fail('joined another community');
      } catch (err) {
        expect((err as { fields?: Array<{ field: string }> }).fields?.map((f) => f.field)).to.deep.equal(['complaintId']);
      }
      await refused(incidents.join(a.id, c.complaint.id, people.counter), 'forbidden', 403);
    });
  });
}

for (const kind of databaseKinds) {
  describe(`incidents over HTTP (${kind.kind})`, function () {
    this.timeout(60_000);
    it('creates an incident, adds a complaint, takes a group step and closes it through /api/incidents', async () => {
      const { startPageHarness, staff, userHeader } = await import('../support/pageHarness.js');
      const h = await startPageHarness(kind, simpleHost);
      try {
        const call = async (method: string, path: string, as: typeof staff.supervisor, body?: unknown) => {
          const res = await fetch(`${h.origin}${h.base}${path}`, {
            method,
            headers: { ...userHeader(as, h.clock), ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          return { status: res.status, body: (await res.json()) as any };
        };
        const created = await call('POST', '/api/incidents', staff.supervisor, { title: '地库进水', communityId: '1' });
        expect(created.status).to.equal(201);
        const id = created.body.incident.id as number;
        const { complaint } = await h.plugin.complaints.create(intakeBody('101'), staff.counter);
        expect((await call('POST', `/api/incidents/${id}/complaints/${complaint.id}`, staff.supervisor)).status).to.equal(200);
        const step = await call('POST', `/api/incidents/${id}/act/start-investigation`, staff.supervisor, {});
        expect(step.status).to.equal(200);
        expect(step.body.done.map((c: { state: string }) => c.state)).to.deep.equal(['investigating']);
        expect((await call('POST', `/api/incidents/${id}/act/follow-up`, staff.supervisor, {})).status).to.equal(404);
        const got = await call('GET', `/api/incidents/${id}`, staff.counter);
        expect(got.body.complaints).to.have.length(1);
        const closed = await call('POST', `/api/incidents/${id}/close`, staff.supervisor, { version: got.body.incident.version });
        expect(closed.body.incident.state).to.equal('closed');
        // The report page counts the incident once, beside its complaints.
        const month = h.clock.now().toISOString().slice(0, 7);
        const report = await fetch(`${h.origin}${h.base}/report?from=${month}-01&to=${month}-28`, { headers: userHeader(staff.supervisor, h.clock) });
        const html = (await report.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
        expect(report.status).to.equal(200);
        expect(html).to.match(/ 1 事件（多起投诉合并处理） 涉及 1 件投诉/);
        const doc = await fetch(`${h.origin}${h.base}/api/openapi.json`);
        expect(Object.keys(((await doc.json()) as { paths: Record<string, unknown> }).paths)).to.include('/api/incidents/{id}/act/{action}');
      } finally {
        await h.close();
      }
    });
  });
}

// The supervisor's pages of issue 19 (incidents, merge, the improvement register) on both databases, above
// all their bad input: every refused form answers with the reason at its field in the reader's words, keeps
// what was typed and changes nothing (rows and audit events counted before and after); the good paths
// write through the domain services (audit events on the timelines).
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { staff, startPageHarness, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { intakeBody } from '../support/complaintData.js';
import { tableNames } from '../../src/db/tables.js';
import type { Complaint } from '../../src/complaints/types.js';

const T = tableNames('cmp_');

async function count(h: PageHarness, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await h.db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

/** Everything a refused form must leave alone. */
async function snapshot(h: PageHarness) {
  return {
    complaints: (await h.db(T.complaints).orderBy('id').select('id', 'version', 'state', 'incident_id', 'merged_into_id')) as unknown[],
    incidents: (await h.db(T.incidents).orderBy('id')) as unknown[],
    offsets: (await h.db(T.offsets).orderBy('id').select('id', 'complaint_id', 'status', 'version')) as unknown[],
    improvements: (await h.db('cmp_improvement_actions').orderBy('id')) as unknown[],
    events: await count(h, T.events),
  };
}

for (const kind of databaseKinds) {
  describe(`pages: incidents, merge and the improvement register (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;
    let supervisor: PageClient;
    let counter: PageClient;

    async function complaint(unitId = '101', overrides: Record<string, unknown> = {}): Promise<Complaint> {
      const { complaint: c } = await h.plugin.complaints.create(intakeBody(unitId, overrides), staff.counter);
      return h.plugin.complaints.transition(
        c.id,
        'assess',
        { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      supervisor = h.client();
      counter = h.client();
      await supervisor.signIn(staff.supervisor);
      await counter.signIn(staff.counter);
    });
    after(async () => h?.close());

    it('opens an incident; a blank title is refused at its field with the description kept, and nothing is written', async () => {
      await supervisor.get('/incidents');
      const before = await snapshot(h);
      const bad = await supervisor.post('/incidents', { title: '   ', communityId: '1', description: '3号楼电梯 18:00 起停运' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-title"').and.include('3号楼电梯 18:00 起停运').and.include('aria-invalid="true"');
      expect(await snapshot(h)).to.deep.equal(before);

      const forged = await supervisor.post('/incidents', { title: '3号楼电梯停运', kind: 'meteor', building: '3号楼', communityId: '1' });
      expect(forged.status).to.equal(422);
      expect(forged.text).to.include('id="err-kind"').and.include('事件类型').and.include('value="3号楼"').and.include('value="3号楼电梯停运"');
      expect(await snapshot(h)).to.deep.equal(before);

      const created = await supervisor.post('/incidents', {
        title: '3号楼电梯停运',
        kind: 'lift',
        building: '3号楼',
        communityId: '1',
        description: '3号楼电梯 18:00 起停运',
      });
      expect(created.status).to.equal(303);
      expect(created.location).to.match(/\/incidents\/\d+\?ok=incidentCreated$/);
      const page = await supervisor.follow(created);
      expect(page.text).to.include('3号楼电梯停运').and.include('事件已建立').and.include('电梯故障').and.include('阳光花园 · 3号楼');
      const row = (await h.db(T.incidents).orderBy('id', 'desc').first()) as { kind: string; building: string };
      expect([row.kind, row.building]).to.deep.equal(['lift', '3号楼']);
      expect(await count(h, T.events, { entity_type: 'incident', action: 'create' })).to.equal(1);
    });

    it('speaks English when asked, the refusal too', async () => {
      const en = h.client();
      await en.signIn(staff.supervisor);
      const page = await en.get('/incidents?lang=en');
      expect(page.text).to.include('Open an incident').and.include('Title');
      const bad = await en.post('/incidents', { title: '' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-title"').and.not.include('请填写');
      const merge = await en.get(`/c/${(await complaint('101')).id}/merge`);
      expect(merge.text).to.include('Code of the complaint to keep').and.include('See what the merge does');
    });

    it('a counter clerk (no complaint.assess) may not open an incident: 403, nothing written', async () => {
      await counter.get('/incidents');
      const before = await snapshot(h);
      const res = await counter.post('/incidents', { title: '停水' });
      expect(res.status).to.equal(403);
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it('adds complaints by code; an unknown or blank code or another community is refused at the code field, typed code kept; a second join is 409', async () => {
      const incident = (await h.db(T.incidents).orderBy('id', 'desc').first()) as { id: number };
      const a = await complaint('101');
      const other = await complaint('103'); // community 2
      await supervisor.get(`/incidents/${incident.id}`);
      const before = await snapshot(h);
      const unknown = await supervisor.post(`/incidents/${incident.id}/complaints`, { code: 'TS-NOPE-0001' });
      expect(unknown.status).to.equal(422);
      expect(unknown.text).to.include('id="err-code"').and.include('value="TS-NOPE-0001"').and.include('没有编号为');
      const blank = await supervisor.post(`/incidents/${incident.id}/complaints`, { code: '' });
      expect(blank.status).to.equal(422);
      expect(blank.text).to.include('请填写要加入的投诉编号');
      const elsewhere = await supervisor.post(`/incidents/${incident.id}/complaints`, { code: other.code });
      expect(elsewhere.status).to.equal(422);
      expect(elsewhere.text).to.include('只能加入同一小区的投诉').and.include(`value="${other.code}"`);
      expect(await snapshot(h)).to.deep.equal(before);

      const joined = await supervisor.post(`/incidents/${incident.id}/complaints`, { code: a.code });
      expect(joined.status).to.equal(303);
      const page = await supervisor.follow(joined);
      expect(page.text).to.include(`data-member="${a.code}"`).and.include('投诉已加入事件');
      const again = await supervisor.post(`/incidents/${incident.id}/complaints`, { code: a.code });
      expect(again.status).to.equal(409);
      expect(again.text).to.include(`已属于事件 #${incident.id}`);
    });

    it('joins from the complaint page; a missing incident choice is refused on the complaint page', async () => {
      const incident = (await h.db(T.incidents).orderBy('id', 'desc').first()) as { id: number };
      const b = await complaint('102');
      const detail = await supervisor.get(`/c/${b.id}`);
      expect(detail.text).to.include(`action="${h.base}/c/${b.id}/incident"`);
      const before = await snapshot(h);
      const bad = await supervisor.post(`/c/${b.id}/incident`, { incidentId: 'x' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('请选择要加入的事件');
      expect(await snapshot(h)).to.deep.equal(before);
      const ok = await supervisor.post(`/c/${b.id}/incident`, { incidentId: String(incident.id) });
      expect(ok.status).to.equal(303);
      const after = await supervisor.follow(ok);
      expect(after.text).to.include(`/incidents/${incident.id}`).and.include('本投诉属于事件');
    });

    it('a group step with bad input changes no complaint and keeps what was typed; the good one moves each complaint through its own transition', async () => {
      const incident = (await h.db(T.incidents).orderBy('id', 'desc').first()) as { id: number };
      await supervisor.get(`/incidents/${incident.id}`);
      const before = await snapshot(h);
      const bad = await supervisor.post(`/incidents/${incident.id}/act/plan`, { department: 'engineering', measures: '更换制动器', deadline: '明天' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-deadline"').and.include('更换制动器').and.include('value="明天"');
      expect(await snapshot(h)).to.deep.equal(before);

      const planned = await supervisor.post(`/incidents/${incident.id}/act/plan`, {
        department: 'engineering',
        measures: '更换制动器',
        deadline: '2026-12-30T18:00',
      });
      expect(planned.status).to.equal(200);
      expect(planned.text).to.include('data-group-result').and.include('已处理 2 件');
      const noReply = await supervisor.post(`/incidents/${incident.id}/act/resolve`, { reply: '', basis: '维保单位检测报告' });
      expect(noReply.status).to.equal(422);
      expect(noReply.text).to.include('id="err-reply"').and.include('维保单位检测报告');
      const states = (await h.db(T.complaints).where({ incident_id: incident.id }).pluck('state')) as string[];
      expect(states).to.deep.equal(['processing', 'processing']);
    });

    it('merge: the check step refuses a blank reason and an unknown code at their fields (typed kept) and writes nothing', async () => {
      const dup = await complaint('101');
      const other = await complaint('103');
      const page = await supervisor.get(`/c/${dup.id}/merge`);
      expect(page.status).to.equal(200);
      const before = await snapshot(h);
      const bad = await supervisor.post(`/c/${dup.id}/merge/check`, { survivorCode: 'TS-NOPE-9', reason: '' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-survivorCode"').and.include('id="err-reason"').and.include('value="TS-NOPE-9"');
      const self = await supervisor.post(`/c/${dup.id}/merge/check`, { survivorCode: dup.code, reason: '重复' });
      expect(self.status).to.equal(422);
      expect(self.text).to.include('不能把投诉合并到它自己');
      const elsewhere = await supervisor.post(`/c/${dup.id}/merge/check`, { survivorCode: other.code, reason: '重复' });
      expect(elsewhere.status).to.equal(422);
      expect(elsewhere.text).to.include('只能合并同一小区的投诉');
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it('merge: a confirm read at a stale version is refused with the reason and changes nothing; a fresh one merges and the duplicate points to the survivor', async () => {
      const survivor = await complaint('101');
      const dup = await complaint('101');
      await supervisor.get(`/c/${dup.id}/merge`);
      const preview = await supervisor.post(`/c/${dup.id}/merge/check`, { survivorCode: survivor.code, reason: '同一电梯故障' });
      expect(preview.status).to.equal(200);
      expect(preview.text).to.include('data-merge-preview').and.include('本投诉没有待审批的抵扣申请');
      // Someone notes progress on the duplicate meanwhile: its version moves on.
      await h.plugin.complaints.transition(dup.id, 'note', { version: dup.version, note: '又来电催促' }, staff.supervisor);
      const before = await snapshot(h);
      const stale = await supervisor.post(`/c/${dup.id}/merge`, { version: String(dup.version), survivorId: String(survivor.id), reason: '同一电梯故障' });
      expect(stale.status).to.equal(409);
      expect(stale.text).to.include('操作未执行');
      expect(await snapshot(h)).to.deep.equal(before);
      const fresh = (await h.db(T.complaints).where({ id: dup.id }).first()) as { version: number };
      const done = await supervisor.post(`/c/${dup.id}/merge`, { version: String(fresh.version), survivorId: String(survivor.id), reason: '同一电梯故障' });
      expect(done.status).to.equal(303);
      expect(done.location).to.include(`/c/${survivor.id}?ok=merged`);
      const survivorPage = await supervisor.follow(done);
      expect(survivorPage.text).to.include('data-merged-from').and.include(dup.code);
      const dupPage = await supervisor.get(`/c/${dup.id}`);
      expect(dupPage.text).to.include('data-merged-into').and.include(`href="${h.base}/c/${survivor.id}"`);
      expect(await count(h, T.events, { complaint_id: dup.id, action: 'merge' })).to.equal(1);
    });

    it('improvements: bad input is refused at its fields with the typed values kept; a stale status change is refused; nothing is written', async () => {
      const form = await supervisor.get('/improvements?scopeKind=category&scopeValue=facilities&communityId=1');
      expect(form.text).to.include('来自报表的数字').and.include('value="facilities"');
      const before = await snapshot(h);
      const bad = await supervisor.post('/improvements', {
        scopeKind: 'category',
        scopeValue: 'facilities',
        communityId: '1',
        what: '电梯每周巡检改为每日巡检',
        ownerName: '',
        dueOn: '2026-13-45',
        status: 'planned',
      });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-ownerName"').and.include('id="err-dueOn"').and.include('电梯每周巡检改为每日巡检').and.include('value="2026-13-45"');
      expect(await snapshot(h)).to.deep.equal(before);

      const ok = await supervisor.post('/improvements', {
        scopeKind: 'category',
        scopeValue: 'facilities',
        communityId: '1',
        what: '电梯每周巡检改为每日巡检',
        ownerName: '工程部刘经理',
        dueOn: '2026-12-31',
        status: 'planned',
      });
      expect(ok.status).to.equal(303);
      const list = await supervisor.follow(ok);
      expect(list.text).to.include('整改措施已记录').and.include('电梯每周巡检改为每日巡检').and.include('投诉 ');
      const action = (await h.db('cmp_improvement_actions').orderBy('id', 'desc').first()) as { id: number; version: number };
      const mid = await snapshot(h);
      const stale = await supervisor.post(`/improvements/${action.id}/status`, { version: String(action.version + 5), status: 'done' });
      expect(stale.status).to.equal(409);
      expect(stale.text).to.include('刚被他人修改');
      expect(await snapshot(h)).to.deep.equal(mid);
      const moved = await supervisor.post(`/improvements/${action.id}/status`, { version: String(action.version), status: 'in_progress' });
      expect(moved.status).to.equal(303);
      expect((await h.db('cmp_improvement_actions').where({ id: action.id }).first()).status).to.equal('in_progress');
      // The counter clerk has no report.view: the register is closed to them.
      expect((await counter.get('/improvements')).status).to.equal(403);
    });
  });
}

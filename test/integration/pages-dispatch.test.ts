// The pages of issue 18 over HTTP on both databases: the administrator's deadline policies and routing
// rules (saved, and refused at the row's field); the plan form pre-filled by them (department, handler,
// deadline; never the supervisor's own id); pause, resume and reassign forms (a missing reason answered
// at its field, typed values kept); the workbench's queues (paused, for how long; waiting for acceptance,
// one click from reassigning) and the timeline's pause record.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { recordSignedIn } from '../../src/staff/directory.js';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, type PageClient, type PageHarness } from '../support/pageHarness.js';

const sh = (local: string) => new Date(`2026-${local.replace(' ', 'T')}:00+08:00`);
const handler: Actor = { id: 'pg-eng', name: '工程部孙师傅', roles: ['handler'], communityIds: ['1'] };
const other: Actor = { id: 'pg-eng-2', name: '工程部周师傅', roles: ['handler'], communityIds: null };

for (const kind of databaseKinds) {
  describe(`pages: dispatch, policies and pauses (${kind.kind})`, function () {
    let h: PageHarness;
    let admin: PageClient;
    let sup: PageClient;
    let id: number;

    before(async () => {
      h = await startPageHarness(kind, simpleHost, { now: sh('11-02 09:00').toISOString(), users: [handler, other] });
      for (const p of [handler, other]) await recordSignedIn(h.plugin.context, p);
      admin = h.client();
      await admin.signIn(staff.admin);
      sup = h.client();
      await sup.signIn(staff.supervisor);
    });
    after(async () => h?.close());

    const grab = (text: string) => {
      const form: Record<string, string> = {};
      for (const m of text.matchAll(/<input type="(?:text|number|hidden)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form[m[1]!] = unescapeHtml(m[2]!);
      for (const m of text.matchAll(/<input type="checkbox" name="([^"]+)" value="1"[^>]* checked/g)) form[m[1]!] = '1';
      delete form._csrf;
      return form;
    };

    it('saves deadline policies and routing rules from the settings form, and refuses a bad row at its field', async () => {
      const page = await admin.get('/admin');
      expect(page.text).to.include('时限标准').and.include('派单规则').and.include('name="pauseAlertHours" value="168"');
      const bad = await admin.post('/admin/settings', {
        ...grab(page.text),
        'pol.0.category': 'facilities',
        'pol.0.replyHours': '0',
        'pol.0.handlingHours': '72',
      });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-pol.0.replyHours"').and.include('name="pol.0.handlingHours" value="72"');
      const res = await admin.post('/admin/settings', {
        ...grab(page.text),
        'pol.0.category': 'facilities',
        'pol.0.severity': '*',
        'pol.0.replyHours': '24',
        'pol.0.handlingHours': '72',
        'pol.0.clock': 'calendar',
        'route.0.category': 'facilities',
        'route.0.communityId': '1',
        'route.0.department': 'engineering',
        'route.0.handlerId': handler.id,
        pauseAlertHours: '48',
      });
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      const settings = await h.plugin.context.settings.get();
      expect(settings.deadlinePolicies).to.deep.equal([{ category: 'facilities', severity: '*', replyHours: 24, handlingHours: 72, clock: 'calendar' }]);
      expect(settings.routingRules).to.deep.equal([{ category: 'facilities', communityId: '1', department: 'engineering', handlerId: handler.id }]);
      expect(settings.pauseAlertHours).to.equal(48);
    });

    it('pre-fills the plan from the rules, never with the supervisor, and offers only who may see the community', async () => {
      const { complaints } = h.plugin;
      const created = await complaints.create(
        { unitId: '101', complainantName: '张伟', complainantPhone: '13800138001', channel: 'phone', category: 'facilities', description: '水泵房漏水' },
        staff.counter,
      );
      // The policy's promise: 24 hours.
      expect(created.complaint.replyDueAt!.toISOString()).to.equal(sh('11-03 09:00').toISOString());
      let c = await complaints.transition(created.complaint.id, 'start-investigation', { version: 1 }, staff.supervisor);
      c = await complaints.transition(
        c.id,
        'assess',
        { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
      id = c.id;
      const page = await sup.get(`/c/${id}`);
      const plan = page.text.slice(page.text.indexOf('id="action-plan"'), page.text.indexOf('</form>', page.text.indexOf('id="action-plan"')));
      expect(plan).to.include(`<option value="${handler.id}" selected>工程部孙师傅</option>`);
      expect(plan).to.include('<option value="engineering" selected>');
      expect(plan).to.include('name="deadline" value="2026-11-05T09:00"'); // now + the policy's 72 hours
      expect(plan).not.to.include(`value="${staff.supervisor.id}" selected`);
      expect(page.text).to.include('承诺答复时限');
    });

    it('pauses and resumes from the page (a missing reason kept at its field), shown on the timeline and the workbench', async () => {
      let c = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      const refused = await sup.post(`/c/${id}/act/pause`, { version: String(c.version), party: 'utility', reason: ' ' });
      expect(refused.status).to.equal(422);
      expect(refused.text).to.include('id="err-pause.reason"').and.include('<option value="utility" selected>');
      h.clock.set(sh('11-02 10:00'));
      const ok = await sup.post(`/c/${id}/act/pause`, { version: String(c.version), party: 'utility', reason: '等待自来水公司' });
      expect(ok.status).to.equal(303);
      h.clock.set(sh('11-04 13:30'));
      await sup.signIn(staff.supervisor); // two days later: a new session
      const wb = await sup.get('/');
      const paused = wb.text.slice(wb.text.indexOf('id="queue-paused"'));
      expect(paused).to.include('已挂起 2 天 3 小时').and.include('等待自来水公司').and.include('恢复计时');
      c = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      const resumed = await sup.post(`/c/${id}/act/resume`, { version: String(c.version), next: '/' });
      expect(resumed.status).to.equal(303);
      expect(resumed.location).to.match(/\/complaints\/\?ok=resumed$/);
      const detail = await sup.get(`/c/${id}`);
      expect(detail.text).to.include('挂起记录').and.include('计时停止 2 天 3 小时').and.include('（因挂起顺延至');
    });

    it('lists a dispatch waiting for acceptance on the workbench, one click from reassigning, and reassigns with a reason', async () => {
      let c = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      c = await h.plugin.complaints.transition(
        id,
        'plan',
        { version: c.version, department: 'engineering', assigneeId: handler.id, measures: '更换阀门', deadline: sh('11-06 18:00').toISOString() },
        staff.supervisor,
      );
      const wb = await sup.get('/');
      const waiting = wb.text.slice(wb.text.indexOf('id="queue-waitingAcceptance"'), wb.text.indexOf('id="queue-dueToday"'));
      expect(unescapeHtml(waiting)).to.include(c.code).and.include(`/complaints/c/${id}?open=reassign#action-reassign`);
      const form = await sup.get(`/c/${id}?open=reassign`);
      expect(form.text).to.include('<details class="action" open><summary>改派');
      const noReason = await sup.post(`/c/${id}/act/reassign`, { version: String(c.version), assigneeId: other.id, reason: '' });
      expect(noReason.status).to.equal(422);
      expect(noReason.text).to.include('id="err-reassign.reason"').and.include(`<option value="${other.id}" selected>`);
      const done = await sup.post(`/c/${id}/act/reassign`, { version: String(c.version), assigneeId: other.id, reason: '孙师傅今天休息' });
      expect(done.status).to.equal(303);
      const after = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      expect(after).to.include({ assigneeId: other.id, assigneeName: '工程部周师傅' });
      const timeline = await sup.get(`/c/${id}`);
      expect(timeline.text).to.include('改派').and.include('孙师傅今天休息');
    });
  });
}

// Offsets, approvals, the cashier check and administration through the pages on both databases, with
// their refusals (bad input, wrong role, over the limit, own request, stale version, stale settings).
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { staff, startPageHarness, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';

const T = tableNames('cmp_');

async function count(h: PageHarness, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await h.db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

function version(page: string): string {
  return /name="version" value="(\d+)"/.exec(page)![1]!;
}

for (const kind of databaseKinds) {
  describe(`pages: offsets, cashier and administration (${kind.kind})`, function () {
    let h: PageHarness;
    let counter: PageClient;
    let supervisor: PageClient;
    let manager: PageClient;
    let cashier: PageClient;
    let complaintId: number;

    /** A complaint on unit 101 assessed as a property dispute (so offsets may be requested). */
    async function assessedComplaint(disputeType = 'property'): Promise<number> {
      await counter.get('/new?unit=101');
      const res = await counter.post('/new', {
        unitId: '101', ownerId: '1', complainantName: '张伟', complainantPhone: '13800138001', complainantRelation: 'owner',
        channel: 'counter', category: 'facilities', description: '阳台漏水一个月无人处理', threatenedWithholding: '1', idempotencyKey: crypto.randomUUID(),
      });
      const id = Number(/\/c\/(\d+)\//.exec(res.location!)![1]);
      const page = await supervisor.get(`/c/${id}`);
      const extra: Record<string, string> = disputeType === 'non_property' ? { thirdParty: 'neighbour', responsibilityExplained: '1' } : {};
      const done = await supervisor.post(`/c/${id}/act/assess`, { version: version(page.text), disputeType, nature: 'valid', severity: 'important', ...extra });
      expect(done.status).to.equal(303);
      return id;
    }

    async function requestOffset(client: PageClient, id: number, amount: string, reason = '漏水损失补偿'): Promise<number> {
      await client.get(`/c/${id}`);
      const res = await client.post(`/c/${id}/offsets`, { amount, reason });
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      return Number((await h.db(T.offsets).max({ id: 'id' }))[0]!.id);
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      supervisor = h.client();
      manager = h.client();
      cashier = h.client();
      await counter.signIn(staff.counter);
      await supervisor.signIn(staff.supervisor);
      await manager.signIn(staff.manager);
      await cashier.signIn(staff.cashier);
      complaintId = await assessedComplaint();
    });
    after(async () => h?.close());

    it('requests an offset from the complaint page; bad amounts are 422 at the field and create nothing', async () => {
      const page = await counter.get(`/c/${complaintId}`);
      expect(page.text).to.include(`/c/${complaintId}/offsets`).and.include('name="billIds" value="1001"');
      const before = await count(h, T.offsets);
      const bad = await counter.post(`/c/${complaintId}/offsets`, { amount: '12.345', reason: '补偿' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('id="err-offset.amount"').and.include('value="12.345"').and.include("最多两位小数");
      const noReason = await counter.post(`/c/${complaintId}/offsets`, { amount: '12', reason: ' ' });
      expect(noReason.status).to.equal(422);
      expect(noReason.text).to.include('id="err-offset.reason"');
      expect(await count(h, T.offsets)).to.equal(before);
      await requestOffset(counter, complaintId, '300');
      const after = await counter.get(`/c/${complaintId}?ok=offsetRequested`);
      expect(after.text).to.include('抵扣申请已提交').and.include('¥300.00').and.include('待审批');
    });

    it('makes one offset request of a double-submitted form', async () => {
      await counter.get(`/c/${complaintId}`);
      const key = counter.field('formKey')!;
      expect(key).to.match(/^[0-9a-f-]{36}$/);
      const before = await count(h, T.offsets);
      const form = { amount: '12.50', reason: '双击测试', formKey: key };
      const [a, b] = await Promise.all([counter.post(`/c/${complaintId}/offsets`, form), counter.post(`/c/${complaintId}/offsets`, form)]);
      expect([a.status, b.status]).to.deep.equal([303, 303]);
      expect((await counter.post(`/c/${complaintId}/offsets`, form)).status).to.equal(303);
      expect(await count(h, T.offsets)).to.equal(before + 1);
      // The form's key reached the service, which keeps it (not this process's memory).
      expect(await count(h, T.offsets, { request_key: key })).to.equal(1);
      // Withdraw it again so the queue tests below see only their own requests.
      await h.db(T.offsets).where({ reason: '双击测试' }).update({ status: 'rejected' });
    });

    it('does not offer an offset on a non-property dispute, and refuses one posted anyway', async () => {
      const id = await assessedComplaint('non_property');
      const page = await counter.get(`/c/${id}`);
      expect(page.text).not.to.include(`/c/${id}/offsets"`);
      expect(page.text).to.include('非物业纠纷不属于物业公司责任');
      const before = await count(h, T.offsets);
      const res = await counter.post(`/c/${id}/offsets`, { amount: '10', reason: '邻居漏水' });
      expect(res.status).to.equal(409);
      expect(await count(h, T.offsets)).to.equal(before);
    });

    it('shows approvers the queue with their limit; over the limit or one\'s own request cannot be decided', async () => {
      const big = await requestOffset(counter, complaintId, '800');
      const own = await requestOffset(supervisor, complaintId, '50', '主管自己提交');
      const page = await supervisor.get('/offsets');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('您的审批额度：¥500.00');
      expect(page.text).to.include('超出您的额度，需更高级别审批').and.include('本人申请，须由他人审批');
      expect(page.text).not.to.include(`/offsets/${big}/approve"`).and.not.include(`/offsets/${own}/approve"`);
      const before = await h.db(T.offsets).where({ id: big }).first();
      const res = await supervisor.post(`/offsets/${big}/approve`, { version: String(before.version), amount: '800' });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('超过额度 ¥500.00').and.include('可由总经理（不限额）或项目经理（额度 ¥5,000.00）审批');
      expect((await supervisor.post(`/offsets/${own}/approve`, { version: '1' })).status).to.equal(403);
      expect(await h.db(T.offsets).where({ id: big }).first()).to.deep.equal(before);
      // The counter may not open the queue at all.
      expect((await counter.get('/offsets')).status).to.equal(403);
      expect((await cashier.post(`/offsets/${big}/approve`, { version: '1' }, { csrf: (await cashier.get('/cashier'), cashier.csrf()) })).status).to.equal(403);
    });

    it('lets a manager approve a smaller amount; a stale decision is 409; a rejection needs a note', async () => {
      const big = Number((await h.db(T.offsets).where({ requested_fen: 80000 }).first()).id);
      const page = await manager.get('/offsets');
      expect(page.text).to.include(`/offsets/${big}/approve"`);
      const v = String((await h.db(T.offsets).where({ id: big }).first()).version);
      const tooMuch = await manager.post(`/offsets/${big}/approve`, { version: v, amount: '900' });
      expect(tooMuch.status).to.equal(422);
      expect(tooMuch.text).to.include('批准金额不能超过申请金额');
      const ok = await manager.post(`/offsets/${big}/approve`, { version: v, amount: '600', note: '按维修期间计算' });
      expect(ok.status).to.equal(303);
      const row = await h.db(T.offsets).where({ id: big }).first();
      expect(row.status).to.equal('approved');
      expect(Number(row.approved_fen)).to.equal(60000);
      const stale = await manager.post(`/offsets/${big}/approve`, { version: v, amount: '600' });
      expect(stale.status).to.equal(409);
      expect(stale.text).to.include('最近一次由 经理张强');
      const small = Number((await h.db(T.offsets).where({ requested_fen: 30000 }).first()).id);
      const noNote = await manager.post(`/offsets/${small}/reject`, { version: '1', note: '' });
      expect(noNote.status).to.equal(422);
      expect(noNote.text).to.include(`id="err-o${small}.note"`);
      expect((await h.db(T.offsets).where({ id: small }).first()).status).to.equal('requested');
    });

    it('shows the cashier the warnings and the approved offsets, applies once per payment number, and reverses', async () => {
      const page = await cashier.get('/cashier?bill=1001');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('可以照常收费').and.include('该房屋有未结投诉').and.include('拒交物业费');
      expect(page.text).to.include('¥600.00').and.include('/cashier/apply');
      const offsetId = Number((await h.db(T.offsets).where({ status: 'approved' }).first()).id);
      const form = { billId: '1001', offsetId: String(offsetId), amount: '100.50', idempotencyKey: 'P-2026-0001' };
      const first = await cashier.post('/cashier/apply', form);
      expect(first.status).to.equal(303);
      const again = await cashier.post('/cashier/apply', form);
      expect(again.status).to.equal(303);
      expect(await count(h, T.offsetApplications, { offset_id: offsetId })).to.equal(1);
      expect(Number((await h.db(T.offsets).where({ id: offsetId }).first()).remaining_fen)).to.equal(60000 - 10050);
      const shown = await cashier.follow(first);
      expect(shown.text).to.include('抵扣已使用').and.include('P-2026-0001').and.include('/cashier/reverse');
      const over = await cashier.post('/cashier/apply', { ...form, amount: '121', idempotencyKey: 'P-2026-0002' });
      expect(over.status).to.equal(409);
      expect(over.text).to.include('抵扣合计超过账单金额');
      const badAmount = await cashier.post('/cashier/apply', { ...form, amount: '-5', idempotencyKey: 'P-2026-0003' });
      expect(badAmount.status).to.equal(422);
      expect(badAmount.text).to.include(`id="err-o${offsetId}.amount"`);
      const reverse = await cashier.post('/cashier/reverse', { billId: '1001', idempotencyKey: 'P-2026-0001', reversalKey: 'V-2026-0001' });
      expect(reverse.status).to.equal(303);
      expect(Number((await h.db(T.offsets).where({ id: offsetId }).first()).remaining_fen)).to.equal(60000);
      const afterReverse = await cashier.follow(reverse);
      expect(afterReverse.text).to.include('已冲回').and.include('V-2026-0001');
      expect((await cashier.get('/cashier?bill=999999')).text).to.include('找不到账单 999999');
      expect((await counter.get('/cashier')).status).to.equal(403);
    });

    it('finds bills by unit search for the cashier', async () => {
      const found = await cashier.get(`/cashier?q=${encodeURIComponent('张伟')}`);
      expect(found.text).to.include('/cashier?unit=101');
      const bills = await cashier.get('/cashier?unit=101');
      expect(bills.text).to.include('/cashier?bill=1001').and.include('/cashier?bill=1002');
    });

    describe('administration', () => {
      let admin: PageClient;
      let admin2: PageClient;
      before(async () => {
        admin = h.client();
        admin2 = h.client();
        await admin.signIn(staff.admin);
        await admin2.signIn({ ...staff.admin });
      });

      it('shows the mapping report, the status and the settings form; others get 403', async () => {
        const page = await admin.get('/admin');
        expect(page.status).to.equal(200);
        expect(page.text).to.include('映射与数据库相符').and.include('<code>owners</code>').and.include('20261128000500_create_session_table');
        expect(page.text).to.include('name="followUpHours" value="24"').and.include('name="cat.0.code" value="service_attitude"');
        expect((await counter.get('/admin')).status).to.equal(403);
        await counter.get('/');
        expect((await counter.post('/admin/settings', { followUpHours: '1' })).status).to.equal(403);
      });

      it('saves changes (PRG) and audits them', async () => {
        const page = await admin.get('/admin');
        const form: Record<string, string> = {};
        for (const m of page.text.matchAll(/<input type="(?:text|number|hidden)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form[m[1]!] = m[2]!;
        for (const m of page.text.matchAll(/<input type="checkbox" name="([^"]+)" value="1"[^>]* checked/g)) form[m[1]!] = '1';
        delete form._csrf;
        const rows = Number(/name="cat\.(\d+)\.code" value=""/.exec(page.text)![1]);
        const res = await admin.post('/admin/settings', { ...form, followUpHours: '12', [`cat.${rows}.code`]: 'noise', [`cat.${rows}.zh`]: '噪音扰民', [`cat.${rows}.en`]: 'Noise', [`cat.${rows}.active`]: '1', 'limit.supervisor': '800' });
        expect(res.status, res.text.slice(0, 3000)).to.equal(303);
        const settings = await h.plugin.context.settings.get();
        expect(settings.followUpHours).to.equal(12);
        expect(settings.categories.map((c) => c.code)).to.include('noise');
        expect(settings.roleApprovalLimitsFen.supervisor).to.equal(80000);
        expect(settings.roleApprovalLimitsFen.director).to.equal(null);
        const shown = await admin.follow(res);
        expect(shown.text).to.include('设置已保存').and.include('最近一次修改：管理员孙伟');
      });

      it('answers bad settings with 422 at each field, saving nothing', async () => {
        const page = await admin.get('/admin');
        const fingerprint = /name="fingerprint" value="([^"]+)"/.exec(page.text)![1]!;
        const before = await h.db(T.settings).select();
        const res = await admin.post('/admin/settings', { fingerprint, followUpHours: '0', replyPromiseHours: '48', repeatWindowDays: '90', escalationDays: '30', deadlineWarningHours: '24', timezone: 'Mars/Base', 'limit.manager': 'abc', 'cat.0.code': 'Bad Code', 'cat.0.zh': '服务态度', 'cat.0.en': 'Attitude', 'dep.0.code': 'customer_service', 'dep.0.zh': '客服中心', 'dep.0.en': 'CS' });
        expect(res.status).to.equal(422);
        expect(res.text).to.include('id="err-timezone"').and.include('id="err-limit.manager"');
        const res2 = await admin.post('/admin/settings', { fingerprint, followUpHours: '0', replyPromiseHours: '48', repeatWindowDays: '90', escalationDays: '30', deadlineWarningHours: '24', timezone: 'Asia/Shanghai', 'cat.0.code': 'Bad Code', 'cat.0.zh': '服务态度', 'cat.0.en': 'Attitude', 'dep.0.code': 'customer_service', 'dep.0.zh': '客服中心', 'dep.0.en': 'CS' });
        expect(res2.status).to.equal(422);
        expect(res2.text).to.include('id="err-followUpHours"').and.include('id="err-cat.0.code"');
        expect(res2.text).to.include('value="Bad Code"');
        expect(await h.db(T.settings).select()).to.deep.equal(before);
      });

      it('refuses a save over someone else\'s newer save with 409 naming them', async () => {
        const mine = await admin.get('/admin');
        const other = await admin2.get('/admin');
        const grab = (text: string) => {
          const form: Record<string, string> = {};
          for (const m of text.matchAll(/<input type="(?:text|number|hidden)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form[m[1]!] = m[2]!;
          for (const m of text.matchAll(/<input type="checkbox" name="([^"]+)" value="1"[^>]* checked/g)) form[m[1]!] = '1';
          delete form._csrf;
          return form;
        };
        expect((await admin2.post('/admin/settings', { ...grab(other.text), escalationDays: '20' })).status).to.equal(303);
        const before = await h.db(T.settings).select();
        const res = await admin.post('/admin/settings', { ...grab(mine.text), escalationDays: '40' });
        expect(res.status).to.equal(409);
        expect(res.text).to.include('设置在您打开页面后已被 管理员孙伟');
        expect(res.text).to.include('name="escalationDays" value="20"');
        expect(await h.db(T.settings).select()).to.deep.equal(before);
      });
    });
  });
}

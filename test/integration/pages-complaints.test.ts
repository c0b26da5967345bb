// The complaint pages on both databases: intake with unit search, the slip, list, detail with only the
// allowed action forms, the whole loop through the forms, and every refusal (bad input, wrong role,
// another community, stale version) answering clearly and changing nothing.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, staff, startPageHarness, unescapeHtml, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';

const T = tableNames('cmp_');

async function count(h: PageHarness, table = T.complaints): Promise<number> {
  return Number(((await h.db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

/** Registers through the form and returns the new complaint's id. */
async function register(c: PageClient, overrides: Record<string, string> = {}): Promise<number> {
  await c.get(`/new?unit=${overrides.unitId ?? '101'}`);
  const res = await c.post('/new', intakeForm(overrides));
  expect(res.status, res.text.slice(0, 3000)).to.equal(303);
  return Number(/\/c\/(\d+)\/slip/.exec(res.location!)![1]);
}

function version(page: string): string {
  return /name="version" value="(\d+)"/.exec(page)![1]!;
}

for (const kind of databaseKinds) {
  describe(`pages: complaints (${kind.kind})`, function () {
    let h: PageHarness;
    let counter: PageClient;
    let supervisor: PageClient;
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      await counter.signIn(staff.counter);
      supervisor = h.client();
      await supervisor.signIn(staff.supervisor);
    });
    after(async () => h?.close());

    it('finds a unit by owner name, label or phone without JavaScript', async () => {
      const byName = await counter.get(`/new?q=${encodeURIComponent('王芳')}`);
      expect(byName.status).to.equal(200);
      expect(byName.text).to.include('1-102').and.include('AB1').and.include('/complaints/new?unit=102');
      const byLabel = await counter.get('/new?q=1-101');
      expect(byLabel.text).to.include('张伟').and.include('找到 1 套房屋');
      const json = await counter.get('/units.json?q=13900');
      expect(JSON.parse(json.text).units.map((u: { id: string }) => u.id)).to.include.members(['102', '107']);
      const none = await counter.get(`/new?q=${encodeURIComponent('不存在的人')}`);
      expect(none.text).to.include('没有找到匹配的房屋');
    });

    it('shows the chosen unit with its owner, unpaid bills and open complaints before the form', async () => {
      const page = await counter.get('/new?unit=101');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('1-101').and.include('张伟').and.include('13800138001');
      expect(page.text).to.include('¥120.50').and.include('¥0.29').and.not.include('¥1.15'); // 1.15 is paid
      expect(page.text).to.include('收费照常进行');
      expect(counter.field('complainantName')).to.equal('张伟');
      expect(counter.field('idempotencyKey')).to.match(/^[0-9a-f-]{36}$/);
    });

    it('registers, redirects to the printable slip with the code and promised reply time, and a double submit makes one record', async () => {
      await counter.get('/new?unit=101');
      const form = intakeForm({ idempotencyKey: counter.field('idempotencyKey')! });
      const before = await count(h);
      const first = await counter.post('/new', form);
      const second = await counter.post('/new', form);
      expect(first.status).to.equal(303);
      expect(second.status).to.equal(303);
      expect(second.location).to.equal(first.location);
      expect(await count(h)).to.equal(before + 1);
      const slip = await counter.follow(first);
      expect(slip.status).to.equal(200);
      expect(slip.text)
        .to.include('投诉已登记')
        .and.include('业主投诉受理回执单')
        .and.match(/TS-\d{8}-\d{4}/);
      // 09:00 Beijing + 48 h promise
      expect(slip.text).to.include('我们将在 2026-11-30 09:00 前答复您');
      expect(slip.text).to.include('data-print');
    });

    it("lists the unit's open complaints and its closed ones apart, with the repeat warning", async () => {
      for (let i = 0; i < 2; i++) {
        await counter.get('/new?unit=101');
        expect((await counter.post('/new', intakeForm({ idempotencyKey: counter.field('idempotencyKey')! }))).status).to.equal(303);
      }
      const codes = (await h.db(T.complaints).where({ unit_id: '101', state: 'received' }).orderBy('id').select('code', 'id')) as Array<{
        code: string;
        id: number;
      }>;
      expect(codes.length).to.be.greaterThan(1);
      const [closed] = codes;
      await h.db(T.complaints).where({ id: closed!.id }).update({ state: 'closed' });
      try {
        const page = await counter.get('/new?unit=101');
        const openPart = page.text.slice(page.text.indexOf('该房屋的未结投诉'), page.text.indexOf('近期投诉'));
        const recentPart = page.text.slice(page.text.indexOf('近期投诉'));
        for (const { code } of codes.slice(1)) expect(openPart).to.include(code);
        expect(openPart).not.to.include(closed!.code);
        expect(recentPart).to.include(closed!.code);
        expect(page.text).to.include('天内已有同类投诉');
      } finally {
        await h.db(T.complaints).where({ id: closed!.id }).update({ state: 'received' });
      }
    });

    it('answers bad input with 422, the values kept and a message at each field, registering nothing', async () => {
      await counter.get('/new?unit=101');
      const before = await count(h);
      const res = await counter.post(
        '/new',
        intakeForm({ complainantPhone: '12345', description: '   ', category: '', complainantName: '张<伟>', receivedAt: '2026-13-45T99:00' }),
      );
      expect(res.status).to.equal(422);
      expect(res.text).to.include('有些内容需要修改');
      expect(res.text).to.include('id="err-complainantPhone"').and.include('请填写 11 位中国大陆手机号码');
      expect(res.text).to.include('id="err-description"').and.include('id="err-category"').and.include('id="err-receivedAt"');
      expect(res.text).to.include('aria-invalid="true"');
      expect(res.text).to.include('value="12345"').and.include('value="张&lt;伟&gt;"');
      expect(await count(h)).to.equal(before);
    });

    it("refuses the intake to a role without complaint.create, and a unit outside a clerk's communities", async () => {
      const cashier = h.client();
      await cashier.signIn(staff.cashier);
      expect((await cashier.get('/new')).status).to.equal(403);
      const scoped = h.client();
      await scoped.signIn(staff.scoped);
      const page = await scoped.get('/new?unit=103'); // community 2
      expect(page.text).to.include('所选房屋不存在或不在您负责的小区');
      const search = await scoped.get('/new?q=2-201');
      expect(search.text).not.to.include('/new?unit=103');
      await scoped.get('/new?unit=101');
      const before = await count(h);
      const res = await scoped.post('/new', intakeForm({ unitId: '103', ownerId: '4' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.include('房屋不存在或不在您负责的小区');
      expect(await count(h)).to.equal(before);
    });

    it('escapes everything a person typed, wherever it is shown', async () => {
      const id = await register(counter, {
        complainantName: '"><img src=x onerror=alert(1)>',
        description: '<script>alert("x")</script> & 水管',
        expectation: "javascript:alert('y')",
      });
      for (const path of [`/c/${id}`, `/c/${id}/slip`, '/list', '/']) {
        const page = await counter.get(path);
        expect(page.text, path).not.to.include('<script>alert');
        expect(page.text, path).not.to.include('<img src=x');
        if (path.startsWith('/c/')) expect(page.text, path).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 水管');
        expect(page.text, path).to.include('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
      }
    });

    it('lists with filters, sort, count and keyset pages', async () => {
      for (let i = 0; i < 3; i++)
        await register(counter, { unitId: '102', ownerId: '2', complainantName: '王芳', complainantPhone: '13900139002', category: 'cleaning_greening' });
      const all = await counter.get('/list?limit=20');
      expect(all.status).to.equal(200);
      const total = await count(h);
      expect(all.text).to.include(`共 ${total} 条`);
      const cleaning = await counter.get('/list?category=cleaning_greening');
      expect(cleaning.text).to.include('共 3 条');
      const phone = await counter.get('/list?q=13900139002');
      expect(phone.text).to.include('共 3 条');
      const page1 = await counter.get('/list?category=cleaning_greening&limit=20&sort=receivedAt');
      expect(page1.text).not.to.include('rel="next"');
      // Two per page through the API-sized page sizes is not offered; use the cursor with the smallest size.
      const bad = await counter.get('/list?from=2026%2F02%2F01');
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('请填写开始日期，如 2026-11-28');
      const states = await counter.get('/list?state=received&state=investigating&repeat=1');
      expect(states.status).to.equal(200);
      expect(states.text).to.include('checked> 已受理');
    });

    it('shows only the action forms the role and the state allow', async () => {
      const id = await register(counter);
      const asCounter = await counter.get(`/c/${id}`);
      expect(asCounter.text).to.include('/act/resolve').and.include('/act/note').and.include('/act/cancel');
      expect(asCounter.text).not.to.include('/act/assess').and.not.include('/act/plan').and.not.include('/act/escalate').and.not.include('/act/follow-up');
      const asSupervisor = await supervisor.get(`/c/${id}`);
      expect(asSupervisor.text).to.include('/act/assess').and.include('/act/escalate').and.include('/act/start-investigation');
      expect(asSupervisor.text).not.to.include('/act/plan').and.not.include('/act/follow-up'); // plan needs investigating
      const cashier = h.client();
      await cashier.signIn(staff.cashier);
      const asCashier = await cashier.get(`/c/${id}`);
      expect(asCashier.status).to.equal(200);
      expect(asCashier.text).not.to.include('/act/');
      expect(asCashier.text).to.include('当前状态下您没有可执行的操作');
      // A form the page did not offer is refused by the service, unchanged.
      const res = await cashier.post(`/c/${id}/act/assess`, { version: '1', disputeType: 'property', nature: 'valid', severity: 'important' });
      expect(res.status).to.equal(403);
      expect((await h.db(T.complaints).where({ id }).first()).state).to.equal('received');
    });

    it("hides another community's complaint (404 on read and on every form)", async () => {
      const id = await register(counter, { unitId: '103', ownerId: '4', complainantName: '刘洋', complainantPhone: '13600136004' });
      const scoped = h.client();
      await scoped.signIn(staff.scoped);
      for (const path of [`/c/${id}`, `/c/${id}/slip`]) expect((await scoped.get(path)).status, path).to.equal(404);
      await scoped.get('/new');
      const res = await scoped.post(`/c/${id}/act/note`, { version: '1', note: '看看' });
      expect(res.status).to.equal(404);
      expect(res.text).not.to.include('刘洋');
      expect((await scoped.post(`/c/${id}/offsets`, { amount: '10', reason: 'x' })).status).to.equal(404);
      expect((await scoped.get('/list')).text).not.to.include(`/c/${id}"`);
    });

    it('answers a malformed complaint id with the same 404 page on the slip as on the detail page', async () => {
      const id = await register(counter);
      expect((await counter.get(`/c/${id}/slip`)).status).to.equal(200);
      for (const bad of ['abc', '0', '-1', '1e3', '01', '99999999999', '2147483648', encodeURIComponent('一')]) {
        for (const path of [`/c/${bad}`, `/c/${bad}/slip`]) {
          const res = await counter.get(path);
          expect(res.status, path).to.equal(404);
          expect(res.headers.get('content-type'), path).to.include('text/html');
          expect(res.text, path).to.include('找不到页面').and.include('投诉不存在');
        }
      }
      // Nobody signed in is still sent to sign in first, whatever the id.
      const anonymous = await h.client().get('/c/abc/slip');
      expect(anonymous.status).to.be.oneOf([302, 303]);
      expect(anonymous.location).to.include('/sign-in');
    });

    it('writes the timeline in the page language only, with each changed field from → to in words', async () => {
      const id = await register(counter);
      await supervisor.get(`/c/${id}`);
      const assess = await supervisor.post(`/c/${id}/act/assess`, {
        version: version(supervisor.lastPage),
        disputeType: 'property',
        nature: 'valid',
        severity: 'minor',
        category: 'fees',
      });
      expect(assess.status).to.equal(303);
      await supervisor.get(`/c/${id}`);
      const up = await supervisor.post(`/c/${id}/act/escalate`, { version: version(supervisor.lastPage), severity: 'important', reason: '业主多次来电' });
      expect(up.status, up.text.slice(0, 2000)).to.equal(303);
      const zh = await supervisor.get(`/c/${id}`);
      const timeline = (text: string) => text.slice(text.indexOf('<ol class="timeline">'), text.indexOf('</ol>', text.indexOf('<ol class="timeline">')));
      expect(timeline(zh.text)).to.include('严重程度：轻微 → 重要').and.include('投诉类别：设施设备 → 管理费用').and.include('投诉性质：有效投诉');
      expect(timeline(zh.text)).not.to.match(/\b(minor|important|fees|facilities|valid|property)\b/);
      const en = await supervisor.get(`/c/${id}?lang=en`);
      expect(timeline(en.text))
        .to.include('Minor → Important')
        .and.not.match(/[\u4e00-\u9fff]→/);
      // Back to Chinese for the tests after this one (the choice is remembered in a cookie).
      await supervisor.get(`/c/${id}?lang=zh-CN`);
    });

    it('refuses a stale form with 409 naming who changed the complaint first, changing nothing', async () => {
      const id = await register(counter);
      await supervisor.get(`/c/${id}`);
      const stale = version(supervisor.lastPage);
      await counter.get(`/c/${id}`);
      expect((await counter.post(`/c/${id}/act/note`, { version: version(counter.lastPage), note: '已电话联系业主' })).status).to.equal(303);
      const before = await h.db(T.complaints).where({ id }).first();
      const res = await supervisor.post(`/c/${id}/act/assess`, {
        version: stale,
        disputeType: 'property',
        nature: 'valid',
        severity: 'important',
        findings: '楼上防水层破损，需重做',
      });
      expect(res.status).to.equal(409);
      // What this person typed, beside what the complaint holds now, in words; and still in the open form.
      const table = res.text.slice(res.text.indexOf('class="conflict-table"'), res.text.indexOf('</table>', res.text.indexOf('class="conflict-table"')));
      expect(table).to.include('您填写的').and.include('现在的').and.include('调查情况').and.include('楼上防水层破损，需重做');
      expect(table).to.include('物业纠纷').and.include('有效投诉').and.not.include('>property<').and.not.include('>valid<');
      expect(res.text).to.match(/<textarea id="as-findings"[^>]*>楼上防水层破损，需重做<\/textarea>/);
      expect(res.text).to.include('前台王芳').and.include('修改');
      expect(res.text).to.include('这条记录在您打开页面后已被修改');
      // The form is shown again with what was chosen and the current version.
      expect(res.text).to.include(`name="version" value="${Number(stale) + 1}"`);
      expect(await h.db(T.complaints).where({ id }).first()).to.deep.equal(before);
    });

    it('keeps what was typed in the conflict table when the other change took the form away', async () => {
      const id = await register(counter);
      await supervisor.get(`/c/${id}`);
      const stale = version(supervisor.lastPage);
      await counter.get(`/c/${id}`);
      const cancel = await counter.post(`/c/${id}/act/cancel`, { version: version(counter.lastPage), cancelKind: 'duplicate', reason: '重复登记' });
      expect(cancel.status).to.equal(303);
      const res = await supervisor.post(`/c/${id}/act/assess`, {
        version: stale,
        disputeType: 'property',
        nature: 'valid',
        severity: 'important',
        findings: '现场查看：外墙渗水点三处',
      });
      expect(res.status).to.equal(409);
      expect(res.text).not.to.include(`action="/complaints/c/${id}/act/assess"`);
      const table = res.text.slice(res.text.indexOf('class="conflict-table"'), res.text.indexOf('</table>', res.text.indexOf('class="conflict-table"')));
      expect(table).to.include('该操作现在已不可用，您填写的内容保留在这里').and.include('现场查看：外墙渗水点三处').and.include('重要');
    });

    it('answers bad action input with 422 at the field, the form open and values kept', async () => {
      const id = await register(counter);
      await supervisor.get(`/c/${id}`);
      const res = await supervisor.post(`/c/${id}/act/assess`, {
        version: version(supervisor.lastPage),
        disputeType: 'non_property',
        nature: 'valid',
        severity: 'important',
        findings: '楼上漏水',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('id="err-assess.thirdParty"').and.include('id="err-assess.responsibilityExplained"');
      expect(res.text).to.include('楼上漏水');
      expect(res.text).to.match(/<details class="action" open><summary>调查定性/);
      expect((await h.db(T.complaints).where({ id }).first()).state).to.equal('received');
    });

    it('walks the loop through the forms: assess, plan, resolve, unsatisfied follow-up, and the new linked complaint', async () => {
      const id = await register(counter);
      let page = await supervisor.get(`/c/${id}`);
      let res = await supervisor.post(`/c/${id}/act/assess`, {
        version: version(page.text),
        disputeType: 'property',
        nature: 'valid',
        severity: 'important',
        category: 'facilities',
        findings: '电梯控制板老化',
      });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`${h.base}/c/${id}?ok=assessed`);
      page = await supervisor.follow(res);
      expect(page.text).to.include('调查定性已保存').and.include('调查核实中');
      res = await supervisor.post(`/c/${id}/act/plan`, {
        version: version(page.text),
        department: 'engineering',
        assigneeId: 'eng-1',
        assigneeName: '工程部老赵',
        measures: '更换控制板',
        deadline: '2026-12-05T18:00',
      });
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      page = await counter.get(`/c/${id}`);
      expect(page.text).to.include('处理中').and.include('2026-12-05 18:00');
      res = await counter.post(`/c/${id}/act/resolve`, { version: version(page.text), reply: '已更换控制板，电梯恢复运行', basis: '维修记录 WX-2026-118' });
      expect(res.status).to.equal(303);
      h.clock.advance(2 * 3600_000);
      page = await counter.get(`/c/${id}`);
      expect(page.text).to.include('/act/follow-up');
      res = await counter.post(`/c/${id}/act/follow-up`, {
        version: version(page.text),
        method: 'phone',
        satisfied: 'no',
        complainantWords: '还是经常停',
        visitedAt: '2026-11-28T10:00',
      });
      expect(res.status, res.text.slice(0, 3000)).to.equal(303);
      expect(res.location).to.include('ok=reopened');
      page = await counter.follow(res);
      expect(page.text).to.include('回访不满意关闭').and.include('关联投诉链');
      const child = await h.db(T.complaints).where({ parent_id: id }).first();
      expect(child).to.not.equal(undefined);
      expect(page.text).to.include(`/c/${child.id}`).and.include(unescapeHtml(child.code));
      const childPage = await counter.get(`/c/${child.id}`);
      expect(childPage.text).to.include('已受理').and.include('还是经常停');
      // The timeline names each step.
      expect(page.text).to.include('登记').and.include('调查定性').and.include('制定方案').and.include('回复').and.include('回访');
    });

    it('needs a choice of satisfied or not before recording a visit', async () => {
      const id = await register(counter, { category: 'pets' });
      let page = await counter.get(`/c/${id}`);
      let res = await counter.post(`/c/${id}/act/resolve`, {
        version: version(page.text),
        nature: 'inquiry',
        reply: '已解释宠物管理规定',
        basis: '小区管理规约第12条',
      });
      expect(res.status).to.equal(303);
      page = await counter.get(`/c/${id}`);
      res = await counter.post(`/c/${id}/act/follow-up`, { version: version(page.text), method: 'phone' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('id="err-follow-up.satisfied"');
    });
  });
}

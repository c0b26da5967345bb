// The owner's side of the loop (issue 17) through the whole plugin over HTTP, on both databases: the
// status page from the slip's link (plain words, owner-visible steps only, no phone numbers, staff as
// role + surname), the abuse cases (forged, revoked, expired link; a token for another complaint; rating
// twice; a flood of additions), each refused in Chinese with nothing changed, re-handling through the
// follow-up's continuation, the supervisor's workbench, and the owner app's token (X-Complaints-Owner).
import { expect } from 'chai';
import sharp from 'sharp';
import { signOwnerToken } from '../../src/auth/ownerToken.js';
import type { Complaint } from '../../src/complaints/types.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, planBody as basePlan, replyBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { PAGE_SECRET, staff, startPageHarness, unescapeHtml, type PageHarness } from '../support/pageHarness.js';

const DAY = 24 * 3_600_000;
const planBody = { ...basePlan, deadline: '2026-12-20T10:00:00+08:00' };

for (const kind of databaseKinds) {
  describe(`owner status page, rating and owner app (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;

    before(async () => {
      h = await startPageHarness(kind, simpleHost, { now: '2026-12-06T02:00:00.000Z' });
    });
    after(async () => h?.close());
    afterEach(() => expect(h.errors, 'unexpected errors').to.deep.equal([]));

    const register = async (unitId = '101', overrides: Record<string, unknown> = {}) =>
      (await h.plugin.complaints.create(intakeBody(unitId, overrides), staff.counter)).complaint;
    const step = (c: Complaint, action: string, body: Record<string, unknown> = {}) =>
      h.plugin.complaints.transition(c.id, action, { version: c.version, ...body }, staff.supervisor);
    const replied = async (unitId = '101') => {
      let c = await register(unitId);
      c = await step(c, 'start-investigation');
      c = await step(c, 'assess', assessProperty);
      c = await step(c, 'plan', planBody);
      return step(c, 'resolve', replyBody);
    };
    const tokenOf = async (id: number) => (await h.plugin.owner.linkFor(id, staff.counter)).token!;
    const events = async (id: number) => (await h.plugin.complaints.events(id, staff.supervisor)).map((e) => e.action);
    const text = (html: string) => unescapeHtml(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

    it('shows the code, the state in plain words with the promised date, owner-visible steps; no phone numbers, full names or internal notes', async () => {
      const c = await register('101', { description: '电梯停运，请回电 13912345678' });
      await step(c, 'note', { note: '内部：业主情绪激动，经理手机 13600001111' });
      const owner = h.client();
      const page = await owner.get(`/s/${await tokenOf(c.id)}`);
      expect(page.status).to.equal(200);
      const body = text(page.text);
      expect(body).to.include(c.code);
      // Received 2026-12-06 10:00 Shanghai; the 48-hour promise falls on 8 December.
      expect(body).to.include('已受理，预计12月8日前答复');
      expect(body).to.include('客服 王 受理了您的投诉');
      expect(body).not.to.include(staff.counter.name);
      expect(body).not.to.include('13912345678');
      expect(body).to.include('139****5678');
      expect(body).not.to.include('13800138001');
      expect(body).not.to.include('业主情绪激动');
      expect(body).not.to.include('13600001111');
      expect(page.headers.get('cache-control')).to.equal('no-store');
      // The link never leaves our origin in a Referer (the page loads nothing from elsewhere).
      expect(page.headers.get('referrer-policy')).to.equal('same-origin');
    });

    it('says in one sentence what is collected and why, and links the company privacy notice once it is set', async () => {
      const c = await register('101');
      const owner = h.client();
      const before = await owner.get(`/s/${await tokenOf(c.id)}`);
      expect(text(before.text)).to.include('我们收集您的姓名、手机号、房号和投诉内容，仅用于处理您的投诉和回访');
      expect(before.text).not.to.include('隐私政策</a>');
      await h.plugin.context.settings.update(
        { privacy: { ...(await h.plugin.context.settings.get()).privacy, noticeUrl: 'https://wy.example.com/privacy' } },
        staff.admin,
      );
      try {
        const after = await owner.get(`/s/${await tokenOf(c.id)}`);
        expect(after.text).to.match(/<a href="https:\/\/wy\.example\.com\/privacy">隐私政策<\/a>/);
      } finally {
        await h.plugin.context.settings.update({ privacy: { ...(await h.plugin.context.settings.get()).privacy, noticeUrl: null } }, staff.admin);
      }
    });

    it('refuses a forged link, a malformed one, and a link made for another complaint, in Chinese, changing nothing', async () => {
      const a = await register();
      const b = await register('102');
      const ta = await tokenOf(a.id);
      const tb = await tokenOf(b.id);
      const flipped = ta.slice(0, 20) + (ta[20] === 'A' ? 'B' : 'A') + ta.slice(21);
      const swapped = ta.slice(0, 16) + tb.slice(16); // a's nonce with b's mac
      const owner = h.client();
      for (const token of [flipped, swapped, 'short', `${ta}x`]) {
        const res = await owner.get(`/s/${token}`);
        expect(res.status, token).to.equal(404);
        expect(text(res.text)).to.include('查询链接无效');
        expect(text(res.text)).not.to.include(a.code);
      }
      // A form posted to a forged link is refused the same way and records nothing.
      await owner.get(`/s/${ta}`);
      const before = await events(a.id);
      const res = await owner.post(`/s/${flipped}/add`, { text: '补充：昨晚又停了一次' });
      expect(res.status).to.equal(404);
      expect(await events(a.id)).to.deep.equal(before);
    });

    it('a revoked link stops working (audited); a re-issued one works and the old one stays dead', async () => {
      const c = await register();
      const old = await tokenOf(c.id);
      await h.plugin.owner.revoke(c.id, staff.counter);
      const owner = h.client();
      const gone = await owner.get(`/s/${old}`);
      expect(gone.status).to.equal(410);
      expect(text(gone.text)).to.include('此查询链接已被物业停用');
      expect(await events(c.id)).to.include('owner-link-revoked');
      expect((await h.plugin.owner.linkFor(c.id, staff.counter)).url).to.equal(null);
      await h.plugin.owner.reissue(c.id, staff.counter);
      const fresh = await tokenOf(c.id);
      expect(fresh).not.to.equal(old);
      expect((await owner.get(`/s/${fresh}`)).status).to.equal(200);
      // The re-issue replaced the old link's nonce: the old link is now simply not a link.
      expect((await owner.get(`/s/${old}`)).status).to.equal(404);
      expect(await events(c.id)).to.include('owner-link-reissued');
      // A cashier may read complaints but not withdraw the owner's link.
      const refused = await h.plugin.owner.revoke(c.id, staff.cashier).catch((e: Error) => e);
      expect(refused).to.be.instanceOf(Error);
    });

    it('expires the link ownerLinkDaysAfterClose days after closure', async () => {
      let c = await replied();
      const token = await tokenOf(c.id);
      c = (await h.plugin.complaints.followUp(c.id, { version: c.version, method: 'phone', satisfied: true }, staff.counter)).complaint;
      const owner = h.client();
      expect((await owner.get(`/s/${token}`)).status).to.equal(200);
      h.clock.advance(31 * DAY);
      try {
        const res = await owner.get(`/s/${token}`);
        expect(res.status).to.equal(410);
        expect(text(res.text)).to.include('此查询链接已过期（投诉办结已超过 30 天）');
      } finally {
        h.clock.advance(-31 * DAY);
      }
    });

    it('takes photos with an addition (owner-visible, shown on the page); a disguised file is named and refused with the words kept', async () => {
      const c = await register();
      const token = await tokenOf(c.id);
      const owner = h.client();
      await owner.get(`/s/${token}`);
      const post = async (words: string, file: { name: string; data: Buffer; type: string }) => {
        const body = new FormData();
        body.append('_csrf', owner.csrf());
        body.append('text', words);
        body.append('files', new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
        const cookie = [...owner.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
        const res = await fetch(`${owner.origin}${owner.base}/s/${token}/add`, {
          method: 'POST',
          body,
          headers: { cookie, origin: owner.origin },
          redirect: 'manual',
        });
        const html = await res.text();
        if (res.status !== 303) owner.lastPage = html;
        return { status: res.status, text: html };
      };
      const count = async (table: string) =>
        Number(((await h.db(table).where({ complaint_id: c.id }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const [photosBefore, eventsBefore] = [await count(h.plugin.context.tables.attachments), await count(h.plugin.context.tables.events)];

      const disguised = await post('天花板还在滴水', { name: '漏水.jpg', data: Buffer.from('<html><script>alert(1)</script></html>'), type: 'image/jpeg' });
      expect(disguised.status).to.equal(422);
      expect(text(disguised.text)).to.include('漏水.jpg');
      expect(disguised.text).to.include('天花板还在滴水</textarea>');
      expect(await count(h.plugin.context.tables.attachments)).to.equal(photosBefore);
      expect(await count(h.plugin.context.tables.events)).to.equal(eventsBefore);

      const jpeg = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#6699cc' } })
        .jpeg()
        .toBuffer();
      const good = await post('天花板还在滴水', { name: '漏水.jpg', data: jpeg, type: 'image/jpeg' });
      expect(good.status, good.text.slice(0, 300)).to.equal(303);
      const stored = await h.db(h.plugin.context.tables.attachments).where({ complaint_id: c.id });
      expect(stored.map((a) => [a.step, a.visibility])).to.deep.equal([['owner', 'owner_visible']]);
      expect(await events(c.id)).to.include('owner-info');
      const page = await owner.get(`/s/${token}`);
      expect(page.text).to.include(`/s/${token}/files/${stored[0].id}`);
    });

    it('takes additions while open; refuses an empty one naming the field, and a flood per link with the text kept', async () => {
      const c = await register();
      const token = await tokenOf(c.id);
      const owner = h.client();
      await owner.get(`/s/${token}`);
      const empty = await owner.post(`/s/${token}/add`, { text: '  ' });
      expect(empty.status).to.equal(422);
      expect(text(empty.text)).to.include('请填写补充内容（1–500 字）');
      for (let i = 1; i <= 5; i++) {
        const ok = await owner.post(`/s/${token}/add`, { text: `第${i}次补充：楼道积水` });
        expect(ok.status, `addition ${i}`).to.equal(303);
        await owner.follow(ok);
      }
      const page = await owner.get(`/s/${token}`);
      expect(text(page.text)).to.include('您补充了信息：第5次补充：楼道积水');
      const flood = await owner.post(`/s/${token}/add`, { text: '第六次：还是没人来' });
      expect(flood.status).to.equal(429);
      expect(flood.headers.get('retry-after')).to.equal('3600');
      expect(text(flood.text)).to.include('提交过于频繁');
      expect(flood.text).to.include('第六次：还是没人来');
      expect((await events(c.id)).filter((a) => a === 'owner-info')).to.have.length(5);
    });

    it('limits additions per IP address across links', async () => {
      // A new hour: the windows of the tests before are over.
      h.clock.advance(61 * 60_000);
      await h.plugin.context.settings.update({ ownerAdditionsPerIpPerHour: 2 }, staff.admin);
      try {
        const owner = h.client();
        const sent: number[] = [];
        for (const unitId of ['101', '102', '101']) {
          const c = await register(unitId);
          const token = await tokenOf(c.id);
          await owner.get(`/s/${token}`);
          sent.push((await owner.post(`/s/${token}/add`, { text: '同一台手机连发' })).status);
        }
        expect(sent).to.deep.equal([303, 303, 429]);
      } finally {
        await h.plugin.context.settings.update({ ownerAdditionsPerIpPerHour: 20 }, staff.admin);
      }
    });

    it('rates only after the reply, once; 2 stars with re-handling opens the linked complaint as an unsatisfied follow-up does', async () => {
      const early = await register();
      const owner = h.client();
      const earlyToken = await tokenOf(early.id);
      await owner.get(`/s/${earlyToken}`);
      const tooEarly = await owner.post(`/s/${earlyToken}/rate`, { stars: '4' });
      expect(tooEarly.status).to.equal(409);
      expect(text(tooEarly.text)).to.include('物业尚未答复');

      const c = await replied();
      const token = await tokenOf(c.id);
      const page = await owner.get(`/s/${token}`);
      expect(text(page.text)).to.include('已答复，请查看处理结果并评价');
      expect(text(page.text)).to.include(replyBody.reply);
      expect(text(page.text)).to.include(replyBody.basis);
      const tooHappy = await owner.post(`/s/${token}/rate`, { stars: '4', comment: '还行', rehandle: '1' });
      expect(tooHappy.status).to.equal(422);
      expect(text(tooHappy.text)).to.include('只有不满意（1–2 星）时才能申请重新处理');
      expect(tooHappy.text).to.include('还行');

      const csrf = owner.csrf();
      const rated = await owner.post(`/s/${token}/rate`, { stars: '2', comment: '修了又坏', rehandle: '1' });
      expect(rated.status).to.equal(303);
      const after = (await h.plugin.complaints.get(c.id, staff.supervisor)).complaint;
      expect(after.state).to.equal('closed_unsatisfied');
      const detail = await h.plugin.complaints.get(c.id, staff.supervisor);
      expect(detail.chain.map((l) => l.id)).to.have.length(2);
      const next = (await h.plugin.complaints.get(detail.chain[1]!.id, staff.supervisor)).complaint;
      expect(next).to.include({ parentId: c.id, state: 'received', unitId: c.unitId, category: c.category, severity: 'important' });
      expect(next.description).to.include('业主评价不满意（2星），申请重新处理：修了又坏');
      const shown = text((await owner.get(`/s/${token}`)).text);
      expect(shown).to.include(`已转重新处理（新投诉编号 ${next.code}）`);
      expect(shown).to.include('★★☆☆☆');

      // Low rating: the supervisor is told (outbox) and sees it on the workbench until marked seen.
      const low = (await h.db(h.plugin.context.tables.outbox).where({ topic: 'owner_rating_low' })) as Array<{ payload: string }>;
      expect(low.map((r) => JSON.parse(r.payload).complaintId)).to.include(c.id);
      const sup = h.client();
      await sup.signIn(staff.supervisor);
      expect((await sup.get('/')).text).to.include(`data-low-rating="${c.id}"`);
      await sup.get(`/c/${c.id}`);
      expect((await sup.post(`/c/${c.id}/owner/rating-seen`, {})).status).to.equal(303);
      expect((await sup.get('/')).text).not.to.include(`data-low-rating="${c.id}"`);

      // Twice: refused in words, nothing changes.
      const rows = async () => h.db(h.plugin.context.tables.ownerRatings).where({ complaint_id: c.id });
      // The page no longer offers the form; a replayed post is refused.
      const again = await owner.post(`/s/${token}/rate`, { stars: '5', comment: '改主意了' }, { csrf });
      expect(again.status).to.equal(409);
      expect(text(again.text)).to.include('您已评价过此投诉');
      expect((await rows()).map((r: { stars: number }) => Number(r.stars))).to.deep.equal([2]);
    });

    it('the owner app: my complaints, a new one for my unit (channel app, audited), status and rating; refusals in Chinese', async () => {
      const token = signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 600, h.clock.now().getTime());
      const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { 'x-complaints-owner': token }) => {
        const res = await fetch(`${h.origin}${h.base}${path}`, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const made = await call('POST', '/api/owner/complaints', { unitId: '101', description: '小区东门路灯坏了一周' });
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      const id = made.body.complaint.id as number;
      const c = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      expect(c).to.include({ channel: 'app', ownerId: '1', complainantName: '张伟', complainantPhone: '13800138001', receivedBy: 'owner:1' });
      expect(made.body.status.stateText).to.match(/^已受理，预计\d+月\d+日前答复$/);
      // The app can open the same status page in a web view.
      expect(made.body.status.statusUrl).to.match(/^\/complaints\/s\/[A-Za-z0-9_-]{32}$/);
      expect((await h.client().get(made.body.status.statusUrl)).status).to.equal(200);
      expect(await events(id)).to.deep.equal(['create']);

      const mine = await call('GET', '/api/owner/complaints');
      expect(mine.body.items.map((i: { id: number }) => i.id)).to.include(id);
      expect(mine.body.items.every((i: { unitId: string }) => i.unitId === '101')).to.equal(true);

      const otherUnit = await call('POST', '/api/owner/complaints', { unitId: '102', description: '不是我家的房子' });
      expect(otherUnit.status).to.equal(400);
      expect(JSON.stringify(otherUnit.body)).to.include('只能为您名下的房屋投诉');

      const someoneElses = await register('102');
      const notMine = await call('GET', `/api/owner/complaints/${someoneElses.id}`);
      expect(notMine.status).to.equal(404);
      expect(JSON.stringify(notMine.body)).to.include('没有找到该投诉（或不属于您的房屋）');

      const forged = await call('GET', '/api/owner/complaints', undefined, { 'x-complaints-owner': `${token.slice(0, -2)}xx` });
      expect(forged.status).to.equal(401);
      expect(JSON.stringify(forged.body)).to.include('业主身份令牌无效或已过期');
      const expired = signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 60, h.clock.now().getTime() - 3_600_000);
      expect((await call('GET', '/api/owner/complaints', undefined, { 'x-complaints-owner': expired })).status).to.equal(401);
      expect((await call('GET', '/api/owner/complaints', undefined, {})).status).to.equal(401);

      const added = await call('POST', `/api/owner/complaints/${id}/information`, { text: '晚上七点后最暗' });
      expect(added.status).to.equal(200);
      expect(added.body.steps.map((s: { text: string }) => s.text)).to.include('您补充了信息：晚上七点后最暗');

      const tooEarly = await call('POST', `/api/owner/complaints/${id}/rating`, { stars: 5 });
      expect(tooEarly.status).to.equal(409);
      const done = await replied();
      const rate = (complaintId: number, body: unknown) =>
        call('POST', `/api/owner/complaints/${complaintId}/rating`, body, {
          'x-complaints-owner': signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 600, h.clock.now().getTime()),
        });
      expect((await rate(done.id, { stars: 5, comment: '很及时' })).status).to.equal(200);
      const twice = await rate(done.id, { stars: 1 });
      expect(twice.status).to.equal(409);
      expect(JSON.stringify(twice.body)).to.include('您已评价过此投诉');
      const stored = (await h.db(h.plugin.context.tables.ownerRatings).where({ complaint_id: done.id })) as Array<Record<string, unknown>>;
      expect(stored.map((r) => [Number(r.stars), r.source, r.owner_id])).to.deep.equal([[5, 'app', '1']]);
    });

    it('the report shows owner ratings beside follow-up satisfaction', async () => {
      const res = await fetch(`${h.origin}${h.base}/api/reports?from=2026-12-01&to=2026-12-31`, {
        headers: {
          'x-complaints-user': (await import('../../src/auth/adapter.js')).signUserToken(staff.supervisor, PAGE_SECRET, 600, h.clock.now().getTime()),
        },
      });
      const { report } = (await res.json()) as {
        report: { ownerRatings: { count: number; averageStars: number; low: number; rehandled: number }; satisfaction: unknown };
      };
      expect(res.status).to.equal(200);
      expect(report.satisfaction).to.not.equal(undefined);
      expect(report.ownerRatings.count).to.be.at.least(2);
      expect(report.ownerRatings.low).to.be.at.least(1);
      expect(report.ownerRatings.rehandled).to.be.at.least(1);
    });
  });
}

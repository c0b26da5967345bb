// The owner app's embedded pages and photo routes (issue 17 item 6) through the whole plugin over HTTP, on
// both databases: the one-time exchange of the ERP-signed owner token for a short-lived owner cookie (and a
// redirect without the token), "my complaints", a new complaint with photos, the status page with its
// files, rating and re-handling; the JSON API's photo upload and the files listed in its status. And the
// abuse cases, each a clear Chinese message with nothing changed: a forged, expired or missing token; a
// forged session cookie; another owner's unit or complaint; a missing CSRF token or a foreign origin; a
// flood of complaints or uploads; an oversized or disguised file.
import { expect } from 'chai';
import sharp from 'sharp';
import { signOwnerToken } from '../../src/auth/ownerToken.js';
import { signToken } from '../../src/auth/signedToken.js';
import type { Complaint } from '../../src/complaints/types.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, planBody as basePlan, replyBody } from '../support/complaintData.js';
import { databaseKinds, sqliteKind } from '../support/databases.js';
import { createLogger } from '../../src/observability/logger.js';
import { PAGE_SECRET, staff, startPageHarness, unescapeHtml, type PageClient, type PageHarness } from '../support/pageHarness.js';

const planBody = { ...basePlan, deadline: '2026-12-20T10:00:00+08:00' };

async function jpeg(color = '#6699cc'): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: color } })
    .jpeg()
    .toBuffer();
}

interface Upload {
  name: string;
  data: Buffer;
  type?: string;
}

for (const kind of databaseKinds) {
  describe(`owner app pages and photos (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;

    before(async () => {
      h = await startPageHarness(kind, simpleHost, { now: '2026-12-06T02:00:00.000Z' });
      await h.plugin.context.settings.update({ ownerAdditionsPerHour: 5, ownerAdditionsPerIpPerHour: 50 }, staff.admin);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.errors, 'unexpected errors').to.deep.equal([]));

    const T = () => h.plugin.context.tables;
    const text = (html: string) => unescapeHtml(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
    const ownerToken = (unitIds = ['101'], ttl = 600, ownerId = '1') => signOwnerToken({ ownerId, unitIds }, PAGE_SECRET, ttl, h.clock.now().getTime());
    const count = async (table: string, where: Record<string, unknown> = {}) =>
      Number(((await h.db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    const step = (c: Complaint, action: string, body: Record<string, unknown> = {}) =>
      h.plugin.complaints.transition(c.id, action, { version: c.version, ...body }, staff.supervisor);

    /** A phone that opened the app's link: the owner cookie (and the page session) in its jar. */
    async function openApp(token = ownerToken(), next?: string): Promise<PageClient> {
      const phone = h.client();
      const res = await phone.get(`/owner/app?token=${encodeURIComponent(token)}${next ? `&next=${encodeURIComponent(next)}` : ''}`);
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
      return phone;
    }

    /** A multipart form post as the browser sends it (same origin, the page's CSRF token unless told). */
    async function postFiles(phone: PageClient, path: string, fields: Record<string, string>, files: Upload[], options: { csrf?: string | null } = {}) {
      const body = new FormData();
      const token = options.csrf === undefined ? phone.csrf() : options.csrf;
      if (token !== null) body.append('_csrf', token);
      for (const [k, v] of Object.entries(fields)) body.append(k, v);
      for (const f of files) body.append('files', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/jpeg' }), f.name);
      const cookie = [...phone.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(`${phone.origin}${phone.base}${path}`, { method: 'POST', body, headers: { cookie, origin: phone.origin }, redirect: 'manual' });
      const html = await res.text();
      if (res.status !== 303) phone.lastPage = html;
      return { status: res.status, text: html, location: res.headers.get('location'), headers: res.headers };
    }

    it('exchanges the owner token once for an HttpOnly, SameSite, short-lived cookie scoped to /owner, and redirects without the token', async () => {
      const phone = h.client();
      const res = await phone.get(`/owner/app?token=${encodeURIComponent(ownerToken())}&next=${encodeURIComponent('/owner/new')}`);
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`${h.base}/owner/new`);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('cmp_owner='))!;
      expect(cookie).to.match(/; path=\/complaints\/owner;/i);
      expect(cookie).to.match(/httponly/i);
      expect(cookie).to.match(/samesite=lax/i);
      // Thirty minutes from now (Koa writes the lifetime as an Expires date).
      const expires = Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!);
      expect(expires - Date.now()).to.be.within(29 * 60_000, 30 * 60_000 + 5_000);
      expect(res.headers.get('referrer-policy')).to.equal('same-origin');
      // The redirect target is ours only: an outside address falls back to "my complaints".
      const away = await h.client().get(`/owner/app?token=${encodeURIComponent(ownerToken())}&next=${encodeURIComponent('https://evil.example/x')}`);
      expect(away.location).to.equal(`${h.base}/owner/mine`);
      const page = await phone.follow(res);
      expect(page.status).to.equal(200);
      expect(text(page.text)).to.include('我要投诉');
      // Chinese first, English on request (remembered for the next page).
      const english = await phone.get('/owner/mine?lang=en');
      expect(text(english.text)).to.include('My complaints');
      expect(text((await phone.get('/owner/new')).text)).to.include('What is wrong (required: when, where, what)');
    });

    it('refuses a forged, expired, over-long or missing token and a forged cookie with a Chinese page; no cookie is set', async () => {
      const good = ownerToken();
      const cases = {
        forged: `${good.slice(0, -3)}abc`,
        expired: signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 60, h.clock.now().getTime() - 3_600_000),
        otherSecret: signOwnerToken({ ownerId: '1', unitIds: ['101'] }, 'not-the-shared-secret', 600, h.clock.now().getTime()),
        tooLong: signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 30 * 24 * 3600, h.clock.now().getTime()),
        missing: '',
      };
      for (const [name, token] of Object.entries(cases)) {
        const phone = h.client();
        const res = await phone.get(`/owner/app?token=${encodeURIComponent(token)}`);
        expect(res.status, name).to.equal(401);
        expect(text(res.text), name).to.include('身份验证失败：链接无效或已过期，请返回物业小程序');
        expect(phone.cookies.has('cmp_owner'), name).to.equal(false);
      }
      // No session: the pages say where to come from.
      const none = await h.client().get('/owner/mine');
      expect(none.status).to.equal(401);
      expect(text(none.text)).to.include('请从物业小程序（或业主 APP）进入此页面');
      // The owner token itself, or a session signed with the plain secret, is not a session.
      for (const forged of [
        good,
        signToken({ typ: 'owner-app', sub: '1', units: ['101', '102'], exp: Math.floor(h.clock.now().getTime() / 1000) + 600 }, PAGE_SECRET),
      ]) {
        const phone = h.client();
        phone.cookies.set('cmp_owner', forged);
        expect((await phone.get('/owner/mine')).status).to.equal(401);
      }
      // The session ends after 30 minutes, whatever the token's own lifetime.
      const phone = await openApp(ownerToken(['101'], 3600));
      expect((await phone.get('/owner/mine')).status).to.equal(200);
      h.clock.advance(31 * 60_000);
      expect((await phone.get('/owner/mine')).status).to.equal(401);
    });

    it('files a complaint with two photos (channel app, owner-visible, audited) and lists it first in my complaints', async () => {
      const older = (await h.plugin.complaints.create(intakeBody('101', { description: '楼道灯不亮' }), staff.counter)).complaint;
      const notMine = (await h.plugin.complaints.create(intakeBody('102', { description: '别人家的投诉' }), staff.counter)).complaint;
      const phone = await openApp();
      const form = await phone.get('/owner/new');
      expect(form.status).to.equal(200);
      expect(phone.field('idempotencyKey')).to.match(/^[0-9a-f-]{36}$/);
      const res = await postFiles(
        phone,
        '/owner/new',
        {
          unitId: '101',
          category: 'facilities',
          description: '卫生间天花板渗水，已经三天',
          expectation: '尽快上门查看',
          idempotencyKey: phone.field('idempotencyKey')!,
        },
        [
          { name: '渗水.jpg', data: await jpeg('#886644') },
          { name: '发霉.jpg', data: await jpeg('#446688') },
        ],
      );
      expect(res.status, text(res.text).slice(0, 400)).to.equal(303);
      const id = Number(/\/owner\/c\/(\d+)\?ok=created$/.exec(res.location!)![1]);
      const c = (await h.plugin.complaints.get(id, staff.supervisor)).complaint;
      expect(c).to.include({
        channel: 'app',
        unitId: '101',
        ownerId: '1',
        complainantName: '张伟',
        complainantPhone: '13800138001',
        receivedBy: 'owner:1',
        category: 'facilities',
      });
      const files = await h.db(T().attachments).where({ complaint_id: id }).orderBy('id');
      expect(files.map((f) => [f.step, f.visibility, f.uploaded_by])).to.deep.equal([
        ['owner', 'owner_visible', 'owner:1'],
        ['owner', 'owner_visible', 'owner:1'],
      ]);
      expect(await count(T().events, { complaint_id: id, action: 'upload' })).to.equal(2);

      const status = await phone.get(res.location!);
      expect(status.status).to.equal(200);
      const body = text(status.text);
      expect(body).to.include(c.code);
      expect(body).to.include('您提交了投诉');
      expect(body).not.to.include('13800138001');
      expect(status.text).to.include(`${h.base}/owner/c/${id}/files/${files[0].id}/thumb`);
      const photo = await phone.get(`/owner/c/${id}/files/${files[0].id}`);
      expect(photo.status).to.equal(200);
      expect(photo.headers.get('content-type')).to.equal('image/jpeg');
      expect(photo.headers.get('x-content-type-options')).to.equal('nosniff');

      const mine = await phone.get('/owner/mine');
      const codes = [...mine.text.matchAll(/class="owner-list-code">([^<]+)</g)].map((m) => m[1]);
      expect(codes[0]).to.equal(c.code);
      expect(codes).to.include(older.code);
      expect(codes).not.to.include(notMine.code);
      expect(mine.text).to.include(`href="${h.base}/owner/c/${id}"`);
    });

    it('another owner’s unit or complaint: a Chinese message, nothing changed', async () => {
      const someoneElses = (await h.plugin.complaints.create(intakeBody('102'), staff.counter)).complaint;
      const phone = await openApp();
      const other = await phone.get(`/owner/c/${someoneElses.id}`);
      expect(other.status).to.equal(404);
      expect(text(other.text)).to.include('没有找到该投诉（或不属于您的房屋）');
      const file = await phone.get(`/owner/c/${someoneElses.id}/files/1`);
      expect(file.status).to.equal(404);
      const newFor = await phone.get('/owner/new?unit=102');
      expect(newFor.status).to.equal(403);
      expect(text(newFor.text)).to.include('只能为您名下的房屋投诉');

      await phone.get('/owner/new');
      const before = await count(T().complaints);
      const posted = await phone.post('/owner/new', { unitId: '102', description: '冒用别人家的房屋', idempotencyKey: phone.field('idempotencyKey')! });
      expect(posted.status).to.equal(422);
      expect(text(posted.text)).to.include('只能为您名下的房屋投诉');
      expect(posted.text).to.include('冒用别人家的房屋</textarea>');
      expect(await count(T().complaints)).to.equal(before);

      // Another owner's session cannot rate or add to this owner's complaint.
      const mine = (await h.plugin.complaints.create(intakeBody('101'), staff.counter)).complaint;
      const intruder = await openApp(ownerToken(['102'], 600, '2'));
      await intruder.get('/owner/new');
      const add = await intruder.post(`/owner/c/${mine.id}/add`, { text: '不是我的投诉' });
      expect(add.status).to.equal(404);
      expect(text(add.text)).to.include('没有找到该投诉');
      expect(await count(T().events, { complaint_id: mine.id, action: 'owner-info' })).to.equal(0);
    });

    it('keeps what was typed when refused: a missing description, a disguised file, an oversized file', async () => {
      const phone = await openApp();
      await phone.get('/owner/new');
      const key = phone.field('idempotencyKey')!;
      const before = await count(T().complaints);
      const empty = await postFiles(phone, '/owner/new', { unitId: '101', description: '  ', expectation: '希望今天处理', idempotencyKey: key }, []);
      expect(empty.status).to.equal(422);
      expect(text(empty.text)).to.include('有些内容需要修改，请查看标出的字段');
      expect(empty.text).to.match(/id="description-error"/);
      expect(empty.text).to.include('希望今天处理</textarea>');

      const disguised = await postFiles(phone, '/owner/new', { unitId: '101', description: '电梯异响', idempotencyKey: key }, [
        { name: '电梯.jpg', data: Buffer.from('<html><script>alert(1)</script></html>') },
      ]);
      expect(disguised.status).to.equal(422);
      expect(text(disguised.text)).to.include('文件“电梯.jpg”的内容不是允许的类型');
      expect(disguised.text).to.include('电梯异响</textarea>');
      expect(text(disguised.text)).to.include('请重新选择要上传的文件');

      await h.plugin.context.settings.update({ attachmentMaxBytes: 1024 }, staff.admin);
      try {
        const big = await postFiles(phone, '/owner/new', { unitId: '101', description: '电梯异响', idempotencyKey: key }, [
          { name: '大照片.jpg', data: Buffer.concat([await jpeg(), Buffer.alloc(4096, 1)]) },
        ]);
        expect(big.status).to.equal(422);
        expect(text(big.text)).to.include('文件“大照片.jpg”超过');
      } finally {
        await h.plugin.context.settings.update({ attachmentMaxBytes: 10 * 1024 * 1024 }, staff.admin);
      }
      expect(await count(T().complaints)).to.equal(before);
    });

    it('refuses a post without the CSRF token or from another site, in the owner’s layout, changing nothing', async () => {
      const phone = await openApp();
      await phone.get('/owner/new');
      const csrf = phone.csrf();
      const before = await count(T().complaints);
      const noToken = await phone.post('/owner/new', { unitId: '101', description: '无令牌提交' }, { csrf: null });
      expect(noToken.status).to.equal(403);
      expect(text(noToken.text)).to.include('表单已过期或来源无法确认，未做任何修改');
      expect(noToken.text).to.include('class="owner"');
      const foreign = await phone.post('/owner/new', { unitId: '101', description: '跨站提交' }, { origin: 'https://evil.example', csrf });
      expect(foreign.status).to.equal(403);
      expect(text(foreign.text)).to.include('拒绝来自其他网站的请求');
      expect(await count(T().complaints)).to.equal(before);
    });

    it('limits a flood of complaints per owner (each refused one kept on the form, nothing saved)', async () => {
      h.clock.advance(61 * 60_000);
      const phone = await openApp();
      const before = await count(T().complaints);
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++) {
        await phone.get('/owner/new');
        const res = await phone.post('/owner/new', { unitId: '101', description: `第${i}次：门口垃圾没人收`, idempotencyKey: phone.field('idempotencyKey')! });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get('retry-after')).to.equal('3600');
          expect(text(res.text)).to.include('提交投诉过于频繁');
          expect(res.text).to.include(`第${i}次：门口垃圾没人收</textarea>`);
        }
      }
      expect(statuses).to.deep.equal([303, 303, 303, 303, 303, 429]);
      expect(await count(T().complaints)).to.equal(before + 5);
      // The JSON API shares the per-owner count.
      const api = await fetch(`${h.origin}${h.base}/api/owner/complaints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-complaints-owner': ownerToken() },
        body: JSON.stringify({ unitId: '101', description: '接口再发一次' }),
      });
      expect(api.status).to.equal(429);
      expect(JSON.stringify(await api.json())).to.include('提交投诉过于频繁');
      expect(await count(T().complaints)).to.equal(before + 5);
    });

    it('complaints sent all at once cannot pass the hourly limit together', async () => {
      h.clock.advance(61 * 60_000);
      const token = ownerToken();
      const before = await count(T().complaints);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`${h.origin}${h.base}/api/owner/complaints`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-complaints-owner': token },
            body: JSON.stringify({ unitId: '101', description: `同时提交第${i + 1}件` }),
          }).then(async (res) => {
            await res.arrayBuffer();
            return res.status;
          }),
        ),
      );
      expect(
        answers.filter((s) => s === 201),
        String(answers),
      ).to.have.length(5);
      expect(answers.filter((s) => s === 429)).to.have.length(3);
      expect(await count(T().complaints)).to.equal(before + 5);
    });

    it('rates after the reply on the embedded page: 2 stars with re-handling opens the linked complaint', async () => {
      h.clock.advance(61 * 60_000);
      let c = (await h.plugin.complaints.create(intakeBody('101', { description: '水压太低' }), staff.counter)).complaint;
      c = await step(c, 'start-investigation');
      c = await step(c, 'assess', assessProperty);
      c = await step(c, 'plan', planBody);
      c = await step(c, 'resolve', replyBody);
      const phone = await openApp(ownerToken(), `/owner/c/${c.id}`);
      const page = await phone.get(`/owner/c/${c.id}`);
      expect(text(page.text)).to.include('已答复，请查看处理结果并评价');
      expect(page.text).to.include(`action="${h.base}/owner/c/${c.id}/rate"`);
      const refused = await phone.post(`/owner/c/${c.id}/rate`, { stars: '4', comment: '还行吧', rehandle: '1' });
      expect(refused.status).to.equal(422);
      expect(text(refused.text)).to.include('只有不满意（1–2 星）时才能申请重新处理');
      expect(refused.text).to.include('还行吧</textarea>');
      const rated = await phone.post(`/owner/c/${c.id}/rate`, { stars: '2', comment: '修了两次还在滴水', rehandle: '1' });
      expect(rated.status).to.equal(303);
      const after = await phone.follow(rated);
      const next = /新投诉编号 (\S+)）/.exec(text(after.text))?.[1];
      expect(next).to.be.a('string');
      const rating = await h.db(T().ownerRatings).where({ complaint_id: c.id }).first();
      expect([Number(rating.stars), rating.source, rating.owner_id, Boolean(Number(rating.rehandle))]).to.deep.equal([2, 'app', '1', true]);
      const mine = await phone.get('/owner/mine');
      expect(mine.text).to.include(next!);
    });

    it('limits a flood of additions on the embedded status page, keeping the words of the refused one', async () => {
      h.clock.advance(61 * 60_000);
      const c = (await h.plugin.complaints.create(intakeBody('101', { description: '楼上装修噪音' }), staff.counter)).complaint;
      const phone = await openApp();
      await phone.get(`/owner/c/${c.id}`);
      const statuses: number[] = [];
      for (let i = 1; i <= 6; i++) {
        const res = await phone.post(`/owner/c/${c.id}/add`, { text: `第${i}次：晚上十点还在施工` });
        statuses.push(res.status);
        if (res.status === 303) await phone.follow(res);
        else {
          expect(res.headers.get('retry-after')).to.equal('3600');
          expect(text(res.text)).to.include('提交过于频繁');
          expect(res.text).to.include(`第${i}次：晚上十点还在施工</textarea>`);
        }
      }
      expect(statuses).to.deep.equal([303, 303, 303, 303, 303, 429]);
      expect(await count(T().events, { complaint_id: c.id, action: 'owner-info' })).to.equal(5);
    });

    it('the JSON API takes photos (multipart) and lists them with addresses the owner token may fetch; refusals in Chinese', async () => {
      h.clock.advance(61 * 60_000);
      const token = ownerToken();
      const made = await fetch(`${h.origin}${h.base}/api/owner/complaints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-complaints-owner': token },
        body: JSON.stringify({ unitId: '101', description: '车库顶棚漏水' }),
      });
      expect(made.status).to.equal(201);
      const id = ((await made.json()) as { complaint: { id: number } }).complaint.id;
      const upload = async (
        files: Upload[],
        headers: Record<string, string> = { 'x-complaints-owner': token },
        complaintId = id,
        extra: Record<string, string> = {},
      ) => {
        const body = new FormData();
        for (const [k, v] of Object.entries(extra)) body.append(k, v);
        for (const f of files) body.append('files', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/jpeg' }), f.name);
        const res = await fetch(`${h.origin}${h.base}/api/owner/complaints/${complaintId}/attachments`, { method: 'POST', body, headers });
        return { status: res.status, headers: res.headers, body: (await res.json()) as any };
      };
      const ok = await upload([{ name: '顶棚.jpg', data: await jpeg() }], undefined, id, { text: '补两张照片' });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
      const [listed] = ok.body.attachments as Array<{ id: number; name: string; url: string; thumbnailUrl: string }>;
      expect(listed!.name).to.equal('顶棚.jpg');
      expect(listed!.url).to.equal(`${h.base}/api/owner/complaints/${id}/attachments/${listed!.id}/content`);
      expect(ok.body.steps.map((s: { text: string }) => s.text)).to.include('您补充了信息：补两张照片');
      const fetched = await fetch(`${h.origin}${listed!.url}`, { headers: { 'x-complaints-owner': token } });
      expect(fetched.status).to.equal(200);
      expect(fetched.headers.get('content-type')).to.equal('image/jpeg');
      const thumb = await fetch(`${h.origin}${listed!.thumbnailUrl}`, { headers: { 'x-complaints-owner': token } });
      expect(thumb.status).to.equal(200);
      await thumb.arrayBuffer();
      const status = await fetch(`${h.origin}${h.base}/api/owner/complaints/${id}`, { headers: { 'x-complaints-owner': token } });
      expect(((await status.json()) as { attachments: unknown[] }).attachments).to.have.length(1);

      // Refusals: no token, another owner, a disguised file, nothing chosen; nothing stored.
      const before = await count(T().attachments, { complaint_id: id });
      const anon = await fetch(`${h.origin}${listed!.url}`);
      expect(anon.status).to.equal(401);
      await anon.arrayBuffer();
      const otherOwner = await upload([{ name: 'a.jpg', data: await jpeg() }], { 'x-complaints-owner': ownerToken(['102'], 600, '2') });
      expect(otherOwner.status).to.equal(404);
      expect(JSON.stringify(otherOwner.body)).to.include('没有找到该投诉');
      const disguised = await upload([{ name: '合同.pdf', data: Buffer.from('MZ\x90\x00 not a pdf'), type: 'application/pdf' }]);
      expect(disguised.status).to.equal(400);
      expect(JSON.stringify(disguised.body)).to.include('文件“合同.pdf”的内容不是允许的类型');
      await h.plugin.context.settings.update({ attachmentMaxBytes: 1024 }, staff.admin);
      try {
        const big = await upload([{ name: '大图.jpg', data: Buffer.concat([await jpeg(), Buffer.alloc(4096, 1)]) }]);
        expect(big.status).to.equal(400);
        expect(JSON.stringify(big.body)).to.include('文件“大图.jpg”超过');
      } finally {
        await h.plugin.context.settings.update({ attachmentMaxBytes: 10 * 1024 * 1024 }, staff.admin);
      }
      const nothing = await upload([]);
      expect(nothing.status).to.equal(400);
      expect(JSON.stringify(nothing.body)).to.include('请选择要上传的照片或文件');
      expect(await count(T().attachments, { complaint_id: id })).to.equal(before);

      // A flood of uploads: the additions' per-owner count (5 an hour; one used above).
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await upload([{ name: `p${i}.jpg`, data: await jpeg() }])).status);
      expect(statuses).to.deep.equal([201, 201, 201, 201, 429]);
      expect(await count(T().attachments, { complaint_id: id })).to.equal(before + 4);
    });
  });
}

describe('owner app: the token in the exchange address never reaches the request log (sqlite)', function () {
  this.timeout(60_000);
  it('logs the exchange with the token redacted', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const h = await startPageHarness(sqliteKind, simpleHost, { now: '2026-12-06T02:00:00.000Z', logger });
    try {
      const token = signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 600, h.clock.now().getTime());
      const res = await h.client().get(`/owner/app?token=${encodeURIComponent(token)}`);
      expect(res.status).to.equal(303);
      const exchange = lines.filter((l) => l.includes('/owner/app'));
      expect(exchange, lines.join('\n')).to.have.length(1);
      expect(exchange[0]).to.include('token=[redacted]');
      expect(lines.join('\n')).not.to.include(token.split('.')[1]!);
    } finally {
      await h.close();
    }
  });
});

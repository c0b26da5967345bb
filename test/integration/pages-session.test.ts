// The pages' front door on both databases: demo sign-in (mode c) with sessions in our table, the signed
// header (mode b) and in-process auth (mode a) with CSRF-only sessions, cookie flags, absolute lifetime,
// sign-out, CSRF refusals, security headers, language switch, and the error pages.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, staff, startPageHarness, userHeader, type PageHarness } from '../support/pageHarness.js';
import { createServerApp, listen } from '../../src/http/server.js';
import { tableNames } from '../../src/db/tables.js';
import { inProcessAuth } from '../../src/auth/adapter.js';
import type { Actor } from '../../src/auth/actor.js';

const T = tableNames('cmp_');

for (const kind of databaseKinds) {
  describe(`pages: sessions, CSRF and errors (${kind.kind})`, function () {
    let h: PageHarness;
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('sends a visitor who is not signed in to the sign-in page, which lists demo users by role', async () => {
      const c = h.client();
      const home = await c.get('/');
      expect(home.status).to.be.oneOf([302, 303]);
      expect(home.location).to.equal(`${h.base}/sign-in?next=${encodeURIComponent(`${h.base}/`)}`);
      const page = await c.get(home.location!);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('前台王芳').and.include('收银员赵丽').and.include('<legend>前台客服</legend>').and.include('<legend>收银员</legend>');
    });

    it('opens a new session at sign-in (hashed in our table, HttpOnly, SameSite=Lax) and revokes it at sign-out', async () => {
      const c = h.client();
      await c.get('/sign-in');
      const anonymous = c.cookies.get('cmp_sid');
      expect(anonymous).to.be.a('string');
      await c.get('/sign-in');
      const res = await c.post('/sign-in', { userId: staff.counter.id, next: `${h.base}/list` });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`${h.base}/list`);
      const cookie = res.headers.getSetCookie().find((l) => l.startsWith('cmp_sid='))!;
      expect(cookie)
        .to.match(/httponly/i)
        .and.match(/samesite=lax/i)
        .and.match(/path=\/complaints/i);
      expect(cookie).not.to.match(/secure/i);
      const signedIn = c.cookies.get('cmp_sid')!;
      expect(signedIn).not.to.equal(anonymous);
      const rows = await h.db(T.sessions).select('id', 'actor_id', 'kind');
      expect(rows.map((r) => r.id)).to.include(createHash('sha256').update(signedIn).digest('hex'));
      expect(rows.map((r) => r.id)).not.to.include(signedIn);
      expect(rows.map((r) => r.id)).not.to.include(createHash('sha256').update(anonymous!).digest('hex'));
      expect((await c.get('/')).status).to.equal(200);

      const out = await c.post('/sign-out', {});
      expect(out.status).to.equal(303);
      expect((await h.db(T.sessions).where({ id: createHash('sha256').update(signedIn).digest('hex') })).length).to.equal(0);
      // The old cookie no longer signs anyone in.
      c.cookies.set('cmp_sid', signedIn);
      expect((await c.get('/')).status).to.be.oneOf([302, 303]);
    });

    it('refuses a sign-in as someone not on the list, and sign-out by GET', async () => {
      const c = h.client();
      await c.get('/sign-in');
      const res = await c.post('/sign-in', { userId: 'root' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('请选择一位演示用户');
      expect((await c.get('/sign-out')).status).to.equal(404);
    });

    it('ends a session after its absolute lifetime, however active it was', async () => {
      const c = h.client();
      await c.signIn(staff.counter);
      const start = h.clock.now();
      for (let i = 0; i < 8; i++) {
        h.clock.advance(59 * 60_000);
        expect((await c.get('/list')).status).to.equal(200);
      }
      h.clock.advance(10 * 60_000);
      const res = await c.get('/list');
      expect(res.status).to.be.oneOf([302, 303]);
      h.clock.set(start);
    });

    it('marks the cookie Secure when served over HTTPS (behind a TLS proxy)', async () => {
      const server = await listen(createServerApp(h.plugin, { proxy: true }), 0, '127.0.0.1');
      try {
        const res = await fetch(`${server.url}${h.base}/sign-in`, { headers: { 'x-forwarded-proto': 'https' } });
        expect(res.headers.getSetCookie().find((l) => l.startsWith('cmp_sid='))).to.match(/;\s*secure/i);
      } finally {
        await server.close();
      }
    });

    it('sets security headers on every page: CSP without inline script or style, no framing, no caching', async () => {
      const c = h.client();
      await c.signIn(staff.counter);
      for (const path of ['/', '/sign-in', '/nope', '/c/999999']) {
        const res = await c.get(path);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp, path).to.include("default-src 'self'").and.include("script-src 'self'").and.include("frame-ancestors 'self'");
        expect(csp, path).not.to.include('unsafe-inline');
        expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(res.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
        expect(res.headers.get('cache-control')).to.equal('no-store');
      }
    });

    describe('CSRF: every refusal is 403 and changes nothing', () => {
      let c: ReturnType<PageHarness['client']>;
      const form = () => intakeForm({ description: '电梯又坏了', expectation: '' });
      const count = async () => Number(((await h.db(T.complaints).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
      before(async () => {
        c = h.client();
        await c.signIn(staff.counter);
        await c.get('/new?unit=101');
      });

      it('without the token', async () => {
        const before = await count();
        const res = await c.post('/new', form(), { csrf: null });
        expect(res.status).to.equal(403);
        expect(res.text).to.include('未做任何修改');
        expect(await count()).to.equal(before);
      });

      it('with a wrong token, or the token of another session', async () => {
        const before = await count();
        expect((await c.post('/new', form(), { csrf: 'x'.repeat(43) })).status).to.equal(403);
        const other = h.client();
        await other.signIn(staff.counter2);
        await other.get('/new?unit=101');
        expect((await c.post('/new', form(), { csrf: other.csrf() })).status).to.equal(403);
        expect(await count()).to.equal(before);
      });

      it('from a foreign Origin, a foreign Referer or a cross-site fetch', async () => {
        const before = await count();
        expect((await c.post('/new', form(), { origin: 'https://evil.example' })).status).to.equal(403);
        expect((await c.post('/new', form(), { origin: 'null' })).status).to.equal(403);
        expect((await c.post('/new', form(), { origin: null, headers: { referer: 'https://evil.example/x' } })).status).to.equal(403);
        expect((await c.post('/new', form(), { headers: { 'sec-fetch-site': 'cross-site' } })).status).to.equal(403);
        expect((await c.post('/new', form(), { headers: { 'sec-fetch-site': 'same-site' } })).status).to.equal(403);
        expect(await count()).to.equal(before);
      });

      it('accepts the same form from our own origin with the token', async () => {
        const before = await count();
        const res = await c.post('/new', form(), { headers: { 'sec-fetch-site': 'same-origin' } });
        expect(res.status).to.equal(303);
        expect(await count()).to.equal(before + 1);
      });

      it('refuses what is not an HTML form, and forms over the size limit', async () => {
        const before = await count();
        const json = await c.request('POST', '/new', { raw: JSON.stringify(form()), headers: { 'content-type': 'application/json', origin: h.origin } });
        expect(json.status).to.equal(415);
        // A long paste reaches the form's own check: the form comes back with the text kept and a field error.
        const pasted = '漏'.repeat(10_000);
        const long = await c.post('/new', { ...form(), description: pasted });
        expect(long.status).to.equal(422);
        expect(long.text).to.include(pasted).and.include('投诉内容最多 2,000 字，现在是 10,000 字，请删减');
        expect(long.text).to.match(/<textarea id="description"[^>]*data-maxlength="2000"/);
        // Only what no form field could hold is refused outright.
        const huge = await c.post('/new', { ...form(), description: 'x'.repeat(1100 * 1024) });
        expect(huge.status).to.equal(413);
        expect(huge.text).to.include('提交的内容过大');
        expect(await count()).to.equal(before);
      });

      it('refuses a sign-in form posted from another site (no login CSRF)', async () => {
        const anon = h.client();
        await anon.get('/sign-in');
        expect((await anon.post('/sign-in', { userId: staff.admin.id }, { origin: 'https://evil.example' })).status).to.equal(403);
        expect((await anon.post('/sign-in', { userId: staff.admin.id }, { csrf: null })).status).to.equal(403);
      });
    });

    it('works with the signed header (mode b): a CSRF-only session bound to that user', async () => {
      const c = h.client();
      c.headers = userHeader(staff.supervisor, h.clock);
      const page = await c.get('/new?unit=102');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('主管李敏');
      expect(page.text).not.to.include('退出登录'); // the ERP signs people in and out, not us
      const row = await h.db(T.sessions).where({ actor_id: staff.supervisor.id }).first();
      expect(row.kind).to.equal('bound');
      expect(row.actor).to.equal(null);
      // Another user's header with this cookie and token: the session is not theirs.
      const token = c.csrf();
      c.headers = userHeader(staff.counter2, h.clock);
      const res = await c.post('/c/1/act/note', { version: '1', note: 'x' }, { csrf: token });
      expect(res.status).to.equal(403);
    });

    it('switches to English and remembers it', async () => {
      const c = h.client();
      await c.signIn(staff.counter);
      const en = await c.get('/list?lang=en');
      expect(en.text).to.include('<html lang="en">').and.include('Complaints').and.include('中文');
      expect((await c.get('/')).text).to.include('Workbench');
      expect((await c.get('/?lang=zh-CN')).text).to.include('工作台');
    });

    it('renders every page in English for every role that may see it', async () => {
      const pages: Array<[keyof typeof staff, string, string]> = [
        ['counter', '/', 'Workbench'],
        ['counter', '/new?q=1-10', 'Register a complaint'],
        ['counter', '/new?unit=101', 'Register a complaint'],
        ['counter', '/list', 'Complaints'],
        ['manager', '/offsets', 'Offset approvals'],
        ['cashier', '/cashier?bill=1001', 'Cashier check'],
        ['admin', '/admin', 'Administration'],
      ];
      for (const [who, path, h1] of pages) {
        const c = h.client();
        await c.signIn(staff[who]);
        const res = await c.get(`${path}${path.includes('?') ? '&' : '?'}lang=en`);
        expect(res.status, path).to.equal(200);
        expect(res.text, path).to.include('<html lang="en">').and.include(`<h1>${h1}`);
        expect(res.text, path).not.to.match(/<(h2|th|label|legend)[^>]*>[^<]*[\u4e00-\u9fff]/);
      }
      const c = h.client();
      await c.get('/sign-in?lang=en');
      expect(c.lastPage).to.include('<h1>Sign in</h1>');
    });

    it('answers 403, 404 and the JSON API plainly', async () => {
      const c = h.client();
      await c.signIn(staff.cashier);
      const forbidden = await c.get('/admin');
      expect(forbidden.status).to.equal(403);
      expect(forbidden.text).to.include('没有权限');
      const missing = await c.get('/no/such/page');
      expect(missing.status).to.equal(404);
      expect(missing.text).to.include('找不到页面');
      expect((await c.get('/c/abc')).status).to.equal(404);
      const api = await fetch(`${h.origin}${h.base}/api/status`);
      expect(api.headers.get('content-type')).to.include('json');
      expect((await fetch(`${h.origin}${h.base}/api/nope`)).headers.get('content-type') ?? '').not.to.include('html');
    });

    it('serves its script and stylesheet from its own route, cacheable by content hash', async () => {
      const c = h.client();
      const page = await (await c.signIn(staff.counter), c.get('/'));
      const src = /<script src="([^"]+)"/.exec(page.text)![1]!.replace(/&#x3D;/g, '=');
      const js = await c.get(src);
      expect(js.status).to.equal(200);
      expect(js.headers.get('content-type')).to.include('javascript');
      expect(js.headers.get('cache-control')).to.include('immutable');
      const again = await c.get(src, { 'if-none-match': js.headers.get('etag')! });
      expect(again.status).to.equal(304);
      expect((await c.get('/assets/../../package.json')).status).to.equal(404);
    });
  });
}

describe('pages: in-process auth (mode a)', function () {
  let h: PageHarness;
  let current: Actor | null = staff.counter;
  before(async () => {
    h = await startPageHarness(databaseKinds[0]!, simpleHost, { auth: inProcessAuth(() => current), signIn: false });
  });
  after(async () => h?.close());

  it('uses the host user; the CSRF session belongs to that user only', async () => {
    const c = h.client();
    const page = await c.get('/new?unit=101');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('前台王芳');
    const token = c.csrf();
    expect((await c.get('/sign-in')).status).to.equal(404);
    current = staff.counter2;
    const res = await c.post('/new', { unitId: '101' }, { csrf: token });
    expect(res.status).to.equal(403);
    current = null;
    const anon = await c.get('/');
    expect(anon.status).to.equal(401);
    expect(anon.text).to.include('请先登录');
  });
});

describe('pages: trusted origins (a host proxying the pages under its own origin)', function () {
  let h: PageHarness;
  before(async () => {
    h = await startPageHarness(databaseKinds[0]!, simpleHost, { csrf: { trustedOrigins: ['https://erp.example.com'] } });
  });
  after(async () => h?.close());

  it('accepts forms posted from an origin given in createComplaintsPlugin({ csrf: { trustedOrigins } }), and only from it', async () => {
    const count = async () => Number(((await h.db(T.complaints).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
    const c = h.client();
    await c.signIn(staff.counter);
    await c.get('/new?unit=101');
    const form = () => ({
      unitId: '101',
      ownerId: '1',
      complainantName: '张伟',
      complainantPhone: '13800138001',
      channel: 'counter',
      category: 'facilities',
      description: '经由主系统提交',
      idempotencyKey: crypto.randomUUID(),
    });
    const before = await count();
    expect((await c.post('/new', form(), { origin: 'https://erp.example.com' })).status).to.equal(303);
    expect((await c.post('/new', form(), { origin: null, headers: { referer: 'https://erp.example.com/complaints/new' } })).status).to.equal(303);
    expect(await count()).to.equal(before + 2);
    for (const origin of ['https://evil.example', 'https://erp.example.com.evil.example', 'http://erp.example.com']) {
      expect((await c.post('/new', form(), { origin })).status, origin).to.equal(403);
    }
    // The token is still required from a trusted origin.
    expect((await c.post('/new', form(), { origin: 'https://erp.example.com', csrf: null })).status).to.equal(403);
    expect(await count()).to.equal(before + 2);
  });
});

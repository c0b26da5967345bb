// The workbench, list paging, and the pages' behaviour when things break: a database that cannot be
// reached gives a plain 503 "try again" page; an unexpected failure a 500 page with a reference that
// leaks nothing.
import { expect } from 'chai';
import { databaseKinds, mariadbAvailable, MARIADB_ADMIN_URL } from '../support/databases.js';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, PAGE_SECRET, PageClient, staff, startPageHarness, unescapeHtml, userHeader, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';
import { createDb } from '../../src/db/connection.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { createServerApp, listen } from '../../src/http/server.js';
import { signedHeaderAuth, signUserToken, USER_HEADER } from '../../src/auth/adapter.js';
import { validateMapping } from '../../src/host/mapping.js';

const T = tableNames('cmp_');

async function register(c: PageClient, overrides: Record<string, string> = {}): Promise<number> {
  await c.get('/new?unit=101');
  const res = await c.post('/new', {
    unitId: '101',
    ownerId: '1',
    complainantName: '张伟',
    complainantPhone: '13800138001',
    complainantRelation: 'owner',
    channel: 'phone',
    category: 'cleaning_greening',
    description: '垃圾两天没清运',
    idempotencyKey: crypto.randomUUID(),
    ...overrides,
  });
  expect(res.status).to.equal(303);
  return Number(/\/c\/(\d+)\//.exec(res.location!)![1]);
}

function version(page: string): string {
  return /name="version" value="(\d+)"/.exec(page)![1]!;
}

for (const kind of databaseKinds) {
  describe(`pages: workbench and list paging (${kind.kind})`, function () {
    let h: PageHarness;
    let counter: PageClient;
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      await counter.signIn(staff.counter);
    });
    after(async () => h?.close());

    it('shows counts at a glance: open, overdue, follow-ups due today, offsets awaiting approval', async () => {
      const a = await register(counter);
      await register(counter);
      // One answered at the counter: its follow-up visit falls due within 24 hours, i.e. today or tomorrow.
      let page = await counter.get(`/c/${a}`);
      expect(
        (await counter.post(`/c/${a}/act/resolve`, { version: version(page.text), nature: 'help', reply: '已安排清运', basis: '保洁排班表' })).status,
      ).to.equal(303);
      h.clock.advance(50 * 3600_000); // past the 48 h reply promise of the other one
      await counter.signIn(staff.counter); // sessions last 8 hours
      const wb = await counter.get('/');
      expect(wb.status).to.equal(200);
      expect(wb.text).to.match(/<strong>2<\/strong>未结投诉/);
      // Both are overdue: one past its reply promise, the other past its follow-up window.
      expect(wb.text).to.match(/<strong>2<\/strong>已逾期/);
      expect(wb.text).to.match(/<strong>1<\/strong>今天到期的回访/);
      expect(wb.text).not.to.include('待我审批的抵扣'); // counter staff do not approve
      const sup = h.client();
      await sup.signIn(staff.supervisor);
      const supWb = await sup.get('/');
      expect(supWb.text).to.include('待我审批的抵扣').and.include('您的审批额度：¥500.00');
      page = await counter.get('/');
      expect(unescapeHtml(page.text)).to.include('/complaints/list?overdue=1&sort=dueAt');
    });

    it('pages the list by cursor and keeps the filters in the links', async () => {
      for (let i = 0; i < 21; i++) await register(counter, { category: 'pets', idempotencyKey: crypto.randomUUID() });
      const first = await counter.get('/list?category=pets&sort=receivedAt');
      expect(first.text).to.include('共 21 条');
      const next = unescapeHtml(/href="([^"]+)" rel="next"/.exec(first.text)![1]!);
      expect(next).to.include('category=pets').and.include('cursor=');
      const second = await counter.get(next);
      expect(second.status).to.equal(200);
      expect(second.text).to.include('第 2 页');
      expect((second.text.match(/<tr>\n<td><a href="\/complaints\/c\//g) ?? []).length).to.equal(1);
      expect(second.text).not.to.include('rel="next"');
    });
  });
}

describe('pages: failures', function () {
  it('shows a plain 503 "try again" page when the database cannot be reached', async function () {
    const db = createDb('mysql://root@127.0.0.1:1/nowhere', { poolMax: 1 });
    const plugin = createComplaintsPlugin({ knex: db, mapping: validateMapping(simpleHost.mapping), auth: signedHeaderAuth(PAGE_SECRET), log: () => {} });
    const server = await listen(createServerApp(plugin), 0, '127.0.0.1');
    try {
      const token = signUserToken(staff.counter, PAGE_SECRET, 600);
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/list'],
        ['POST', '/new'],
      ] as const) {
        const res = await fetch(`${server.url}/complaints${path}`, {
          method,
          // A session cookie, so that even the session lookup needs the database.
          headers: { [USER_HEADER]: token, 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie: `cmp_sid=${'a'.repeat(43)}` },
          body: method === 'POST' ? 'unitId=101' : undefined,
        });
        const text = await res.text();
        expect(res.status, path).to.equal(503);
        expect(res.headers.get('retry-after')).to.equal('10');
        expect(text).to.include('请稍后重试').and.include('不会重复登记');
        expect(text).not.to.match(/ECONNREFUSED|127\.0\.0\.1:1|mysql/i);
      }
    } finally {
      await server.close();
      await db.destroy();
    }
  });

  it('shows a 500 page with a reference and nothing of the failure', async () => {
    const h = await startPageHarness(databaseKinds[0]!, simpleHost);
    try {
      const c = h.client();
      c.headers = userHeader(staff.counter, h.clock);
      const id = await register(c);
      await h.db.schema.dropTable(T.followUps);
      const res = await c.get(`/c/${id}`);
      expect(res.status).to.equal(500);
      expect(res.text).to.include('系统出错').and.include('参考编号');
      expect(res.text).not.to.match(/follow_ups|sqlite|select|stack|at /i);
      expect(h.errors.length).to.be.greaterThan(0);
    } finally {
      await h.close();
    }
  });

  if (mariadbAvailable) {
    it('loses nothing already acknowledged when the database goes away and comes back (MariaDB)', async function () {
      // The plugin reaches MariaDB through a TCP relay that the test cuts and restores.
      const name = `cmp_t_${randomBytes(5).toString('hex')}`;
      const admin = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      const target = new URL(MARIADB_ADMIN_URL.replace(/^mariadb:/, 'mysql:'));
      const sockets = new Set<Socket>();
      let relay: Server | null = null;
      const up = (port = 0) =>
        new Promise<number>((resolve) => {
          relay = createServer((client) => {
            const upstream = connect(Number(target.port || 3306), target.hostname);
            for (const s of [client, upstream]) {
              sockets.add(s);
              s.on('error', () => {});
              s.on('close', () => sockets.delete(s));
            }
            client.pipe(upstream).pipe(client);
          }).listen(port, '127.0.0.1', () => resolve((relay!.address() as AddressInfo).port));
        });
      const down = () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          relay!.close(() => resolve());
        });
      const port = await up();
      const url = MARIADB_ADMIN_URL.replace(/^mariadb:/, 'mysql:').replace(/@[^/]+\/[^/]*$/, `@127.0.0.1:${port}/${name}`);
      const db = createDb(url, { poolMax: 4 });
      await simpleHost.create(db);
      const plugin = createComplaintsPlugin({
        knex: db,
        mapping: validateMapping(simpleHost.mapping),
        auth: signedHeaderAuth(PAGE_SECRET),
        signIn: { users: [staff.counter] },
        log: () => {},
      });
      await plugin.install();
      const server = await listen(createServerApp(plugin), 0, '127.0.0.1');
      try {
        const c = new PageClient(server.url, '/complaints');
        await c.signIn(staff.counter);
        await c.get('/new?unit=101');
        const form = (key: string, description: string) => intakeForm({ category: 'security', description, expectation: '', idempotencyKey: key });
        const acknowledged = await c.post('/new', form(c.field('idempotencyKey')!, '陌生推销员进楼'));
        expect(acknowledged.status).to.equal(303);
        await c.get('/new?unit=101');
        const token = c.csrf();
        const second = form(c.field('idempotencyKey')!, '门禁又坏了');

        await down();
        const slip = await c.get(acknowledged.location!);
        expect(slip.status).to.equal(503);
        expect(slip.text).to.include('请稍后重试');
        const during = await c.post('/new', second, { csrf: token });
        expect(during.status).to.equal(503);

        await up(port);
        expect((await c.get(acknowledged.location!)).status).to.equal(200);
        const retry = await c.post('/new', second, { csrf: token });
        expect(retry.status).to.equal(303);
        expect((await c.post('/new', second, { csrf: token })).location).to.equal(retry.location);
        const rows = await db(T.complaints).select('description');
        expect(rows.map((r) => r.description).sort()).to.deep.equal(['门禁又坏了', '陌生推销员进楼'].sort());
      } finally {
        await server.close();
        await down().catch(() => {});
        await db.destroy();
        await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
        await admin.destroy();
      }
    });
  }
});

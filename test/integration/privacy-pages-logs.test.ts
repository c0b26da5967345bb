// Masked by default, on SQLite and MariaDB: a counter clerk's list, CSV, workbench and slip show
// 138****8001; the complaint's page shows the full number only after a click by someone allowed to call
// owners, and that click is audited (who, when, which complaint); a cashier may not. Then a whole run
// through the plugin with its pino logger writing into this test: complaints registered with mobiles in
// every field, searched by full number and last four digits, revealed, refused, announced to staff and
// delivered to a webhook that fails once; no log line holds a full mobile number or the user token, and
// no staff notice or webhook body holds a full mobile number.
import { expect } from 'chai';
import { OWNER_NOTICE_TOPICS } from '../../src/notifications/outbox.js';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { signedHeaderAuth, signUserToken } from '../../src/auth/adapter.js';
import { createServerApp, listen, type RunningServer } from '../../src/http/server.js';
import { WebhookDeliverer } from '../../src/notifications/deliverer.js';
import { createLogger } from '../../src/observability/logger.js';
import { createComplaintsPlugin, type ComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody, planBody } from '../support/complaintData.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { staff, startPageHarness, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { people } from '../support/pluginHarness.js';

const FULL = '13800138001';
const MASKED = '138****8001';
/** Any full mainland mobile number, with or without +86 and separators. */
const ANY_FULL_MOBILE = /(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)/;

function intakeForm(): Record<string, string> {
  return {
    unitId: '101',
    ownerId: '1',
    complainantName: '张伟',
    complainantPhone: FULL,
    complainantRelation: 'owner',
    channel: 'counter',
    category: 'facilities',
    description: '电梯停运，老人被困。',
    idempotencyKey: crypto.randomUUID(),
  };
}

for (const kind of databaseKinds) {
  describe(`privacy: masked pages and the audited reveal (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;
    let counter: PageClient;
    let supervisor: PageClient;
    let cashier: PageClient;
    let id: number;
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      await counter.signIn(staff.counter);
      supervisor = h.client();
      await supervisor.signIn(staff.supervisor);
      cashier = h.client();
      await cashier.signIn(staff.cashier);
      await counter.get('/new?unit=101');
      const res = await counter.post('/new', intakeForm());
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      id = Number(/\/c\/(\d+)\/slip/.exec(res.location!)![1]);
    });
    after(async () => h?.close());

    it("shows a counter clerk's list, CSV, workbench and slip with the number masked; the list still finds it by the number typed", async () => {
      const list = await counter.get('/list');
      expect(list.status).to.equal(200);
      expect(list.text).to.contain(MASKED).and.not.contain(FULL);
      for (const q of [FULL, '138001']) {
        const found = await counter.get(`/list?q=${q}`);
        // The search box keeps what was typed; the rows show the number masked.
        expect(found.text, q).to.contain(MASKED);
        expect(found.text.replace(/(?:value|href)="[^"]*"/g, ''), q).to.not.contain(FULL);
      }
      const csv = await counter.get('/list.csv');
      expect(csv.status).to.equal(200);
      expect(csv.headers.get('content-type')).to.contain('text/csv');
      expect(csv.headers.get('content-disposition')).to.contain('attachment');
      const line = csv.text.split('\r\n').find((l) => l.includes('张伟'))!;
      expect(line).to.contain(MASKED);
      expect(csv.text).to.not.match(ANY_FULL_MOBILE);
      for (const path of ['/', `/c/${id}/slip`, `/c/${id}`]) {
        const page = await counter.get(path);
        expect(page.status, path).to.equal(200);
        expect(page.text, path).to.not.contain(FULL);
      }
    });

    it("reveals the full number on the complaint's page to a supervisor after a click, and audits who, when and which complaint", async () => {
      const page = await supervisor.get(`/c/${id}`);
      expect(page.text).to.contain(MASKED).and.contain(`/c/${id}/contact`);
      expect(page.text).to.not.contain(FULL);
      const before = Number(((await h.db('cmp_events').where({ action: 'contact_revealed' }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const revealed = await supervisor.post(`/c/${id}/contact`, {});
      expect(revealed.status).to.equal(200);
      expect(revealed.headers.get('cache-control')).to.contain('no-store');
      expect(revealed.text).to.contain(FULL);
      expect(revealed.text).to.contain('已显示完整号码');
      const events = (await h.db('cmp_events').where({ action: 'contact_revealed' }).orderBy('id')) as Array<Record<string, any>>;
      expect(events).to.have.length(before + 1);
      const last = events[events.length - 1]!;
      expect([last.entity_type, Number(last.complaint_id), last.actor_id, last.actor_name]).to.deep.equal([
        'complaint',
        id,
        staff.supervisor.id,
        staff.supervisor.name,
      ]);
      expect(new Date(`${String(last.at).replace(' ', 'T')}Z`).getTime()).to.equal(h.clock.now().getTime());
      // The timeline names it; reading the page again shows the number masked again.
      const again = await supervisor.get(`/c/${id}`);
      expect(again.text).to.contain('查看完整手机号');
      expect(again.text).to.not.contain(FULL);
    });

    it('refuses the reveal to a cashier (no permission), records nothing and offers no button', async () => {
      const page = await cashier.get(`/c/${id}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.not.contain(`/c/${id}/contact`);
      expect(page.text).to.not.contain(FULL);
      const count = async () =>
        Number(((await h.db('cmp_events').where({ action: 'contact_revealed' }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const before = await count();
      const refused = await cashier.post(`/c/${id}/contact`, {});
      expect(refused.status).to.equal(403);
      expect(refused.text).to.not.contain(FULL);
      expect(await count()).to.equal(before);
    });

    it("lets an administrator download one owner's data and refuses an erasure without confirmation, keeping the typed id", async () => {
      const admin = h.client();
      await admin.signIn(staff.admin);
      expect((await admin.get('/admin/privacy')).status).to.equal(200);
      const file = await admin.get('/admin/privacy/export?ownerId=1');
      expect(file.status).to.equal(200);
      expect(file.headers.get('content-disposition')).to.contain('attachment').and.contain('owner-1-');
      const data = JSON.parse(file.text) as { ownerId: string; complaints: Array<{ complainantPhone: string }> };
      expect(data.ownerId).to.equal('1');
      expect(data.complaints.map((c) => c.complainantPhone)).to.deep.equal([FULL]);
      const bad = await admin.get(`/admin/privacy/export?ownerId=${encodeURIComponent('1 OR 1=1')}`);
      expect(bad.status).to.equal(422);
      expect(bad.text).to.contain('id="err-ownerId"').and.contain('业主编号').and.contain('value="1 OR 1&#x3D;1"');
      await admin.get('/admin/privacy');
      const unconfirmed = await admin.post('/admin/privacy/anonymise', { ownerId: '1' });
      expect(unconfirmed.status).to.equal(422);
      expect(unconfirmed.text).to.contain('id="err-confirm"').and.contain('value="1"');
      expect((await h.db('cmp_complaints').where({ id }).first()).complainant_phone).to.equal(FULL);
      expect((await counter.get('/admin/privacy')).status).to.equal(403);
    });
  });

  describe(`privacy: no full mobile number or token in any log line, staff notice or webhook (${kind.kind})`, function () {
    this.timeout(60_000);
    const SECRET = 'privacy-log-test-shared-secret-012345';
    let t: TestDatabase;
    let plugin: ComplaintsPlugin;
    let server: RunningServer;
    const lines: string[] = [];
    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
      plugin = createComplaintsPlugin({ knex: t.db as Knex, mapping: simpleHost.mapping, auth: signedHeaderAuth(SECRET), serviceSecret: SECRET, logger });
      await plugin.install();
      server = await listen(createServerApp(plugin), 0);
    });
    after(async () => {
      await server?.close();
      await t?.drop();
    });

    it('writes masked numbers and redacted tokens only, across a run of registrations, searches, a reveal, refusals and deliveries', async () => {
      const url = (path: string) => `${server.url}/complaints${path}`;
      const counterToken = signUserToken(people.counter, SECRET, 3600);
      const supervisorToken = signUserToken(people.supervisor, SECRET, 3600);
      const json = (token: string) => ({ 'x-complaints-user': token, 'content-type': 'application/json' });

      const created = await fetch(url('/api/complaints'), {
        method: 'POST',
        headers: { ...json(counterToken), 'idempotency-key': 'privacy-log-1' },
        body: JSON.stringify(
          intakeBody('101', { complainantPhone: FULL, description: `业主来电 ${FULL}，邻居 +86 139-0013-9002 也反映电梯停运`, expectation: `回电 ${FULL}` }),
        ),
      });
      expect(created.status).to.equal(201);
      const complaint = ((await created.json()) as { complaint: { id: number; version: number; complainantPhone: string } }).complaint;
      expect(complaint.complainantPhone).to.equal(MASKED);

      for (const q of [FULL, '1380013']) {
        const found = await fetch(url(`/api/complaints?q=${q}`), { headers: json(counterToken) });
        expect(found.status).to.equal(200);
        const body = (await found.json()) as { items: Array<{ id: number; complainantPhone: string }> };
        expect(
          body.items.map((c) => c.id),
          q,
        ).to.include(complaint.id);
        expect(JSON.stringify(body)).to.not.contain(FULL);
      }
      // The unit search finds the owner's unit by the full number and by its last four digits, and shows the number masked.
      for (const q of [FULL, '8001']) {
        const units = await fetch(url(`/units.json?q=${q}`), { headers: json(counterToken) });
        expect(units.status).to.equal(200);
        const unitsText = await units.text();
        expect(
          (JSON.parse(unitsText) as { units: Array<{ id: string }> }).units.map((u) => u.id),
          q,
        ).to.include('101');
        expect(unitsText).to.contain('138****8001');
        expect(unitsText).to.not.contain(FULL);
      }

      const reveal = await fetch(url(`/api/complaints/${complaint.id}/contact`), { method: 'POST', headers: json(supervisorToken) });
      expect(reveal.status).to.equal(200);
      expect(((await reveal.json()) as { phone: string }).phone).to.equal(FULL);
      const cashierToken = signUserToken(people.cashier, SECRET, 3600);
      expect((await fetch(url(`/api/complaints/${complaint.id}/contact`), { method: 'POST', headers: json(cashierToken) })).status).to.equal(403);
      // Refused input that quotes a phone number and a token in the URL.
      const refused = await fetch(url(`/api/complaints?phone=${FULL}&access_token=${encodeURIComponent(counterToken)}`), { headers: json(counterToken) });
      expect(refused.status).to.equal(400);

      // Staff notices with a phone typed into the plan's measures; delivered to a webhook that fails once.
      const assessed = await plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        people.supervisor,
      );
      await plugin.complaints.transition(
        assessed.id,
        'plan',
        {
          ...planBody,
          version: assessed.version,
          measures: `工程部联系业主 ${FULL} 上门检修`,
          deadline: new Date(Date.now() + 3 * 86400_000).toISOString(),
        },
        people.supervisor,
      );
      // The audit trail through the API: the plan's measures quoted the number; the answer masks it.
      const trail = await fetch(url(`/api/complaints/${complaint.id}/events`), { headers: json(supervisorToken) });
      const trailText = await trail.text();
      expect(trail.status).to.equal(200);
      expect(trailText)
        .to.contain(MASKED)
        .and.match(/"at":"20\d\d-/);
      expect(trailText).to.not.match(ANY_FULL_MOBILE);
      const bodies: string[] = [];
      let calls = 0;
      const hook = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          bodies.push(body);
          res.statusCode = calls++ === 0 ? 500 : 200;
          res.end(calls === 1 ? `bad gateway for ${FULL}` : 'ok');
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      try {
        const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
        const deliverer = new WebhookDeliverer(plugin.context, {
          url: hookUrl,
          baseBackoffMs: 0,
          maxBackoffMs: 0,
          log: (message, err) => plugin.logger.error(err === undefined ? {} : { err }, message),
        });
        await deliverer.deliverPending();
        await deliverer.deliverPending();
      } finally {
        await new Promise<void>((resolve) => hook.close(() => resolve()));
      }
      // Owner notices (SMS / WeChat to the owner) are the one kind that carries the full number: the host needs it.
      const rows = (await t.db(plugin.context.tables.outbox).select('topic', 'payload')) as Array<{ topic: string; payload: string }>;
      const payloads = rows.filter((r) => !OWNER_NOTICE_TOPICS.includes(r.topic)).map((r) => r.payload);
      expect(payloads.length).to.be.greaterThan(0);
      expect(payloads.join('\n')).to.contain(MASKED);
      expect(payloads.join('\n')).to.not.match(ANY_FULL_MOBILE);
      const ownerNotices = rows.filter((r) => OWNER_NOTICE_TOPICS.includes(r.topic));
      expect(ownerNotices.length).to.be.greaterThan(0);
      for (const n of ownerNotices) expect(n.payload).to.match(ANY_FULL_MOBILE);
      // The first delivery failed (and was logged, quoting the hook's answer), the retry went through.
      expect(bodies.length).to.be.greaterThan(1);
      expect(lines.some((l) => l.includes('webhook delivery'))).to.equal(true);
      const staffBodies = bodies.filter((b) => !OWNER_NOTICE_TOPICS.includes((JSON.parse(b) as { topic: string }).topic));
      expect(staffBodies.length).to.be.greaterThan(0);
      expect(staffBodies.join('\n')).to.not.match(ANY_FULL_MOBILE);

      const all = lines.join('');
      expect(lines.length).to.be.greaterThan(5);
      expect(all).to.contain('138****8001');
      expect(all, all.match(ANY_FULL_MOBILE)?.[0]).to.not.match(ANY_FULL_MOBILE);
      for (const token of [counterToken, supervisorToken, cashierToken]) {
        expect(all).to.not.contain(token);
        for (const part of token.split('.')) expect(all).to.not.contain(part);
      }
    });
  });
}

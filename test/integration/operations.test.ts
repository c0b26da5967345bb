// Operations, through the plugin as a host mounts it and a real HTTP server: request ids on every log
// line of a request, no phone number or token in full in any line, /healthz, /readyz (a database that
// does not answer, pending migrations, an outbox backlog over the threshold, draining) and /metrics (off
// by default, its own bearer token, counters that move with billing calls, retries and deliveries).
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { signedHeaderAuth, signUserToken } from '../../src/auth/adapter.js';
import { ValidationError } from '../../src/common/errors.js';
import { createDb } from '../../src/db/connection.js';
import { reportTransactionEvent } from '../../src/db/transactionEvents.js';
import { createServerApp, listen, type RunningServer } from '../../src/http/server.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import { enqueue, countUndelivered } from '../../src/notifications/outbox.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { createComplaintsPlugin, type ComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';

const SECRET = 'operations-test-shared-secret-0123';
const METRICS_TOKEN = 'metrics-token-for-the-scraper-0123456789';
const PHONE = '13812345678';

interface Stack {
  plugin: ComplaintsPlugin;
  server: RunningServer;
  /** Every JSON line the plugin's logger wrote. */
  lines: string[];
  url(path: string): string;
}

async function startStack(db: Knex, options: { install?: boolean; schedule?: Manifest['cron'] } = {}): Promise<Stack> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping: simpleHost.mapping,
    auth: signedHeaderAuth(SECRET),
    serviceSecret: SECRET,
    logger,
    ...(options.schedule ? { schedule: options.schedule } : {}),
  });
  if (options.install !== false) await plugin.install();
  const server = await listen(createServerApp(plugin), 0);
  return { plugin, server, lines, url: (path) => `${server.url}/complaints${path}` };
}

function parsed(lines: string[]): Array<Record<string, any>> {
  return lines.map((l) => JSON.parse(l) as Record<string, any>);
}

/** The value of one sample in Prometheus text (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const kind of databaseKinds) {
  describe(`operations: logs, health, readiness, metrics (${kind.kind})`, function () {
    this.timeout(60_000);
    let t: TestDatabase;
    let s: Stack;
    const billing = (path: string, body: unknown) => {
      const text = JSON.stringify(body);
      return fetch(s.url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signServiceRequest(SECRET, { method: 'POST', path: new URL(s.url(path)).pathname, body: text }) },
        body: text,
      });
    };
    const scrape = async () => {
      const res = await fetch(s.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status, await res.clone().text()).to.equal(200);
      return res.text();
    };

    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      s = await startStack(t.db);
    });
    after(async () => {
      await s?.server.close();
      await t?.drop();
    });

    it('gives every request an id (the caller’s when sane), echoes it, and puts it on every log line of the request, the error lines included', async () => {
      const own = await fetch(s.url('/healthz'), { headers: { 'x-request-id': 'erp-pay-20261206.0042' } });
      expect(own.headers.get('x-request-id')).to.equal('erp-pay-20261206.0042');
      const none = await fetch(s.url('/healthz'));
      expect(none.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const insane = await fetch(s.url('/healthz'), { headers: { 'x-request-id': 'x'.repeat(129) } });
      expect(insane.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const markup = await fetch(s.url('/healthz'), { headers: { 'x-request-id': '<script>alert(1)</script>' } });
      expect(markup.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);

      // A real failure inside a request: the complaints table is moved away, so the phone search fails
      // with the database's own message, which quotes the SQL and the phone number typed.
      await t.db.schema.renameTable('cmp_complaints', 'cmp_complaints_away');
      const token = signUserToken(people.counter, SECRET, 3600);
      s.lines.length = 0;
      try {
        const res = await fetch(s.url(`/api/complaints?q=${PHONE}`), { headers: { 'x-complaints-user': token, 'x-request-id': 'req-phone-search-1' } });
        expect(res.status).to.equal(500);
        expect(res.headers.get('x-request-id')).to.equal('req-phone-search-1');
      } finally {
        await t.db.schema.renameTable('cmp_complaints_away', 'cmp_complaints');
      }
      const lines = parsed(s.lines);
      expect(lines.length, s.lines.join('')).to.be.greaterThanOrEqual(2);
      expect(lines.map((l) => l.reqId)).to.deep.equal(lines.map(() => 'req-phone-search-1'));
      // A page that fails the same way: its error line (with the reference the page shows) and its answer
      // line carry the page request's id.
      await t.db.schema.renameTable('cmp_complaints', 'cmp_complaints_away');
      const pageLines = s.lines.length;
      try {
        const page = await fetch(s.url('/list'), { headers: { 'x-complaints-user': token, 'x-request-id': 'req-list-page-1' } });
        expect(page.status).to.equal(500);
      } finally {
        await t.db.schema.renameTable('cmp_complaints_away', 'cmp_complaints');
      }
      const pageLog = parsed(s.lines.slice(pageLines));
      const pageError = pageLog.find((l) => l.msg === 'page error');
      expect(pageError?.reference, s.lines.slice(pageLines).join('')).to.match(/^[0-9a-f]{8}$/);
      expect(pageLog.length).to.be.greaterThanOrEqual(2);
      expect(pageLog.map((l) => l.reqId)).to.deep.equal(pageLog.map(() => 'req-list-page-1'));
      const error = lines.find((l) => l.msg === 'unexpected error');
      expect(error?.level, s.lines.join('')).to.equal('error');
      expect(error!.err.message).to.contain('138****5678');
      const answered = lines.find((l) => l.req?.route === '/complaints/api/complaints');
      expect(answered?.res.statusCode).to.equal(500);
      expect(answered!.req.url).to.equal('/complaints/api/complaints?q=138****5678');
      expect(s.lines.join('')).to.not.contain(PHONE);
    });

    it('never writes a phone number or a token in full: a token put in the URL and a complaint registered with a phone', async () => {
      const token = signUserToken(people.counter, SECRET, 3600);
      s.lines.length = 0;
      const created = await fetch(s.url('/api/complaints'), {
        method: 'POST',
        headers: { 'x-complaints-user': token, 'content-type': 'application/json', 'idempotency-key': 'ops-log-1' },
        body: JSON.stringify(intakeBody('101', { complainantPhone: PHONE, description: `业主来电 ${PHONE}，电梯停运` })),
      });
      expect(created.status).to.equal(201);
      // A caller that puts its token in the query string (refused, but the line is written).
      const leaky = await fetch(s.url(`/api/complaints?access_token=${encodeURIComponent(token)}&phone=+86%20${PHONE}`), {
        headers: { 'x-complaints-user': token },
      });
      expect(leaky.status).to.equal(400);
      const all = s.lines.join('');
      expect(parsed(s.lines).length).to.equal(2);
      expect(all).to.not.contain(PHONE);
      expect(all).to.not.contain(token);
      expect(all).to.not.contain(token.split('.')[1]);
      expect(all).to.contain('[redacted]');
      expect(all).to.contain('138****5678');
    });

    it('answers healthz without the database and readyz with every check named', async () => {
      const health = await fetch(s.url('/healthz'));
      expect(health.status).to.equal(200);
      expect(((await health.json()) as { status: string }).status).to.equal('ok');
      const ready = await fetch(s.url('/readyz'));
      const body = (await ready.json()) as any;
      expect(ready.status, JSON.stringify(body)).to.equal(200);
      expect(body.status).to.equal('ready');
      expect(body.failed).to.deep.equal([]);
      expect(Object.keys(body.checks)).to.deep.equal(['draining', 'database', 'migrations', 'outbox']);
      expect(body.checks.outbox.limit).to.equal(10000);
    });

    it('answers readyz 503 naming the outbox when the backlog reaches readyOutboxBacklogMax, and 200 again below it', async () => {
      const tables = s.plugin.context.tables;
      const before = await countUndelivered(t.db, tables);
      await s.plugin.context.settings.update({ readyOutboxBacklogMax: before + 2 }, SYSTEM_ACTOR);
      expect((await fetch(s.url('/readyz'))).status).to.equal(200);
      await enqueue(t.db, tables, 'daily_digest', { note: 'ops test 1' }, new Date());
      await enqueue(t.db, tables, 'daily_digest', { note: 'ops test 2' }, new Date());
      const full = await fetch(s.url('/readyz?lang=en'));
      const body = (await full.json()) as any;
      expect(full.status).to.equal(503);
      expect(full.headers.get('retry-after')).to.equal('5');
      expect(body.failed).to.deep.equal(['outbox']);
      expect(body.checks.outbox).to.include({ ok: false, backlog: before + 2, limit: before + 2 });
      expect(body.checks.outbox.message.en).to.contain('check the webhook');
      expect(body.checks.database.ok).to.equal(true);
      await s.plugin.context.settings.update({ readyOutboxBacklogMax: before + 3 }, SYSTEM_ACTOR);
      expect((await fetch(s.url('/readyz'))).status).to.equal(200);
      await s.plugin.context.settings.update({ readyOutboxBacklogMax: 10000 }, SYSTEM_ACTOR);
    });

    it('keeps metrics off by default (404), refuses to enable them without a token, then wants the bearer token (401) and answers 200 with it', async () => {
      const off = await fetch(s.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(off.status).to.equal(404);
      expect(((await off.json()) as any).error.code).to.equal('metrics_disabled');
      let refused: unknown;
      try {
        await s.plugin.context.settings.update({ metricsEnabled: true }, SYSTEM_ACTOR);
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(ValidationError);
      expect((refused as ValidationError).fields.map((f) => f.field)).to.deep.equal(['metricsToken']);
      expect((await s.plugin.context.settings.get()).metricsEnabled).to.equal(false);

      await s.plugin.context.settings.update({ metricsEnabled: true, metricsToken: METRICS_TOKEN }, SYSTEM_ACTOR);
      const anonymous = await fetch(s.url('/metrics'));
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers.get('www-authenticate')).to.match(/^Bearer/);
      const wrong = await fetch(s.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}X` } });
      expect(wrong.status).to.equal(401);
      const shorter = await fetch(s.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, 10)}` } });
      expect(shorter.status).to.equal(401);
      const text = await scrape();
      expect(text).to.contain('# TYPE complaints_http_requests_total counter');
      expect(sample(text, 'complaints_http_requests_total', { route: '/complaints/metrics', method: 'GET', status: '401' })).to.equal(3);
      expect(sample(text, 'complaints_db_pool_connections', { state: 'max' })).to.be.greaterThan(0);
      expect(sample(text, 'complaints_outbox_backlog')).to.equal(await countUndelivered(t.db, s.plugin.context.tables));
      // The audit trail says the token was set, never what it is.
      const audit = await t.db(s.plugin.context.tables.events).where({ entity_type: 'settings' }).orderBy('id', 'desc').first();
      expect(String(audit.changes)).to.not.contain(METRICS_TOKEN);
    });

    it('moves the billing counters with signed billing calls: answers by code, fen applied and reversed (not again on a replay)', async () => {
      const { complaint } = await s.plugin.complaints.create(intakeBody('101'), people.counter);
      const assessed = await s.plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        people.supervisor,
      );
      const raised = await s.plugin.offsets.raise({ complaintId: assessed.id, amount: '30.00', reason: '电梯停运补偿' }, people.counter);
      const offset = await s.plugin.offsets.approve(raised.id, { version: raised.version }, people.director);
      const before = await scrape();
      const count = (text: string, operation: string, code: string) => sample(text, 'complaints_billing_answers_total', { operation, code });

      const check = await billing('/api/billing/check', {
        billId: '1001',
        offsets: [
          { offsetId: offset.id, amountFen: 1000 },
          { offsetId: offset.id, amountFen: 3001 },
        ],
      });
      expect(check.status).to.equal(200);
      const apply = { offsetId: offset.id, billId: '1001', amountFen: 1200, idempotencyKey: 'OPS-PAY-1' };
      expect((await billing('/api/billing/apply', apply)).status).to.equal(200);
      expect((await billing('/api/billing/apply', apply)).status, 'the replay').to.equal(200);
      const over = await billing('/api/billing/apply', { ...apply, amountFen: 2000, idempotencyKey: 'OPS-PAY-2' });
      expect(over.status).to.equal(409);
      const reverse = await billing('/api/billing/reverse', { idempotencyKey: 'OPS-PAY-1', billId: '1001', reversalKey: 'OPS-VOID-1' });
      expect(reverse.status, await reverse.clone().text()).to.equal(200);

      const after = await scrape();
      expect(count(after, 'check', 'allowed') - count(before, 'check', 'allowed')).to.equal(1);
      expect(count(after, 'check', 'exceeds_remaining') - count(before, 'check', 'exceeds_remaining')).to.equal(1);
      expect(count(after, 'apply', 'applied') - count(before, 'apply', 'applied')).to.equal(1);
      expect(count(after, 'apply', 'replayed') - count(before, 'apply', 'replayed')).to.equal(1);
      expect(count(after, 'apply', 'exceeds_remaining') - count(before, 'apply', 'exceeds_remaining')).to.equal(1);
      expect(count(after, 'reverse', 'reversed') - count(before, 'reverse', 'reversed')).to.equal(1);
      const fen = (text: string, direction: string) => sample(text, 'complaints_offset_fen_total', { direction });
      expect(fen(after, 'applied') - fen(before, 'applied')).to.equal(1200);
      expect(fen(after, 'reversed') - fen(before, 'reversed')).to.equal(1200);
      const route = { route: '/complaints/api/billing/apply', method: 'POST' };
      expect(
        sample(after, 'complaints_http_requests_total', { ...route, status: '200' }) -
          sample(before, 'complaints_http_requests_total', { ...route, status: '200' }),
      ).to.equal(2);
      expect(
        sample(after, 'complaints_http_requests_total', { ...route, status: '409' }) -
          sample(before, 'complaints_http_requests_total', { ...route, status: '409' }),
      ).to.equal(1);
      expect(
        sample(after, 'complaints_http_request_duration_seconds_count', route) - sample(before, 'complaints_http_request_duration_seconds_count', route),
      ).to.equal(3);
    });

    it('counts what the retry code reports for this database only: retries, retries run out, certification conflicts', async () => {
      const before = await scrape();
      reportTransactionEvent(t.db, { kind: 'retry', cause: '1213', certificationConflict: true, attempt: 1 });
      reportTransactionEvent(t.db, { kind: 'retry', cause: '1205', certificationConflict: false, attempt: 1 });
      reportTransactionEvent(t.db, { kind: 'gave_up', cause: '1213', certificationConflict: true, attempt: 5 });
      const other = createDb('sqlite::memory:');
      reportTransactionEvent(other, { kind: 'retry', cause: '1213', certificationConflict: true, attempt: 1 });
      await other.destroy();
      const after = await scrape();
      const diff = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
      expect(diff('complaints_transaction_retries_total', { cause: '1213' })).to.equal(1);
      expect(diff('complaints_transaction_retries_total', { cause: '1205' })).to.equal(1);
      expect(diff('complaints_transaction_retries_exhausted_total', { cause: '1213' })).to.equal(1);
      expect(diff('complaints_certification_conflicts_total')).to.equal(2);
    });

    it('counts job runs by job and result, and logs each run with its slot', async () => {
      // A second instance on the same database whose follow-up job runs every second (plugin.json has it hourly).
      const every = await startStack(t.db, {
        install: false,
        schedule: [{ name: 'follow-ups', schedule: '* * * * * *', description: { 'zh-CN': '回访', en: 'Follow-ups' } }],
      });
      try {
        await every.plugin.context.settings.update({ metricsEnabled: true, metricsToken: METRICS_TOKEN }, SYSTEM_ACTOR);
        const runs = async () => {
          const res = await fetch(every.url('/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
          return sample(await res.text(), 'complaints_job_runs_total', { job: 'follow-ups', result: 'ok' });
        };
        expect(await runs()).to.equal(0);
        await every.plugin.start();
        await waitUntil(async () => (await runs()) >= 2);
        await every.plugin.stop();
        const ran = parsed(every.lines).filter((l) => l.msg === 'job ran' && l.job === 'follow-ups');
        expect(ran.length).to.be.greaterThanOrEqual(2);
        expect(ran[0]!.slot).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        // Each slot was claimed once: the job-run table holds one row per slot.
        const slots = await t.db(s.plugin.context.tables.jobRuns).where({ job: 'follow-ups' }).select('slot');
        expect(new Set(slots.map((r) => String(r.slot))).size).to.equal(slots.length);
      } finally {
        await every.plugin.stop();
        await every.server.close();
      }
    });

    it('counts webhook deliveries and their failures, and the backlog falls as notices are delivered', async () => {
      let answer = 500;
      const received: string[] = [];
      const hook = createServer((req, res) => {
        received.push(String(req.headers['x-complaints-delivery']));
        req.resume();
        req.on('end', () => res.writeHead(answer).end());
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      const tables = s.plugin.context.tables;
      await enqueue(t.db, tables, 'daily_digest', { note: 'delivery metrics' }, new Date(Date.now() - 1000));
      try {
        await s.plugin.context.settings.update({ webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }, SYSTEM_ACTOR);
        const before = await scrape();
        const failed = (text: string) =>
          sample(text, 'complaints_outbox_deliveries_total', { result: 'failed' }) - sample(before, 'complaints_outbox_deliveries_total', { result: 'failed' });
        await s.plugin.start();
        await waitUntil(async () => failed(await scrape()) >= 1);
        await s.plugin.stop();
        expect(received.length).to.be.greaterThanOrEqual(1);

        // The host's webhook is back: what is due now is delivered and counted.
        answer = 200;
        await t.db(tables.outbox).whereNull('delivered_at').update({ available_at: '2000-01-01 00:00:00.000' });
        const waiting = await countUndelivered(t.db, tables);
        expect(waiting).to.be.greaterThan(0);
        await s.plugin.start();
        await waitUntil(async () => (await countUndelivered(t.db, tables)) === 0);
        await s.plugin.stop();
        const after = await scrape();
        expect(
          sample(after, 'complaints_outbox_deliveries_total', { result: 'delivered' }) -
            sample(before, 'complaints_outbox_deliveries_total', { result: 'delivered' }),
        ).to.equal(waiting);
        expect(sample(after, 'complaints_outbox_backlog')).to.equal(0);
      } finally {
        await s.plugin.stop();
        await s.plugin.context.settings.update({ webhookUrl: null }, SYSTEM_ACTOR);
        await s.plugin.start();
        await s.plugin.stop();
        await new Promise((r) => hook.close(r));
      }
    });

    it('answers readyz 503 (draining) once shutdown begins, while healthz still answers', async () => {
      s.plugin.markDraining();
      try {
        const ready = await fetch(s.url('/readyz'));
        const body = (await ready.json()) as any;
        expect(ready.status).to.equal(503);
        expect(body.failed).to.deep.equal(['draining']);
        expect((await fetch(s.url('/healthz'))).status).to.equal(200);
      } finally {
        await s.plugin.start();
        await s.plugin.stop();
        await s.plugin.start(); // a started plugin is ready again
        await s.plugin.stop();
      }
      // stop() drains too; start() serves again.
      expect((await fetch(s.url('/readyz'))).status).to.equal(503);
      await s.plugin.start();
      expect((await fetch(s.url('/readyz'))).status).to.equal(200);
      await s.plugin.stop();
    });
  });
}

describe('operations: readiness of an instance whose database is not there or not installed', function () {
  this.timeout(30_000);

  it('answers readyz 503 naming the database when it refuses connections; healthz stays 200 and touches no database', async () => {
    // A port nothing listens on: the connection is refused, as when the database server is down.
    const db = createDb('mysql://root@127.0.0.1:9/complaints', { poolMax: 2 });
    const s = await startStack(db, { install: false });
    try {
      const health = await fetch(s.url('/healthz'));
      expect(health.status).to.equal(200);
      const ready = await fetch(s.url('/readyz?lang=en'));
      const body = (await ready.json()) as any;
      expect(ready.status).to.equal(503);
      expect(body.failed).to.deep.equal(['database']);
      expect(body.checks.database).to.include({ ok: false, cause: 'ECONNREFUSED' });
      expect(body.checks.migrations.ok).to.equal(null);
      expect(body.checks.outbox.ok).to.equal(null);
      const metrics = await fetch(s.url('/metrics'));
      expect(metrics.status).to.equal(503);
    } finally {
      await s.server.close();
      await db.destroy();
    }
  });

  for (const kind of databaseKinds) {
    it(`answers readyz 503 naming the migrations before install, 200 after (${kind.kind})`, async () => {
      const t = await kind.create();
      await simpleHost.create(t.db);
      const s = await startStack(t.db, { install: false });
      try {
        const ready = await fetch(s.url('/readyz'));
        const body = (await ready.json()) as any;
        expect(ready.status).to.equal(503);
        expect(body.failed).to.deep.equal(['migrations']);
        expect(body.checks.migrations.installed).to.equal(false);
        expect(body.checks.migrations.pending.length).to.be.greaterThan(0);
        await s.plugin.install();
        expect((await fetch(s.url('/readyz'))).status).to.equal(200);
      } finally {
        await s.server.close();
        await t.drop();
      }
    });
  }
});

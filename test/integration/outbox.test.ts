// The outbox against a real local webhook: written with the change or not at all, kept through a
// failing webhook and a restart, delivered once each, signed, and shared safely by two deliverers.
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { toDbTime } from '../../src/db/time.js';
import { WebhookDeliverer, signature } from '../../src/notifications/deliverer.js';
import { enqueue, listUndelivered } from '../../src/notifications/outbox.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { jobContext, migrate, outboxRows, setSettings } from '../support/jobsHarness.js';

interface Hit {
  id: number;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook on 127.0.0.1 answering with the next status of a script (then 200), recording every hit. */
async function startWebhook(script: number[]): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      const status = script.shift() ?? 200;
      hits.push({ id: Number(req.headers['x-complaints-delivery']), status, headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, server };
}

const delivered = (hits: Hit[]) =>
  hits
    .filter((h) => h.status === 200)
    .map((h) => h.id)
    .sort((a, b) => a - b);

for (const kind of databaseKinds) {
  describe(`outbox delivery (${kind.kind})`, function () {
    let t: TestDatabase;
    let clock: ManualClock;
    let ctx: ReturnType<typeof jobContext>;
    let server: Server | undefined;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
    });
    after(async () => t?.drop());
    beforeEach(async () => {
      clock = new ManualClock('2026-10-08T02:00:00Z');
      ctx = jobContext(t.db, clock);
      await t.db(ctx.tables.outbox).del();
    });
    afterEach(async () => {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      server = undefined;
    });

    async function enqueueThree(): Promise<number[]> {
      for (const n of [1, 2, 3])
        await t.db.transaction((trx) => enqueue(trx, ctx.tables, 'assigned', { complaintId: n, code: `TS-20261008-000${n}` }, clock.now()));
      return (await outboxRows(ctx)).map((r) => Number(r.id));
    }

    it('is written with the transaction or not at all', async () => {
      await t.db
        .transaction(async (trx) => {
          await enqueue(trx, ctx.tables, 'escalated', { complaintId: 1 }, clock.now());
          throw new Error('the change failed');
        })
        .catch(() => undefined);
      expect(await outboxRows(ctx)).to.have.length(0);
      expect(await t.db.transaction((trx) => enqueue(trx, ctx.tables, 'overdue', { complaintId: 1 }, clock.now(), { dedupeKey: 'k1' }))).to.equal(true);
      expect(await t.db.transaction((trx) => enqueue(trx, ctx.tables, 'overdue', { complaintId: 1 }, clock.now(), { dedupeKey: 'k1' }))).to.equal(false);
      expect(await outboxRows(ctx)).to.have.length(1);
    });

    it('keeps messages through a failing webhook and a restart, then delivers each once, signed', async () => {
      const hook = await startWebhook([500]);
      server = hook.server;
      await setSettings(ctx, { webhookUrl: hook.url, webhookSecret: 's3cret' });
      const ids = await enqueueThree();

      const first = new WebhookDeliverer(ctx, { baseBackoffMs: 60_000 });
      expect(await first.deliverPending()).to.deep.include({ delivered: 0, failed: 1 });
      const [failedRow] = await outboxRows(ctx);
      expect(failedRow).to.include({ attempts: 1, last_error: 'HTTP 500' });
      expect(failedRow!.delivered_at).to.equal(null);
      expect(String(failedRow!.available_at) > toDbTime(clock.now())).to.equal(true);

      // A restart: a new deliverer over the same rows. The failed row waits for its backoff.
      const restarted = new WebhookDeliverer(jobContext(t.db, clock), { baseBackoffMs: 60_000 });
      const beforeBackoff = await restarted.deliverPending();
      expect(beforeBackoff).to.deep.include({ delivered: 2, failed: 0 });
      expect((await listUndelivered(t.db, ctx.tables)).map((m) => m.id)).to.deep.equal([ids[0]]);

      clock.advance(2 * 60_000);
      expect(await restarted.deliverPending()).to.deep.include({ delivered: 1 });
      expect(await restarted.deliverPending()).to.deep.include({ delivered: 0, failed: 0 });
      expect(await listUndelivered(t.db, ctx.tables)).to.deep.equal([]);
      expect(delivered(hook.hits)).to.deep.equal(ids);
      expect(hook.hits.map((h) => h.status)).to.deep.equal([500, 200, 200, 200]);

      for (const hit of hook.hits) {
        const stamp = String(hit.headers['x-complaints-timestamp']);
        expect(hit.headers['x-complaints-signature']).to.equal(signature('s3cret', stamp, hit.body));
        expect(JSON.parse(hit.body)).to.include({ id: hit.id, topic: 'assigned' });
      }
      const retried = (await outboxRows(ctx)).find((r) => Number(r.id) === ids[0])!;
      expect(retried).to.include({ attempts: 2, last_error: null });
      await setSettings(ctx, { webhookUrl: null, webhookSecret: null });
    });

    it('records an unreachable webhook as a failure and loses nothing', async () => {
      const hook = await startWebhook([]);
      const url = hook.url;
      await new Promise((r) => hook.server.close(r));
      await enqueueThree();
      const deliverer = new WebhookDeliverer(ctx, { url, timeoutMs: 2000 });
      const report = await deliverer.deliverPending();
      expect(report).to.deep.include({ delivered: 0, failed: 1 });
      expect(String((await outboxRows(ctx))[0]!.last_error)).to.match(/ECONNREFUSED|fetch failed/);
      expect(await listUndelivered(t.db, ctx.tables)).to.have.length(3);
    });

    it('leaves messages in place while no webhook is configured', async () => {
      await enqueueThree();
      const report = await new WebhookDeliverer(ctx).deliverPending();
      expect(report.noWebhook).to.equal(true);
      expect(await listUndelivered(t.db, ctx.tables)).to.have.length(3);
    });

    it('lets two deliverers share the outbox without sending a message twice', async () => {
      const hook = await startWebhook([]);
      server = hook.server;
      for (let n = 0; n < 20; n++) await enqueue(t.db, ctx.tables, 'follow_up_due', { complaintId: n }, clock.now());
      const a = new WebhookDeliverer(jobContext(t.db, clock), { url: hook.url });
      const b = new WebhookDeliverer(jobContext(t.db, clock), { url: hook.url });
      const [ra, rb] = await Promise.all([a.deliverPending(), b.deliverPending()]);
      expect(ra.delivered + rb.delivered).to.equal(20);
      expect(hook.hits).to.have.length(20);
      expect(new Set(hook.hits.map((h) => h.id)).size).to.equal(20);
    });

    it('polls until stopped', async () => {
      const hook = await startWebhook([]);
      server = hook.server;
      const deliverer = new WebhookDeliverer(ctx, { url: hook.url, intervalMs: 20 });
      deliverer.start();
      await enqueueThree();
      for (let i = 0; i < 100 && hook.hits.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      await deliverer.stop();
      expect(hook.hits).to.have.length(3);
    });
  });
}

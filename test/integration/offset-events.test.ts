// Offset events reach the host's webhook (a real one on 127.0.0.1) on both databases: applied, reversed,
// revoked, expired and withdrawn, each with the bill, the amount in fen and in yuan text, the payment key,
// the offset and its complaint code, signed; written in the money change's transaction, so a refused
// apply or a host transaction rolled back announces nothing, and lapses of money never approved are
// not announced at all.
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { expireOffsetsJob } from '../../src/jobs/expireOffsets.js';
import { WebhookDeliverer, signature } from '../../src/notifications/deliverer.js';
import { listUndelivered } from '../../src/notifications/outbox.js';
import { OFFSET_EVENT_TOPICS, type OffsetEventPayload } from '../../src/offsets/events.js';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, countRows, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, manager, cashier } = people;
const SECRET = 'webhook-secret-for-offset-events';
const EVENT_TOPICS = new Set<string>(Object.values(OFFSET_EVENT_TOPICS));

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook on 127.0.0.1 that acknowledges everything and records what it got. */
async function startWebhook(): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/erp/offset-events`, hits, server };
}

for (const kind of databaseKinds) {
  describe(`offset events to the host's webhook (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let hook: Awaited<ReturnType<typeof startWebhook>>;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      hook = await startWebhook();
      await h.ctx.settings.update({ webhookUrl: hook.url, webhookSecret: SECRET }, SYSTEM_ACTOR);
    });
    after(async () => {
      await new Promise((r) => hook?.server.close(r));
      await h?.close();
    });
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    /** Delivers the whole outbox and returns the offset events the webhook got, in order, checking each signature. */
    async function deliveredEvents(): Promise<Array<{ topic: string; payload: OffsetEventPayload }>> {
      const deliverer = new WebhookDeliverer(h.ctx, { timeoutMs: 5000 });
      for (let i = 0; i < 20; i++) if ((await deliverer.deliverPending()).delivered === 0) break;
      expect(await listUndelivered(h.db, h.ctx.tables)).to.deep.equal([]);
      const out: Array<{ topic: string; payload: OffsetEventPayload }> = [];
      for (const hit of hook.hits.splice(0)) {
        expect(hit.headers['x-complaints-signature']).to.equal(signature(SECRET, String(hit.headers['x-complaints-timestamp']), hit.body));
        const message = JSON.parse(hit.body) as { topic: string; payload: OffsetEventPayload };
        if (EVENT_TOPICS.has(message.topic)) out.push({ topic: message.topic, payload: message.payload });
      }
      return out;
    }

    it('announces an application and its reversal with the bill, the amounts, the payment key and the complaint', async () => {
      const leak = await assessedComplaint(h, '101');
      const offset = await approvedOffset(h, leak.id, '20');
      await deliveredEvents(); // the request and approval notices are not offset events
      const key = `PAY-${kind.kind}-events-1`;
      await h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 1234, idempotencyKey: key }, cashier);
      // A replay changes nothing and announces nothing.
      await h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 1234, idempotencyKey: key }, cashier);
      await h.offsets.reverse({ idempotencyKey: key, reversalKey: `VOID-${kind.kind}-1`, billId: '1001' }, cashier);
      await h.offsets.reverse({ idempotencyKey: key, reversalKey: `VOID-${kind.kind}-1`, billId: '1001' }, cashier);

      const events = await deliveredEvents();
      expect(events.map((e) => e.topic)).to.deep.equal(['offset_applied', 'offset_reversed']);
      const [applied, reversed] = events.map((e) => e.payload);
      expect(applied).to.deep.include({
        event: 'applied',
        offsetId: offset.id,
        complaintId: leak.id,
        complaintCode: leak.code,
        communityId: '1',
        unitId: '101',
        billId: '1001',
        amountFen: 1234,
        amountYuan: '12.34',
        paymentKey: key,
        reversalKey: null,
        offsetStatus: 'approved',
        remainingFen: 766,
        remainingYuan: '7.66',
        restoredTo: null,
        operatorId: cashier.id,
        operatorName: cashier.name,
      });
      expect(applied!.applicationId).to.be.a('number');
      expect(reversed).to.deep.include({
        event: 'reversed',
        billId: '1001',
        amountFen: 1234,
        amountYuan: '12.34',
        paymentKey: key,
        reversalKey: `VOID-${kind.kind}-1`,
        applicationId: applied!.applicationId,
        remainingFen: 2000,
        restoredTo: 'remaining',
      });
    });

    it('announces nothing for a refused application or one whose host transaction rolled back', async () => {
      const leak = await assessedComplaint(h, '101');
      const offset = await approvedOffset(h, leak.id, '3');
      await deliveredEvents();
      await refused(
        h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 999, idempotencyKey: `PAY-${kind.kind}-too-much` }, cashier),
        'exceeds_remaining',
      );
      await refused(h.offsets.apply({ offsetId: offset.id, billId: '1003', amountFen: 100, idempotencyKey: `PAY-${kind.kind}-paid` }, cashier), 'bill_paid');
      const rolledBack = `PAY-${kind.kind}-rolled-back`;
      await h.db
        .transaction(async (trx) => {
          await h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 100, idempotencyKey: rolledBack }, cashier, { trx });
          throw new Error('the host payment failed');
        })
        .catch((err: Error) => expect(err.message).to.equal('the host payment failed'));
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: rolledBack })).to.equal(0);
      expect(await deliveredEvents()).to.deep.equal([]);
      // Inside a host transaction that commits, the event commits with the payment.
      const committed = `PAY-${kind.kind}-committed`;
      await h.db.transaction((trx) => h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 100, idempotencyKey: committed }, cashier, { trx }));
      expect((await deliveredEvents()).map((e) => [e.topic, e.payload.paymentKey, e.payload.amountFen])).to.deep.equal([['offset_applied', committed, 100]]);
    });

    it('announces what could no longer be deducted: revoked, expired and withdrawn remainders, and a reversal into a revoked offset', async () => {
      const leak = await assessedComplaint(h, '101');
      const revokedLater = await approvedOffset(h, leak.id, '20');
      await h.offsets.apply({ offsetId: revokedLater.id, billId: '1001', amountFen: 500, idempotencyKey: `PAY-${kind.kind}-before-revoke` }, cashier);
      const lapsing = await approvedOffset(h, leak.id, '8', { expiresOn: '2026-11-30' });
      await h.offsets.raise({ complaintId: leak.id, amount: '4', reason: '从未审批', expiresOn: '2026-11-30' }, counter);
      const other = await assessedComplaint(h, '102');
      const withdrawn = await approvedOffset(h, other.id, '9');
      const partlyUsed = await approvedOffset(h, other.id, '10');
      const usedKey = `PAY-${kind.kind}-partly-used`;
      await h.offsets.apply({ offsetId: partlyUsed.id, billId: '1005', amountFen: 400, idempotencyKey: usedKey }, cashier);
      await h.offsets.raise({ complaintId: other.id, amount: '2', reason: '待审批' }, counter);
      await deliveredEvents();

      const current = await h.offsets.get(revokedLater.id, manager);
      await h.offsets.revoke(revokedLater.id, { note: '业主改选现金赔付', version: current.offset.version }, manager);
      h.clock.set('2026-12-01T02:00:00Z');
      expect(await expireOffsetsJob.run(h.ctx, h.clock.now())).to.deep.equal({ expired: 2 });
      const fresh = (await h.complaints.get(other.id, supervisor)).complaint;
      await h.complaints.transition(other.id, 'cancel', { version: fresh.version, cancelKind: 'duplicate', reason: '重复登记' }, supervisor);
      await h.offsets.reverse({ idempotencyKey: usedKey, reversalKey: `VOID-${kind.kind}-partly-used`, billId: '1005' }, cashier);

      const events = (await deliveredEvents()).map((e) => e.payload);
      expect(events.map((e) => [e.event, e.offsetId, e.amountFen, e.amountYuan, e.billId, e.paymentKey])).to.deep.equal([
        ['revoked', revokedLater.id, 1500, '15.00', null, null],
        ['expired', lapsing.id, 800, '8.00', null, null],
        ['withdrawn', withdrawn.id, 900, '9.00', null, null],
        ['withdrawn', partlyUsed.id, 600, '6.00', null, null],
        ['reversed', partlyUsed.id, 400, '4.00', '1005', usedKey],
      ]);
      expect(events.map((e) => e.complaintCode)).to.deep.equal([leak.code, leak.code, other.code, other.code, other.code]);
      expect(events[1]).to.include({ operatorId: 'system', offsetStatus: 'expired' });
      expect(events[2]).to.include({ operatorId: supervisor.id, offsetStatus: 'revoked', remainingFen: 0 });
      // The voided payment's 4 yuan went back to a withdrawn offset: it can never be used again.
      expect(events[4]).to.include({ restoredTo: 'revoked', remainingFen: 0, offsetStatus: 'revoked' });
    });
  });
}

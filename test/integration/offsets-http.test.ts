// The offsets over HTTP on both databases: the user routes with their permissions and the idempotent
// request, and the billing routes for ERPs in other languages, whose service signature is accepted only
// when it is present, fresh and made over exactly what was sent.
import { expect } from 'chai';
import Koa from 'koa';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people, person } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, countRows, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { apiErrorMiddleware } from '../../src/http/apiErrors.js';
import { billingApiRouter } from '../../src/http/api/offsets.js';
import { listen } from '../../src/http/server.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/http/serviceSignature.js';
import type { Complaint } from '../../src/complaints/types.js';

const { counter, supervisor, manager, cashier } = people;
const MINUTE = 60_000;

for (const kind of databaseKinds) {
  describe(`offsets over HTTP (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let leak: Complaint;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      leak = await assessedComplaint(h, '101', { threatenedWithholding: true });
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    describe('user routes', () => {
      it('need a signed-in person', async () => {
        for (const [method, path] of [
          ['GET', '/api/offsets'],
          ['POST', '/api/offsets'],
          ['POST', '/api/offsets/check'],
          ['GET', '/api/offsets/reconcile'],
        ] as const) {
          const res = await h.api(method, path, method === 'POST' ? { body: {} } : {});
          expect(res.status, `${method} ${path}`).to.equal(401);
          expect(res.body.error.code).to.equal('unauthenticated');
        }
      });

      it('request an offset (201, Location), replay an idempotency key (200) and refuse it for other content (409)', async () => {
        const body = { complaintId: leak.id, amount: '120.50', reason: '阳台漏水一个月未修复', billIds: ['1001'] };
        const created = await h.api('POST', '/api/offsets', { as: counter, body, headers: { 'Idempotency-Key': 'form-1' } });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        expect(created.headers.get('location')).to.equal(`/complaints/api/offsets/${created.body.offset.id}`);
        expect(created.body.offset).to.include({
          requestedFen: 12050,
          requestedYuan: '120.50',
          status: 'requested',
          approvedYuan: null,
          remainingYuan: '0.00',
        });
        const replay = await h.api('POST', '/api/offsets', { as: counter, body, headers: { 'Idempotency-Key': 'form-1' } });
        expect(replay.status).to.equal(200);
        expect(replay.headers.get('idempotent-replayed')).to.equal('true');
        expect(replay.body.offset.id).to.equal(created.body.offset.id);
        // The key may travel in the body as well; both must agree.
        expect((await h.api('POST', '/api/offsets', { as: counter, body: { ...body, idempotencyKey: 'form-1' } })).status).to.equal(200);
        const disagree = await h.api('POST', '/api/offsets', {
          as: counter,
          body: { ...body, idempotencyKey: 'form-2' },
          headers: { 'Idempotency-Key': 'form-1' },
        });
        expect(disagree.status).to.equal(400);
        const other = await h.api('POST', '/api/offsets', {
          as: counter,
          body: { ...body, amount: '99' },
          headers: { 'Idempotency-Key': 'form-1' },
          lang: 'en',
        });
        expect(other.status).to.equal(409);
        expect(other.body.error).to.include({ code: 'idempotency_key_reused', offsetId: created.body.offset.id });
        expect(other.body.error.message).to.match(/idempotency key/i);
        expect(await countRows(h.db, h.ctx.tables.offsets, { request_key: 'form-1' })).to.equal(1);
        const bad = await h.api('POST', '/api/offsets', { as: counter, body: { ...body, amount: '12.345' }, lang: 'en' });
        expect(bad.status).to.equal(400);
        expect(bad.body.error.fields.map((f: { field: string }) => f.field)).to.include('amount');
      });

      it("let only the right people decide: approve, reject and revoke by role, never one's own", async () => {
        const raise = async (as = counter, amount = '50') =>
          (await h.api('POST', '/api/offsets', { as, body: { complaintId: leak.id, amount, reason: '补偿' } })).body.offset;
        expect((await h.api('POST', '/api/offsets', { as: cashier, body: { complaintId: leak.id, amount: '5', reason: '补偿' } })).status).to.equal(403);
        const o = await raise();
        expect((await h.api('POST', `/api/offsets/${o.id}/approve`, { as: counter, body: {} })).status).to.equal(403);
        expect((await h.api('POST', `/api/offsets/${o.id}/approve`, { as: cashier, body: {} })).status).to.equal(403);
        const own = await raise(supervisor);
        const ownRes = await h.api('POST', `/api/offsets/${own.id}/approve`, { as: supervisor, body: {} });
        expect(ownRes.status).to.equal(403);
        expect(ownRes.body.error.code).to.equal('own_request');
        const big = await raise(counter, '800');
        const over = await h.api('POST', `/api/offsets/${big.id}/approve`, { as: supervisor, body: { version: big.version } });
        expect(over.status).to.equal(403);
        expect(over.body.error).to.include({ code: 'over_approval_limit', limitFen: 50000, amountFen: 80000 });
        const smaller = await h.api('POST', `/api/offsets/${big.id}/approve`, {
          as: supervisor,
          body: { amount: '500', note: '按实际损失', version: big.version },
        });
        expect(smaller.status).to.equal(200);
        expect(smaller.body.offset).to.include({ approvedFen: 50000, approvedYuan: '500.00', status: 'approved' });
        const stale = await h.api('POST', `/api/offsets/${o.id}/approve`, { as: manager, body: { version: o.version + 5 } });
        expect(stale.status).to.equal(409);
        expect(stale.body.error.code).to.equal('stale_version');
        expect((await h.api('POST', `/api/offsets/${o.id}/reject`, { as: manager, body: {} })).status).to.equal(400);
        const rejected = await h.api('POST', `/api/offsets/${o.id}/reject`, { as: manager, body: { note: '改为保险赔付' } });
        expect(rejected.body.offset.status).to.equal('rejected');
        expect((await h.api('POST', `/api/offsets/${big.id}/revoke`, { as: cashier, body: { note: 'x' } })).status).to.equal(403);
        const revoked = await h.api('POST', `/api/offsets/${big.id}/revoke`, { as: manager, body: { note: '业主改选现金赔付' } });
        expect(revoked.status).to.equal(200);
        expect(revoked.body.offset.status).to.equal('revoked');
        expect((await h.api('POST', '/api/offsets/abc/approve', { as: manager, body: {} })).status).to.equal(404);
        expect((await h.api('POST', '/api/offsets/999999/approve', { as: manager, body: {} })).status).to.equal(404);
      });

      it("list and read offsets within the reader's communities, with the audit trail", async () => {
        const o = await approvedOffset(h, leak.id, '8');
        const list = await h.api('GET', `/api/offsets?complaintId=${leak.id}&status=approved`, { as: supervisor });
        expect(list.status).to.equal(200);
        expect(list.body.items.map((x: { id: number }) => x.id)).to.include(o.id);
        expect(list.body.items.every((x: { status: string; complaintCode: string }) => x.status === 'approved' && x.complaintCode === leak.code)).to.equal(
          true,
        );
        const detail = await h.api('GET', `/api/offsets/${o.id}`, { as: cashier });
        expect(detail.status).to.equal(200);
        expect(detail.body.offset).to.include({ id: o.id, approvedYuan: '8.00', effectiveStatus: 'approved' });
        expect(detail.body.events.map((e: { action: string }) => e.action)).to.deep.equal(['request', 'approve']);
        const outsider = person('supervisor', 'sup-2', '二区主管', ['2']);
        expect((await h.api('GET', `/api/offsets/${o.id}`, { as: outsider })).status).to.equal(404);
        expect((await h.api('GET', `/api/offsets?complaintId=${leak.id}`, { as: outsider })).body.items).to.deep.equal([]);
        expect((await h.api('GET', `/api/offsets/${o.id}`, { as: person('guest', 'g-1', '访客') })).status).to.equal(403);
        expect((await h.api('GET', '/api/offsets?status=nonsense', { as: supervisor })).status).to.equal(400);
      });

      it("give cashiers the check, the applicable offsets and a bill's applications; reconcile needs report.view", async () => {
        const o = await approvedOffset(h, leak.id, '20');
        expect((await h.api('POST', '/api/offsets/check', { as: counter, body: { billId: '1001', offsets: [] } })).status).to.equal(403);
        const check = await h.api('POST', '/api/offsets/check', {
          as: cashier,
          body: { billId: '1001', offsets: [{ offsetId: o.id, amountFen: 2000 }] },
          lang: 'en',
        });
        expect(check.status).to.equal(200);
        expect(check.body).to.include({ billId: '1001', found: true, collectible: true, allAllowed: true, amountFen: 12050 });
        expect(check.body.warnings.map((w: { code: string }) => w.code)).to.include.members(['open_complaint', 'withholding_threat']);
        expect(check.body.offsets[0].message.en).to.equal('Allowed');
        const applicable = await h.api('GET', '/api/offsets/applicable?billId=1001', { as: cashier });
        expect(applicable.body.offsets.map((x: { id: number }) => x.id)).to.include(o.id);
        expect((await h.api('GET', '/api/offsets/applicable?billId=1001', { as: counter })).status).to.equal(403);
        await h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 700, idempotencyKey: `http-${kind.kind}-1` }, cashier);
        const apps = await h.api('GET', '/api/offsets/applications?billId=1001', { as: cashier });
        expect(apps.status).to.equal(200);
        expect(
          apps.body.applications.map((a: { idempotencyKey: string; amountFen: number; complaintCode: string }) => [
            a.idempotencyKey,
            a.amountFen,
            a.complaintCode,
          ]),
        ).to.deep.equal([[`http-${kind.kind}-1`, 700, leak.code]]);
        expect((await h.api('GET', '/api/offsets/reconcile', { as: cashier })).status).to.equal(403);
        const reconcile = await h.api('GET', '/api/offsets/reconcile', { as: supervisor });
        expect(reconcile.status).to.equal(200);
        expect(reconcile.body).to.include({ ok: true });
      });
    });

    describe('billing routes (signed by the ERP)', () => {
      it('accept a signed check, batch check, apply, replay, reverse and reconcile', async () => {
        const o = await approvedOffset(h, leak.id, '30');
        const check = await h.billing('POST', '/api/billing/check', { billId: '1001', offsets: [{ offsetId: o.id, amountFen: 1000 }] });
        expect(check.status, JSON.stringify(check.body)).to.equal(200);
        expect(check.body).to.include({ found: true, allAllowed: true });
        const batch = await h.billing('POST', '/api/billing/check-batch', {
          bills: [{ billId: '1001' }, { billId: '1004', offsets: [{ offsetId: o.id, amountFen: 1 }] }, { billId: 'nope' }],
        });
        expect(batch.status).to.equal(200);
        expect(batch.body.bills.map((b: { billId: string; found: boolean; allAllowed: boolean }) => [b.billId, b.found, b.allAllowed])).to.deep.equal([
          ['1001', true, true],
          ['1004', true, false],
          ['nope', false, true],
        ]);
        const payment = {
          offsetId: o.id,
          billId: '1001',
          amountFen: 1000,
          idempotencyKey: `PAY-${kind.kind}-0001`,
          operator: { id: 'erp-c01', name: '收银员赵静' },
        };
        const applied = await h.billing('POST', '/api/billing/apply', payment);
        expect(applied.status, JSON.stringify(applied.body)).to.equal(200);
        expect(applied.body).to.include({ offsetId: o.id, amountFen: 1000, remainingFen: 2000 });
        expect(await h.billing('POST', '/api/billing/apply', payment))
          .to.have.property('body')
          .that.deep.equals(applied.body);
        const event = await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id, action: 'apply' }).first();
        expect(event).to.include({ actor_id: 'erp-c01', actor_name: '收银员赵静' });
        const mismatch = await h.billing('POST', '/api/billing/apply', { ...payment, amountFen: 999 }, { headers: { 'accept-language': 'en' } });
        expect(mismatch.status).to.equal(409);
        expect(mismatch.body.error.code).to.equal('idempotency_mismatch');
        const reversed = await h.billing('POST', '/api/billing/reverse', { idempotencyKey: payment.idempotencyKey, reversalKey: `VOID-${kind.kind}-0001` });
        expect(reversed.status).to.equal(200);
        expect(reversed.body).to.include({ remainingFen: 3000, reversalKey: `VOID-${kind.kind}-0001` });
        const reconcile = await h.billing('GET', '/api/billing/reconcile');
        expect(reconcile.status).to.equal(200);
        expect(reconcile.body.ok).to.equal(true);
      });

      it("answer a refusal with its code and a message in the caller's language", async () => {
        const pending = await h.offsets.raise({ complaintId: leak.id, amount: '5', reason: '待审批' }, counter);
        const zh = await h.billing('POST', '/api/billing/apply', {
          offsetId: pending.id,
          billId: '1001',
          amountFen: 100,
          idempotencyKey: `PAY-${kind.kind}-0002`,
        });
        expect(zh.status).to.equal(409);
        expect(zh.body.error).to.include({ code: 'not_approved', refusal: 'not_approved' });
        expect(zh.body.error.message).to.contain('尚未批准');
        const en = await h.billing(
          'POST',
          '/api/billing/apply',
          { offsetId: pending.id, billId: '1001', amountFen: 100, idempotencyKey: `PAY-${kind.kind}-0002` },
          { headers: { 'accept-language': 'en' } },
        );
        expect(en.body.error.message).to.contain('has not been approved');
        const noBill = await h.billing('POST', '/api/billing/apply', {
          offsetId: pending.id,
          billId: '424242',
          amountFen: 100,
          idempotencyKey: `PAY-${kind.kind}-0003`,
        });
        expect(noBill.status).to.equal(404);
        expect(noBill.body.error.code).to.equal('bill_not_found');
        const bad = await h.billing('POST', '/api/billing/apply', { offsetId: pending.id, billId: '1001', amountFen: 0, idempotencyKey: ' padded ' });
        expect(bad.status).to.equal(400);
        expect(await countRows(h.db, h.ctx.tables.offsetApplications, { offset_id: pending.id })).to.equal(0);
      });

      it('refuse a missing, malformed, expired, tampered or wrongly keyed signature with 401, changing nothing', async () => {
        const o = await approvedOffset(h, leak.id, '9');
        const payment = { offsetId: o.id, billId: '1001', amountFen: 100, idempotencyKey: `PAY-${kind.kind}-sig` };
        const expectRefused = async (res: { status: number; body: any }, code: string) => {
          expect(res.status, JSON.stringify(res.body)).to.equal(401);
          expect(res.body.error.code).to.equal(code);
        };
        await expectRefused(await h.billing('POST', '/api/billing/apply', payment, { sign: false }), 'signature_missing');
        // A signed-in person's token does not open the billing routes.
        await expectRefused(
          await h.billing('POST', '/api/billing/apply', payment, { sign: false, headers: { 'x-complaints-user': h.tokenFor(cashier) } }),
          'signature_missing',
        );
        await expectRefused(
          await h.billing('POST', '/api/billing/apply', payment, {
            sign: false,
            headers: { [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)), [SIGNATURE_HEADER]: 'not-hex' },
          }),
          'signature_malformed',
        );
        await expectRefused(await h.billing('POST', '/api/billing/apply', payment, { nowMs: Date.now() - 6 * MINUTE }), 'signature_expired');
        await expectRefused(await h.billing('POST', '/api/billing/apply', payment, { nowMs: Date.now() + 6 * MINUTE }), 'signature_expired');
        await expectRefused(
          await h.billing('POST', '/api/billing/apply', payment, { tamper: (b) => b.replace('"amountFen":100', '"amountFen":900') }),
          'signature_invalid',
        );
        await expectRefused(await h.billing('POST', '/api/billing/apply', payment, { signedPath: '/api/billing/check' }), 'signature_invalid');
        await expectRefused(await h.billing('POST', '/api/billing/apply', payment, { secret: 'another-secret-of-some-length' }), 'signature_invalid');
        await expectRefused(await h.billing('GET', '/api/billing/reconcile', undefined, { sign: false }), 'signature_missing');
        expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(900);
        expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: payment.idempotencyKey })).to.equal(0);
        // Within the five minutes, the same request signed a little earlier is accepted.
        const ok = await h.billing('POST', '/api/billing/apply', payment, { nowMs: Date.now() - 4 * MINUTE });
        expect(ok.status).to.equal(200);
        expect(ok.body.remainingFen).to.equal(800);
      });

      it('answer 503 when no service secret is configured', async () => {
        const app = new Koa();
        app.use(apiErrorMiddleware(() => undefined));
        const router = billingApiRouter(h.ctx, {});
        app.use(router.routes());
        const server = await listen(app, 0, '127.0.0.1');
        try {
          const res = await fetch(`${server.url}/api/billing/reconcile`);
          expect(res.status).to.equal(503);
          expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('service_not_configured');
        } finally {
          await server.close();
        }
      });
    });
  });
}

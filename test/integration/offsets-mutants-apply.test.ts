// What the ERP's billing code is told when an application is refused, through the signed billing API:
// the refusal code, the figures it carries (offset, bill, amounts in fen, expiry date, the bill's own
// status) and the sentence in the caller's language; and what an accepted one writes to the audit trail.
// The mutation run (issue 22) found refusals whose figures could be emptied with no test noticing.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import type { Complaint } from '../../src/complaints/types.js';

for (const kind of databaseKinds) {
  describe(`offset applications: refusals with their figures, the audit row of an application (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let c: Complaint; // unit 101: bills 1001 (¥120.50, unpaid), 1003 (¥1.15, paid); 1004 is unit 102's
    let seq = 0;
    const key = (label: string) => `${kind.kind}-mut-${label}-${++seq}`;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      c = await assessedComplaint(h, '101');
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    async function applyInBoth(body: Record<string, unknown>): Promise<{ status: number; zh: any; en: any }> {
      const zh = await h.billing<any>('POST', '/api/billing/apply', body);
      const en = await h.billing<any>('POST', '/api/billing/apply', body, { headers: { 'accept-language': 'en' } });
      expect(en.status).to.equal(zh.status);
      return { status: zh.status, zh: zh.body.error, en: en.body.error };
    }

    it('a bill the host does not have: 404 bill_not_found naming the bill', async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      const r = await applyInBoth({ offsetId: o.id, billId: '999999', amountFen: 100, idempotencyKey: key('nobill') });
      expect(r.status).to.equal(404);
      expect(r.zh).to.include({ code: 'bill_not_found', refusal: 'bill_not_found', billId: '999999' });
      expect(r.zh.message).to.equal('账单 999999 不存在或已删除');
      expect(r.en.message).to.equal('Bill 999999 does not exist or was deleted');
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(1000);
    });

    it("an offset of another unit's complaint: other_unit with the offset, bill and amount", async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      const r = await applyInBoth({ offsetId: o.id, billId: '1004', amountFen: 300, idempotencyKey: key('unit') });
      expect(r.status).to.equal(409);
      expect(r.zh).to.include({ code: 'other_unit', offsetId: o.id, billId: '1004', amountFen: 300, remainingFen: 1000 });
      expect(r.en.message).to.equal('This offset belongs to another unit and cannot be used on this bill');
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(1000);
    });

    it('an expired offset: expired with its expiry date in the figures and the sentence', async () => {
      const o = await approvedOffset(h, c.id, '10.00', { expiresOn: '2026-11-30' });
      const start = h.clock.now();
      h.clock.set('2026-11-30T17:00:00.000Z'); // 2026-12-01 01:00 in Shanghai
      try {
        const r = await applyInBoth({ offsetId: o.id, billId: '1001', amountFen: 200, idempotencyKey: key('expired') });
        expect(r.status).to.equal(409);
        expect(r.zh).to.include({ code: 'expired', offsetId: o.id, billId: '1001', amountFen: 200, expiresOn: '2026-11-30' });
        expect(r.zh.message).to.equal('该抵扣已于 2026-11-30 过期');
        expect(r.en.message).to.equal('This offset expired on 2026-11-30');
      } finally {
        h.clock.set(start);
      }
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(1000);
    });

    it("a paid bill: bill_paid with the host's own status value", async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      const r = await applyInBoth({ offsetId: o.id, billId: '1003', amountFen: 100, idempotencyKey: key('paid') });
      expect(r.status).to.equal(409);
      expect(r.zh).to.include({ code: 'bill_paid', offsetId: o.id, billId: '1003', billStatus: 'paid' });
      expect(r.zh.message).to.equal('账单 1003 已缴清，不能再用抵扣减免');
    });

    it('more than is left: exceeds_remaining with both amounts in fen and in yuan', async () => {
      const o = await approvedOffset(h, c.id, '5.00');
      const r = await applyInBoth({ offsetId: o.id, billId: '1001', amountFen: 600, idempotencyKey: key('over') });
      expect(r.status).to.equal(409);
      expect(r.zh).to.include({ code: 'exceeds_remaining', offsetId: o.id, amountFen: 600, remainingFen: 500 });
      expect(r.zh.message).to.equal('抵扣金额 ¥6.00 超过剩余可抵扣金额 ¥5.00');
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(500);
    });

    it('an application writes one audit row: the remaining amount before and after, and the bill, payment id and amount', async () => {
      const o = await approvedOffset(h, c.id, '10.00');
      const k = key('audit');
      const ok = await h.billing<any>('POST', '/api/billing/apply', {
        offsetId: o.id,
        billId: '1001',
        amountFen: 350,
        idempotencyKey: k,
        operator: { id: 'erp-c07', name: '收银员钱多' },
      });
      expect(ok.status).to.equal(200);
      expect(ok.body).to.include({ offsetId: o.id, billId: '1001', amountFen: 350, remainingFen: 650 });
      const rows = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id, action: 'apply' })) as Array<Record<string, any>>;
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ complaint_id: c.id, actor_id: 'erp-c07', actor_name: '收银员钱多', note: `账单 1001 · 收款号 ${k} · ¥3.50` });
      expect(JSON.parse(rows[0]!.changes)).to.deep.equal({ remaining_fen: [1000, 650] });
    });

    it('a call that names no cashier is recorded as the billing system, in both languages', async () => {
      const o = await approvedOffset(h, c.id, '1.00');
      const ok = await h.billing<any>('POST', '/api/billing/apply', { offsetId: o.id, billId: '1001', amountFen: 100, idempotencyKey: key('nobody') });
      expect(ok.status).to.equal(200);
      const row = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id, action: 'apply' }).first()) as Record<string, any>;
      expect(row).to.include({ actor_id: 'billing', actor_name: '收费系统 / Billing' });
    });
  });
}

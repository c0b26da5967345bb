// The unit lookups an ERP's own screens make, over HTTP on both databases: find a unit by room, owner
// name, phone or its last four digits (scoped, bounded, refused in words when empty), and a unit's
// outstanding bills with the approved offsets that may go against each, answered exactly as the billing
// check answers; and both routes mounted by the plugin factory and described in its OpenAPI document.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people, person } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { unitsApiRouter } from '../../src/http/api/units.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { signUserToken, signedHeaderAuth } from '../../src/auth/adapter.js';
import { createServerApp, listen } from '../../src/http/server.js';
import type { Complaint } from '../../src/complaints/types.js';
import type { Offset } from '../../src/offsets/model.js';

const { counter, cashier, supervisor, manager } = people;
const ids = (body: { units: Array<{ id: string }> }) => body.units.map((u) => u.id);

for (const kind of databaseKinds) {
  describe(`units API for the ERP's screens (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost, { routers: (ctx) => [unitsApiRouter(ctx)] });
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    describe('GET /api/units?q=', () => {
      it('finds units by room label, owner name, full phone and the last four digits, live rows only', async () => {
        const byLabel = await h.api('GET', `/api/units?q=${encodeURIComponent('1-10')}`, { as: counter });
        expect(byLabel.status).to.equal(200);
        // 1-104 (unit 105) is soft-deleted.
        expect(ids(byLabel.body)).to.deep.equal(['101', '102', '104']);
        expect(byLabel.body).to.include({ query: '1-10', more: false });
        expect(byLabel.body.units[0]).to.deep.equal({
          id: '101',
          label: '1-101',
          communityId: '1',
          communityName: '阳光花园',
          owners: [{ id: '1', name: '张伟', phone: '13800138001' }],
        });
        // 张伟's other unit (105) is soft-deleted; the search text is trimmed.
        const lastFour = await h.api('GET', '/api/units?q=%208001%20', { as: cashier });
        expect(lastFour.body).to.include({ query: '8001' });
        expect(ids(lastFour.body)).to.deep.equal(['101']);
        expect(ids((await h.api('GET', `/api/units?q=${encodeURIComponent('王芳')}`, { as: counter })).body)).to.have.members(['102', '107']);
        expect(ids((await h.api('GET', '/api/units?q=13900139002', { as: counter })).body)).to.have.members(['102', '107']);
        // 李娜 is soft-deleted: her name finds nothing.
        expect(ids((await h.api('GET', `/api/units?q=${encodeURIComponent('李娜')}`, { as: counter })).body)).to.deep.equal([]);
        // % and _ are literal: "A_1" does not match "AB1".
        expect(ids((await h.api('GET', '/api/units?q=A_1', { as: counter })).body)).to.deep.equal(['106']);
      });

      it("stays in the searcher's communities and says when there are more than it returns", async () => {
        const second = person('counter_staff', 'counter-c2', '二区前台', ['2']);
        expect(ids((await h.api('GET', `/api/units?q=${encodeURIComponent('王芳')}`, { as: second })).body)).to.deep.equal(['107']);
        expect(ids((await h.api('GET', '/api/units?q=8001', { as: second })).body)).to.deep.equal([]);
        expect(ids((await h.api('GET', '/api/units?q=1-10', { as: person('counter_staff', 'nobody', '无小区', []) })).body)).to.deep.equal([]);
        const page = await h.api('GET', '/api/units?q=1-10&limit=2', { as: counter });
        expect(ids(page.body)).to.deep.equal(['101', '102']);
        expect(page.body.more).to.equal(true);
      });

      it('refuses an empty or over-long search, a bad limit and unknown parameters, naming the field in zh-CN and en', async () => {
        const empty = await h.api('GET', '/api/units?q=%20%20', { as: counter });
        expect(empty.status).to.equal(400);
        expect(empty.body.error.fields).to.deep.equal([{ field: 'q', message: '请输入房号、业主姓名或手机号（可只输后四位）' }]);
        const missing = await h.api('GET', '/api/units', { as: counter, lang: 'en' });
        expect(missing.status).to.equal(400);
        expect(missing.body.error.fields[0].field).to.equal('q');
        expect(missing.body.error.fields[0].message).to.match(/last four digits/);
        const long = await h.api('GET', `/api/units?q=${'8'.repeat(65)}`, { as: counter, lang: 'en' });
        expect(long.status).to.equal(400);
        expect(long.body.error.fields).to.deep.equal([{ field: 'q', message: 'The search text may be at most 64 characters' }]);
        for (const query of ['q=1&limit=0', 'q=1&limit=51', 'q=1&limit=x']) {
          const bad = await h.api('GET', `/api/units?${query}`, { as: counter });
          expect(bad.status, query).to.equal(400);
          expect(
            bad.body.error.fields.map((f: { field: string }) => f.field),
            query,
          ).to.deep.equal(['limit']);
        }
        const unknown = await h.api('GET', '/api/units?q=1&owner=2', { as: counter });
        expect(unknown.status).to.equal(400);
        expect(unknown.body.error.fields[0].field).to.equal('owner');
      });

      it('needs a signed-in person who registers complaints or collects fees', async () => {
        expect((await h.api('GET', '/api/units?q=1')).status).to.equal(401);
        for (const role of ['guest', 'director', 'administrator']) {
          const res = await h.api('GET', '/api/units?q=1', { as: person(role, `${role}-1`, role), lang: 'en' });
          expect(res.status, role).to.equal(403);
          expect(res.body.error.message).to.contain('complaint.create or offset.apply');
          expect((await h.api('GET', '/api/units/101/bills', { as: person(role, `${role}-1`, role) })).status, role).to.equal(403);
        }
        expect((await h.api('GET', '/api/units/101/bills', { as: manager })).status).to.equal(200);
      });
    });

    describe('GET /api/units/{id}/bills', () => {
      let leak: Complaint;
      let general: Offset;
      let limited: Offset;

      before(async () => {
        leak = await assessedComplaint(h, '101', { threatenedWithholding: true });
        general = await approvedOffset(h, leak.id, '20');
        limited = await approvedOffset(h, leak.id, '5', { billIds: ['1001'] });
        // Not offered: a request never approved, an approval revoked, and another unit's offset.
        await h.offsets.raise({ complaintId: leak.id, amount: '3', reason: '待审批' }, counter);
        const revoked = await approvedOffset(h, leak.id, '7');
        await h.offsets.revoke(revoked.id, { note: '改为现金赔付', version: revoked.version }, manager);
        const other = await assessedComplaint(h, '102');
        await approvedOffset(h, other.id, '9');
      });

      it('lists the outstanding bills, latest first, each with the approved offsets the check would allow and how much', async () => {
        const res = await h.api('GET', '/api/units/101/bills', { as: cashier });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.unit).to.include({ id: '101', label: '1-101', communityName: '阳光花园' });
        expect(res.body.more).to.equal(false);
        // 1003 is paid: not outstanding.
        expect(res.body.bills.map((b: { billId: string }) => b.billId)).to.deep.equal(['1002', '1001']);
        const [b1002, b1001] = res.body.bills;
        expect(b1001).to.include({
          period: '2024-01',
          amountFen: 12050,
          amountYuan: '120.50',
          paymentState: 'unpaid',
          hostStatus: 'unpaid',
          outstandingFen: 12050,
          appliedFen: 0,
          openToOffsetsFen: 12050,
          openToOffsetsYuan: '120.50',
        });
        expect(b1001.paymentStateLabel).to.have.property('zh-CN');
        expect(b1001.offsets.map((o: any) => [o.offsetId, o.remainingFen, o.mayApplyFen, o.mayApplyYuan, o.complaintCode])).to.deep.equal([
          [general.id, 2000, 2000, '20.00', leak.code],
          [limited.id, 500, 500, '5.00', leak.code],
        ]);
        // A ¥0.29 bill takes at most 29 fen of the ¥20 offset; the one limited to 1001 is not offered.
        expect(b1002.offsets.map((o: any) => [o.offsetId, o.mayApplyFen])).to.deep.equal([[general.id, 29]]);
        expect(res.body.warnings.map((w: { code: string }) => w.code)).to.have.members(['open_complaint', 'withholding_threat']);
      });

      it('shows what earlier payments took, and answers as the billing check does', async () => {
        await h.offsets.apply({ offsetId: general.id, billId: '1001', amountFen: 1500, idempotencyKey: `units-${kind.kind}-1` }, cashier);
        const res = await h.api('GET', '/api/units/101/bills', { as: supervisor, lang: 'en' });
        const b1001 = res.body.bills.find((b: { billId: string }) => b.billId === '1001');
        expect(b1001).to.include({ appliedFen: 1500, appliedYuan: '15.00', openToOffsetsFen: 10550 });
        expect(b1001.offsets.map((o: any) => [o.offsetId, o.remainingFen, o.mayApplyFen])).to.deep.equal([
          [general.id, 500, 500],
          [limited.id, 500, 500],
        ]);
        for (const bill of res.body.bills) {
          const check = await h.billing('POST', '/api/billing/check', {
            billId: bill.billId,
            offsets: bill.offsets.map((o: any) => ({ offsetId: o.offsetId, amountFen: o.mayApplyFen })).slice(0, 1),
          });
          expect(check.status).to.equal(200);
          expect(check.body).to.include({
            billId: bill.billId,
            paymentState: bill.paymentState,
            appliedFen: bill.appliedFen,
            openToOffsetsFen: bill.openToOffsetsFen,
            outstandingFen: bill.outstandingFen,
          });
          expect(check.body.allAllowed, bill.billId).to.equal(true);
        }
      });

      it("answers 404 for a unit that is missing, soft-deleted or outside the reader's communities; bounds the bills", async () => {
        const outsider = person('cashier', 'cash-2', '二区收银', ['2']);
        for (const [unit, as] of [
          ['101', outsider],
          ['999', cashier],
          ['105', cashier],
          ['x'.repeat(65), cashier],
        ] as const) {
          const res = await h.api('GET', `/api/units/${unit}/bills`, { as, lang: 'en' });
          expect(res.status, unit).to.equal(404);
          expect(res.body.error.code).to.equal('not_found');
        }
        const one = await h.api('GET', '/api/units/101/bills?limit=1', { as: cashier });
        expect(one.body.bills.map((b: { billId: string }) => b.billId)).to.deep.equal(['1002']);
        expect(one.body.more).to.equal(true);
        const bad = await h.api('GET', '/api/units/101/bills?limit=61', { as: cashier });
        expect(bad.status).to.equal(400);
        expect(bad.body.error.fields[0].field).to.equal('limit');
        // A unit in the other community, for someone who may see it: no offsets of 101 leak there.
        const unit102 = await h.api('GET', '/api/units/102/bills', { as: cashier });
        expect(unit102.body.bills.map((b: { billId: string; offsets: Array<{ offsetId: number }> }) => [b.billId, b.offsets.length])).to.deep.equal([
          ['1005', 1],
          ['1004', 1],
        ]);
      });
    });

    it('is mounted by the plugin factory and described in its OpenAPI document', async () => {
      const secret = 'units-api-secret-0123456789';
      const plugin = createComplaintsPlugin({ knex: h.db, mapping: simpleHost.mapping, auth: signedHeaderAuth(secret), clock: h.clock });
      const server = await listen(createServerApp(plugin), 0);
      try {
        const token = signUserToken(cashier, secret);
        const res = await fetch(`${server.url}/complaints/api/units?q=8001`, { headers: { 'X-Complaints-User': token } });
        expect(res.status).to.equal(200);
        expect(((await res.json()) as { units: Array<{ id: string }> }).units.map((u) => u.id)).to.deep.equal(['101']);
        const bills = await fetch(`${server.url}/complaints/api/units/101/bills`, { headers: { 'X-Complaints-User': token } });
        expect(bills.status).to.equal(200);
        const doc = (await (await fetch(`${server.url}/complaints/api/openapi.json`)).json()) as any;
        const search = doc.paths['/api/units'].get;
        expect(search.operationId).to.equal('searchUnits');
        expect(search.parameters.find((p: { name: string }) => p.name === 'q')).to.include({ in: 'query', required: true });
        const unitBills = doc.paths['/api/units/{id}/bills'].get;
        expect(unitBills.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).to.deep.equal(['path:id', 'query:limit']);
        expect(unitBills.responses['200'].content['application/json'].schema.properties.bills.items.properties).to.have.property('openToOffsetsFen');
      } finally {
        await server.close();
      }
    });
  });
}

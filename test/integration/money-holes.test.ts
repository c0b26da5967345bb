// Issue 13, hole by hole: each test goes through the path where the hole was found (signed billing API,
// JSON API, cashier page, in-process hook, user token) and asserts the behaviour that closes it, so it
// fails on the code before the fix. Where an existing suite already covers a hole exactly through its
// path, the test here is not repeated and the comment says where it lives. On SQLite and MariaDB.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { signToken } from '../../src/auth/signedToken.js';
import { USER_HEADER } from '../../src/auth/adapter.js';
import type { Complaint } from '../../src/complaints/types.js';
import { tableNames } from '../../src/db/tables.js';
import { databaseKinds } from '../support/databases.js';
import { HC, simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { people, person } from '../support/pluginHarness.js';
import {
  approvedOffset,
  assessedComplaint,
  countRows,
  offsetEvents,
  offsetRow,
  refused,
  startOffsetHarness,
  type OffsetHarness,
} from '../support/offsetData.js';
import { PAGE_SECRET, staff, startPageHarness, userHeader, type PageClient, type PageHarness } from '../support/pageHarness.js';

const { counter, supervisor, manager, cashier } = people;
const T = tableNames('cmp_');

for (const kind of databaseKinds) {
  describe(`money holes of issue 13 through the paths they were found (${kind.kind}, simpleHost)`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let seq = 0;
    const key = (label: string) => `${kind.kind}-${label}-${++seq}`;

    /** A fresh host bill (so no other test's applications count against it); returns its key. */
    async function newBill(unitId: number, amount: string, status = 'unpaid'): Promise<string> {
      const id = 600000 + ++seq;
      await h.db('bills').insert({ id, unit_id: unitId, amount, period: '2026-11', status });
      return String(id);
    }

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    // Hole 1. The service-level check and apply on the fixture's paid bill 1003 are in offsets-rules
    // ("answers every refusal code"); here through the signed billing API, and at the moment of the call.
    it("hole 1: the signed check answers bill_paid with the bill's status, and a signed apply on a bill paid since the check is refused", async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '10.00');
      const bill = await newBill(101, '50.00');

      const open = await h.billing('POST', '/api/billing/check', { billId: bill, offsets: [{ offsetId: o.id, amountFen: 500 }] });
      expect(open.status).to.equal(200);
      expect(open.body).to.include({
        billId: bill,
        allAllowed: true,
        paymentState: 'unpaid',
        hostStatus: 'unpaid',
        outstandingFen: 5000,
        openToOffsetsFen: 5000,
      });
      expect(open.body.paymentStateLabel).to.deep.equal({ 'zh-CN': '未缴', en: 'Unpaid' });

      // The owner pays at another window between the check and the apply.
      await h
        .db('bills')
        .where({ id: Number(bill) })
        .update({ status: 'paid' });
      const paid = await h.billing(
        'POST',
        '/api/billing/check',
        { billId: bill, offsets: [{ offsetId: o.id, amountFen: 500 }] },
        { headers: { 'accept-language': 'en' } },
      );
      expect(paid.status).to.equal(200);
      expect(paid.body).to.include({ allAllowed: false, collectible: true, paymentState: 'paid', hostStatus: 'paid', outstandingFen: 0, openToOffsetsFen: 0 });
      expect(paid.body.paymentStateLabel).to.deep.equal({ 'zh-CN': '已缴', en: 'Paid' });
      expect(paid.body.offsets[0]).to.include({ allowed: false, code: 'bill_paid' });
      expect(paid.body.offsets[0].message['zh-CN']).to.match(/[\u4e00-\u9fff]/);
      expect(paid.body.offsets[0].message.en).to.match(/paid/i);
      // Every check answer carries the status, the batch too.
      const batch = await h.billing('POST', '/api/billing/check-batch', { bills: [{ billId: bill }, { billId: '1001' }] });
      expect(batch.body.bills.map((b: { paymentState: string; hostStatus: string }) => [b.paymentState, b.hostStatus])).to.deep.equal([
        ['paid', 'paid'],
        ['unpaid', 'unpaid'],
      ]);

      const k = key('paid');
      const apply = await h.billing(
        'POST',
        '/api/billing/apply',
        { offsetId: o.id, billId: bill, amountFen: 500, idempotencyKey: k },
        { headers: { 'accept-language': 'en' } },
      );
      expect(apply.status).to.equal(409);
      expect(apply.body.error).to.include({ code: 'bill_paid', refusal: 'bill_paid', billId: bill, billStatus: 'paid' });
      expect(apply.body.error.message).to.match(/paid/i);
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(1000);
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { idempotency_key: k })).to.equal(0);
      expect(await countRows(h.db, h.ctx.tables.offsetBillLedger, { bill_id: bill })).to.equal(0);
      // The in-process hook refuses alike.
      await refused(h.offsets.apply({ offsetId: o.id, billId: bill, amountFen: 500, idempotencyKey: key('paid-hook') }, cashier), 'bill_paid', 409);
    });

    // Hole 2. The service-level split (four ¥400 requests, another supervisor, the manager) is in
    // offsets-rules ("bounds what one approver and one role approve"); here through the JSON API.
    it("hole 2: the JSON API refuses an approval split under the supervisor's limit with the total, the limit and who may approve", async () => {
      const c = await assessedComplaint(h, '101');
      const four = [];
      for (let i = 0; i < 4; i++) {
        const res = await h.api('POST', '/api/offsets', { as: counter, body: { complaintId: c.id, amount: '400', reason: `分拆 ${i + 1}` } });
        expect(res.status).to.equal(201);
        four.push(res.body.offset as { id: number; version: number });
      }
      const first = await h.api('POST', `/api/offsets/${four[0]!.id}/approve`, { as: supervisor, body: { version: four[0]!.version } });
      expect(first.status).to.equal(200);
      const before = await offsetRow(h.db, h, four[1]!.id);
      const second = await h.api('POST', `/api/offsets/${four[1]!.id}/approve`, { as: supervisor, body: { version: four[1]!.version } });
      expect(second.status).to.equal(403);
      expect(second.body.error).to.include({
        code: 'over_approval_limit',
        scope: 'approver',
        approvedFen: 40000,
        amountFen: 40000,
        totalFen: 80000,
        limitFen: 50000,
      });
      expect(second.body.error.mayApprove).to.be.an('array').that.is.not.empty;
      expect(second.body.error.message).to.contain('¥800.00').and.contain('¥500.00').and.contain('项目经理');
      const en = await h.api('POST', `/api/offsets/${four[2]!.id}/approve`, { as: supervisor, body: { version: four[2]!.version }, lang: 'en' });
      expect(en.status).to.equal(403);
      expect(en.body.error.message)
        .to.contain('¥800.00')
        .and.contain('¥500.00')
        .and.match(/Manager/);
      // Nothing changed: the request still waits, the supervisor's total is still ¥400.
      expect(await offsetRow(h.db, h, four[1]!.id)).to.deep.equal(before);
      const totals = (await h
        .db(h.ctx.tables.offsetApprovalTotals)
        .where({ complaint_id: c.id, scope: 'approver', scope_id: supervisor.id })
        .first()) as Record<string, unknown>;
      expect(Number(totals.approved_fen)).to.equal(40000);
      // The manager named in the refusal may approve it.
      const byManager = await h.api('POST', `/api/offsets/${four[1]!.id}/approve`, { as: manager, body: { version: four[1]!.version } });
      expect(byManager.status).to.equal(200);
      expect(byManager.body.offset).to.include({ status: 'approved', approvedFen: 40000, decidedRole: 'manager' });
    });

    it('hole 3: cancelling a complaint through the API withdraws its requested and approved offsets, audited with a notice; applied amounts stay', async () => {
      const c = await assessedComplaint(h, '101');
      const bill = await newBill(101, '100.00');
      const requested = await h.offsets.raise({ complaintId: c.id, amount: '5', reason: '待审批' }, counter);
      const unused = await approvedOffset(h, c.id, '20.00');
      const partly = await approvedOffset(h, c.id, '30.00');
      const used = await approvedOffset(h, c.id, '4.00');
      const k1 = key('cancel-partly');
      const k2 = key('cancel-used');
      expect((await h.billing('POST', '/api/billing/apply', { offsetId: partly.id, billId: bill, amountFen: 1200, idempotencyKey: k1 })).status).to.equal(200);
      expect((await h.billing('POST', '/api/billing/apply', { offsetId: used.id, billId: bill, amountFen: 400, idempotencyKey: k2 })).status).to.equal(200);
      const noticesBefore = await countRows(h.db, h.ctx.tables.outbox, { topic: 'offset_decided' });

      const current = (await h.api('GET', `/api/complaints/${c.id}`, { as: supervisor })).body.complaint as Complaint;
      const cancel = await h.api('POST', `/api/complaints/${c.id}/transitions/cancel`, {
        as: supervisor,
        body: { version: current.version, cancelKind: 'registered_in_error', reason: '误登记' },
      });
      expect(cancel.status, JSON.stringify(cancel.body)).to.equal(200);

      const rows = Object.fromEntries(await Promise.all([requested, unused, partly, used].map(async (o) => [o.id, await offsetRow(h.db, h, o.id)] as const)));
      const shape = (id: number) => [rows[id]!.status, Number(rows[id]!.remaining_fen), Number(rows[id]!.revoked_fen)];
      expect(shape(requested.id)).to.deep.equal(['revoked', 0, 0]);
      expect(shape(unused.id)).to.deep.equal(['revoked', 0, 2000]);
      expect(shape(partly.id)).to.deep.equal(['revoked', 0, 1800]);
      // Used up: nothing to withdraw; its application backs a payment and stays.
      expect(shape(used.id)).to.deep.equal(['exhausted', 0, 0]);
      // Applied money stays applied: the applications and the bill's ledger are untouched.
      const apps = (await h.db(h.ctx.tables.offsetApplications).whereIn('idempotency_key', [k1, k2]).orderBy('id')) as Array<Record<string, unknown>>;
      expect(apps.map((a) => [a.state, Number(a.amount_fen)])).to.deep.equal([
        ['applied', 1200],
        ['applied', 400],
      ]);
      expect((await h.billing('POST', '/api/billing/check', { billId: bill, offsets: [] })).body.appliedFen).to.equal(1600);

      // Audited: one withdrawal per offset, by the person who cancelled, with the amounts.
      for (const o of [requested, unused, partly]) expect((await offsetEvents(h, o.id)).at(-1)).to.deep.equal(['withdraw', supervisor.id]);
      expect((await offsetEvents(h, used.id)).map(([a]) => a)).to.not.include('withdraw');
      const withdraw = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: partly.id, action: 'withdraw' }).first()) as Record<
        string,
        unknown
      >;
      expect(JSON.parse(String(withdraw.changes))).to.deep.equal({ remaining_fen: [1800, 0], revoked_fen: [0, 1800] });
      // A notice to the requester for each withdrawn offset.
      const notices = (
        (await h.db(h.ctx.tables.outbox).where({ topic: 'offset_decided' }).orderBy('id').offset(noticesBefore)) as Array<Record<string, unknown>>
      ).map((r) => JSON.parse(String(r.payload)));
      expect(notices.map((n) => [n.offsetId, n.status, n.reason, n.requestedBy, n.revokedFen])).to.deep.equal([
        [requested.id, 'revoked', 'complaint_cancelled', counter.id, 0],
        [unused.id, 'revoked', 'complaint_cancelled', counter.id, 2000],
        [partly.id, 'revoked', 'complaint_cancelled', counter.id, 1800],
      ]);

      // Nothing of them can be used any more, by the API or the hook.
      const again = await h.billing('POST', '/api/billing/apply', { offsetId: unused.id, billId: bill, amountFen: 100, idempotencyKey: key('cancel-again') });
      expect(again.status).to.equal(409);
      expect(again.body.error.code).to.equal('revoked');
      await refused(h.offsets.apply({ offsetId: partly.id, billId: bill, amountFen: 100, idempotencyKey: key('cancel-again') }, cashier), 'revoked', 409);
      const approve = await h.api('POST', `/api/offsets/${requested.id}/approve`, { as: manager, body: {} });
      expect(approve.status).to.equal(409);
      expect(approve.body.error.code).to.equal('complaint_cancelled');
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    it("hole 4: a signed apply replayed after its reversal is refused already_reversed; every answer carries the application's state", async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '10.00');
      const bill = await newBill(101, '80.00');
      const payment = { offsetId: o.id, billId: bill, amountFen: 300, idempotencyKey: key('PAY') };
      const applied = await h.billing('POST', '/api/billing/apply', payment);
      expect(applied.status).to.equal(200);
      expect(applied.body).to.include({ state: 'applied', remainingFen: 700 });
      const replay = await h.billing('POST', '/api/billing/apply', payment);
      expect(replay.body).to.deep.equal(applied.body);

      const voidKey = key('VOID');
      const reversed = await h.billing('POST', '/api/billing/reverse', { idempotencyKey: payment.idempotencyKey, reversalKey: voidKey });
      expect(reversed.status).to.equal(200);
      expect(reversed.body).to.include({ state: 'reversed', remainingFen: 1000, reversalKey: voidKey });

      // The host retries the voided payment id: no deduction may be recorded on its strength.
      const retried = await h.billing('POST', '/api/billing/apply', payment, { headers: { 'accept-language': 'en' } });
      expect(retried.status).to.equal(409);
      expect(retried.body.error).to.include({
        code: 'already_reversed',
        refusal: 'already_reversed',
        offsetId: o.id,
        billId: bill,
        amountFen: 300,
        reversalKey: voidKey,
      });
      expect(retried.body.error.message).to.match(/revers/i);
      await refused(h.offsets.apply(payment, cashier), 'already_reversed', 409);
      // Nothing consumed again: one application, reversed; the offset whole; the bill's ledger at zero.
      expect(await countRows(h.db, h.ctx.tables.offsetApplications, { offset_id: o.id })).to.equal(1);
      expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(1000);
      expect((await h.billing('POST', '/api/billing/check', { billId: bill, offsets: [] })).body.appliedFen).to.equal(0);
      expect((await h.offsets.applications([payment.idempotencyKey])).map((a) => a.state)).to.deep.equal(['reversed']);
    });

    // Hole 5 (the cashier page and the in-process hook) is in the page suite below.
    // Hole 6 (user tokens) is in the page suite below: the lifetime cap is read from the plugin's settings.

    it('hole 7: after a partial signed apply, the API revokes the unused remainder; the applied amount stays and nothing more can be applied', async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '15.00');
      const bill = await newBill(101, '100.00');
      const k = key('PAY-part');
      expect((await h.billing('POST', '/api/billing/apply', { offsetId: o.id, billId: bill, amountFen: 100, idempotencyKey: k })).status).to.equal(200);
      const noticesBefore = await countRows(h.db, h.ctx.tables.outbox, { topic: 'offset_decided' });

      const revoke = await h.api('POST', `/api/offsets/${o.id}/revoke`, { as: supervisor, body: { note: '余额不再抵扣' } });
      expect(revoke.status, JSON.stringify(revoke.body)).to.equal(200);
      expect(revoke.body.offset).to.include({ status: 'revoked', approvedFen: 1500, remainingFen: 0, revokedFen: 1400 });
      expect(await offsetEvents(h, o.id)).to.deep.equal([
        ['request', counter.id],
        ['approve', people.director.id],
        ['apply', 'billing'],
        ['revoke', supervisor.id],
      ]);
      const notice = (await h.db(h.ctx.tables.outbox).where({ topic: 'offset_decided' }).orderBy('id').offset(noticesBefore).first()) as Record<
        string,
        unknown
      >;
      expect(JSON.parse(String(notice.payload))).to.include({ offsetId: o.id, status: 'revoked', revokedFen: 1400 });

      const more = await h.billing('POST', '/api/billing/apply', { offsetId: o.id, billId: bill, amountFen: 100, idempotencyKey: key('PAY-more') });
      expect(more.status).to.equal(409);
      expect(more.body.error.code).to.equal('revoked');
      expect((await h.offsets.applications([k])).map((a) => [a.state, a.amountFen])).to.deep.equal([['applied', 100]]);
      expect((await h.billing('POST', '/api/billing/check', { billId: bill, offsets: [] })).body.appliedFen).to.equal(100);
      // A second revoke finds nothing approved.
      const twice = await h.api('POST', `/api/offsets/${o.id}/revoke`, { as: supervisor, body: { note: '再撤' } });
      expect(twice.status).to.equal(409);
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });

    // Hole 8 (Galera) needs a multi-primary cluster; its single-server counterpart, the per-bill ledger
    // under concurrent applications, is in money-races.test.ts and offsets-money.test.ts.

    it('hole 9: reconciliation finds a tampered ledger and an over-applied bill, and shows each only to those who see its community', async () => {
      const mine = await assessedComplaint(h, '101'); // community 1
      const theirs = await assessedComplaint(h, '103'); // community 2
      const billMine = await newBill(101, '120.00');
      const billTheirs = await newBill(103, '50.00');
      const a = await approvedOffset(h, mine.id, '60.00');
      const b = await approvedOffset(h, theirs.id, '40.00');
      await h.offsets.apply({ offsetId: a.id, billId: billMine, amountFen: 5000, idempotencyKey: key('rec-a') }, cashier);
      await h.offsets.apply({ offsetId: b.id, billId: billTheirs, amountFen: 4000, idempotencyKey: key('rec-b') }, cashier);
      expect((await h.billing('GET', '/api/billing/reconcile')).body.ok).to.equal(true);

      const ledger = h.ctx.tables.offsetBillLedger;
      try {
        // Someone edits the ledger of one bill by hand, and the host lowers the other bill below its offsets.
        await h.db(ledger).where({ bill_id: billMine }).update({ applied_fen: 4000 });
        await h
          .db('bills')
          .where({ id: Number(billTheirs) })
          .update({ amount: '30.00' });

        const all = await h.billing('GET', '/api/billing/reconcile');
        expect(all.status).to.equal(200);
        expect(all.body.ok).to.equal(false);
        expect(all.body.mismatches).to.deep.equal([]);
        expect(all.body.billMismatches).to.deep.equal([
          { billId: billMine, ledgerFen: 4000, appliedFen: 5000, billAmountFen: 12000, problem: 'ledger_differs' },
          { billId: billTheirs, ledgerFen: 4000, appliedFen: 4000, billAmountFen: 3000, problem: 'over_bill' },
        ]);

        const seenBy = async (communityIds: string[] | null) => {
          const res = await h.api('GET', '/api/offsets/reconcile', {
            as: person('supervisor', `rec-${communityIds?.join('-') ?? 'all'}`, '对账主管', communityIds),
          });
          expect(res.status).to.equal(200);
          return res.body as { ok: boolean; billMismatches: Array<{ billId: string }>; offsetsChecked: number };
        };
        const one = await seenBy(['1']);
        expect(one.ok).to.equal(false);
        expect(one.billMismatches.map((m) => m.billId)).to.deep.equal([billMine]);
        const two = await seenBy(['2']);
        expect(two.billMismatches.map((m) => m.billId)).to.deep.equal([billTheirs]);
        expect((await seenBy(null)).billMismatches.map((m) => m.billId)).to.deep.equal([billMine, billTheirs]);
        // A community with neither sees a clean report.
        const none = await seenBy(['99']);
        expect(none).to.include({ ok: true, offsetsChecked: 0 });
        expect(none.billMismatches).to.deep.equal([]);
      } finally {
        await h.db(ledger).where({ bill_id: billMine }).update({ applied_fen: 5000 });
        await h
          .db('bills')
          .where({ id: Number(billTheirs) })
          .update({ amount: '50.00' });
      }
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });
  });

  describe(`money holes of issue 13: one bill typed three ways (${kind.kind}, stringIdHost)`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    const BILL = 'B20261128000001';

    before(async function () {
      // SQLite compares keys byte for byte, so "b2026…" is another (missing) bill there: nothing to fold.
      if (kind.kind !== 'mariadb') this.skip();
      h = await startOffsetHarness(kind, stringIdHost);
      await h.db('pay_fee').insert({ fee_id: BILL, payer_obj_id: HC.room.twoOwners, amount: 50000, state: '2008001', status_cd: '0' });
    });
    after(async () => h?.close());
    afterEach(() => expect(h?.unexpectedErrors ?? [], 'no 500s').to.deep.equal([]));

    it('hole 10: "b2026…", "B2026… " and "B2026…" are one bill, stored and answered under the host\'s own key', async () => {
      const c = await assessedComplaint(h, HC.room.twoOwners);
      const o = await approvedOffset(h, c.id, '10.00');
      const typed = [BILL.toLowerCase(), `${BILL} `, BILL];
      const answers = [];
      for (const [i, billId] of typed.entries()) {
        const res = await h.billing('POST', '/api/billing/apply', { offsetId: o.id, billId, amountFen: 100, idempotencyKey: `PAY-CASE-${i}` });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        answers.push(res.body as { billId: string });
      }
      expect(answers.map((a) => a.billId)).to.deep.equal([BILL, BILL, BILL]);
      const rows = (await h.db(h.ctx.tables.offsetApplications).where({ offset_id: o.id }).orderBy('id')) as Array<Record<string, unknown>>;
      expect(rows.map((r) => r.bill_id)).to.deep.equal([BILL, BILL, BILL]);
      // One ledger row, by the host's key, holding all three.
      const ledger = (await h.db(h.ctx.tables.offsetBillLedger).select('bill_id', 'applied_fen')) as Array<Record<string, unknown>>;
      expect(ledger.map((r) => [r.bill_id, Number(r.applied_fen)])).to.deep.equal([[BILL, 300]]);
      // The check answers with the host's key and counts all three, however it is asked.
      for (const billId of typed) {
        const check = await h.billing('POST', '/api/billing/check', { billId, offsets: [] });
        expect(check.body).to.include({ billId: BILL, found: true, appliedFen: 300 });
      }
      // A retry typed another way is the same payment (a replay), not a mismatch.
      const retry = await h.billing('POST', '/api/billing/apply', { offsetId: o.id, billId: BILL, amountFen: 100, idempotencyKey: 'PAY-CASE-0' });
      expect(retry.status).to.equal(200);
      expect(retry.body).to.deep.equal(answers[0]);
      // A request limited to the bill stores its host key too, and a reversal naming it typed otherwise matches.
      const limited = await h.offsets.raise({ complaintId: c.id, amount: '1', reason: '限定账单', billIds: [BILL.toLowerCase()] }, counter);
      expect((await h.db(h.ctx.tables.offsetBills).where({ offset_id: limited.id })).map((r: Record<string, unknown>) => r.bill_id)).to.deep.equal([BILL]);
      const reversed = await h.billing('POST', '/api/billing/reverse', {
        idempotencyKey: 'PAY-CASE-1',
        reversalKey: 'VOID-CASE-1',
        billId: `${BILL.toLowerCase()} `,
      });
      expect(reversed.status, JSON.stringify(reversed.body)).to.equal(200);
      expect(reversed.body.billId).to.equal(BILL);
      const report = await h.offsets.reconcile();
      expect(report).to.include({ ok: true, billsChecked: 1 });
    });
  });

  describe(`money holes of issue 13 through the pages, the hook and user tokens (${kind.kind})`, function () {
    this.timeout(60000);
    let h: PageHarness;
    let cashierPage: PageClient;
    let seq = 0;

    /** An assessed property complaint on the unit and an offset approved by the director, through the plugin's services. */
    async function approved(unitId: string, amount: string): Promise<{ complaint: Complaint; offsetId: number }> {
      const { complaint } = await h.plugin.complaints.create(intakeBody(unitId), staff.counter);
      const assessed = await h.plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
      const raised = await h.plugin.offsets.raise({ complaintId: assessed.id, amount, reason: '漏水损失' }, staff.counter);
      const o = await h.plugin.offsets.approve(raised.id, { version: raised.version }, staff.director);
      return { complaint: assessed, offsetId: o.id };
    }

    async function newBill(unitId: number, amount: string): Promise<string> {
      const id = 700000 + ++seq;
      await h.db('bills').insert({ id, unit_id: unitId, amount, period: '2026-11', status: 'unpaid' });
      return String(id);
    }

    async function application(key: string): Promise<Record<string, unknown>> {
      return (await h.db(T.offsetApplications).where({ idempotency_key: key }).first()) as Record<string, unknown>;
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      cashierPage = h.client();
      await cashierPage.signIn(staff.cashier);
    });
    after(async () => h?.close());

    it("hole 5: the cashier page refuses to reverse an application of another bill, or one outside the cashier's communities", async () => {
      const mine = await approved('101', '50.00'); // community 1
      const theirs = await approved('103', '50.00'); // community 2
      const billA = await newBill(101, '80.00');
      const billB = await newBill(101, '80.00');
      const billC = await newBill(103, '80.00');
      await h.plugin.offsets.apply({ offsetId: mine.offsetId, billId: billA, amountFen: 1000, idempotencyKey: `${kind.kind}-P5-A` }, staff.cashier);
      await h.plugin.offsets.apply({ offsetId: theirs.offsetId, billId: billC, amountFen: 1000, idempotencyKey: `${kind.kind}-P5-C` }, staff.cashier);

      // The key of bill A's application posted with bill B: not found on bill B, nothing reversed.
      await cashierPage.get(`/cashier?bill=${billB}`);
      const wrongBill = await cashierPage.post('/cashier/reverse', { billId: billB, idempotencyKey: `${kind.kind}-P5-A`, reversalKey: `${kind.kind}-V5-1` });
      expect(wrongBill.status).to.equal(404);
      expect(wrongBill.text).to.contain(`账单 ${billB} 上没有收款号为 ${kind.kind}-P5-A 的抵扣记录`);
      expect(await application(`${kind.kind}-P5-A`)).to.include({ state: 'applied' });

      // A cashier of community 1 posts a bill of theirs with the key of an application in community 2.
      const scoped: Actor = { id: 'pg-cashier-1', name: '阳光花园收银员', roles: ['cashier'], communityIds: ['1'] };
      const scopedPage = h.client();
      scopedPage.headers = userHeader(scoped, h.clock);
      await scopedPage.get(`/cashier?bill=${billA}`);
      const outside = await scopedPage.post('/cashier/reverse', { billId: billA, idempotencyKey: `${kind.kind}-P5-C`, reversalKey: `${kind.kind}-V5-2` });
      expect(outside.status).to.equal(404);
      expect(await application(`${kind.kind}-P5-C`)).to.include({ state: 'applied' });
      // ... and with that bill itself, which they may not see.
      const hiddenBill = await scopedPage.post('/cashier/reverse', { billId: billC, idempotencyKey: `${kind.kind}-P5-C`, reversalKey: `${kind.kind}-V5-3` });
      expect(hiddenBill.status).to.equal(404);
      expect(await application(`${kind.kind}-P5-C`)).to.include({ state: 'applied' });
      expect(Number((await h.db(T.offsets).where({ id: theirs.offsetId }).first()).remaining_fen)).to.equal(4000);

      // The in-process hook: the same bounds for the cashier the host names.
      const notFound = async (promise: Promise<unknown>) => {
        const err = await promise.then(
          () => null,
          (e: { code?: string; status?: number }) => e,
        );
        expect(err, 'refused').to.include({ code: 'application_not_found', status: 404 });
      };
      await notFound(h.plugin.billing.reverseOffset({ idempotencyKey: `${kind.kind}-P5-A`, reversalKey: `${kind.kind}-V5-4`, billId: billB }, staff.cashier));
      await notFound(h.plugin.billing.reverseOffset({ idempotencyKey: `${kind.kind}-P5-C`, reversalKey: `${kind.kind}-V5-5` }, scoped));
      await notFound(h.plugin.billing.reverseOffset({ idempotencyKey: `${kind.kind}-P5-C`, reversalKey: `${kind.kind}-V5-6`, billId: billA }, scoped));
      expect(await application(`${kind.kind}-P5-A`)).to.include({ state: 'applied' });
      expect(await application(`${kind.kind}-P5-C`)).to.include({ state: 'applied' });
      // No audit event and no ledger change from any of the refused attempts.
      expect(await countRows(h.db, T.events, { entity_type: 'offset', action: 'reverse' })).to.equal(0);

      // Within bounds both paths still reverse.
      await cashierPage.get(`/cashier?bill=${billA}`);
      const ok = await cashierPage.post('/cashier/reverse', { billId: billA, idempotencyKey: `${kind.kind}-P5-A`, reversalKey: `${kind.kind}-V5-7` });
      expect(ok.status).to.equal(303);
      expect(await application(`${kind.kind}-P5-A`)).to.include({ state: 'reversed' });
      const viaHook = await h.plugin.billing.reverseOffset(
        { idempotencyKey: `${kind.kind}-P5-C`, reversalKey: `${kind.kind}-V5-8`, billId: billC },
        { ...scoped, communityIds: ['2'] },
      );
      expect(viaHook).to.include({ state: 'reversed', billId: billC });
      expect(h.errors).to.deep.equal([]);
    });

    it('hole 6: a user token whose communities are not a list, with extra claims, or living too long is refused (userHeaderMaxLifetimeHours)', async () => {
      const nowS = () => Math.floor(h.clock.now().getTime() / 1000);
      const claims = (extra: Record<string, unknown> = {}) => ({
        sub: 'tok-1',
        name: '令牌主管',
        roles: ['supervisor'],
        communities: ['1'],
        iat: nowS(),
        exp: nowS() + 600,
        ...extra,
      });
      const call = async (payload: Record<string, unknown>) => {
        const res = await fetch(`${h.origin}${h.base}/api/complaints?limit=5`, {
          headers: { [USER_HEADER]: signToken(payload as Record<string, unknown> & { exp: number }, PAGE_SECRET) },
        });
        return res.status;
      };
      // A proper token opens the API, for its communities; null says "all communities" out loud.
      expect(await call(claims())).to.equal(200);
      expect(await call(claims({ communities: null }))).to.equal(200);
      // communities that are not a list never read as "all communities".
      for (const communities of ['all', '*', 1, {}, { 0: '1' }, true, '', [1], [null]])
        expect(await call(claims({ communities })), JSON.stringify(communities)).to.equal(401);
      const { communities: _, ...without } = claims();
      expect(await call(without), 'no communities claim').to.equal(401);
      // Claims beyond the registered ones are refused, whatever they say.
      expect(await call(claims({ admin: true }))).to.equal(401);
      expect(await call(claims({ communityIds: null }))).to.equal(401);
      expect(await call(claims({ roles: 'supervisor' }))).to.equal(401);
      // Lifetime: the default cap is 12 hours.
      expect(await call(claims({ exp: nowS() + 11 * 3600 }))).to.equal(200);
      expect(await call(claims({ exp: nowS() + 10 * 365 * 24 * 3600 })), 'ten years').to.equal(401);
      expect(await call(claims({ exp: nowS() + 13 * 3600 }))).to.equal(401);
      expect(await call(claims({ iat: nowS() - 20 * 3600, exp: nowS() + 600 })), 'issued for 20 hours').to.equal(401);
      const { iat: __, ...noIat } = claims({ exp: nowS() + 13 * 3600 });
      expect(await call(noIat), 'no iat, exp in 13 h').to.equal(401);
      // The setting lowers the cap at once.
      await h.plugin.context.settings.update({ userHeaderMaxLifetimeHours: 1 }, SYSTEM_ACTOR);
      try {
        expect(await call(claims({ exp: nowS() + 3 * 3600 }))).to.equal(401);
        expect(await call(claims({ exp: nowS() + 30 * 60 }))).to.equal(200);
      } finally {
        await h.plugin.context.settings.update({ userHeaderMaxLifetimeHours: 12 }, SYSTEM_ACTOR);
      }
      expect(await call(claims({ exp: nowS() + 3 * 3600 }))).to.equal(200);
      // A token for community 1 reads community 1 only.
      await approved('103', '1.00');
      const scoped = await fetch(`${h.origin}${h.base}/api/complaints?limit=100`, { headers: { [USER_HEADER]: signToken(claims(), PAGE_SECRET) } });
      const body = (await scoped.json()) as { items: Array<{ communityId: string | null }> };
      expect(body.items.length).to.be.greaterThan(0);
      expect(body.items.every((c) => c.communityId === '1')).to.equal(true);
    });
  });
}

// The fee rule through the offsets service on both databases: which complaints may carry an offset, how
// amounts are read, who may decide and up to how much, reject and revoke, the idempotent request, every
// refusal code of the billing check (and of apply), warnings that never block, and the audit trail.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost, stringIdHost, HC } from '../fixtures/hosts.js';
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
import { intakeBody } from '../support/complaintData.js';
import { REFUSAL_CODES, type RefusalCode } from '../../src/offsets/refusals.js';
import type { BillCheck } from '../../src/offsets/billingCheck.js';
import type { Complaint } from '../../src/complaints/types.js';

const { counter, counter2, supervisor, manager, director, cashier } = people;
const DAY = 24 * 3600 * 1000;

for (const kind of databaseKinds) {
  describe(`offsets: the fee rule (${kind.kind}, simpleHost)`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let leak: Complaint; // unit 101: bills 1001 (¥120.50), 1002 (¥0.29), 1003 (¥1.15, paid)

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      leak = await assessedComplaint(h, '101', { threatenedWithholding: true });
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    describe('raising a request', () => {
      it('reads yuan exactly: "120.50" is 12050 fen, "0.1" and "0.2" are 10 and 20, "¥1,200.5" is 120050', async () => {
        const cases: Array<[string, number]> = [
          ['120.50', 12050],
          ['120.5', 12050],
          ['0.1', 10],
          ['0.2', 20],
          ['0.30', 30],
          ['¥1,200.5', 120050],
          ['0.01', 1],
        ];
        for (const [amount, fen] of cases) {
          const o = await h.offsets.raise({ complaintId: leak.id, amount, reason: `金额 ${amount}` }, counter);
          expect(o.requestedFen, amount).to.equal(fen);
          expect(Number((await offsetRow(h.db, h, o.id)).requested_fen)).to.equal(fen);
          expect(o.status).to.equal('requested');
        }
        // 0.1 + 0.2 in floating point is 0.30000000000000004; in fen it is exactly the 0.30 offset.
        expect(0.1 + 0.2).to.not.equal(0.3);
        const [a, b, c] = await Promise.all(
          ['0.1', '0.2', '0.30'].map((amount) =>
            h
              .db(h.ctx.tables.offsets)
              .where({ reason: `金额 ${amount}` })
              .first(),
          ),
        );
        expect(Number(a.requested_fen) + Number(b.requested_fen)).to.equal(Number(c.requested_fen));
      });

      it('refuses amounts of zero or less and anything not an exact amount, creating nothing', async () => {
        const before = await countRows(h.db, h.ctx.tables.offsets);
        for (const amount of ['0', '0.00', '-1', '-0.01', '12.345', '1e2', '', '  ', 'abc', '1,20.00', '0.1.2']) {
          const err = await refused(h.offsets.raise({ complaintId: leak.id, amount, reason: '补偿' }, counter), 'validation_failed', 400);
          expect(
            err.fields.map((f: { field: string }) => f.field),
            amount,
          ).to.include('amount');
        }
        expect(await countRows(h.db, h.ctx.tables.offsets)).to.equal(before);
      });

      it('refuses a non-property dispute by default and allows it when the setting says so', async () => {
        const neighbour = await assessedComplaint(h, '101', { disputeType: 'non_property' });
        const err = await refused(h.offsets.raise({ complaintId: neighbour.id, amount: '50', reason: '楼上漏水' }, counter), 'non_property_dispute', 409);
        expect(err.localized['zh-CN']).to.contain('非物业纠纷');
        await h.ctx.settings.update({ allowOffsetForNonProperty: true }, people.administrator);
        try {
          const o = await h.offsets.raise({ complaintId: neighbour.id, amount: '50', reason: '公司同意协助赔付' }, counter);
          expect(o.requestedFen).to.equal(5000);
        } finally {
          await h.ctx.settings.update({ allowOffsetForNonProperty: false }, people.administrator);
        }
      });

      it('refuses a cancelled complaint and one not yet classified', async () => {
        const { complaint } = await h.complaints.create(intakeBody('101'), counter);
        await refused(h.offsets.raise({ complaintId: complaint.id, amount: '10', reason: '补偿' }, counter), 'dispute_unclassified', 409);
        const cancelled = await h.complaints.transition(
          complaint.id,
          'cancel',
          { version: complaint.version, cancelKind: 'duplicate', reason: '重复登记' },
          supervisor,
        );
        expect(cancelled.state).to.equal('cancelled');
        await refused(h.offsets.raise({ complaintId: complaint.id, amount: '10', reason: '补偿' }, counter), 'complaint_cancelled', 409);
      });

      it('refuses bills of another unit, a past expiry date, an unknown complaint and people without offset.request', async () => {
        const other = await refused(
          h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿', billIds: ['1004'] }, counter),
          'validation_failed',
          400,
        );
        expect(other.fields[0].field).to.equal('billIds.0');
        await refused(h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿', billIds: ['9999'] }, counter), 'validation_failed', 400);
        await refused(h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿', expiresOn: '2026-11-27' }, counter), 'validation_failed', 400);
        await refused(h.offsets.raise({ complaintId: 999999, amount: '10', reason: '补偿' }, counter), 'not_found', 404);
        await refused(h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿' }, cashier), 'forbidden', 403);
        // Outside the requester's communities the complaint does not exist for them.
        await refused(
          h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿' }, person('counter_staff', 'c-x', '外区前台', ['2'])),
          'not_found',
          404,
        );
      });

      it('takes an idempotency key: same key and content give the same offset, other content is refused', async () => {
        const key = `offset-form-${kind.kind}-1`;
        const first = await h.offsets.raiseOnce(
          { complaintId: leak.id, amount: '88.8', reason: '同一表单', billIds: ['1002', '1001'], idempotencyKey: key },
          counter,
        );
        expect(first.created).to.equal(true);
        const again = await h.offsets.raiseOnce(
          { complaintId: leak.id, amount: '88.80', reason: '同一表单', billIds: ['1001', '1002'], idempotencyKey: key },
          counter,
        );
        expect(again.created).to.equal(false);
        expect(again.offset).to.deep.equal(first.offset);
        const err = await refused(
          h.offsets.raise({ complaintId: leak.id, amount: '88.81', reason: '同一表单', idempotencyKey: key }, counter),
          'idempotency_key_reused',
          409,
        );
        expect(err.details.offsetId).to.equal(first.offset.id);
        // Keys belong to the person who sent them.
        const other = await h.offsets.raiseOnce(
          { complaintId: leak.id, amount: '88.8', reason: '同一表单', billIds: ['1001', '1002'], idempotencyKey: key },
          counter2,
        );
        expect(other.created).to.equal(true);
        expect(other.offset.id).to.not.equal(first.offset.id);
        expect(await countRows(h.db, h.ctx.tables.offsets, { request_key: key })).to.equal(2);
        expect(await offsetEvents(h, first.offset.id)).to.deep.equal([['request', counter.id]]);
      });

      it('makes one request of ten simultaneous submits with one key', async () => {
        const key = `offset-form-${kind.kind}-burst`;
        const before = await countRows(h.db, h.ctx.tables.offsets);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => h.offsets.raiseOnce({ complaintId: leak.id, amount: '66', reason: '连点十次', idempotencyKey: key }, counter)),
        );
        expect(results.filter((r) => r.created)).to.have.length(1);
        expect(new Set(results.map((r) => r.offset.id)).size).to.equal(1);
        expect(await countRows(h.db, h.ctx.tables.offsets)).to.equal(before + 1);
        expect(await countRows(h.db, h.ctx.tables.events, { entity_type: 'offset', entity_id: results[0]!.offset.id })).to.equal(1);
      });
    });

    describe('approval', () => {
      it('never lets the requester decide their own request', async () => {
        const own = await h.offsets.raise({ complaintId: leak.id, amount: '20', reason: '主管自己提交' }, supervisor);
        await refused(h.offsets.approve(own.id, {}, supervisor), 'own_request', 403);
        await refused(h.offsets.reject(own.id, { note: '自己驳回' }, supervisor), 'own_request', 403);
        expect((await offsetRow(h.db, h, own.id)).status).to.equal('requested');
        const decided = await h.offsets.approve(own.id, { note: '经理审批' }, manager);
        expect(decided).to.include({ status: 'approved', approvedFen: 2000, remainingFen: 2000, decidedBy: manager.id });
      });

      it('keeps each role within its limit: supervisor ¥500, manager ¥5,000, director unlimited', async () => {
        // Each amount on a complaint of its own: the limits bound totals per complaint (next test).
        const raise = async (amount: string) =>
          h.offsets.raise({ complaintId: (await assessedComplaint(h, '101')).id, amount, reason: `额度 ${amount}` }, counter);
        const atSupervisorLimit = await raise('500.00');
        const overSupervisor = await raise('500.01');
        const atManagerLimit = await raise('5000');
        const overManager = await raise('5000.01');
        const big = await raise('100000');

        expect((await h.offsets.approve(atSupervisorLimit.id, {}, supervisor)).approvedFen).to.equal(50000);
        const over = await refused(h.offsets.approve(overSupervisor.id, {}, supervisor), 'over_approval_limit', 403);
        expect(over.details).to.include({ limitFen: 50000, amountFen: 50001, approvedFen: 0, totalFen: 50001 });
        expect(over.localized['zh-CN']).to.contain('¥500.00');
        // A smaller approved amount within the limit is the supervisor's to give.
        const smaller = await h.offsets.approve(overSupervisor.id, { amount: '300', note: '按实际损失' }, supervisor);
        expect(smaller).to.include({ requestedFen: 50001, approvedFen: 30000, remainingFen: 30000, decidedRole: 'supervisor' });

        expect((await h.offsets.approve(atManagerLimit.id, {}, manager)).approvedFen).to.equal(500000);
        await refused(h.offsets.approve(overManager.id, {}, manager), 'over_approval_limit', 403);
        expect((await h.offsets.approve(overManager.id, {}, director)).approvedFen).to.equal(500001);
        await refused(h.offsets.approve(big.id, {}, manager), 'over_approval_limit', 403);
        expect((await h.offsets.approve(big.id, {}, director)).approvedFen).to.equal(10000000);
      });

      it('bounds what one approver and one role approve on one complaint in total: four ¥400 requests do not pass a ¥500 limit', async () => {
        const split = await assessedComplaint(h, '101');
        const four = [];
        for (let i = 0; i < 4; i++) four.push(await h.offsets.raise({ complaintId: split.id, amount: '400', reason: `分拆 ${i + 1}` }, counter));
        expect((await h.offsets.approve(four[0]!.id, {}, supervisor)).approvedFen).to.equal(40000);
        const second = await refused(h.offsets.approve(four[1]!.id, {}, supervisor), 'over_approval_limit', 403);
        // The refusal says the total, the limit and who may approve the rest.
        expect(second.details).to.include({ scope: 'approver', approvedFen: 40000, amountFen: 40000, totalFen: 80000, limitFen: 50000 });
        expect(second.details.mayApprove).to.deep.equal(['Director (no limit)', 'Manager (limit ¥5,000.00)']);
        expect(second.localized['zh-CN']).to.contain('已批准 ¥400.00').and.contain('共 ¥800.00').and.contain('¥500.00').and.contain('项目经理');
        // Another supervisor: the role's total on the complaint counts every supervisor's approvals.
        const otherSupervisor = person('supervisor', 'sup-2', '客服主管孙丽');
        const byRole = await refused(h.offsets.approve(four[1]!.id, {}, otherSupervisor), 'over_approval_limit', 403);
        expect(byRole.details).to.include({ scope: 'role', role: 'supervisor', approvedFen: 40000, totalFen: 80000 });
        // What is left fits: ¥100 by the first supervisor.
        expect((await h.offsets.approve(four[1]!.id, { amount: '100' }, supervisor)).approvedFen).to.equal(10000);
        await refused(h.offsets.approve(four[2]!.id, { amount: '0.01' }, supervisor), 'over_approval_limit', 403);
        // A manager takes the rest, within the manager's own total.
        expect((await h.offsets.approve(four[2]!.id, {}, manager)).decidedRole).to.equal('manager');
        expect((await h.offsets.approve(four[3]!.id, {}, manager)).approvedFen).to.equal(40000);
        const totals = (await h.db(h.ctx.tables.offsetApprovalTotals).where({ complaint_id: split.id }).orderBy(['scope', 'scope_id'])) as Array<
          Record<string, unknown>
        >;
        expect(totals.map((r) => [r.scope, r.scope_id, Number(r.approved_fen)])).to.deep.equal([
          ['approver', manager.id, 80000],
          ['approver', supervisor.id, 50000],
          ['role', 'manager', 80000],
          ['role', 'supervisor', 50000],
        ]);
      });

      it('refuses more than was requested, people without offset.approve, roles without a limit, a stale version and a second decision', async () => {
        const o = await h.offsets.raise({ complaintId: (await assessedComplaint(h, '101')).id, amount: '40', reason: '补偿' }, counter);
        await refused(h.offsets.approve(o.id, { amount: '40.01' }, director), 'validation_failed', 400);
        await refused(h.offsets.approve(o.id, { amount: '0' }, director), 'validation_failed', 400);
        await refused(h.offsets.approve(o.id, {}, counter2), 'forbidden', 403);
        await refused(h.offsets.approve(o.id, {}, cashier), 'forbidden', 403);
        await h.ctx.settings.update({ roleApprovalLimitsFen: { manager: 500000, director: null } }, people.administrator);
        try {
          await refused(h.offsets.approve(o.id, {}, supervisor), 'no_approval_limit', 403);
        } finally {
          await h.ctx.settings.update({ roleApprovalLimitsFen: { supervisor: 50000, manager: 500000, director: null } }, people.administrator);
        }
        await refused(h.offsets.approve(o.id, { version: o.version + 1 }, supervisor), 'stale_version', 409);
        await h.offsets.approve(o.id, { version: o.version }, supervisor);
        await refused(h.offsets.approve(o.id, {}, manager), 'offset_not_pending', 409);
        await refused(h.offsets.reject(o.id, { note: '晚了' }, manager), 'offset_not_pending', 409);
      });

      it('refuses to approve once the complaint was cancelled, or the request expired', async () => {
        const c = await assessedComplaint(h, '101');
        const o = await h.offsets.raise({ complaintId: c.id, amount: '10', reason: '补偿' }, counter);
        await h.complaints.transition(c.id, 'cancel', { version: c.version, cancelKind: 'registered_in_error', reason: '误登记' }, supervisor);
        // The cancellation withdrew the request with it.
        expect(await offsetRow(h.db, h, o.id)).to.include({ status: 'revoked' });
        await refused(h.offsets.approve(o.id, {}, supervisor), 'complaint_cancelled', 409);
        const dated = await h.offsets.raise({ complaintId: leak.id, amount: '10', reason: '补偿', expiresOn: '2026-11-28' }, counter);
        h.clock.advance(DAY);
        try {
          await refused(h.offsets.approve(dated.id, {}, supervisor), 'offset_expired', 409);
        } finally {
          h.clock.advance(-DAY);
        }
      });

      it('rejects with a note, and a rejected offset stays refused', async () => {
        const o = await h.offsets.raise({ complaintId: leak.id, amount: '30', reason: '补偿' }, counter);
        await refused(h.offsets.reject(o.id, { note: ' ' }, supervisor), 'validation_failed', 400);
        await refused(h.offsets.reject(o.id, {} as { note: string }, supervisor), 'validation_failed', 400);
        const rejected = await h.offsets.reject(o.id, { note: '改为保险赔付' }, supervisor);
        expect(rejected).to.include({ status: 'rejected', approvedFen: null, remainingFen: 0, decisionNote: '改为保险赔付' });
        await refused(h.offsets.approve(o.id, {}, manager), 'offset_not_pending', 409);
      });

      it('revokes an unused offset whole, and the unused remainder of a partly used one; applied money stays applied', async () => {
        const unused = await approvedOffset(h, leak.id, '15');
        await refused(h.offsets.revoke(unused.id, {} as { note: string }, supervisor), 'validation_failed', 400);
        await refused(h.offsets.revoke(unused.id, { note: '撤回' }, cashier), 'forbidden', 403);
        const revoked = await h.offsets.revoke(unused.id, { note: '业主改选现金赔付' }, supervisor);
        expect(revoked).to.include({ status: 'revoked', revokedBy: supervisor.id, remainingFen: 0, revokedFen: 1500 });
        await refused(h.offsets.revoke(unused.id, { note: '再撤一次' }, supervisor), 'offset_not_approved', 409);
        await refused(h.offsets.apply({ offsetId: unused.id, billId: '1001', amountFen: 100, idempotencyKey: `rv-${kind.kind}-1` }, cashier), 'revoked', 409);

        // Partly used: the remainder is withdrawn, the application stays; the audit trail says how much.
        const used = await approvedOffset(h, leak.id, '15');
        await h.offsets.apply({ offsetId: used.id, billId: '1001', amountFen: 100, idempotencyKey: `rv-${kind.kind}-2` }, cashier);
        const rest = await h.offsets.revoke(used.id, { note: '余额不再抵扣' }, supervisor);
        expect(rest).to.include({ status: 'revoked', approvedFen: 1500, remainingFen: 0, revokedFen: 1400 });
        const revokeEvent = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: used.id, action: 'revoke' }).first()) as Record<
          string,
          string
        >;
        expect(JSON.parse(revokeEvent.changes!)).to.deep.equal({ remaining_fen: [1400, 0], revoked_fen: [0, 1400] });
        await refused(h.offsets.apply({ offsetId: used.id, billId: '1001', amountFen: 100, idempotencyKey: `rv-${kind.kind}-2b` }, cashier), 'revoked', 409);
        // A payment voided later: its amount goes back as withdrawn, never usable again.
        const reversal = await h.offsets.reverse({ idempotencyKey: `rv-${kind.kind}-2`, reversalKey: `rv-${kind.kind}-2-void` }, cashier);
        expect(reversal.remainingFen).to.equal(0);
        expect(await offsetRow(h.db, h, used.id)).to.include({ status: 'revoked' });
        expect(Number((await offsetRow(h.db, h, used.id)).revoked_fen)).to.equal(1500);
        expect((await h.offsets.reconcile()).ok).to.equal(true);
        // An exhausted offset has nothing left to revoke.
        const all = await approvedOffset(h, leak.id, '0.05');
        await h.offsets.apply({ offsetId: all.id, billId: '1001', amountFen: 5, idempotencyKey: `rv-${kind.kind}-3` }, cashier);
        expect((await offsetRow(h.db, h, all.id)).status).to.equal('exhausted');
        const err = await refused(h.offsets.revoke(all.id, { note: '撤回' }, supervisor), 'offset_used', 409);
        expect(err.localized['zh-CN']).to.contain('¥0.05');
      });

      it('audits every decision: request, approve, reject, revoke, apply, reverse, each with who did it', async () => {
        const a = await approvedOffset(h, leak.id, '12', { approver: manager });
        await h.offsets.apply({ offsetId: a.id, billId: '1001', amountFen: 500, idempotencyKey: `audit-${kind.kind}` }, cashier);
        await h.offsets.reverse({ idempotencyKey: `audit-${kind.kind}`, reversalKey: `audit-${kind.kind}-void` }, cashier);
        await h.offsets.revoke(a.id, { note: '撤回' }, supervisor);
        expect(await offsetEvents(h, a.id)).to.deep.equal([
          ['request', counter.id],
          ['approve', manager.id],
          ['apply', cashier.id],
          ['reverse', cashier.id],
          ['revoke', supervisor.id],
        ]);
        const r = await h.offsets.raise({ complaintId: leak.id, amount: '12', reason: '补偿' }, counter);
        await h.offsets.reject(r.id, { note: '不予抵扣' }, supervisor);
        expect(await offsetEvents(h, r.id)).to.deep.equal([
          ['request', counter.id],
          ['reject', supervisor.id],
        ]);
        const rows = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: a.id }).orderBy('id')) as Array<Record<string, unknown>>;
        expect(rows.map((e) => (e.complaint_id === null ? null : Number(e.complaint_id)))).to.deep.equal(rows.map(() => leak.id));
        const approve = rows.find((e) => e.action === 'approve')!;
        expect(JSON.parse(String(approve.changes))).to.deep.equal({ approved_fen: [null, 1200], remaining_fen: [0, 1200] });
        // The detail shows the same trail.
        expect((await h.offsets.get(a.id, supervisor)).events.map((e) => e.action)).to.deep.equal(['request', 'approve', 'apply', 'reverse', 'revoke']);
      });
    });

    describe('the billing check', () => {
      it('answers every refusal code, with a message in zh-CN and en, and apply refuses with the same codes', async () => {
        const seen = new Map<RefusalCode, BillCheck['offsets'][number]>();
        const note = (check: BillCheck) => {
          for (const v of check.offsets) if (!v.allowed) seen.set(v.code as RefusalCode, v);
        };
        const approved = await approvedOffset(h, leak.id, '1.00');
        const limited = await approvedOffset(h, leak.id, '1.00', { billIds: ['1002'] });
        const requested = await h.offsets.raise({ complaintId: leak.id, amount: '1', reason: '待审批' }, counter);
        const rejected = await h.offsets.raise({ complaintId: leak.id, amount: '1', reason: '将被驳回' }, counter);
        await h.offsets.reject(rejected.id, { note: '驳回' }, supervisor);
        const revoked = await approvedOffset(h, leak.id, '1.00');
        await h.offsets.revoke(revoked.id, { note: '撤回' }, supervisor);
        const expiring = await approvedOffset(h, leak.id, '1.00', { expiresOn: '2026-11-29' });

        const check = (billId: string, offsetId: number, amountFen: number) => h.offsets.check({ billId, offsets: [{ offsetId, amountFen }] });
        const expectCode = async (billId: string, offsetId: number, amountFen: number, code: RefusalCode) => {
          const result = await check(billId, offsetId, amountFen);
          expect(result.offsets[0]!.code, `${code} on bill ${billId}`).to.equal(code);
          expect(result.collectible).to.equal(true);
          expect(result.allAllowed).to.equal(false);
          note(result);
          return result;
        };

        const ok = await check('1001', approved.id, 100);
        expect(ok.offsets[0]).to.include({ allowed: true, code: 'allowed', remainingFen: 100 });
        await expectCode('1001', 999999, 100, 'not_found');
        await expectCode('9999', approved.id, 100, 'bill_not_found');
        await expectCode('1001', approved.id, 0, 'invalid_amount');
        await expectCode('1004', approved.id, 100, 'other_unit');
        await expectCode('1001', limited.id, 100, 'not_valid_for_bill');
        expect((await check('1002', limited.id, 29)).allAllowed).to.equal(true);
        await expectCode('1001', requested.id, 100, 'not_approved');
        await expectCode('1001', rejected.id, 100, 'rejected');
        await expectCode('1001', revoked.id, 100, 'revoked');
        await expectCode('1001', approved.id, 101, 'exceeds_remaining');
        await expectCode('1002', approved.id, 30, 'exceeds_bill'); // bill 1002 is ¥0.29
        const paid = await expectCode('1003', approved.id, 100, 'bill_paid'); // bill 1003 is marked paid
        expect(paid).to.include({ paymentState: 'paid', hostStatus: 'paid', outstandingFen: 0, openToOffsetsFen: 0 });
        expect(paid.paymentStateLabel).to.deep.equal({ 'zh-CN': '已缴', en: 'Paid' });
        expect(ok).to.include({ paymentState: 'unpaid', hostStatus: 'unpaid', outstandingFen: 12050 });
        h.clock.advance(2 * DAY);
        try {
          const expired = await expectCode('1001', expiring.id, 100, 'expired');
          expect(expired.offsets[0]!.message.en).to.contain('2026-11-29');
        } finally {
          h.clock.advance(-2 * DAY);
        }
        // The unit changed hands: the offset belongs to the previous owner.
        await h.db('units').where({ id: 101 }).update({ owner_id: 2 });
        try {
          await expectCode('1001', approved.id, 100, 'other_owner');
          await refused(
            h.offsets.apply({ offsetId: approved.id, billId: '1001', amountFen: 100, idempotencyKey: `codes-${kind.kind}-owner` }, cashier),
            'other_owner',
            409,
          );
        } finally {
          await h.db('units').where({ id: 101 }).update({ owner_id: 1 });
        }

        // bill_not_mapped needs a mapping whose filter leaves out a bill of another kind: erp-hosts.test.ts.
        expect([...seen.keys()].sort()).to.deep.equal([...REFUSAL_CODES].filter((c) => c !== 'bill_not_mapped').sort());
        for (const [code, v] of seen) {
          expect(v.message['zh-CN'], code).to.match(/[\u4e00-\u9fff]/);
          expect(v.message.en, code)
            .to.match(/[a-z]/i)
            .and.not.match(/[\u4e00-\u9fff]/);
        }

        // apply gives the same answer as the check for each of them.
        const apply = (billId: string, offsetId: number, amountFen: number, n: string) =>
          h.offsets.apply({ offsetId, billId, amountFen, idempotencyKey: `codes-${kind.kind}-${n}` }, cashier);
        await refused(apply('1001', 999999, 100, 'a'), 'not_found', 404);
        await refused(apply('9999', approved.id, 100, 'b'), 'bill_not_found', 404);
        await refused(apply('1001', approved.id, 0, 'c'), 'validation_failed', 400);
        await refused(apply('1004', approved.id, 100, 'd'), 'other_unit', 409);
        await refused(apply('1001', limited.id, 100, 'e'), 'not_valid_for_bill', 409);
        await refused(apply('1001', requested.id, 100, 'f'), 'not_approved', 409);
        await refused(apply('1001', rejected.id, 100, 'g'), 'rejected', 409);
        await refused(apply('1001', revoked.id, 100, 'h'), 'revoked', 409);
        await refused(apply('1001', approved.id, 101, 'i'), 'exceeds_remaining', 409);
        await refused(apply('1002', approved.id, 30, 'j'), 'exceeds_bill', 409);
        await refused(apply('1003', approved.id, 100, 'paid'), 'bill_paid', 409);
        h.clock.advance(2 * DAY);
        try {
          await refused(apply('1001', expiring.id, 100, 'k'), 'expired', 409);
        } finally {
          h.clock.advance(-2 * DAY);
        }
        // None of those consumed anything or left a row.
        for (const o of [approved, limited, expiring]) expect(Number((await offsetRow(h.db, h, o.id)).remaining_fen)).to.equal(100);
        expect((await h.db(h.ctx.tables.offsetApplications).where('idempotency_key', 'like', `codes-${kind.kind}-%`)).length).to.equal(0);
      });

      it('shares one offset and one bill between the lines of a check, and counts earlier payments against the bill', async () => {
        const o = await approvedOffset(h, leak.id, '0.25');
        const two = await h.offsets.check({
          billId: '1002',
          offsets: [
            { offsetId: o.id, amountFen: 20 },
            { offsetId: o.id, amountFen: 10 },
          ],
        });
        expect(two.offsets.map((v) => v.code)).to.deep.equal(['allowed', 'exceeds_remaining']);
        const other = await approvedOffset(h, leak.id, '1.00');
        const bill = await h.offsets.check({
          billId: '1002',
          offsets: [
            { offsetId: o.id, amountFen: 20 },
            { offsetId: other.id, amountFen: 10 },
          ],
        });
        expect(bill.offsets.map((v) => v.code)).to.deep.equal(['allowed', 'exceeds_bill']);

        // An earlier payment used 20 of the bill's 29 fen: 9 are left, whichever offset is used.
        await h.offsets.apply({ offsetId: o.id, billId: '1002', amountFen: 20, idempotencyKey: `bill-${kind.kind}-1` }, cashier);
        const after = await h.offsets.check({ billId: '1002', offsets: [{ offsetId: other.id, amountFen: 10 }] });
        expect(after.appliedFen).to.equal(20);
        expect(after.offsets[0]!.code).to.equal('exceeds_bill');
        expect((await h.offsets.check({ billId: '1002', offsets: [{ offsetId: other.id, amountFen: 9 }] })).allAllowed).to.equal(true);
        await refused(
          h.offsets.apply({ offsetId: other.id, billId: '1002', amountFen: 10, idempotencyKey: `bill-${kind.kind}-2` }, cashier),
          'exceeds_bill',
          409,
        );
        expect(Number((await offsetRow(h.db, h, other.id)).remaining_fen)).to.equal(100);
        await h.offsets.apply({ offsetId: other.id, billId: '1002', amountFen: 9, idempotencyKey: `bill-${kind.kind}-3` }, cashier);
        // A reversal gives the bill its room back.
        await h.offsets.reverse({ idempotencyKey: `bill-${kind.kind}-1`, reversalKey: `bill-${kind.kind}-1-void` }, cashier);
        expect((await h.offsets.check({ billId: '1002', offsets: [{ offsetId: other.id, amountFen: 20 }] })).allAllowed).to.equal(true);
        expect((await h.offsets.applicationsForBill('1002', cashier)).map((a) => [a.amountFen, a.state, a.complaintCode])).to.deep.equal([
          [20, 'reversed', leak.code],
          [9, 'applied', leak.code],
        ]);
      });

      it('warns of open complaints and fee-withholding threats without ever blocking collection', async () => {
        const quiet = await h.offsets.check({ billId: '1004', offsets: [] });
        expect(quiet).to.include({ found: true, collectible: true, allAllowed: true, amountFen: 9999999 });
        expect(quiet.warnings).to.deep.equal([]);

        const o = await approvedOffset(h, leak.id, '5');
        const check = await h.offsets.check({ billId: '1001', offsets: [{ offsetId: o.id, amountFen: 500 }] });
        expect(check).to.include({ collectible: true, allAllowed: true });
        const codes = check.warnings.map((w) => `${w.code}:${w.complaintCode}`);
        expect(codes).to.include(`open_complaint:${leak.code}`).and.include(`withholding_threat:${leak.code}`);
        const threat = check.warnings.find((w) => w.code === 'withholding_threat')!;
        expect(threat.message['zh-CN']).to.contain('收费照常进行');
        expect(threat.message.en).to.contain('collect as usual');
        // The warnings do not stop the offset from being applied either.
        const applied = await h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 500, idempotencyKey: `warn-${kind.kind}` }, cashier);
        expect(applied.remainingFen).to.equal(0);
        // A cancelled complaint is not open: it does not warn.
        const { complaint } = await h.complaints.create(intakeBody('102', { threatenedWithholding: true }), counter);
        expect((await h.offsets.check({ billId: '1004', offsets: [] })).warnings.map((w) => w.code)).to.deep.equal(['open_complaint', 'withholding_threat']);
        await h.complaints.transition(complaint.id, 'cancel', { version: complaint.version, cancelKind: 'duplicate', reason: '重复' }, supervisor);
        expect((await h.offsets.check({ billId: '1004', offsets: [] })).warnings).to.deep.equal([]);
      });

      it("lists the approved offsets a cashier may use on a bill, and none outside the cashier's communities", async () => {
        const o = await approvedOffset(h, leak.id, '3');
        const mine = await h.offsets.applicable('1001', cashier);
        expect(mine.map((x) => x.id)).to.include(o.id);
        expect(mine.every((x) => x.status === 'approved' && x.remainingFen > 0)).to.equal(true);
        expect((await h.offsets.applicable('1002')).map((x) => x.id)).to.include(o.id);
        const elsewhere = person('cashier', 'cash-2', '二区收银员', ['2']);
        expect(await h.offsets.applicable('1001', elsewhere)).to.deep.equal([]);
        const hidden = await h.offsets.check({ billId: '1001', offsets: [{ offsetId: o.id, amountFen: 1 }] }, elsewhere);
        expect(hidden).to.include({ found: false, unitId: null });
        expect(hidden.offsets[0]).to.include({ code: 'bill_not_found', remainingFen: null });
        expect(await h.offsets.applicationsForBill('1001', elsewhere)).to.deep.equal([]);
      });
    });
  });

  describe(`offsets: owners through a relation table, string ids, fen amounts (${kind.kind}, stringIdHost)`, function () {
    this.timeout(60000);
    let h: OffsetHarness;

    before(async () => {
      h = await startOffsetHarness(kind, stringIdHost);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    it("allows the owner's offset on the unit's bill and refuses it once the owner no longer owns the unit", async () => {
      const c = await assessedComplaint(h, HC.room.twoOwners);
      expect(c.ownerId).to.be.oneOf([HC.owner.zhang, HC.owner.li]);
      const o = await approvedOffset(h, c.id, '120.50');
      expect(o).to.include({ unitId: HC.room.twoOwners, approvedFen: 12050 });
      const check = await h.offsets.check({ billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 12050 }] });
      expect(check).to.include({ found: true, amountFen: 12050, allAllowed: true });
      expect((await h.offsets.check({ billId: HC.fee.zhao, offsets: [{ offsetId: o.id, amountFen: 1 }] })).offsets[0]!.code).to.equal('other_unit');
      // A soft-deleted bill (status_cd '1', outside the mapping's live-row filter) answers as a missing one.
      expect((await h.offsets.check({ billId: HC.fee.deleted, offsets: [{ offsetId: o.id, amountFen: 1 }] })).offsets[0]!.code).to.equal('bill_not_found');
      await h.db('building_owner_room_rel').where({ owner_id: c.ownerId, room_id: HC.room.twoOwners }).update({ status_cd: '1' });
      try {
        expect((await h.offsets.check({ billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 1 }] })).offsets[0]!.code).to.equal('other_owner');
      } finally {
        await h.db('building_owner_room_rel').where({ owner_id: c.ownerId, room_id: HC.room.twoOwners }).update({ status_cd: '0' });
      }
      const applied = await h.offsets.apply({ offsetId: o.id, billId: HC.fee.unpaid1, amountFen: 12050, idempotencyKey: 'PAY-HC-0001' }, cashier);
      expect(applied).to.include({ billId: HC.fee.unpaid1, remainingFen: 0 });
      expect((await h.offsets.reconcile()).ok).to.equal(true);
    });
  });
}

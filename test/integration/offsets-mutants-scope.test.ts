// Offsets seen through who asks and what changed since: a merge whose survivor has a new owner, a request
// moved only if it is still the one that was read, a replay after the complaint was cancelled, a cashier's
// bill check and a reconciliation limited to their communities, the list filtered by unit. Asked for by the
// mutation run of issue 22 (merges.ts, store/offsetStore.ts, requests.ts, billingCheck.ts, reconcile.ts,
// store/listing.ts): each test fails on a mutant that survived the 2026-12-07 run.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { findOffset, moveRequestIfUnchanged } from '../../src/offsets/store/offsetStore.js';
import { databaseKinds } from '../support/databases.js';
import { people, person } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, cashier, director } = people;
/** A cashier who sees community 1 only. */
const cashierOfOne = person('cashier', 'cash-c1', '收银员一区', ['1']);
/** A bill in community 2 (unit 103), added by these tests. */
const BILL_OF_TWO = '1099';

for (const kind of databaseKinds) {
  describe(`offsets by who asks and what changed since: owners, stale rows, replays, communities (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      await h.db('bills').insert([
        { id: Number(BILL_OF_TWO), unit_id: 103, amount: '50.00', period: '2024-01', status: 'unpaid' },
        { id: 1098, unit_id: 101, amount: '30.00', period: '2024-04', status: 'unpaid' },
        { id: 1097, unit_id: 108, amount: '40.00', period: '2024-01', status: 'unpaid' },
      ]);
      // A unit the host files under no community: anyone may see what happens on it.
      await h.db('units').insert([
        { id: 108, community_id: null, room_no: '无小区-1', owner_id: 1, is_deleted: 0 },
        { id: 109, community_id: 1, room_no: '1-105', owner_id: 1, is_deleted: 0 }, // owner 1 has 101 too
      ]);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    const fresh = async (id: number) => (await h.complaints.get(id, supervisor)).complaint;

    it('a merge into a complaint on the same unit whose owner changed is refused, naming the request in both languages', async () => {
      const duplicate = await assessedComplaint(h, '102');
      const r = await h.offsets.raise({ complaintId: duplicate.id, amount: '4', reason: '补偿' }, counter);
      expect((await findOffset(h.db as any, h.ctx.tables, r.id))!.ownerId).to.equal('2');
      await h.db('units').where({ id: 102 }).update({ owner_id: 4 }); // the flat was sold after the first complaint
      try {
        const survivor = await assessedComplaint(h, '102');
        expect(survivor.ownerId).to.equal('4');
        const d = await fresh(duplicate.id);
        const err = await refused(
          h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复' }, supervisor),
          'merge_offset_other_unit',
          409,
        );
        expect(err.details).to.deep.equal({ offsetId: r.id });
        expect(err.localized['zh-CN']).to.equal(`投诉 ${d.code} 的抵扣申请 #${r.id} 属于另一房屋或业主，不能转到 ${survivor.code}：请先驳回该申请，或不合并`);
        expect(err.localized.en).to.equal(
          `Offset request #${r.id} of complaint ${d.code} is for another unit or owner than ${survivor.code}: reject it first, or do not merge`,
        );
        expect((await fresh(d.id)).state).to.not.equal('merged');
        expect(Number((await h.db(h.ctx.tables.offsets).where({ id: r.id }).first()).complaint_id)).to.equal(d.id);
      } finally {
        await h.db('units').where({ id: 102 }).update({ owner_id: 2 });
      }
    });

    it('a merge into a complaint on another unit of the same owner is refused: the request belongs to its unit', async () => {
      const duplicate = await assessedComplaint(h, '109');
      const survivor = await assessedComplaint(h, '101');
      expect([duplicate.ownerId, survivor.ownerId]).to.deep.equal(['1', '1']);
      const r = await h.offsets.raise({ complaintId: duplicate.id, amount: '3', reason: '补偿' }, counter);
      const d = await fresh(duplicate.id);
      const err = await refused(
        h.complaints.merge(d.id, { version: d.version, survivorId: survivor.id, reason: '重复' }, supervisor),
        'merge_offset_other_unit',
        409,
      );
      expect(err.details).to.deep.equal({ offsetId: r.id });
      expect(Number((await h.db(h.ctx.tables.offsets).where({ id: r.id }).first()).complaint_id)).to.equal(d.id);
    });

    it('a request is moved only while it is the one that was read: an approval in between leaves it where it was', async () => {
      const from = await assessedComplaint(h, '101');
      const to = await assessedComplaint(h, '101');
      const r = await h.offsets.raise({ complaintId: from.id, amount: '6', reason: '补偿' }, counter);
      const seen = (await findOffset(h.db as any, h.ctx.tables, r.id))!;
      await h.offsets.approve(r.id, { note: '同意', version: r.version }, director);
      const moved = await h.db.transaction((trx) => moveRequestIfUnchanged(trx, h.ctx.tables, seen, to.id, new Date('2026-11-28T02:00:00Z')));
      expect(moved).to.equal(false);
      const row = await h.db(h.ctx.tables.offsets).where({ id: r.id }).first();
      expect([Number(row.complaint_id), row.status, Number(row.version)]).to.deep.equal([from.id, 'approved', r.version + 1]);

      const other = await h.offsets.raise({ complaintId: from.id, amount: '7', reason: '补偿' }, counter);
      const current = (await findOffset(h.db as any, h.ctx.tables, other.id))!;
      const movedNow = await h.db.transaction((trx) => moveRequestIfUnchanged(trx, h.ctx.tables, current, to.id, new Date('2026-11-28T02:00:00Z')));
      expect(movedNow).to.equal(true);
      const after = await h.db(h.ctx.tables.offsets).where({ id: other.id }).first();
      expect([Number(after.complaint_id), after.status, Number(after.version)]).to.deep.equal([to.id, 'requested', other.version + 1]);
      // The report's per-complaint facts follow the request in the same transaction.
      const facts = async (id: number) => {
        const row = await h.db(h.ctx.tables.reportFacts).where({ complaint_id: id }).first();
        return [Number(row?.requests ?? 0), Number(row?.requested_fen ?? 0)];
      };
      expect([await facts(from.id), await facts(to.id)]).to.deep.equal([
        [1, 600],
        [1, 700],
      ]);
    });

    it('a request sent again with its key after the complaint was cancelled gets its first answer, not a refusal', async () => {
      const c = await assessedComplaint(h, '101');
      const key = `${kind.kind}-replay-after-cancel`;
      const first = await h.offsets.raiseOnce({ complaintId: c.id, amount: '8', reason: '补偿', idempotencyKey: key }, counter);
      expect(first.created).to.equal(true);
      const current = await fresh(c.id);
      await h.complaints.transition(c.id, 'cancel', { version: current.version, cancelKind: 'registered_in_error', reason: '误登记' }, supervisor);
      const again = await h.offsets.raiseOnce({ complaintId: c.id, amount: '8', reason: '补偿', idempotencyKey: key }, counter);
      expect([again.created, again.offset.id]).to.deep.equal([false, first.offset.id]);
    });

    it('a cashier limited to community 1 checks its bills and is told a bill of community 2 does not exist', async () => {
      const own = await h.offsets.check({ billId: '1001', offsets: [] }, cashierOfOne);
      expect([own.found, own.unitId, own.amountFen]).to.deep.equal([true, '101', 12050]);
      const c = await assessedComplaint(h, '103');
      const o = await approvedOffset(h, c.id, '5.00');
      const other = await h.offsets.check({ billId: BILL_OF_TWO, offsets: [{ offsetId: o.id, amountFen: 100 }] }, cashierOfOne);
      expect([other.found, other.unitId, other.amountFen, other.allAllowed]).to.deep.equal([false, null, null, false]);
      expect(other.offsets.map((v) => [v.offsetId, v.allowed, v.code])).to.deep.equal([[o.id, false, 'bill_not_found']]);
      // Whoever sees every community, and the billing system (no person), see it.
      for (const asker of [cashier, undefined]) {
        const seen = await h.offsets.check({ billId: BILL_OF_TWO, offsets: [{ offsetId: o.id, amountFen: 100 }] }, asker);
        expect([seen.found, seen.unitId, seen.amountFen, seen.allAllowed], String(asker?.id)).to.deep.equal([true, '103', 5000, true]);
      }
    });

    it('a batch check reads every bill an offset is limited to, and an offset without limits is good on any bill of its unit', async () => {
      const c = await assessedComplaint(h, '101');
      const limited = await approvedOffset(h, c.id, '1.00', { billIds: ['1001', '1002'] });
      const free = await approvedOffset(h, c.id, '1.00');
      const [b1001, b1002, b1098] = await h.offsets.checkBills([
        {
          billId: '1001',
          offsets: [
            { offsetId: limited.id, amountFen: 10 },
            { offsetId: free.id, amountFen: 10 },
          ],
        },
        { billId: '1002', offsets: [{ offsetId: limited.id, amountFen: 10 }] },
        {
          billId: '1098',
          offsets: [
            { offsetId: limited.id, amountFen: 10 },
            { offsetId: free.id, amountFen: 10 },
          ],
        },
      ]);
      const codes = (b: typeof b1001) => b!.offsets.map((v) => [v.offsetId, v.code]);
      expect(codes(b1001)).to.deep.equal([
        [limited.id, 'allowed'],
        [free.id, 'allowed'],
      ]);
      expect(codes(b1002)).to.deep.equal([[limited.id, 'allowed']]);
      expect(codes(b1098)).to.deep.equal([
        [limited.id, 'not_valid_for_bill'],
        [free.id, 'allowed'],
      ]);
    });

    it('a cashier limited to community 1 may reverse a payment on a unit the host files under no community', async () => {
      const c = await assessedComplaint(h, '108');
      expect(c.communityId).to.equal(null);
      const o = await approvedOffset(h, c.id, '2.00');
      const pay = `${kind.kind}-no-community`;
      await h.offsets.apply({ offsetId: o.id, billId: '1097', amountFen: 120, idempotencyKey: pay }, cashier);
      const reversed = await h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void` }, cashierOfOne);
      expect([reversed.applicationId > 0, reversed.billId, reversed.amountFen, reversed.remainingFen]).to.deep.equal([true, '1097', 120, 200]);
    });

    it('lists the offsets of one unit only when asked by unit', async () => {
      const a = await assessedComplaint(h, '104');
      const b = await assessedComplaint(h, '106');
      const ra = await h.offsets.raise({ complaintId: a.id, amount: '1', reason: '补偿' }, counter);
      const rb = await h.offsets.raise({ complaintId: b.id, amount: '2', reason: '补偿' }, counter);
      const of104 = await h.offsets.list({ unitId: '104' }, supervisor);
      expect([of104.total, of104.items.map((i) => i.id)]).to.deep.equal([1, [ra.id]]);
      const of106 = await h.offsets.list({ unitId: '106' }, supervisor);
      expect([of106.total, of106.items.map((i) => i.id)]).to.deep.equal([1, [rb.id]]);
    });
  });

  describe(`reconciliation limited to the asker's communities (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      await h.db('bills').insert({ id: Number(BILL_OF_TWO), unit_id: 103, amount: '50.00', period: '2024-01', status: 'unpaid' });
    });
    after(async () => h?.close());

    it('shows each person the bills of their communities; a ledger row without applications only to those who see all', async () => {
      const one = await assessedComplaint(h, '101');
      const two = await assessedComplaint(h, '103');
      const o1 = await approvedOffset(h, one.id, '3.00');
      const o2 = await approvedOffset(h, two.id, '4.00');
      await h.offsets.apply({ offsetId: o1.id, billId: '1001', amountFen: 100, idempotencyKey: `${kind.kind}-sc-1` }, cashier);
      await h.offsets.apply({ offsetId: o2.id, billId: BILL_OF_TWO, amountFen: 200, idempotencyKey: `${kind.kind}-sc-2` }, cashier);

      const mine = await h.offsets.reconcile(cashierOfOne);
      expect([mine.ok, mine.offsetsChecked, mine.billsChecked, mine.totals.appliedFen]).to.deep.equal([true, 1, 1, 100]);
      const all = await h.offsets.reconcile(cashier);
      expect([all.ok, all.offsetsChecked, all.billsChecked, all.totals.appliedFen]).to.deep.equal([true, 2, 2, 300]);

      // A ledger row no application explains (written by hand here: what reconciliation exists to find).
      await h.db(h.ctx.tables.offsetBillLedger).insert({ bill_id: '1004', applied_fen: 50 });
      await h.db(h.ctx.tables.offsetBillLedger).where({ bill_id: BILL_OF_TWO }).update({ applied_fen: 201 });
      const mineAfter = await h.offsets.reconcile(cashierOfOne);
      expect([mineAfter.ok, mineAfter.billsChecked, mineAfter.billMismatches]).to.deep.equal([true, 1, []]);
      const allAfter = await h.offsets.reconcile(cashier);
      // In bill order, whichever list (applications or ledger) a bill came from.
      expect([allAfter.ok, allAfter.billsChecked, allAfter.billMismatches.map((m) => [m.billId, m.problem, m.ledgerFen, m.appliedFen])]).to.deep.equal([
        false,
        3,
        [
          ['1004', 'ledger_differs', 50, 0],
          [BILL_OF_TWO, 'ledger_differs', 201, 200],
        ],
      ]);
      expect((await h.offsets.reconcile()).billsChecked).to.equal(3);
    });

    it('does not list as missing a bill the host deleted after its only application was reversed', async () => {
      const c = await assessedComplaint(h, '102');
      const o = await approvedOffset(h, c.id, '2.00');
      const pay = `${kind.kind}-sc-gone`;
      await h.offsets.apply({ offsetId: o.id, billId: '1005', amountFen: 150, idempotencyKey: pay }, cashier);
      await h.offsets.reverse({ idempotencyKey: pay, reversalKey: `${pay}-void` }, cashier);
      await h.db('bills').where({ id: 1005 }).del();
      const report = await h.offsets.reconcile(cashier);
      expect(report.billsNotFound).to.not.include('1005');
      expect(report.billMismatches.map((m) => m.billId)).to.not.include('1005');
    });
  });
}

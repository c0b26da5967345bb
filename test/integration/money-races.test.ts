// Issue 13's concurrency tests, on MariaDB (SQLite has one writer: nothing races there). Through the
// offsets service on a real pool of 60 connections (test/support/databases.ts), each race is fired with
// Promise.allSettled and every outcome must be a success or a clean refusal with an expected code; an
// unexpected error (a deadlock that escaped the retry, a lost update, a 500-class error) fails the test.
// After each race the rows are read back and reconciliation must be clean.
// - revoking the remainder while 30 applications of the same offset run: applied + revoked = approved;
// - two different approved offsets applied to one bill at once: the bill never takes more than it is
//   worth, and its ledger row equals the sum of its applications (hole 8's single-server counterpart);
// - a reversal racing a new application (and a replay of the reversed key) on the same bill.
import { expect } from 'chai';
import { DomainError } from '../../src/common/errors.js';
import type { Complaint } from '../../src/complaints/types.js';
import { mariadbKind, mariadbAvailable } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { supervisor, cashier } = people;
const cashier2 = { ...cashier, id: 'cash-2', name: '收银员钱多' };

type Outcome = { ok: true; value: any } | { ok: false; code: string };

/** Settles the calls; a rejection that is not a DomainError with one of `allowed` codes fails the test. */
async function outcomes(calls: Array<Promise<unknown>>, allowed: string[]): Promise<Outcome[]> {
  const settled = await Promise.allSettled(calls);
  return settled.map((r, i) => {
    if (r.status === 'fulfilled') return { ok: true, value: r.value };
    const err = r.reason as Error;
    if (!(err instanceof DomainError)) expect.fail(`call ${i}: unexpected error ${err.stack ?? String(err)}`);
    const code = (err as DomainError & { refusal?: string }).refusal ?? err.code;
    expect(allowed, `call ${i}: refused ${code}: ${err.message}`).to.include(code);
    return { ok: false, code };
  });
}

describe('money races of issue 13 (mariadb)', function () {
  this.timeout(180000);
  let h: OffsetHarness;
  let c: Complaint;
  let seq = 0;

  async function newBill(amountFen: number): Promise<string> {
    const id = 900000 + ++seq;
    await h.db('bills').insert({ id, unit_id: 101, amount: (amountFen / 100).toFixed(2), period: '2026-11', status: 'unpaid' });
    return String(id);
  }

  async function ledgerOf(billId: string): Promise<number> {
    const row = (await h.db(h.ctx.tables.offsetBillLedger).where({ bill_id: billId }).first()) as { applied_fen: number | string } | undefined;
    return Number(row?.applied_fen ?? 0);
  }

  async function liveApplicationsOf(billId: string): Promise<number> {
    const rows = (await h.db(h.ctx.tables.offsetApplications).where({ bill_id: billId, state: 'applied' })) as Array<{ amount_fen: number | string }>;
    return rows.reduce((s, r) => s + Number(r.amount_fen), 0);
  }

  async function expectClean(): Promise<void> {
    const report = await h.offsets.reconcile();
    expect(report.mismatches, 'offset mismatches').to.deep.equal([]);
    expect(report.billMismatches, 'bill mismatches').to.deep.equal([]);
    expect(report.ok).to.equal(true);
  }

  before(async function () {
    if (!mariadbAvailable) {
      // No MariaDB: SQLite serialises every writer, so these races cannot happen on it.
      this.skip();
    }
    h = await startOffsetHarness(mariadbKind, simpleHost);
    c = await assessedComplaint(h, '101');
  });
  after(async () => h?.close());
  afterEach(() => expect(h?.unexpectedErrors ?? [], 'no 500s').to.deep.equal([]));

  it('revoking the remainder while 30 applications run: applied + revoked = approved exactly, never over', async () => {
    const splits: string[] = [];
    // The revoke starts once 0, 5 and 15 of the applications have finished: first, early and late in the run.
    for (const after of [0, 5, 15]) {
      const o = await approvedOffset(h, c.id, '30.00'); // 3000 fen, 30 applications of 1 yuan would use it all
      const bill = await newBill(100000);
      let done = 0;
      let startRevoke!: () => void;
      const revokeGate = new Promise<void>((resolve) => (startRevoke = resolve));
      if (after === 0) startRevoke();
      const applies = Array.from({ length: 30 }, (_, i) =>
        h.offsets.apply({ offsetId: o.id, billId: bill, amountFen: 100, idempotencyKey: `race-rv-${o.id}-${i}` }, i % 2 ? cashier : cashier2).finally(() => {
          if (++done === after) startRevoke();
        }),
      );
      const revoke = revokeGate.then(() => h.offsets.revoke(o.id, { note: '撤回余额' }, supervisor));
      const results = await outcomes([...applies, revoke], ['revoked', 'exceeds_remaining', 'offset_used']);
      const appliedFen = results.slice(0, 30).filter((r) => r.ok).length * 100;
      for (const r of results.slice(0, 30)) if (!r.ok) expect(r.code).to.equal('revoked');
      const revoked = results[30]!;
      const row = await offsetRow(h.db, h, o.id);
      expect(Number(row.remaining_fen)).to.equal(0);
      expect(Number(row.approved_fen)).to.equal(3000);
      if (revoked.ok) {
        expect(row.status).to.equal('revoked');
        expect(Number(row.revoked_fen)).to.equal(3000 - appliedFen);
        expect(revoked.value.revokedFen).to.equal(3000 - appliedFen);
      } else {
        // Every application came first: nothing was left to revoke.
        expect(revoked.code).to.equal('offset_used');
        expect(appliedFen).to.equal(3000);
        expect(row.status).to.equal('exhausted');
      }
      expect(appliedFen + Number(row.revoked_fen)).to.equal(3000);
      expect(appliedFen).to.be.at.least(after * 100);
      expect(await liveApplicationsOf(bill)).to.equal(appliedFen);
      expect(await ledgerOf(bill)).to.equal(appliedFen);
      // The revoke event says exactly what it withdrew.
      const events = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id })) as Array<{ action: string; changes: string | null }>;
      expect(events.filter((e) => e.action === 'apply')).to.have.length(appliedFen / 100);
      if (revoked.ok) expect(JSON.parse(events.find((e) => e.action === 'revoke')!.changes!).revoked_fen).to.deep.equal([0, 3000 - appliedFen]);
      splits.push(`${appliedFen / 100} applied / ${(3000 - appliedFen) / 100} revoked`);
      await expectClean();
    }
    console.log(`      [mariadb] revoke racing 30 applications (yuan): ${splits.join('; ')}`);
  });

  it('two different approved offsets applied to one bill at once never take more than the bill (41,210 fen bills, 20 rounds)', async () => {
    let bothRefused = 0;
    for (let round = 0; round < 20; round++) {
      const a = await approvedOffset(h, c.id, '210.00');
      const b = await approvedOffset(h, c.id, '210.00');
      const bill = await newBill(41210);
      // Either fits alone (21,000 fen); together (42,000) they do not.
      const results = await outcomes(
        [
          h.offsets.apply({ offsetId: a.id, billId: bill, amountFen: 21000, idempotencyKey: `race-two-${bill}-a` }, cashier),
          h.offsets.apply({ offsetId: b.id, billId: bill, amountFen: 21000, idempotencyKey: `race-two-${bill}-b` }, cashier2),
        ],
        ['exceeds_bill'],
      );
      const ok = results.filter((r) => r.ok).length;
      if (ok === 0) bothRefused++;
      expect(ok, `round ${round}: exactly one of the two fits`).to.equal(1);
      expect(await liveApplicationsOf(bill)).to.equal(21000);
      expect(await ledgerOf(bill)).to.equal(21000);
      // The refused offset kept all it had.
      const refusedOffset = results[0]!.ok ? b : a;
      expect(Number((await offsetRow(h.db, h, refusedOffset.id)).remaining_fen)).to.equal(21000);
    }
    expect(bothRefused).to.equal(0);
    // Many offsets at once on one bill: 12 × 4,000 fen against 41,210 fen; exactly 10 fit.
    const many = [];
    for (let i = 0; i < 12; i++) many.push(await approvedOffset(h, c.id, '40.00'));
    const bill = await newBill(41210);
    const results = await outcomes(
      many.map((o, i) =>
        h.offsets.apply({ offsetId: o.id, billId: bill, amountFen: 4000, idempotencyKey: `race-many-${bill}-${i}` }, i % 2 ? cashier : cashier2),
      ),
      ['exceeds_bill'],
    );
    expect(results.filter((r) => r.ok)).to.have.length(10);
    expect(await liveApplicationsOf(bill)).to.equal(40000);
    expect(await ledgerOf(bill)).to.equal(40000);
    await expectClean();
  });

  it('a reversal racing a new application and a replay on the same bill: the bill never overflows, each call succeeds or is cleanly refused', async () => {
    const tally = { newApplied: 0, newRefused: 0, replayApplied: 0, replayRefused: 0 };
    for (let round = 0; round < 20; round++) {
      const a = await approvedOffset(h, c.id, '300.00');
      const b = await approvedOffset(h, c.id, '300.00');
      const bill = await newBill(41210);
      const payA = { offsetId: a.id, billId: bill, amountFen: 30000, idempotencyKey: `race-rev-${bill}-a` };
      await h.offsets.apply(payA, cashier);
      // B fits only once A's 30,000 fen are given back.
      // The reversal starts 0–8 ms after the others, so both orders of the race occur over the rounds.
      const [reversal, fresh, replay] = await outcomes(
        [
          new Promise((r) => setTimeout(r, (round % 5) * 2)).then(() =>
            h.offsets.reverse({ idempotencyKey: payA.idempotencyKey, reversalKey: `race-rev-${bill}-void`, billId: bill }, cashier),
          ),
          h.offsets.apply({ offsetId: b.id, billId: bill, amountFen: 30000, idempotencyKey: `race-rev-${bill}-b` }, cashier2),
          h.offsets.apply(payA, cashier),
        ],
        ['exceeds_bill', 'already_reversed'],
      );
      expect(reversal!.ok, 'the reversal always goes through').to.equal(true);
      if (fresh!.ok) tally.newApplied++;
      else {
        expect((fresh as { code: string }).code).to.equal('exceeds_bill');
        tally.newRefused++;
      }
      if (replay?.ok) {
        // A replay answered before the reversal committed says "applied", from the stored row.
        expect(replay.value).to.include({ state: 'applied', applicationId: (await h.offsets.applications([payA.idempotencyKey]))[0]!.id });
        tally.replayApplied++;
      } else {
        expect((replay as { code: string }).code).to.equal('already_reversed');
        tally.replayRefused++;
      }
      const live = await liveApplicationsOf(bill);
      expect(live).to.equal(fresh!.ok ? 30000 : 0);
      expect(live).to.be.at.most(41210);
      expect(await ledgerOf(bill)).to.equal(live);
      expect(Number((await offsetRow(h.db, h, a.id)).remaining_fen)).to.equal(30000);
      expect(Number((await offsetRow(h.db, h, b.id)).remaining_fen)).to.equal(fresh!.ok ? 0 : 30000);
      // Still refused once everything settled: the replay of a reversed key never applies again.
      const later = await outcomes([h.offsets.apply(payA, cashier)], ['already_reversed']);
      expect(later[0]!.ok).to.equal(false);
    }
    await expectClean();
    console.log(`      [mariadb] reversal racing apply and replay, 20 rounds: ${JSON.stringify(tally)}`);
  });
});

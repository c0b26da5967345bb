// The races issue 22 named, each made to happen in one order by a signal (never a sleep), and each
// written to fail on a named mutant of the code that guards it (the report of issue 22 shows each one
// failing with its mutant applied):
// - revoke vs apply (MariaDB): an application holds the offset row in the ERP's open transaction while
//   the revoke, which read the offset before, sends its UPDATE of that row (knex's query event); then the
//   ERP commits. Mutants: revoke withdrawing the remainder it read
//   instead of the one in the row; revoke without its status guard (it would revoke a used-up offset).
// - approve vs cancel, approve vs reclassification: the approval is held after its first reads (at its
//   settings read, a gate around the real SettingsStore), the complaint is cancelled or reclassified as a
//   non-property dispute, then the approval goes on. Mutant: approve without the re-check of the
//   complaint inside its transaction.
// - expiry at the moment of apply: the clock (the one thing tests may fake) passes midnight of the expiry
//   date between apply's check and its UPDATE. Mutant: the UPDATE without its expiry condition.
// - reassessment from non-property to property clears the third party and the explanation. Mutant: the
//   assess patch keeping them.
// All but the first also run on SQLite (no concurrency needed there), which lets the mutation run see them.
import { expect } from 'chai';
import type { Clock } from '../../src/clock.js';
import type { PluginContext } from '../../src/common/context.js';
import type { Complaint } from '../../src/complaints/types.js';
import { createOffsetService } from '../../src/offsets/service.js';
import type { SettingsStore } from '../../src/settings/settings.js';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds, mariadbAvailable, mariadbKind } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { cashier, director, supervisor, counter } = people;

/** A deferred: a promise and the function that settles it. */
function signal<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}

let billSeq = 0;
async function newBill(h: OffsetHarness, amountFen: number): Promise<string> {
  const id = 950000 + ++billSeq;
  await h.db('bills').insert({ id, unit_id: 101, amount: (amountFen / 100).toFixed(2), period: '2026-11', status: 'unpaid' });
  return String(id);
}

/**
 * The plugin context with a gate on the first settings read: `reached` fires when the code under test gets
 * there, and it goes on only after `open()`. Everything else is the harness's real context.
 */
function gatedSettings(h: OffsetHarness): { ctx: PluginContext; reached: Promise<void>; open: () => void } {
  const reached = signal();
  const gate = signal();
  let armed = true;
  const real = h.ctx.settings;
  const settings = Object.create(real) as SettingsStore;
  settings.get = async () => {
    if (armed) {
      armed = false;
      reached.fire();
      await gate.promise;
    }
    return real.get();
  };
  return { ctx: { ...h.ctx, settings }, reached: reached.promise, open: () => gate.fire() };
}

for (const kind of databaseKinds) {
  describe(`the races of issue 22 (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('approve vs cancel: a complaint cancelled after the approval read it refuses the approval (complaint_cancelled), nothing approved', async () => {
      const c = await assessedComplaint(h, '101');
      const raised = await h.offsets.raise({ complaintId: c.id, amount: '50.00', reason: '漏水损失，同意以物业费抵扣' }, counter);
      const gated = gatedSettings(h);
      const approving = createOffsetService(gated.ctx).approve(raised.id, { note: '同意', version: raised.version }, director);
      await gated.reached; // the approval has read the offset and its complaint (still open)
      await h.complaints.transition(c.id, 'cancel', { version: c.version, cancelKind: 'duplicate', reason: '重复登记' }, supervisor);
      gated.open();
      await refused(approving, 'complaint_cancelled', 409);
      const row = await offsetRow(h.db, h, raised.id);
      expect(row.status).to.not.equal('approved');
      expect(Number(row.remaining_fen)).to.equal(0);
    });

    it('approve vs reclassification: a complaint reassessed as non-property after the approval read it refuses the approval', async () => {
      const c = await assessedComplaint(h, '101');
      const raised = await h.offsets.raise({ complaintId: c.id, amount: '60.00', reason: '漏水损失，同意以物业费抵扣' }, counter);
      const gated = gatedSettings(h);
      const approving = createOffsetService(gated.ctx).approve(raised.id, { note: '同意', version: raised.version }, director);
      await gated.reached;
      await h.complaints.transition(
        c.id,
        'assess',
        { version: c.version, disputeType: 'non_property', nature: 'valid', severity: 'important', thirdParty: 'neighbour', responsibilityExplained: true },
        supervisor,
      );
      gated.open();
      await refused(approving, 'non_property_dispute', 409);
      const row = await offsetRow(h.db, h, raised.id);
      expect(row.status).to.equal('requested');
      expect(row.approved_fen).to.equal(null);
    });

    it('expiry at the moment of apply: midnight of the expiry date passing between the check and the UPDATE refuses it (expired), nothing taken', async () => {
      const c = await assessedComplaint(h, '101');
      const o = await approvedOffset(h, c.id, '20.00', { expiresOn: '2026-11-30' });
      const billId = await newBill(h, 10000);
      // 23:59:59.9 on 30 November in Shanghai for the check, 00:00:00.1 on 1 December from then on.
      let calls = 0;
      const clock: Clock = { now: () => new Date(calls++ === 0 ? '2026-11-30T15:59:59.900Z' : '2026-11-30T16:00:00.100Z') };
      const service = createOffsetService({ ...h.ctx, clock });
      await refused(service.apply({ offsetId: o.id, billId, amountFen: 500, idempotencyKey: `exp-${o.id}` }, cashier), 'expired', 409);
      expect(calls, 'the clock was read at the check and again in the transaction').to.be.greaterThan(1);
      const row = await offsetRow(h.db, h, o.id);
      expect(Number(row.remaining_fen)).to.equal(2000);
      expect(await h.db(h.ctx.tables.offsetApplications).where({ offset_id: o.id }).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
      // The same call a moment earlier, both reads on the last valid day, goes through.
      const early = createOffsetService({ ...h.ctx, clock: { now: () => new Date('2026-11-30T15:59:59.000Z') } });
      const answer = await early.apply({ offsetId: o.id, billId, amountFen: 500, idempotencyKey: `exp2-${o.id}` }, cashier);
      expect(answer.remainingFen).to.equal(1500);
    });

    it('cancelling one complaint withdraws its own open offsets only, and keeps the cancellation on the complaint', async () => {
      const keep = await assessedComplaint(h, '101');
      const kept = await approvedOffset(h, keep.id, '10.00');
      const gone = await assessedComplaint(h, '101');
      const raised = await h.offsets.raise({ complaintId: gone.id, amount: '5.00', reason: '漏水损失，同意以物业费抵扣' }, counter);
      const cancelled = await h.complaints.transition(gone.id, 'cancel', { version: gone.version, cancelKind: 'duplicate', reason: '重复登记' }, supervisor);
      expect(cancelled.cancelKind).to.equal('duplicate');
      expect(cancelled.cancelReason).to.equal('重复登记');
      expect(cancelled.cancelledAt).to.not.equal(null);
      expect((await offsetRow(h.db, h, raised.id)).status, 'the cancelled complaint’s request').to.not.equal('requested');
      const other = await offsetRow(h.db, h, kept.id);
      expect(other.status, 'another complaint’s offset').to.equal('approved');
      expect(Number(other.remaining_fen)).to.equal(1000);
    });

    it('reassessing a non-property dispute as property clears the third party and the explanation', async () => {
      const c = await assessedComplaint(h, '101', { disputeType: 'non_property' });
      expect(c.thirdParty).to.equal('neighbour');
      expect(c.responsibilityExplained).to.equal(true);
      const again = await h.complaints.transition(
        c.id,
        'assess',
        { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        supervisor,
      );
      const stored = await h.complaints.get(c.id, supervisor);
      for (const read of [again, (stored as { complaint?: Complaint }).complaint ?? (stored as unknown as Complaint)]) {
        expect(read.disputeType).to.equal('property');
        expect(read.thirdParty, 'a property dispute has no third party').to.equal(null);
        expect(read.responsibilityExplained, 'nor an up-front explanation of one').to.equal(null);
      }
    });
  });
}

describe('revoke vs apply in the ERP’s open transaction (mariadb)', function () {
  this.timeout(60000);
  let h: OffsetHarness;
  let c: Complaint;

  /**
   * Fires once the revoke sends its UPDATE of the offset row (knex's query event): by then it has read the
   * offset, before the ERP's application was committed, and its UPDATE cannot finish before that commit
   * (the application's row lock; MariaDB shows it "Searching rows for update").
   */
  function revokeUpdateSent(): Promise<void> {
    const sent = signal();
    const listener = (q: { sql: string }) => {
      if (/^update `\w*offsets` set `revoked_fen`/.test(q.sql)) {
        h.db.removeListener('query', listener);
        sent.fire();
      }
    };
    h.db.on('query', listener);
    return sent.promise;
  }

  /** Applies `amountFen` inside an open ERP transaction, starts the revoke, lets it wait on the row, commits. */
  async function revokeWhileApplying(offsetId: number, version: number, amountFen: number) {
    const billId = await newBill(h, 100000);
    const applied = signal();
    const commit = signal();
    const erp = h.db.transaction(async (trx) => {
      await h.offsets.apply({ offsetId, billId, amountFen, idempotencyKey: `pay-${offsetId}` }, cashier, { trx });
      applied.fire();
      await commit.promise;
    });
    await applied.promise;
    const updating = revokeUpdateSent();
    const revoking = h.offsets.revoke(offsetId, { note: '业主改选现金赔付', version }, director).then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    await updating; // the revoke read the offset before the application was committed
    commit.fire();
    await erp;
    return revoking;
  }

  before(async function () {
    if (!mariadbAvailable) this.skip(); // SQLite serialises writers: the revoke cannot wait on a row there
    h = await startOffsetHarness(mariadbKind, simpleHost);
    c = await assessedComplaint(h, '101');
  });
  after(async () => h?.close());

  it('the revoke withdraws what is left after the application, not what it read: applied + revoked = approved', async () => {
    const o = await approvedOffset(h, c.id, '30.00');
    const outcome = await revokeWhileApplying(o.id, o.version, 1000);
    expect(outcome.ok, outcome.ok ? '' : String((outcome as { err: unknown }).err)).to.equal(true);
    const row = await offsetRow(h.db, h, o.id);
    expect(row.status).to.equal('revoked');
    expect(Number(row.remaining_fen)).to.equal(0);
    expect(Number(row.revoked_fen), 'revoked = approved − applied').to.equal(2000);
    const report = await h.offsets.reconcile();
    expect(report.mismatches).to.deep.equal([]);
    expect(report.ok).to.equal(true);
  });

  it('an application that used it all first leaves nothing to revoke: offset_used, still exhausted', async () => {
    const o = await approvedOffset(h, c.id, '30.00');
    const outcome = await revokeWhileApplying(o.id, o.version, 3000);
    expect(outcome.ok).to.equal(false);
    const err = (outcome as { err: { code?: string } }).err;
    expect(err.code).to.equal('offset_used');
    const row = await offsetRow(h.db, h, o.id);
    expect(row.status).to.equal('exhausted');
    expect(Number(row.revoked_fen)).to.equal(0);
    expect((await h.offsets.reconcile()).ok).to.equal(true);
  });
});

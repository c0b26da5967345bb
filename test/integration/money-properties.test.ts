// Issue 13's property-based test: fast-check drives random sequences of raise / approve / revoke /
// cancel complaint / apply / reverse / replay / the host marking a bill paid, by several people (a
// requester, a supervisor and a manager with different limits, two cashiers), against the real offsets
// service on a real database. A small model predicts each answer (success or the refusal code), and
// after every step the rows are read back and must hold:
// - per offset: approved = applied − reversed + remaining + revoked, remaining ≥ 0, as the model says;
// - per bill: applied ≤ the bill's amount, and its ledger row = the sum of its live applications;
// - nothing applied to a paid bill or to an offset of a cancelled complaint, nothing approved by one
//   approver on one complaint beyond their limit; and reconciliation is clean.
// The seed is fixed (MONEY_SEED overrides it) and printed on failure, with the shrunk command list.
import { expect } from 'chai';
import fc from 'fast-check';
import { DomainError } from '../../src/common/errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/auth/actor.js';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people } from '../support/pluginHarness.js';
import { assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const SEED = Number(process.env.MONEY_SEED ?? 20261206);
const LIMITS = { supervisor: 3000, manager: 8000, director: null };
const APPROVERS: Array<{ actor: Actor; limitFen: number }> = [
  { actor: people.supervisor, limitFen: LIMITS.supervisor },
  { actor: people.manager, limitFen: LIMITS.manager },
];
const CASHIERS: Actor[] = [people.cashier, { ...people.cashier, id: 'cash-2', name: '收银员钱多' }];
const BILL_AMOUNTS = [3000, 5000, 800];

type Status = 'requested' | 'approved' | 'exhausted' | 'revoked';
interface MOffset {
  id: number;
  complaint: number;
  status: Status;
  requestedFen: number;
  approvedFen: number;
  remainingFen: number;
  revokedFen: number;
}
interface MApp {
  key: string;
  offset: number;
  bill: number;
  amountFen: number;
  state: 'applied' | 'reversed';
  answer: unknown;
}
interface MBill {
  id: string;
  amountFen: number;
  paid: boolean;
  appliedFen: number;
  applications: number;
}
interface Model {
  complaints: Array<{ id: number; cancelled: boolean; approvedBy: Map<string, number> }>;
  offsets: MOffset[];
  apps: MApp[];
  bills: MBill[];
}
interface Real {
  h: OffsetHarness;
}

let keySeq = 0;
const nextKey = (label: string) => `prop-${label}-${++keySeq}`;

/** What the call answered: its value, or the refusal code; anything else is a failure of the test. */
async function outcome<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await call };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { ok: false, code: (err as DomainError & { refusal?: string }).refusal ?? err.code };
  }
}

/** How often each command succeeded or was refused with each code (printed, to show what was exercised). */
const tally = new Map<string, number>();

function expectOutcome(what: string, got: { ok: boolean; code?: string }, expected: string | null): void {
  expect(got.ok ? null : got.code, what).to.equal(expected);
  const name = `${what.slice(0, what.indexOf('('))}:${got.ok ? 'ok' : got.code}`;
  tally.set(name, (tally.get(name) ?? 0) + 1);
}

const pick = <T>(list: T[], n: number): T => list[n % list.length]!;

/** Mostly one of the offsets in `statuses` (so the step can do something), sometimes any (so refusals occur too). */
function pickOffset(m: Model, n: number, statuses: Status[]): MOffset {
  const live = m.offsets.filter((o) => statuses.includes(o.status));
  return n % 4 !== 0 && live.length ? pick(live, n >> 2) : pick(m.offsets, n);
}

/** Every invariant, read from the rows of this run's offsets and bills. */
async function checkInvariants(m: Model, { h }: Real): Promise<void> {
  const t = h.ctx.tables;
  const ids = m.offsets.map((o) => o.id);
  const rows = ids.length ? ((await h.db(t.offsets).whereIn('id', ids)) as Array<Record<string, any>>) : [];
  const apps = ids.length ? ((await h.db(t.offsetApplications).whereIn('offset_id', ids)) as Array<Record<string, any>>) : [];
  for (const o of m.offsets) {
    const row = rows.find((r) => Number(r.id) === o.id)!;
    const mine = apps.filter((a) => Number(a.offset_id) === o.id);
    const applied = mine.reduce((s, a) => s + Number(a.amount_fen), 0);
    const reversed = mine.filter((a) => a.state === 'reversed').reduce((s, a) => s + Number(a.amount_fen), 0);
    const approved = Number(row.approved_fen ?? 0);
    const remaining = Number(row.remaining_fen);
    const revoked = Number(row.revoked_fen);
    expect(approved, `offset ${o.id}: approved = applied − reversed + remaining + revoked`).to.equal(applied - reversed + remaining + revoked);
    expect(remaining, `offset ${o.id}: remaining ≥ 0`).to.be.at.least(0);
    expect([row.status, approved, remaining, revoked], `offset ${o.id} as the model has it`).to.deep.equal([
      o.status,
      o.approvedFen,
      o.remainingFen,
      o.revokedFen,
    ]);
    // A cancelled complaint's offsets are never left usable.
    if (m.complaints[o.complaint]!.cancelled) expect(row.status, `offset ${o.id} of a cancelled complaint`).to.be.oneOf(['revoked', 'exhausted']);
  }
  for (const b of m.bills) {
    const live = (await h.db(t.offsetApplications).where({ bill_id: b.id, state: 'applied' })) as Array<Record<string, any>>;
    const liveFen = live.reduce((s, a) => s + Number(a.amount_fen), 0);
    const ledger = (await h.db(t.offsetBillLedger).where({ bill_id: b.id }).first()) as Record<string, any> | undefined;
    expect(liveFen, `bill ${b.id}: applied ≤ amount`).to.be.at.most(b.amountFen);
    expect(Number(ledger?.applied_fen ?? 0), `bill ${b.id}: ledger = live applications`).to.equal(liveFen);
    expect(liveFen, `bill ${b.id} as the model has it`).to.equal(b.appliedFen);
    // No application was made beyond those the model accepted (none on a paid bill).
    expect(Number(((await h.db(t.offsetApplications).where({ bill_id: b.id }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)).to.equal(
      b.applications,
    );
  }
  for (const c of m.complaints) {
    const byApprover = (await h.db(t.offsets).where({ complaint_id: c.id }).whereNotNull('approved_fen').select('decided_by', 'approved_fen')) as Array<
      Record<string, any>
    >;
    for (const { actor, limitFen } of APPROVERS) {
      const total = byApprover.filter((r) => r.decided_by === actor.id).reduce((s, r) => s + Number(r.approved_fen), 0);
      expect(total, `${actor.id} on complaint ${c.id}: within the limit`).to.be.at.most(limitFen);
    }
  }
  const report = await h.offsets.reconcile();
  expect([report.mismatches, report.billMismatches], 'reconciliation').to.deep.equal([[], []]);
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Raise implements Cmd {
  constructor(
    readonly complaint: number,
    readonly amountFen: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = pick(m.complaints, this.complaint);
    const got = await outcome(r.h.offsets.raise({ complaintId: c.id, amount: (this.amountFen / 100).toFixed(2), reason: '性质测试' }, people.counter));
    expectOutcome(this.toString(), got, c.cancelled ? 'complaint_cancelled' : null);
    if (got.ok)
      m.offsets.push({
        id: got.value.id,
        complaint: m.complaints.indexOf(c),
        status: 'requested',
        requestedFen: this.amountFen,
        approvedFen: 0,
        remainingFen: 0,
        revokedFen: 0,
      });
    await checkInvariants(m, r);
  }
  toString = () => `raise(c${this.complaint}, ${this.amountFen})`;
}

class Approve implements Cmd {
  constructor(
    readonly offset: number,
    readonly approver: number,
    readonly percent: number,
  ) {}
  check = (m: Readonly<Model>) => m.offsets.length > 0;
  async run(m: Model, r: Real) {
    const o = pickOffset(m, this.offset, ['requested']);
    const { actor, limitFen } = pick(APPROVERS, this.approver);
    const c = m.complaints[o.complaint]!;
    const amountFen = Math.max(1, Math.floor((o.requestedFen * this.percent) / 100));
    const already = c.approvedBy.get(actor.id) ?? 0;
    const expected = c.cancelled
      ? 'complaint_cancelled'
      : o.status !== 'requested'
        ? 'offset_not_pending'
        : already + amountFen > limitFen
          ? 'over_approval_limit'
          : null;
    const got = await outcome(r.h.offsets.approve(o.id, { amount: (amountFen / 100).toFixed(2) }, actor));
    expectOutcome(this.toString(), got, expected);
    if (got.ok) {
      Object.assign(o, { status: 'approved', approvedFen: amountFen, remainingFen: amountFen });
      c.approvedBy.set(actor.id, already + amountFen);
    }
    await checkInvariants(m, r);
  }
  toString = () => `approve(o${this.offset}, ${pick(APPROVERS, this.approver).actor.id}, ${this.percent}%)`;
}

class Revoke implements Cmd {
  constructor(readonly offset: number) {}
  check = (m: Readonly<Model>) => m.offsets.length > 0;
  async run(m: Model, r: Real) {
    const o = pick(m.offsets, this.offset);
    const expected = o.status === 'approved' ? null : o.status === 'exhausted' ? 'offset_used' : 'offset_not_approved';
    const got = await outcome(r.h.offsets.revoke(o.id, { note: '撤回余额' }, people.supervisor));
    expectOutcome(this.toString(), got, expected);
    if (got.ok) Object.assign(o, { status: 'revoked', revokedFen: o.revokedFen + o.remainingFen, remainingFen: 0 });
    await checkInvariants(m, r);
  }
  toString = () => `revoke(o${this.offset})`;
}

class Cancel implements Cmd {
  constructor(readonly complaint: number) {}
  check = (m: Readonly<Model>) => !pick(m.complaints, this.complaint).cancelled;
  async run(m: Model, r: Real) {
    const c = pick(m.complaints, this.complaint);
    const row = (await r.h.db(r.h.ctx.tables.complaints).where({ id: c.id }).first('version')) as { version: number };
    await r.h.complaints.transition(c.id, 'cancel', { version: Number(row.version), cancelKind: 'registered_in_error', reason: '误登记' }, people.supervisor);
    c.cancelled = true;
    for (const o of m.offsets) {
      if (m.complaints[o.complaint] !== c || (o.status !== 'requested' && o.status !== 'approved')) continue;
      Object.assign(o, { status: 'revoked', revokedFen: o.revokedFen + o.remainingFen, remainingFen: 0 });
    }
    await checkInvariants(m, r);
  }
  toString = () => `cancel(c${this.complaint})`;
}

class Apply implements Cmd {
  constructor(
    readonly offset: number,
    readonly bill: number,
    readonly amountFen: number,
    readonly cashier: number,
  ) {}
  check = (m: Readonly<Model>) => m.offsets.length > 0;
  async run(m: Model, r: Real) {
    const o = pickOffset(m, this.offset, ['approved']);
    const b = pick(m.bills, this.bill);
    const key = nextKey('pay');
    const expected =
      o.status === 'requested'
        ? 'not_approved'
        : o.status === 'revoked'
          ? 'revoked'
          : b.paid
            ? 'bill_paid'
            : b.appliedFen + this.amountFen > b.amountFen
              ? 'exceeds_bill'
              : o.status === 'exhausted' || o.remainingFen < this.amountFen
                ? 'exceeds_remaining'
                : null;
    const got = await outcome(
      r.h.offsets.apply({ offsetId: o.id, billId: b.id, amountFen: this.amountFen, idempotencyKey: key }, pick(CASHIERS, this.cashier)),
    );
    expectOutcome(this.toString(), got, expected);
    if (got.ok) {
      o.remainingFen -= this.amountFen;
      if (o.remainingFen === 0) o.status = 'exhausted';
      b.appliedFen += this.amountFen;
      b.applications++;
      m.apps.push({ key, offset: m.offsets.indexOf(o), bill: m.bills.indexOf(b), amountFen: this.amountFen, state: 'applied', answer: got.value });
    }
    await checkInvariants(m, r);
  }
  toString = () => `apply(o${this.offset}, b${this.bill}, ${this.amountFen}, cashier ${this.cashier})`;
}

class Reverse implements Cmd {
  constructor(
    readonly app: number,
    readonly cashier: number,
  ) {}
  check = (m: Readonly<Model>) => m.apps.length > 0;
  async run(m: Model, r: Real) {
    const a = pick(m.apps, this.app);
    const got = await outcome(r.h.offsets.reverse({ idempotencyKey: a.key, reversalKey: nextKey('void') }, pick(CASHIERS, this.cashier)));
    expectOutcome(this.toString(), got, a.state === 'applied' ? null : 'already_reversed');
    if (got.ok) {
      const o = m.offsets[a.offset]!;
      a.state = 'reversed';
      m.bills[a.bill]!.appliedFen -= a.amountFen;
      if (o.status === 'revoked') o.revokedFen += a.amountFen;
      else Object.assign(o, { status: 'approved', remainingFen: o.remainingFen + a.amountFen });
    }
    await checkInvariants(m, r);
  }
  toString = () => `reverse(a${this.app}, cashier ${this.cashier})`;
}

class Replay implements Cmd {
  constructor(readonly app: number) {}
  check = (m: Readonly<Model>) => m.apps.length > 0;
  async run(m: Model, r: Real) {
    const a = pick(m.apps, this.app);
    const o = m.offsets[a.offset]!;
    const got = await outcome(
      r.h.offsets.apply({ offsetId: o.id, billId: m.bills[a.bill]!.id, amountFen: a.amountFen, idempotencyKey: a.key }, pick(CASHIERS, 0)),
    );
    expectOutcome(this.toString(), got, a.state === 'applied' ? null : 'already_reversed');
    // A replay answers exactly what the first call answered, whatever happened to the bill or offset since.
    if (got.ok) expect(got.value, this.toString()).to.deep.equal(a.answer);
    await checkInvariants(m, r);
  }
  toString = () => `replay(a${this.app})`;
}

class PayBill implements Cmd {
  constructor(readonly bill: number) {}
  check = (m: Readonly<Model>) => !pick(m.bills, this.bill).paid;
  async run(m: Model, r: Real) {
    const b = pick(m.bills, this.bill);
    await r.h
      .db('bills')
      .where({ id: Number(b.id) })
      .update({ status: 'paid' });
    b.paid = true;
    await checkInvariants(m, r);
  }
  toString = () => `payBill(b${this.bill})`;
}

const raise = fc.tuple(fc.nat(2), fc.integer({ min: 100, max: 5000 })).map(([c, a]) => new Raise(c, a));
const approve = fc.tuple(fc.nat(), fc.nat(1), fc.integer({ min: 20, max: 100 })).map(([o, who, p]) => new Approve(o, who, p));
const apply = fc.tuple(fc.nat(), fc.nat(2), fc.integer({ min: 1, max: 2500 }), fc.nat(1)).map(([o, b, a, c]) => new Apply(o, b, a, c));
// Listed more than once to weigh them: mostly requests, approvals and applications; a cancellation or a
// bill paid now and then, so the sequences are not over after their first steps.
const commands = [
  raise,
  raise,
  approve,
  approve,
  approve,
  apply,
  apply,
  apply,
  apply,
  fc.tuple(fc.nat(), fc.nat(1)).map(([a, c]) => new Reverse(a, c)),
  fc.nat().map((a) => new Replay(a)),
  fc.nat().map((o) => new Revoke(o)),
  fc.nat(2).map((c) => new Cancel(c)),
  fc.nat(2).map((b) => new PayBill(b)),
];

for (const kind of databaseKinds) {
  describe(`money properties of issue 13 (${kind.kind})`, function () {
    this.timeout(120000);
    let h: OffsetHarness;
    let billSeq = 0;
    // Fewer runs on MariaDB, where every statement is a network round trip.
    const numRuns = kind.kind === 'sqlite' ? 40 : 10;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      await h.ctx.settings.update({ roleApprovalLimitsFen: LIMITS }, SYSTEM_ACTOR);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    it(`keeps every invariant after every step of ${numRuns} random sequences (seed ${SEED})`, async () => {
      const started = Date.now();
      let steps = 0;
      tally.clear();
      const setup = async (): Promise<{ model: Model; real: Real }> => {
        const complaints = [];
        for (let i = 0; i < 3; i++) complaints.push({ id: (await assessedComplaint(h, '101')).id, cancelled: false, approvedBy: new Map<string, number>() });
        const bills: MBill[] = [];
        for (const amountFen of BILL_AMOUNTS) {
          const id = 400000 + ++billSeq;
          await h.db('bills').insert({ id, unit_id: 101, amount: (amountFen / 100).toFixed(2), period: '2026-11', status: 'unpaid' });
          bills.push({ id: String(id), amountFen, paid: false, appliedFen: 0, applications: 0 });
        }
        return { model: { complaints, offsets: [], apps: [], bills }, real: { h } };
      };
      const property = fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'max' }), async (cmds) => {
        steps += [...cmds].length;
        await fc.asyncModelRun(setup, cmds);
      });
      try {
        await fc.assert(property, { numRuns, seed: SEED });
      } catch (err) {
        console.error(`      [${kind.kind}] money properties failed with seed ${SEED} (rerun: MONEY_SEED=${SEED})`);
        throw err;
      }
      console.log(`      [${kind.kind}] ${numRuns} sequences, about ${steps} steps (shrinking aside), ${Date.now() - started} ms`);
      console.log(
        `      outcomes: ${[...tally]
          .sort()
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}`,
      );
    });
  });
}

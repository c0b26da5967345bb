// Reliability: money under concurrency, and idempotency (MariaDB).
import { expect } from 'chai';
import { note, requireMariadb } from '../support/faults.js';
import { people } from '../support/pluginHarness.js';
import { intakeBody } from '../support/complaintData.js';
import { countRows } from '../support/offsetData.js';
import {
  cashier,
  checkBooks,
  MoneyModel,
  randomOp,
  readBooks,
  record,
  rng,
  runOp,
  startMoneyWorld,
  startStack,
  T,
  type MoneyWorld,
  type Op,
} from '../support/reliability.js';

const ROUNDS = Number(process.env.RELIABILITY_ROUNDS ?? 200);
const CONCURRENCY = 50;

describe('reliability: money under concurrency (MariaDB)', function () {
  this.timeout(180_000);
  let world: MoneyWorld;

  before(async function () {
    requireMariadb();
    world = await startMoneyWorld({ offsetsPerUnit: 2, approved: '500.00' });
  });
  after(async () => world?.h.close());

  it(`injects ${ROUNDS} rounds of ${CONCURRENCY} concurrent random applications, reversals and replays on 4 shared approvals; after every round approved = applied − reversed + remaining (reconcile and direct sums), no remaining below zero, one audit event per success, rows = what callers were told`, async function () {
    const model = new MoneyModel();
    const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    let refused = 0;
    let ok = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const claimed = new Set<string>();
      const ops: Op[] = Array.from({ length: CONCURRENCY }, () => randomOp(world, model, random, claimed));
      // One call in five goes through the signed billing API, the rest through the in-process hooks.
      const outcomes = await Promise.all(ops.map((op, i) => runOp(world, op, i % 5 === 0 ? 'http' : 'hook')));
      const problems: string[] = [];
      ops.forEach((op, i) => {
        const problem = record(model, op, outcomes[i]!);
        if (problem) problems.push(problem);
        if (outcomes[i]!.status === 'ok') ok++;
        if (outcomes[i]!.status === 'refused') refused++;
      });
      problems.push(...(await checkBooks(world, model)));
      expect(problems, `round ${round} (seed ${seed}):\n${problems.join('\n')}`).to.deep.equal([]);
    }
    expect(world.h.unexpectedErrors).to.deep.equal([]);
    // The run must have exercised both sides: successes and refusals (the approvals ran out and came back).
    const books = await readBooks(world.h.db);
    note(
      `seed ${seed}: ${ok} calls succeeded, ${refused} refused; ${books.applications} applications, ${books.reversed} reversed; ${books.applyEvents + books.reverseEvents} audit events`,
    );
    expect(ok, 'successful calls').to.be.greaterThan(ROUNDS * 10);
    expect(refused, 'refused calls').to.be.greaterThan(0);
    expect(books.reversed, 'reversals').to.be.greaterThan(ROUNDS);
  });
});

describe('reliability: idempotency (MariaDB)', function () {
  this.timeout(60_000);
  let world: MoneyWorld;

  before(async function () {
    requireMariadb();
    world = await startMoneyWorld({ offsetsPerUnit: 1, approved: '500.00' });
    // A clock with milliseconds, so an answer rebuilt from the stored row would show any lost precision.
    world.h.clock.set('2026-11-28T01:02:03.456Z');
  });
  after(async () => world?.h.close());

  const apps = async (key: string) => countRows(world.h.db, T.offsetApplications, { idempotency_key: key });
  const events = async (offsetId: number, action: string) => countRows(world.h.db, T.events, { entity_type: 'offset', entity_id: offsetId, action });

  it('injects the same application key ten times at once (hooks): one application, one audit event, ten identical answers', async () => {
    const offset = world.offsets[0]!;
    const input = { offsetId: offset.id, billId: world.bills.get(offset.unitId)![0]!, amountFen: 1234, idempotencyKey: 'PAY-SAME-HOOK' };
    const before = await events(offset.id, 'apply');
    const answers = await Promise.all(Array.from({ length: 10 }, () => world.h.offsets.apply({ ...input }, cashier)));
    for (const a of answers) expect(a).to.deep.equal(answers[0]);
    expect(await apps(input.idempotencyKey)).to.equal(1);
    expect(await events(offset.id, 'apply')).to.equal(before + 1);
    expect(answers[0]!.remainingFen).to.equal(offset.approvedFen - 1234);
    // A retry later answers the same again, from the stored row.
    expect(await world.h.offsets.apply({ ...input }, cashier)).to.deep.equal(answers[0]);
  });

  it('injects the same application key ten times at once over the signed billing API: one application, ten identical 200 answers', async () => {
    const offset = world.offsets[1]!;
    const body = {
      offsetId: offset.id,
      billId: world.bills.get(offset.unitId)![0]!,
      amountFen: 777,
      idempotencyKey: 'PAY-SAME-HTTP',
      operator: { id: 'c01', name: '收银员' },
    };
    const before = await events(offset.id, 'apply');
    const answers = await Promise.all(Array.from({ length: 10 }, () => world.h.billing('POST', '/api/billing/apply', body)));
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).to.equal(200);
      expect(a.body).to.deep.equal(answers[0]!.body);
    }
    expect(await apps(body.idempotencyKey)).to.equal(1);
    expect(await events(offset.id, 'apply')).to.equal(before + 1);
  });

  it('refuses the same key with another amount, offset or bill (409 idempotency_mismatch) and changes nothing', async () => {
    const offset = world.offsets[0]!;
    const bills = world.bills.get(offset.unitId)!;
    const before = await readBooks(world.h.db);
    const variants = [
      { offsetId: offset.id, billId: bills[0]!, amountFen: 1235, idempotencyKey: 'PAY-SAME-HOOK' },
      { offsetId: offset.id, billId: bills[1]!, amountFen: 1234, idempotencyKey: 'PAY-SAME-HOOK' },
      { offsetId: world.offsets[1]!.id, billId: world.bills.get(world.offsets[1]!.unitId)![0]!, amountFen: 1234, idempotencyKey: 'PAY-SAME-HOOK' },
    ];
    for (const input of variants) {
      const err = await world.h.offsets.apply(input, cashier).then(
        () => null,
        (e: unknown) => e as { code?: string; status?: number },
      );
      expect(err?.code, JSON.stringify(input)).to.equal('idempotency_mismatch');
      expect(err?.status).to.equal(409);
    }
    // Ten mismatches at once over HTTP: all refused.
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        world.h.billing('POST', '/api/billing/apply', { offsetId: offset.id, billId: bills[0]!, amountFen: 2000 + i, idempotencyKey: 'PAY-SAME-HOOK' }),
      ),
    );
    for (const r of res) {
      expect(r.status).to.equal(409);
      expect(r.body.error.code).to.equal('idempotency_mismatch');
    }
    expect(await readBooks(world.h.db)).to.deep.equal(before);
  });

  it('injects the same reversal key ten times at once: restored once, identical answers; another reversal key is refused (409 already_reversed)', async () => {
    const offset = world.offsets[0]!;
    const before = (await world.h.db(T.offsets).where({ id: offset.id }).first()).remaining_fen as number;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => world.h.offsets.reverse({ idempotencyKey: 'PAY-SAME-HOOK', reversalKey: 'VOID-SAME' }, cashier)),
    );
    for (const a of answers) expect(a).to.deep.equal(answers[0]);
    expect(Number((await world.h.db(T.offsets).where({ id: offset.id }).first()).remaining_fen)).to.equal(Number(before) + 1234);
    expect(await events(offset.id, 'reverse')).to.equal(1);
    const other = await world.h.offsets.reverse({ idempotencyKey: 'PAY-SAME-HOOK', reversalKey: 'VOID-OTHER' }, cashier).then(
      () => null,
      (e: { code?: string; status?: number }) => e,
    );
    expect(other?.code).to.equal('already_reversed');
    expect(other?.status).to.equal(409);
    // Two different reversal keys racing on one application: exactly one restores it.
    const raced = await world.h.offsets.apply(
      { offsetId: offset.id, billId: world.bills.get(offset.unitId)![1]!, amountFen: 50, idempotencyKey: 'PAY-RACE' },
      cashier,
    );
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => world.h.offsets.reverse({ idempotencyKey: 'PAY-RACE', reversalKey: `VOID-RACE-${i}` }, cashier)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).to.equal('already_reversed');
    expect(raced.amountFen).to.equal(50);
    expect(await checkBooks(world, new MoneyModel(), { exact: false })).to.deep.equal([]);
  });

  it('injects one Idempotency-Key ten times at once on complaint intake, offset requests and compensation records: one record, one 201, nine 200 replays with the same id; another body with the key → 409', async () => {
    const stack = await startStack(world.h.db);
    try {
      const body = intakeBody('101', { description: '同一键并发十次' });
      const res = await Promise.all(
        Array.from({ length: 10 }, () => stack.api('POST', '/api/complaints', { as: people.counter, body, headers: { 'Idempotency-Key': 'form-same-ten' } })),
      );
      expect(res.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      const ids = new Set(res.map((r) => r.body.complaint.id));
      expect(ids.size).to.equal(1);
      expect(await countRows(world.h.db, T.complaints, { idempotency_key: 'form-same-ten' })).to.equal(1);
      const other = await stack.api('POST', '/api/complaints', {
        as: people.counter,
        body: { ...body, description: '另一内容' },
        headers: { 'Idempotency-Key': 'form-same-ten' },
      });
      expect(other.status).to.equal(409);
      expect(other.body.error.code).to.equal('idempotency_key_reused');

      const complaintId = [...ids][0] as number;
      await world.h.complaints.transition(
        complaintId,
        'assess',
        { version: 1, disputeType: 'property', nature: 'valid', severity: 'important' },
        people.supervisor,
      );
      const raise = { complaintId, amount: '88.00', reason: '并发申请同一键' };
      const raised = await Promise.all(
        Array.from({ length: 10 }, () =>
          stack.api('POST', '/api/offsets', { as: people.counter, body: raise, headers: { 'Idempotency-Key': 'offset-same-ten' } }),
        ),
      );
      expect(raised.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(raised.map((r) => r.body.offset.id)).size).to.equal(1);
      expect(await countRows(world.h.db, T.offsets, { complaint_id: complaintId })).to.equal(1);
      const changed = await stack.api('POST', '/api/offsets', {
        as: people.counter,
        body: { ...raise, amount: '89.00' },
        headers: { 'Idempotency-Key': 'offset-same-ten' },
      });
      expect(changed.status).to.equal(409);

      const paid = { payer: 'insurer', amount: '850.00', paidOn: '2026-11-28', method: 'transfer', reference: '并发同一键' };
      const path = `/api/complaints/${complaintId}/compensations`;
      const recorded = await Promise.all(
        Array.from({ length: 10 }, () =>
          stack.api('POST', path, { as: people.supervisor, body: paid, headers: { 'Idempotency-Key': 'compensation-same-ten' } }),
        ),
      );
      expect(recorded.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(recorded.map((r) => r.body.compensation.id)).size).to.equal(1);
      expect(await countRows(world.h.db, T.compensations, { complaint_id: complaintId })).to.equal(1);
      expect(await countRows(world.h.db, T.events, { complaint_id: complaintId, entity_type: 'compensation' })).to.equal(1);
      const edited = await stack.api('POST', path, {
        as: people.supervisor,
        body: { ...paid, amount: '851.00' },
        headers: { 'Idempotency-Key': 'compensation-same-ten' },
      });
      expect(edited.status).to.equal(409);
      expect(edited.body.error.code).to.equal('idempotency_key_reused');
      expect(stack.errors).to.deep.equal([]);
    } finally {
      await stack.close();
    }
  });
});

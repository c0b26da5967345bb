// The report's summary (report_facts) on both databases: a varied story played through the public services
// (register, start, assess and re-assess, plan, reply, follow-ups satisfied and not, offsets approved,
// applied, reversed and revoked, a rejected one, compensation, cancel, merge with a carried request, an
// incident handled and closed) leaves the summary equal to a recount from the source tables; the report
// built from it is the same before and after a full rebuild; a tampered summary is found by the check,
// in the service and through `complaints reports check` as an administrator runs it (exit 1, then 0
// after `complaints reports rebuild`), and both runs are audited.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Actor } from '../../src/auth/actor.js';
import { createCompensationService } from '../../src/compensations/service.js';
import { tableNames } from '../../src/db/tables.js';
import { buildReport } from '../../src/reports/report.js';
import { fromDbTime, toDbTime } from '../../src/db/time.js';
import { moveRollup } from '../../src/reports/rollupStore.js';
import { checkReportSummary, rebuildReportSummary } from '../../src/reports/summary.js';
import { FACT_COLUMNS, perRowSql } from '../../src/reports/summaryStore.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody, planBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people } from '../support/pluginHarness.js';

const T = tableNames('cmp_');
const exec = promisify(execFile);
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const operator: Actor = { id: 'ops-1', name: '运维', roles: ['system'], communityIds: null };

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, COMPLAINTS_LANG: '' }, timeout: 60000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

for (const kind of databaseKinds) {
  describe(`report summary: kept in the writing transactions, rebuilt and checked (${kind.kind})`, function () {
    this.timeout(180_000);
    let h: OffsetHarness;
    const ids: Record<string, number> = {};

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost, { now: '2026-11-02T01:00:00.000Z' });
      await playStory(h, ids);
    });
    after(() => h?.close());

    const ctx = () => ({ db: h.db, tables: T, clock: h.clock });
    const monthReport = () => buildReport(h.ctx, { from: '2026-11-01', to: '2026-11-30', actor: people.manager });

    it('holds one row per complaint, equal to a recount after the whole story', async () => {
      const complaints = Number(((await h.db(T.complaints).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      expect(complaints).to.be.greaterThan(8);
      const check = await checkReportSummary(ctx(), operator);
      expect(check.differences).to.deep.equal([]);
      expect(check).to.include({ ok: true, checked: complaints });
      // The story really moved money and visits through the summary (not an empty table equal to nothing).
      const a = await h.db(T.reportFacts).where({ complaint_id: ids.A }).first();
      expect([a.visits, a.satisfied, a.requests, a.approvals, a.applications, a.reversals].map(Number)).to.deep.equal([1, 1, 2, 2, 2, 1]);
      expect([a.applied_fen, a.reversed_fen, a.approved_fen].map(Number)).to.deep.equal([15000, 10000, 25000]);
      expect(Number(a.ack_ms)).to.equal(3_600_000);
      const d = await h.db(T.reportFacts).where({ complaint_id: ids.D }).first();
      expect(Number(d.requests)).to.equal(1); // the request carried over from the merged duplicate E
      expect(Number((await h.db(T.reportFacts).where({ complaint_id: ids.E }).first()).requests)).to.equal(0);
    });

    it('stays equal to a recount when applications, reversals and a follow-up of one complaint run at once', async () => {
      const g = ids.G!;
      const offset = await approvedOffset(h, g, '100.00');
      const apply = (i: number) => h.offsets.apply({ offsetId: offset.id, billId: '1004', amountFen: 100, idempotencyKey: `C-${i}` }, people.cashier);
      await Promise.all(Array.from({ length: 8 }, (_, i) => apply(i)));
      const visit = async () =>
        h.complaints.followUp(
          g,
          { version: (await h.complaints.get(g, people.supervisor)).complaint.version, method: 'phone', satisfied: true },
          people.counter,
        );
      await Promise.all([
        ...[0, 1, 2].map((i) => h.offsets.reverse({ idempotencyKey: `C-${i}`, reversalKey: `C-${i}-V` }, people.cashier)),
        ...[8, 9].map(apply),
        visit(),
      ]);
      const facts = await h.db(T.reportFacts).where({ complaint_id: g }).first();
      expect([facts.applications, facts.applied_fen, facts.reversals, facts.reversed_fen, facts.visits].map(Number)).to.deep.equal([10, 1000, 3, 300, 1]);
      const check = await checkReportSummary(ctx(), operator);
      expect(check.differences).to.deep.equal([]);
    });

    it('gives the same report before and after a full rebuild', async () => {
      const live = await monthReport();
      expect(live.complaints).to.be.greaterThan(5);
      expect(live.incidents).to.deep.equal({ incidents: 1, complaints: 2 });
      expect(live.offsets.applications).to.equal(12);
      const rebuilt = await rebuildReportSummary(ctx(), operator);
      expect(rebuilt.complaints).to.equal(live.complaints + live.cancelled + 1); // and Y, received in December
      expect(await monthReport()).to.deep.equal(live);
    });

    it('finds a tampered summary, in the service and through the CLI, and a rebuild repairs it', async () => {
      await h.db(T.reportFacts).where({ complaint_id: ids.A }).update({ visits: 9, applied_fen: 1 });
      await h.db(T.reportFacts).where({ complaint_id: ids.B }).del();
      const check = await checkReportSummary(ctx(), operator);
      expect(check.ok).to.equal(false);
      expect(check.differences).to.deep.include({ complaintId: ids.A, problem: 'differs', columns: { visits: ['9', '1'], applied_fen: ['1', '15000'] } });
      expect(check.differences).to.deep.include({ complaintId: ids.B, problem: 'missing', columns: {} });
      expect(check.differences).to.have.length(2);

      const bad = await cli(['reports', 'check', '--db', h.database.url, '--lang', 'en']);
      expect(bad.code).to.equal(1);
      expect(bad.stdout).to.include('differs from a recount for 2 complaint(s)');
      expect(bad.stdout).to.include(`complaint #${ids.A}: summary vs recount: visits 9 ≠ 1; applied_fen 1 ≠ 15000`);
      expect(bad.stdout).to.include(`complaint #${ids.B}: no summary row`);
      const zh = await cli(['reports', 'check', '--db', h.database.url]);
      expect(zh.code).to.equal(1);
      expect(zh.stdout).to.include('报表汇总与重新统计不符：2 件投诉');

      const rebuild = await cli(['reports', 'rebuild', '--db', h.database.url, '--lang', 'en']);
      expect(rebuild.code).to.equal(0);
      expect(rebuild.stdout).to.match(/^Report summary rebuilt for \d+ complaints\./);
      const good = await cli(['reports', 'check', '--db', h.database.url, '--lang', 'en']);
      expect(good.code).to.equal(0);
      expect(good.stdout).to.match(/The report summary equals a recount \(\d+ complaints\)/);

      const audited = (await h.db(T.events).where({ entity_type: 'report' }).orderBy('id')) as Array<{ action: string; actor_id: string }>;
      expect(audited.map((e) => e.action)).to.include.members(['summary_checked', 'summary_rebuilt']);
      expect(audited.filter((e) => e.actor_id.startsWith('cli:')).map((e) => e.action)).to.deep.equal([
        'summary_checked',
        'summary_checked',
        'summary_rebuilt',
        'summary_checked',
      ]);
    });

    it('refuses to run on a database without the plugin (exit 2)', async () => {
      const res = await cli(['reports', 'check', '--db', h.database.url, '--prefix', 'nope_', '--lang', 'en']);
      expect(res.code).to.equal(2);
    });

    // Last, because it adds summary rows of its own: the report reads the money, rating and 12345 sums
    // only over the rows that can have any (issue 20); every such figure must still be the sum over every
    // complaint of the period, money and ratings with the cancelled ones, 12345 without.
    it('sums the money, rating and 12345 figures over every complaint of the period, whatever else the row holds', async () => {
      // Timestamps as both drivers hand them back (Date from mysql2, UTC text from SQLite), in ms and as stored.
      const ms = (v: unknown) => fromDbTime(v as string | Date | null)?.getTime() ?? null;
      const stored = (v: unknown) => (v instanceof Date ? toDbTime(v) : v);
      // The row's own columns (not the bins the database derives from them).
      const base = Object.fromEntries(
        Object.entries(
          (await h
            .db(T.reportFacts)
            .where({ complaint_id: ids.A })
            .first(...FACT_COLUMNS)) as Record<string, unknown>,
        ).map(([k, v]) => [k, stored(v)]),
      );
      const received = ms(base.received_at)!;
      const hour = (n: number) => toDbTime(new Date(received + n * 3_600_000));
      const zero = { requests: 0, requested_fen: 0, approvals: 0, approved_fen: 0, applications: 0, applied_fen: 0, reversals: 0, reversed_fen: 0 };
      const noRatings = { ratings: 0, stars: 0, low_ratings: 0, rehandled: 0 };
      const variants: Array<Record<string, unknown>> = [
        // rated, no offsets, not 12345
        { ...zero, ratings: 2, stars: 5, low_ratings: 1, rehandled: 1, channel: 'counter', cancelled: 0 },
        // cancelled with offsets and a rating: money and ratings count it, nothing else does
        {
          ...zero,
          requests: 2,
          requested_fen: 3300,
          approvals: 1,
          approved_fen: 1100,
          ratings: 1,
          stars: 4,
          low_ratings: 0,
          rehandled: 0,
          channel: 'counter',
          cancelled: 1,
        },
        // 12345, replied an hour after its deadline
        { ...zero, ...noRatings, channel: 'hotline_12345', hotline_due_at: hour(1), resolved_at: hour(2), awaiting_follow_up: 0, cancelled: 0 },
        // 12345, replied in time
        { ...zero, ...noRatings, channel: 'hotline_12345', hotline_due_at: hour(3), resolved_at: hour(2), awaiting_follow_up: 0, cancelled: 0 },
        // 12345 but cancelled: not a referral
        { ...zero, ...noRatings, channel: 'hotline_12345', hotline_due_at: hour(1), resolved_at: null, cancelled: 1 },
        // 12345, open, past its deadline
        { ...zero, ...noRatings, channel: 'hotline_12345', hotline_due_at: hour(1), resolved_at: null, awaiting_follow_up: 0, cancelled: 0 },
      ];
      const maxId = Number(((await h.db(T.complaints).max({ id: 'id' })) as Array<{ id: number }>)[0]!.id);
      const added = variants.map((_, i) => maxId + 1000 + i);
      await h.db(T.reportFacts).insert(variants.map((v, i) => ({ ...base, ...v, complaint_id: added[i] })));
      // Written around the stores: what they do besides the recount (why each row is read one by one, and
      // its part of the monthly rollup), as they would have.
      await h
        .db(T.reportFacts)
        .whereIn('complaint_id', added)
        .update({
          per_row: h.db.raw(
            perRowSql({
              resolvedAt: 'resolved_at',
              awaitingFollowUp: 'awaiting_follow_up',
              planDeadline: 'plan_deadline',
              replyDueAt: 'reply_due_at',
              replyDueEffectiveAt: 'reply_due_effective_at',
              requests: 'requests',
            }),
          ),
        });
      await moveRollup(h.db, T, added, 1);

      const r = await monthReport();
      const rows = (await h.db(T.reportFacts).where('received_at', '>=', toDbTime(r.period.start)).where('received_at', '<', toDbTime(r.period.end))) as Array<
        Record<string, unknown>
      >;
      const count = (keep: (row: Record<string, unknown>) => boolean) => rows.filter(keep).length;
      const sum = (column: string) => rows.reduce((n, row) => n + Number(row[column]), 0);
      const referral = (row: Record<string, unknown>) => !Number(row.cancelled) && row.channel === 'hotline_12345';
      const due = (row: Record<string, unknown>) => ms(row.hotline_due_at);
      const replied = (row: Record<string, unknown>) => ms(row.resolved_at);
      expect(r.offsets).to.deep.include({
        requests: sum('requests'),
        requestedFen: sum('requested_fen'),
        approvals: sum('approvals'),
        approvedFen: sum('approved_fen'),
        applications: sum('applications'),
        appliedFen: sum('applied_fen'),
        reversals: sum('reversals'),
        reversedFen: sum('reversed_fen'),
      });
      expect(r.ownerRatings).to.deep.equal({
        count: sum('ratings'),
        averageStars: Math.round((sum('stars') / sum('ratings')) * 10) / 10,
        low: sum('low_ratings'),
        rehandled: sum('rehandled'),
      });
      const onTime = count((row) => referral(row) && replied(row) !== null && due(row) !== null && replied(row)! <= due(row)!);
      const late = count((row) => referral(row) && replied(row) !== null && due(row) !== null && replied(row)! > due(row)!);
      const overdueOpen = count((row) => referral(row) && replied(row) === null && due(row) !== null && due(row)! < r.generatedAt.getTime());
      expect(r.hotline).to.deep.include({ referrals: count(referral), replied: count((row) => referral(row) && replied(row) !== null), late, overdueOpen });
      expect(r.hotline.count).to.equal(onTime);
      // The rows added reached every branch: ratings without offsets, money on a cancelled complaint, 12345
      // answers on time, late and overdue, and a cancelled 12345 complaint left out.
      expect([r.ownerRatings.count >= 3, r.offsets.requestedFen >= 3300, onTime >= 1, late >= 1, overdueOpen >= 1]).to.deep.equal([
        true,
        true,
        true,
        true,
        true,
      ]);
      expect(count((row) => Number(row.cancelled) === 1 && row.channel === 'hotline_12345')).to.equal(1);
    });
  });
}

/** The story, through the services, with the clock moved to each step (UTC). */
async function playStory(h: OffsetHarness, ids: Record<string, number>): Promise<void> {
  const { complaints, offsets } = h;
  const compensations = createCompensationService(h.ctx);
  const at = (iso: string) => h.clock.set(new Date(iso));
  const version = async (id: number) => (await complaints.get(id, people.supervisor)).complaint.version;
  const act = async (id: number, action: string, body: Record<string, unknown>, actor: Actor = people.supervisor) =>
    complaints.transition(id, action, { version: await version(id), ...body }, actor);
  const create = async (name: string, unitId: string, extra: Record<string, unknown> = {}) => {
    const { complaint } = await complaints.create(intakeBody(unitId, extra), people.counter);
    ids[name] = complaint.id;
    return complaint.id;
  };
  const assess = (id: number, severity: string) => act(id, 'assess', { disputeType: 'property', nature: 'valid', severity, findings: '属实' });
  const resolve = (id: number) => act(id, 'resolve', { reply: '已处理', basis: '维修单' });
  const followUp = async (id: number, satisfied: boolean) =>
    (await complaints.followUp(id, { version: await version(id), method: 'phone', satisfied }, people.counter)).continuation;

  // A: the whole loop, with money: two approvals, one applied, reversed and applied again.
  at('2026-11-02T01:00:00.000Z');
  const a = await create('A', '101');
  at('2026-11-02T02:00:00.000Z');
  await act(a, 'start-investigation', { department: 'engineering' });
  await assess(a, 'important');
  await act(a, 'plan', planBody);
  at('2026-11-03T02:00:00.000Z');
  await resolve(a);
  await followUp(a, true);
  const first = await offsets.raise({ complaintId: a, amount: '150.00', reason: '漏水损失' }, people.counter);
  await offsets.approve(first.id, { version: first.version }, people.director);
  const second = await offsets.raise({ complaintId: a, amount: '100.00', reason: '第二笔' }, people.counter);
  await offsets.approve(second.id, { version: second.version }, people.director);
  await offsets.apply({ offsetId: first.id, billId: '1001', amountFen: 10000, idempotencyKey: 'S-A1' }, people.cashier);
  await offsets.reverse({ idempotencyKey: 'S-A1', reversalKey: 'S-A1-V' }, people.cashier);
  await offsets.apply({ offsetId: first.id, billId: '1001', amountFen: 5000, idempotencyKey: 'S-A2' }, people.cashier);
  // Revoked after approval: still counted as approved (the report's books).
  const revoking = await offsets.get(second.id, people.director);
  await offsets.revoke(second.id, { note: '改为赔付', version: revoking.offset.version }, people.director);
  await compensations.record(
    a,
    { payer: 'company', amount: '100', paidOn: '2026-11-03', method: 'transfer', reference: 'PC-9', note: '赔付' },
    people.supervisor,
  );

  // B: re-assessed (reclassified), replied, an unsatisfied follow-up continues as K; a rejected request.
  at('2026-11-04T01:00:00.000Z');
  const b = await create('B', '102', { channel: 'phone', category: 'service_attitude' });
  await assess(b, 'minor');
  await assess(b, 'important');
  await act(b, 'plan', planBody);
  at('2026-11-05T01:00:00.000Z');
  await resolve(b);
  const rejected = await offsets.raise({ complaintId: b, amount: '30.00', reason: '不合理' }, people.counter);
  await offsets.reject(rejected.id, { note: '无关', version: rejected.version }, people.director);
  const k = await followUp(b, false);
  ids.K = k!.id;
  await act(k!.id, 'start-investigation', { department: 'engineering' });

  // C: cancelled. D and E: E merged into D with its pending request.
  at('2026-11-06T01:00:00.000Z');
  const c = await create('C', '103', { category: 'pets' });
  await act(c, 'cancel', { cancelKind: 'duplicate', reason: '重复登记' }, people.counter);
  const d = await create('D', '101');
  await assess(d, 'minor');
  const e = await create('E', '101');
  await assess(e, 'minor');
  await offsets.raise({ complaintId: e, amount: '20.00', reason: '同一故障' }, people.counter);
  await complaints.merge(e, { version: await version(e), survivorId: d, reason: '重复登记' }, people.supervisor);

  // An incident of two complaints, handled together and closed.
  at('2026-11-07T01:00:00.000Z');
  const incident = await complaints.incidents.create({ title: '停水', communityId: '1' }, people.supervisor);
  for (const name of ['F', 'G']) await complaints.incidents.join(incident.id, await create(name, name === 'F' ? '101' : '102'), people.supervisor);
  await complaints.incidents.act(incident.id, 'assess', { disputeType: 'property', nature: 'valid', severity: 'important' }, people.supervisor);
  await complaints.incidents.act(incident.id, 'plan', planBody, people.supervisor);
  at('2026-11-08T01:00:00.000Z');
  await complaints.incidents.act(incident.id, 'resolve', { reply: '已恢复供水', basis: '水务公司通知' }, people.supervisor);
  await complaints.incidents.close(incident.id, (await complaints.incidents.get(incident.id, people.supervisor)).incident.version, people.supervisor);

  // Y: received in December, outside the month the report reads.
  at('2026-12-01T01:00:00.000Z');
  await create('Y', '103');
}

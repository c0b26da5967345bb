// The report's monthly rollup (src/reports/rollupStore.ts) on both databases and two hosts (integer and
// text unit ids): a few thousand summary rows of every shape (cancelled, not replied, legacy deadlines
// that fall back to the promised hours, paused, 12345 referrals, incidents, money, ratings, negative and
// tied durations, received a millisecond either side of local midnight at a month's end) give, for every
// kind of period (one month, several, whole months with days on either side, days inside a month, a month
// so far), the very report the summary rows give read one by one. A rollup that disagrees with its summary rows is
// found by the check, never read as it is (the report falls back to the rows), and rebuilt; a rollup in
// another time zone than the settings' is not read either.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { startOfZonedDay } from '../../src/calendar/zoned.js';
import { tableNames } from '../../src/db/tables.js';
import { toDbTime } from '../../src/db/time.js';
import { buildReport, type ComplaintReport } from '../../src/reports/report.js';
import { binOf, binSql, diffReportRollup, rebuildReportRollup } from '../../src/reports/rollupStore.js';
import { checkReportSummary } from '../../src/reports/summary.js';
import { PER_ROW, perRowSql, perRowValuesWith } from '../../src/reports/summaryStore.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const T = tableNames('cmp_');
const ZONE = 'Asia/Shanghai';
const everyone: Actor = { id: 'mgr-all', name: '总经理', roles: ['manager'], communityIds: null };
const HOUR = 3_600_000;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Summary rows of every shape the report distinguishes. */
function factRows(count: number, unitIds: Array<number | string>, communityIds: Array<number | string | null>): Array<Record<string, unknown>> {
  const r = random(20261209);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const maybe = <T>(p: number, v: () => T): T | null => (r() < p ? v() : null);
  // Received from mid-October to mid-January (local), some a millisecond either side of a month's start.
  const from = startOfZonedDay('2026-10-15', ZONE).getTime();
  const to = startOfZonedDay('2027-01-15', ZONE).getTime();
  const boundaries = ['2026-11-01', '2026-12-01', '2027-01-01'].map((d) => startOfZonedDay(d, ZONE).getTime());
  const at = (ms: number | null) => (ms === null ? null : toDbTime(new Date(ms)));
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 1; i <= count; i++) {
    const received = r() < 0.05 ? pick(boundaries) + pick([-1, 0, 1]) : Math.floor(from + r() * (to - from));
    // Durations: spread over four orders of magnitude, tied on purpose, now and then negative (a back-dated receipt).
    const duration = () => pick([60_000, 90_000, 2 * HOUR]) * (r() < 0.3 ? 1 : Math.floor(1 + r() * 400)) * (r() < 0.02 ? -1 : 1);
    const cancelled = r() < 0.08 ? 1 : 0;
    const resolveMs = cancelled ? maybe(0.2, duration) : maybe(0.75, duration);
    const resolved = resolveMs === null ? null : received + resolveMs;
    const planDeadline = maybe(0.5, () => received + Math.floor(r() * 96) * HOUR);
    const replyDue = maybe(0.8, () => received + Math.floor(r() * 72) * HOUR);
    const channel = pick(['counter', 'phone', 'wechat', 'hotline_12345']);
    const requests = r() < 0.15 ? 1 + Math.floor(r() * 3) : 0;
    const approvals = requests ? Math.floor(r() * (requests + 1)) : 0;
    const applications = approvals ? Math.floor(r() * 4) : 0;
    const reversals = applications ? Math.floor(r() * (applications + 1)) : 0;
    const ratings = r() < 0.2 ? 1 : 0;
    const awaiting = resolved !== null && !cancelled && r() < 0.3 ? 1 : 0;
    const row: Record<string, unknown> = {
      complaint_id: i,
      community_id: pick(communityIds),
      unit_id: r() < 0.1 ? null : pick(unitIds),
      received_at: at(received),
      cancelled,
      awaiting_follow_up: awaiting,
      category: pick(['noise', 'leak', 'parking', 'fees']),
      severity: maybe(0.7, () => pick(['minor', 'major', 'critical'])),
      dispute_type: maybe(0.5, () => pick(['service', 'fee'])),
      nature: maybe(0.5, () => pick(['valid', 'invalid'])),
      channel,
      department: maybe(0.6, () => pick(['eng', 'cs'])),
      is_repeat: r() < 0.1 ? 1 : 0,
      resolved_at: at(resolved),
      plan_deadline: at(planDeadline),
      reply_due_at: at(replyDue),
      reply_due_effective_at: replyDue !== null && r() < 0.5 ? at(replyDue + Math.floor(r() * 24) * HOUR) : null,
      plan_due_effective_at: planDeadline !== null && r() < 0.5 ? at(planDeadline + Math.floor(r() * 24) * HOUR) : null,
      paused: r() < 0.1 ? 1 : 0,
      follow_up_due_at: awaiting ? at(resolved! + Math.floor(r() * 48) * HOUR) : null,
      hotline_due_at: channel === 'hotline_12345' && r() < 0.9 ? at(received + Math.floor(r() * 48) * HOUR) : null,
      incident_id: maybe(0.1, () => 1 + Math.floor(r() * 6)),
      resolve_ms: resolveMs,
      ack_ms: maybe(0.8, duration),
      visits: resolved !== null ? Math.floor(r() * 3) : 0,
      satisfied: 0,
      in_window: 0,
      continued: 0,
      requests,
      requested_fen: requests * 1_000 + Math.floor(r() * 99_999),
      approvals,
      approved_fen: approvals * 800,
      applications,
      applied_fen: applications * 350,
      reversals,
      reversed_fen: reversals * 350,
      ratings,
      stars: ratings ? 1 + Math.floor(r() * 5) : 0,
      low_ratings: 0,
      rehandled: ratings && r() < 0.3 ? 1 : 0,
      per_row: 0,
    };
    row.satisfied = Math.min(Number(row.visits), Math.floor(r() * 2));
    row.in_window = Math.min(Number(row.visits), Math.floor(r() * 2));
    row.continued = Number(row.visits) ? Math.floor(r() * 2) : 0;
    row.low_ratings = ratings && Number(row.stars) <= 2 ? 1 : 0;
    if (!requests) row.requested_fen = 0;
    rows.push(row);
  }
  return rows;
}

const hosts = [
  { fixture: simpleHost, units: [101, 102, 103, 104, 105, 201, 202, 203, 301, 302, 303, 304], communities: [1, 2, 3, null] },
  { fixture: stringIdHost, units: ['R1', 'R2', 'R10', 'R11', 'r3', 'A-1', 'A-2', 'B-7', 'C-9', 'C-10', 'Z', 'ZZ'], communities: ['C1', 'C2', null] },
];

/** Periods of every shape: one month, several, whole months with days around them, days inside one. */
const PERIODS: Array<[string, string]> = [
  ['2026-11-01', '2026-11-30'],
  ['2026-12-01', '2026-12-31'],
  ['2026-11-01', '2026-12-31'],
  ['2026-10-20', '2026-12-10'],
  ['2026-10-01', '2027-01-31'],
  ['2026-11-01', '2026-12-15'],
  ['2026-10-31', '2026-11-30'],
  ['2026-11-30', '2026-12-01'],
  ['2026-11-05', '2026-11-20'],
  // Months covered in part: nothing received before 2026-10-15 nor after 2027-01-14, so October and
  // January are read whole from the rollup here; December, with complaints after the 20th, is not.
  ['2026-10-10', '2026-11-30'],
  ['2027-01-01', '2027-01-20'],
  ['2026-12-01', '2026-12-20'],
  ['2026-10-01', '2026-10-20'],
];

for (const kind of databaseKinds) {
  for (const host of hosts) {
    describe(`report rollup: the same report as the summary rows, kept and checked (${kind.kind}, ${host.fixture.name} host)`, function () {
      this.timeout(180_000);
      let h: PluginHarness;

      before(async () => {
        // The clock stands inside the data, so some complaints are overdue and some not yet.
        h = await startPluginHarness(kind, host.fixture, { now: '2026-12-20T04:00:00.000Z' });
        const rows = factRows(3_000, host.units, host.communities);
        for (let i = 0; i < rows.length; i += 100) await h.db(T.reportFacts).insert(rows.slice(i, i + 100));
        const facts = (c: string) => c;
        await h.db(T.reportFacts).update({
          per_row: h.db.raw(
            perRowSql({
              resolvedAt: facts('resolved_at'),
              awaitingFollowUp: facts('awaiting_follow_up'),
              planDeadline: facts('plan_deadline'),
              replyDueAt: facts('reply_due_at'),
              replyDueEffectiveAt: facts('reply_due_effective_at'),
              requests: facts('requests'),
            }),
          ),
        });
        await rebuildReportRollup(h.db, T, ZONE);
      });
      after(() => h?.close());

      const report = (from: string, to: string) => buildReport(h.ctx, { from, to, actor: everyone });
      /** The reports read one by one: the calendar set to another zone than the settings' turns the rollup off. */
      async function perComplaint(periods: Array<[string, string]>): Promise<ComplaintReport[]> {
        await h.db(T.reportMonths).update({ time_zone: 'UTC' });
        try {
          const out: ComplaintReport[] = [];
          for (const [from, to] of periods) out.push(await report(from, to));
          return out;
        } finally {
          await h.db(T.reportMonths).update({ time_zone: ZONE });
        }
      }

      it('holds summary rows of every shape (not an empty story equal to nothing)', async () => {
        const n = (q: Promise<unknown>) => q.then((rows) => Number((rows as Array<{ n: number | string }>)[0]!.n));
        expect(await n(h.db(T.reportFacts).count({ n: '*' }))).to.equal(3_000);
        // Every reason to read a row one by one is there, and most rows need none.
        for (const flag of Object.values(PER_ROW))
          expect(await n(h.db(T.reportFacts).whereIn('per_row', perRowValuesWith(flag)).count({ n: '*' })), `flag ${flag}`).to.be.greaterThan(20);
        expect(await n(h.db(T.reportFacts).where('per_row', 0).count({ n: '*' }))).to.be.greaterThan(300);
        // Legacy deadlines (the promised hours decide), still read per complaint.
        expect(
          await n(h.db(T.reportFacts).whereNull('plan_deadline').whereNull('reply_due_at').whereNotNull('resolved_at').count({ n: '*' })),
        ).to.be.greaterThan(20);
        expect(await n(h.db(T.reportRollup).where('kind', 'unit').where('n', '>', 0).count({ n: '*' }))).to.be.greaterThan(20);
      });

      it('gives every period the very report the summary rows give one by one', async () => {
        const expected = await perComplaint(PERIODS);
        for (const [i, [from, to]] of PERIODS.entries()) {
          const got = await report(from, to);
          expect(got, `${from} … ${to}`).to.deep.equal(expected[i]);
        }
        // The figures are not trivial: every family has something to compare.
        const month = expected[0]!;
        expect(month.complaints).to.be.greaterThan(500);
        expect(month.onTime.late + month.onTime.overdueOpen).to.be.greaterThan(0);
        expect(month.offsets.appliedFen).to.be.greaterThan(0);
        expect(month.topUnits).to.have.length(10);
        expect(month.incidents.incidents).to.be.greaterThan(0);
        expect(month.resolve.medianMs).to.not.equal(null);
      });

      it('reads whole months from the rollup, for a reader of every community only', async () => {
        // Proof the rollup is what is read: a counter changed behind its summary rows shows in the report.
        const before = await report('2026-11-01', '2026-11-30');
        const community = String(host.communities[0]);
        const oneBefore = await buildReport(h.ctx, { from: '2026-11-01', to: '2026-11-30', communityId: community, actor: everyone });
        const total = () => h.db(T.reportRollup).where({ month: '2026-11', kind: 'total', v: '0', slot: 0 });
        await total().increment('n', 1000);
        try {
          expect((await report('2026-11-01', '2026-11-30')).complaints).to.equal(before.complaints + 1000);
          // One community is read from its summary rows (the rollup does not keep communities apart).
          expect(await buildReport(h.ctx, { from: '2026-11-01', to: '2026-11-30', communityId: community, actor: everyone })).to.deep.equal(oneBefore);
        } finally {
          await total().decrement('n', 1000);
        }
        expect((await diffReportRollup(h.db, T)).differences).to.deep.equal([]);
      });

      it('reads a month covered in part from the rollup only when nothing of it lies outside the period', async () => {
        const bump = (month: string, by: number) => h.db(T.reportRollup).where({ month, kind: 'total', v: '0', slot: 0 }).increment('n', by);
        const january = await report('2027-01-01', '2027-01-20');
        const december = await report('2026-12-01', '2026-12-20');
        await bump('2027-01', 1000);
        await bump('2026-12', 1000);
        try {
          // Nothing received after 2027-01-14: the month so far is the month.
          expect((await report('2027-01-01', '2027-01-20')).complaints).to.equal(january.complaints + 1000);
          // December has complaints after the 20th: its part is read from the summary rows.
          expect(await report('2026-12-01', '2026-12-20')).to.deep.equal(december);
        } finally {
          await bump('2027-01', -1000);
          await bump('2026-12', -1000);
        }
        expect((await diffReportRollup(h.db, T)).differences).to.deep.equal([]);
      });

      it('does not read a histogram whose bins disagree with their rows: the report falls back to the rows, the check finds it, a rebuild repairs it', async () => {
        const [expected] = await perComplaint([['2026-11-01', '2026-11-30']]);
        // Every bin of the month's histogram counts one value more than its rows hold.
        const bins = await h.db(T.reportRollup).where({ month: '2026-11', kind: 'resolve_ms' }).where('n', '>', 0).increment('n', 1);
        expect(bins).to.be.greaterThan(5);
        expect(await report('2026-11-01', '2026-11-30')).to.deep.equal(expected);
        const check = await diffReportRollup(h.db, T);
        expect(check.differences).to.have.length(bins);
        expect(check.differences[0]).to.deep.include({ month: '2026-11', kind: 'resolve_ms' });
        await rebuildReportRollup(h.db, T, ZONE);
        expect((await diffReportRollup(h.db, T)).differences).to.deep.equal([]);
      });

      it('finds a changed counter through the service check, and a rollup in another zone than the settings', async () => {
        const ctx = { db: h.db, tables: T, clock: h.clock };
        expect((await checkReportSummary(ctx, everyone)).rollup).to.deep.include({ differences: [], timeZone: ZONE, settingsTimeZone: ZONE });
        await h.db(T.reportRollup).where({ month: '2026-12', kind: 'total', v: '0', slot: 3 }).increment('on_time', 2);
        // (The summary rows of this test have no complaints behind them: only the rollup's part is looked at.)
        const changed = (await checkReportSummary(ctx, everyone)).rollup.differences;
        expect(changed).to.have.length(1);
        expect(changed[0]).to.deep.include({ month: '2026-12', kind: 'total', value: '0', slot: 3 });
        const [stored, summed] = changed[0]!.counters.on_time!;
        expect(stored - summed).to.equal(2);
        await rebuildReportRollup(h.db, T, ZONE);
        await h.db(T.reportMonths).update({ time_zone: 'UTC' });
        const zone = await checkReportSummary(ctx, everyone);
        expect(zone.rollup).to.deep.include({ timeZone: 'UTC', settingsTimeZone: ZONE });
        await rebuildReportRollup(h.db, T, ZONE);
        const rebuilt = await checkReportSummary(ctx, everyone);
        expect(rebuilt.rollup).to.deep.include({ differences: [], timeZone: ZONE });
      });

      it('bins a duration the same way in SQL and in JS, at every edge of a bin', async () => {
        const values = [-5, -1, 0, 1, 9, 10, 11, 99, 100, 101, 109, 110, 999, 1_000, 1_099, 1_100, 59_999, 60_000, 86_399_999, 86_400_000, 123_456_789_012];
        const mysql = kind.kind === 'mariadb';
        const union = values.map((v) => `SELECT ${v} AS v`).join(' UNION ALL ');
        const result = (await h.db.raw(`SELECT x.v AS v, ${binSql(mysql, 'x.v')} AS bin FROM (${union}) x`)) as unknown;
        const rows = (mysql ? (result as [Array<{ v: number; bin: number | string }>])[0] : (result as Array<{ v: number; bin: number | string }>)).map((r) => [
          Number(r.v),
          Number(r.bin),
        ]);
        expect(rows).to.deep.equal(values.map((v) => [v, binOf(v)]));
        // Bins grow with the value: a percentile's rank falls in the bin its value is in.
        const bins = values.map(binOf);
        expect(bins).to.deep.equal([...bins].sort((a, b) => a - b));
      });
    });
  }
}

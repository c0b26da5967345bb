// 总结改进: the periodic report of complaints. Every figure is about one cohort, the complaints received
// in the period (local days in the settings' time zone) in the communities asked for and allowed to the
// reader; what happened to them afterwards (first action, reply, follow-up visit, offsets) counts up to
// the moment the report is built. Cancelled complaints (duplicates, registered in error) are counted
// apart and left out of every other complaint figure; the money figures include them, so they add up
// with the offsets' own books.
//
// Read from the report's summary, never the complaints themselves. The period's whole months (and the
// month so far), for a reader of every community, come from the monthly rollup (report_rollup, src/reports/rollupStore.ts): a few
// hundred rows of counters, breakdowns and duration histograms per month, plus the summary rows the rollup
// leaves out (per_row: complaints not replied or awaiting their follow-up visit, deadlines that fall back
// to a setting, money), each reason's rows read apart through an index that carries them; the median and
// 90th percentile are exact, read from the few summary rows of the histogram bins they fall in. Days
// around the whole months, one community and readers of some communities are read from the summary rows
// (report_facts: one narrow row per complaint, clustered by received_at on MySQL): the flags and counts
// summed (cancelled or not), the money, rating and 12345 sums over the rows that have any, the six
// breakdowns (one COUNT per group), the two durations of each complaint (as arrays, sorted here), and the
// top units, whose labels the host is asked for as soon as they are known. Not one grouped read with
// GROUP_CONCAT'd durations: thousands of groups of thirty sums and a text column (MariaDB put that
// temporary table on disk) took about twice as long (issue 20 profile, bench/report-profile.ts). Both
// ways give the figures of a recount from the source tables (`complaints reports check` proves the summary
// and its rollup equal to one; test/integration/report-rollup.test.ts compares the two ways).
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ValidationError, fieldError } from '../common/errors.js';
import { fenFromInteger } from '../common/money.js';
import { isMatchableHostId } from '../complaints/hostIds.js';
import { scopeToActor } from '../complaints/store/scoping.js';
import { CHANNEL, DISPUTE_TYPE, NATURE, SEVERITY } from '../complaints/vocabulary.js';
import { isMysql } from '../db/connection.js';
import { toDbTime } from '../db/time.js';
import type { PluginContext } from '../common/context.js';
import type { Settings } from '../settings/settings.js';
import { parsePeriod, type Period } from './period.js';
import { countIf, plusHoursSql, type Dialect } from './sql.js';
import { DURATION_PERCENTILES, durations, share, type Durations, type Share } from './stats.js';
import { exactDurations, readRollupCounts, rollupIncidentIds, rollupTopUnits, StaleRollupError, type RollupCounts } from './rollupRead.js';
import { PER_ROW, perRowValuesWith } from './summaryStore.js';
import { BIN_COLUMN, monthsCoveredBy, type CalendarMonth, type DimensionColumn, type DurationColumn } from './rollupStore.js';

export const DIMENSIONS = ['category', 'severity', 'disputeType', 'nature', 'channel', 'department'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const COLUMN: Record<Dimension, string> = {
  category: 'category',
  severity: 'severity',
  disputeType: 'dispute_type',
  nature: 'nature',
  channel: 'channel',
  department: 'department',
};

/** The events that show someone took the complaint up: the end of "time to acknowledge". */
export { ACKNOWLEDGING_ACTIONS } from './summaryStore.js';

/** How many units the "most complaints" list names. */
export const TOP_UNITS = 10;

export interface ReportQuery {
  /** First local day 'YYYY-MM-DD', included. */
  from: string;
  /** Last local day 'YYYY-MM-DD', included. */
  to: string;
  /** One community; absent or null: every community the actor may see. */
  communityId?: string | null;
  actor: Actor;
}

export interface Count {
  /** The value; null for complaints where it is not set yet (not assessed, no department). */
  key: string | null;
  count: number;
}

export interface UnitCount {
  unitId: string;
  /** The host's current label (getUnits), or the label copied at intake when the host no longer has the unit. */
  label: string;
  count: number;
}

export interface OffsetFigures {
  /** Offset requests on the cohort's complaints, whatever became of them. */
  requests: number;
  requestedFen: number;
  /** Requests that were approved (including ones later used up, expired or revoked). */
  approvals: number;
  approvedFen: number;
  /** Every application made at fee collection, including ones the host later voided. */
  applications: number;
  appliedFen: number;
  /** Applications voided by the host and restored to their offset. */
  reversals: number;
  reversedFen: number;
  /** applied − reversed: what really came off owners' fees. */
  netAppliedFen: number;
}

export interface ComplaintReport {
  period: Period;
  communityId: string | null;
  generatedAt: Date;
  /** Received in the period and not cancelled: the base of every complaint figure. */
  complaints: number;
  cancelled: number;
  resolved: number;
  by: Record<Dimension, Count[]>;
  /** Receipt → first start-investigation, assess or resolve event. */
  acknowledge: Durations;
  /** Receipt → resolved_at (the reply). */
  resolve: Durations;
  /**
   * Replied by the deadline of the stage it was replied in: the plan deadline when a plan was made, the
   * reply promise otherwise (stored at receipt in service time; for complaints registered before it was
   * stored, received + replyPromiseHours). Out of the complaints whose outcome is known:
   * replied (on time or late) plus unreplied ones already past that deadline.
   */
  onTime: Share & { late: number; overdueOpen: number };
  /**
   * 按承诺答复率: replied by the promise made to the owner at receipt (printed on the slip; its deadline
   * policy, or replyPromiseHours), whatever a plan later set, moved only by paused time. Out of the
   * complaints replied plus those unreplied past their promise (a paused one is not yet past it).
   */
  replyOnTime: Share & { late: number; overdueOpen: number };
  /**
   * 按方案期限处理率: of the complaints with a plan, replied by the plan's deadline (moved only by paused
   * time after the plan), out of those replied plus those unreplied past it.
   */
  handlingOnTime: Share & { late: number; overdueOpen: number };
  /**
   * Follow-up visits made by follow_up_due_at (the reply + followUpHours, set when replying), out of the
   * visits made plus replied complaints still waiting whose window has passed.
   */
  followUpInWindow: Share & { late: number; overdue: number };
  /** Satisfied follow-up visits out of all follow-up visits. */
  satisfaction: Share;
  /**
   * The owners' own ratings (业主评价, from the status page or the owner app), kept apart from the staff
   * follow-up visit: how many of the cohort were rated, the average stars, 1–2 star ratings, and those that
   * asked for re-handling.
   */
  ownerRatings: { count: number; averageStars: number | null; low: number; rehandled: number };
  /** Complaints flagged as repeats (repeat_of_id) out of all. */
  repeat: Share;
  /** Replied complaints whose follow-up was unsatisfied and continued as a new linked complaint, out of all replied. */
  reopen: Share;
  topUnits: UnitCount[];
  offsets: OffsetFigures;
  /**
   * 12345 referrals (channel hotline_12345), counted apart: how many, how many replied, and the on-time
   * rate against the hotline's own deadline (replied by hotline_due_at), out of those replied plus those
   * unreplied already past it.
   */
  hotline: Share & { referrals: number; replied: number; late: number; overdueOpen: number };
  /** Incidents (事件) among the period's complaints, each counted once, and how many complaints they grouped. */
  incidents: { incidents: number; complaints: number };
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
/** SUM over integer fen: mysql2 answers DECIMAL text, SQLite a number; both read exactly. */
const fen = (v: unknown): number => (v === null || v === undefined ? 0 : fenFromInteger(v as string | number));

/** The order each dimension is shown in: the closed vocabularies in their own order (zeros included). */
const FIXED_ORDER: Partial<Record<Dimension, readonly string[]>> = {
  severity: SEVERITY.values,
  disputeType: DISPUTE_TYPE.values,
  nature: NATURE.values,
  // 12345 referrals have their own figure (hotline); the channel list shows them only when there are some.
  channel: CHANNEL.values.filter((c) => c !== 'hotline_12345'),
};

/**
 * Open lists (categories, departments) and values outside a closed vocabulary: most frequent first, then
 * by code, so equal counts keep one order whichever read counted them.
 */
function byCount(counts: Count[]): Count[] {
  return counts.sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
}

function ordered(dimension: Dimension, counts: Map<string | null, number>): Count[] {
  const fixed = FIXED_ORDER[dimension];
  const known: Count[] = fixed
    ? [
        ...fixed.map((key) => ({ key, count: counts.get(key) ?? 0 })),
        ...byCount([...counts].filter(([k]) => k !== null && !fixed.includes(k)).map(([key, count]) => ({ key, count }))),
      ]
    : byCount([...counts].filter(([k]) => k !== null).map(([key, count]) => ({ key, count })));
  const unset = counts.get(null) ?? 0;
  return unset ? [...known, { key: null, count: unset }] : known;
}

export async function buildReport(ctx: PluginContext, query: ReportQuery): Promise<ComplaintReport> {
  const { actor } = query;
  requirePermission(actor, 'report.view');
  const settings = await ctx.settings.get();
  const period = parsePeriod(query.from, query.to, settings.timezone);
  const communityId = query.communityId ? String(query.communityId) : null;
  if (communityId !== null && !canSeeCommunity(actor, communityId)) {
    throw new ValidationError([fieldError('communityId', '该小区不在您负责的范围内', 'This community is outside your communities')]);
  }
  const now = ctx.clock.now();
  const { db, tables } = ctx;
  const dialect: Dialect = isMysql(db) ? 'mysql' : 'sqlite';
  const start = toDbTime(period.start);
  const end = toDbTime(period.end);
  // The months whose complaints all lie in the period (whole months, and the month so far) are read from
  // the monthly rollup when the reader sees every community and asked for all of them (the rollup does
  // not keep communities apart: a community's report reads its summary rows through their (community_id,
  // received_at) index). A rollup that disagrees with the summary rows is left for the summary rows
  // themselves: the figures are the same, only slower.
  const months = communityId === null && actor.communityIds === null ? await monthsCoveredBy(db, tables, settings.timezone, start, end) : [];
  const read = (months: CalendarMonth[]) => readFigures(ctx, { actor, communityId, settings, now, dialect, start, end, months });
  const figures = await read(months).catch((err: unknown) => {
    if (months.length && err instanceof StaleRollupError) return read([]);
    throw err;
  });
  const { groups, durationsOf, units, unitLabels, incidents } = figures;
  const { visits, offsetRow, applicationRow, ratingRow, hotlineRow } = groups;
  const hotlineOnTime = num(hotlineRow?.on_time);
  const hotlineLate = num(hotlineRow?.late);
  const hotlineOverdue = num(hotlineRow?.overdue_open);

  const appliedFen = fen(applicationRow?.applied);
  const reversedFen = fen(applicationRow?.reversed);

  return {
    period,
    communityId,
    generatedAt: now,
    complaints: groups.complaints,
    cancelled: groups.cancelled,
    resolved: groups.resolved,
    by: Object.fromEntries(DIMENSIONS.map((d) => [d, ordered(d, groups.by[d])])) as Record<Dimension, Count[]>,
    acknowledge: durationsOf.ack_ms,
    resolve: durationsOf.resolve_ms,
    onTime: { ...share(groups.onTime, groups.onTime + groups.late + groups.overdueOpen), late: groups.late, overdueOpen: groups.overdueOpen },
    replyOnTime: {
      ...share(groups.replyOnTime, groups.replyOnTime + groups.replyLate + groups.replyOverdueOpen),
      late: groups.replyLate,
      overdueOpen: groups.replyOverdueOpen,
    },
    handlingOnTime: {
      ...share(groups.handlingOnTime, groups.handlingOnTime + groups.handlingLate + groups.handlingOverdueOpen),
      late: groups.handlingLate,
      overdueOpen: groups.handlingOverdueOpen,
    },
    followUpInWindow: {
      ...share(visits.inWindow, visits.visits + groups.followUpOverdue),
      late: visits.visits - visits.inWindow,
      overdue: groups.followUpOverdue,
    },
    satisfaction: share(visits.satisfied, visits.visits),
    ownerRatings: {
      count: num(ratingRow?.ratings),
      averageStars: num(ratingRow?.ratings) ? Math.round((num(ratingRow?.stars) / num(ratingRow?.ratings)) * 10) / 10 : null,
      low: num(ratingRow?.low),
      rehandled: num(ratingRow?.rehandled),
    },
    repeat: share(groups.repeats, groups.complaints),
    reopen: share(visits.continued, groups.resolved),
    topUnits: units.map((u) => {
      const id = String(u.unit_id);
      return { unitId: id, label: unitLabels.get(id) ?? id, count: num(u.n) };
    }),
    offsets: {
      requests: num(offsetRow?.requests),
      requestedFen: fen(offsetRow?.requested),
      approvals: num(offsetRow?.approvals),
      approvedFen: fen(offsetRow?.approved),
      applications: num(applicationRow?.applications),
      appliedFen,
      reversals: num(applicationRow?.reversals),
      reversedFen,
      netAppliedFen: appliedFen - reversedFen,
    },
    hotline: {
      ...share(hotlineOnTime, hotlineOnTime + hotlineLate + hotlineOverdue),
      referrals: num(hotlineRow?.referrals),
      replied: num(hotlineRow?.replied),
      late: hotlineLate,
      overdueOpen: hotlineOverdue,
    },
    incidents: { incidents, complaints: groups.incidentComplaints },
  };
}

interface FigureQuery {
  actor: Actor;
  communityId: string | null;
  settings: Settings;
  now: Date;
  dialect: Dialect;
  /** The period as stored times, [start, end). */
  start: string;
  end: string;
  /** The months read from the rollup (none: every figure from the summary rows); see monthsCoveredBy. */
  months: CalendarMonth[];
}

interface Figures {
  groups: Grouped;
  durationsOf: Record<DurationColumn, Durations>;
  units: Row[];
  unitLabels: Map<string, string>;
  incidents: number;
}

/**
 * Every figure of the period: the months from the rollup (with the summary rows it leaves out:
 * per_row) and the days around them from the summary rows, added up; the durations' percentiles over both.
 */
async function readFigures(ctx: PluginContext, q: FigureQuery): Promise<Figures> {
  const { db, tables } = ctx;
  const { months, dialect, settings, now } = q;
  const first = months[0];
  const last = months[months.length - 1];
  // The months' span may reach past the period (a month covered in part, with no summary row outside it).
  const monthSpan: [string, string] | null = first && last ? [first.startsAt, last.endsAt] : null;
  const edges: Array<[string, string]> = monthSpan
    ? (
        [
          [q.start, monthSpan[0]],
          [monthSpan[1], q.end],
        ] as Array<[string, string]>
      ).filter(([a, b]) => a < b)
    : [[q.start, q.end]];

  /** The summary rows received in these ranges, in scope, in the community asked for. */
  const cohort = (ranges: ReadonlyArray<[string, string]>): Knex.QueryBuilder => {
    const range = (w: Knex.QueryBuilder, [from, to]: [string, string]) => w.where('f.received_at', '>=', from).where('f.received_at', '<', to);
    const query = db({ f: tables.reportFacts });
    if (ranges.length === 1) range(query, ranges[0]!);
    else query.where((w) => ranges.forEach((r) => w.orWhere((o) => range(o, r))));
    scopeToActor(query, q.actor, 'f.community_id');
    if (q.communityId !== null) {
      if (isMatchableHostId(q.communityId)) query.where('f.community_id', q.communityId);
      else query.whereRaw('1 = 0');
    }
    return query;
  };
  const noDurations = { resolve: [] as number[], acknowledge: [] as number[] };

  // The reads side by side (the pool runs them on their own connections); the units' labels are asked
  // of the host as soon as the units are known.
  const [edgeGroups, edgeDurations, monthCounts, { units, unitLabels }] = await Promise.all([
    edges.length ? groupedCounts(db, cohort(edges), dialect, settings, now) : emptyGrouped(),
    edges.length ? sortedDurations(cohort(edges), dialect) : noDurations,
    monthSpan ? Promise.all([readRollupCounts(db, tables, months), perRowCounts(db, () => cohort([monthSpan]), dialect, settings, now)]) : null,
    (months.length && !edges.length ? rollupTopUnits(db, tables, months, TOP_UNITS) : factsTopUnits(cohort([[q.start, q.end]]))).then(async (units) => ({
      units,
      unitLabels: await labelsOf(
        ctx,
        units.map((u) => String(u.unit_id)),
      ),
    })),
  ]);
  const groups = edgeGroups;
  if (monthCounts) addRollup(groups, ...monthCounts);
  const extra = { resolve_ms: edgeDurations.resolve, ack_ms: edgeDurations.acknowledge };
  const durationsOf = monthCounts
    ? await exactDurations(monthCounts[0].histograms, extra, DURATION_PERCENTILES, (bins) => readBins(() => cohort([monthSpan!]), bins))
    : { resolve_ms: durations(extra.resolve_ms), ack_ms: durations(extra.ack_ms) };

  // Each incident once: only asked when some complaint of the period belongs to one.
  let incidents = 0;
  if (groups.incidentComplaints) {
    const incidentsOf = (query: Knex.QueryBuilder) => query.whereNotNull('f.incident_id').where('f.cancelled', 0);
    if (!months.length) {
      const row = (await incidentsOf(cohort(edges)).first(db.raw('COUNT(DISTINCT f.incident_id) AS incidents'))) as Row | undefined;
      incidents = num(row?.incidents);
    } else {
      const [fromMonths, fromEdges] = await Promise.all([
        rollupIncidentIds(db, tables, months),
        edges.length ? (incidentsOf(cohort(edges)).distinct('f.incident_id') as Promise<Row[]>) : [],
      ]);
      incidents = new Set([...fromMonths, ...fromEdges.map((r) => String(r.incident_id))]).size;
    }
  }
  return { groups, durationsOf, units, unitLabels, incidents };
}

/** The units with the most complaints not cancelled, counted from the summary rows. */
function factsTopUnits(cohort: Knex.QueryBuilder): Promise<Row[]> {
  return (
    cohort
      .where('f.cancelled', 0)
      // Public-area complaints have no unit to rank.
      .whereNotNull('f.unit_id')
      .select('f.unit_id')
      .count({ n: '*' })
      .groupBy('f.unit_id')
      .orderBy([
        { column: 'n', order: 'desc' },
        { column: 'f.unit_id', order: 'asc' },
      ])
      .limit(TOP_UNITS) as Promise<Row[]>
  );
}

/** What the months' summary rows read one by one add (see perRowSql): one result per reason to read them. */
type PerRow = { money: Row[]; open: Row; awaiting: Row; settingsDeadline: Row };

/**
 * The figures the rollup leaves to the summary rows (per_row), each read over only the months' rows that
 * have its reason, side by side: the money (every complaint, cancelled or not); the overdue counts of the
 * complaints not replied yet and of those waiting for their follow-up visit (they depend on the clock); the
 * on-time counts of replies whose deadline falls back to the promised hours (a setting). MariaDB's cost
 * here is per row and aggregate: each read evaluates only its own.
 */
async function perRowCounts(db: Knex, months: () => Knex.QueryBuilder, dialect: Dialect, settings: Settings, now: Date): Promise<PerRow> {
  const at = toDbTime(now);
  const { deadline, promise, plan, fallback } = deadlines(dialect, settings);
  const having = (flag: number) => months().whereIn('f.per_row', perRowValuesWith(flag));
  const [money, [open], [awaiting], [settingsDeadline]] = (await Promise.all([
    having(PER_ROW.money)
      .select('f.cancelled', ...MONEY_AND_RATINGS.filter(([target]) => target !== 'ratingRow').map(([, , column]) => db.raw(`SUM(f.${column}) AS ${column}`)))
      .groupBy('f.cancelled'),
    having(PER_ROW.open)
      .where('f.cancelled', 0)
      .select(
        db.raw(`${countIf(`${deadline} < ?`)} AS overdue_open`, [at]),
        db.raw(`${countIf(`f.paused = 0 AND ${promise} < ?`)} AS reply_overdue_open`, [at]),
        db.raw(`${countIf(`f.plan_deadline IS NOT NULL AND f.paused = 0 AND ${plan} < ?`)} AS handling_overdue_open`, [at]),
        db.raw(`${countIf("f.channel = 'hotline_12345' AND f.hotline_due_at < ?")} AS hotline_overdue_open`, [at]),
      ),
    having(PER_ROW.awaitingFollowUp).where('f.cancelled', 0).where('f.follow_up_due_at', '<', at).count({ follow_up_overdue: '*' }),
    having(PER_ROW.settingsDeadline)
      .where('f.cancelled', 0)
      .whereNotNull('f.resolved_at')
      .select(
        db.raw(`${countIf(`f.plan_deadline IS NULL AND f.reply_due_at IS NULL AND f.resolved_at <= ${fallback}`)} AS on_time`),
        db.raw(`${countIf(`f.reply_due_effective_at IS NULL AND f.reply_due_at IS NULL AND f.resolved_at <= ${fallback}`)} AS reply_on_time`),
      ),
  ])) as [Row[], Row[], Row[], Row[]];
  return { money, open: open ?? {}, awaiting: awaiting ?? {}, settingsDeadline: settingsDeadline ?? {} };
}

/** Adds the months' rollup and their per-complaint figures to what the rest of the period counted. */
function addRollup(out: Grouped, counts: RollupCounts, perRow: PerRow): void {
  const { open, cancelled } = counts.totals;
  out.complaints += open.n;
  out.cancelled += cancelled.n;
  out.resolved += open.resolved;
  out.repeats += open.repeats;
  out.handlingOnTime += open.handling_on_time;
  out.handlingLate += open.handling_replied - open.handling_on_time;
  out.incidentComplaints += open.incident_complaints;
  out.visits.visits += open.visits;
  out.visits.satisfied += open.satisfied;
  out.visits.inWindow += open.in_window;
  out.visits.continued += open.continued;
  // Ratings count cancelled complaints too (as the money does); the 12345 figures do not.
  out.ratingRow.ratings = num(out.ratingRow.ratings) + open.ratings + cancelled.ratings;
  out.ratingRow.stars = num(out.ratingRow.stars) + open.stars + cancelled.stars;
  out.ratingRow.low = num(out.ratingRow.low) + open.low_ratings + cancelled.low_ratings;
  out.ratingRow.rehandled = num(out.ratingRow.rehandled) + open.rehandled + cancelled.rehandled;
  out.hotlineRow.referrals = num(out.hotlineRow.referrals) + open.hotline_referrals;
  out.hotlineRow.replied = num(out.hotlineRow.replied) + open.hotline_replied;
  out.hotlineRow.on_time = num(out.hotlineRow.on_time) + open.hotline_on_time;
  out.hotlineRow.late = num(out.hotlineRow.late) + open.hotline_late;
  for (const row of perRow.money) {
    for (const [target, key, column] of MONEY_AND_RATINGS) {
      if (target === 'ratingRow') continue;
      out[target][key] = num(out[target][key]) + (column.endsWith('_fen') ? fen(row[column]) : num(row[column]));
    }
  }
  const onTime = open.on_time + num(perRow.settingsDeadline.on_time);
  const replyOnTime = open.reply_on_time + num(perRow.settingsDeadline.reply_on_time);
  out.overdueOpen += num(perRow.open.overdue_open);
  out.replyOverdueOpen += num(perRow.open.reply_overdue_open);
  out.handlingOverdueOpen += num(perRow.open.handling_overdue_open);
  out.hotlineRow.overdue_open = num(out.hotlineRow.overdue_open) + num(perRow.open.hotline_overdue_open);
  out.followUpOverdue += num(perRow.awaiting.follow_up_overdue);
  // A reply is on time or late (see groupedCounts).
  out.onTime += onTime;
  out.late += open.resolved - onTime;
  out.replyOnTime += replyOnTime;
  out.replyLate += open.resolved - replyOnTime;
  for (const d of DIMENSIONS) {
    for (const [value, n] of counts.by[COLUMN[d] as DimensionColumn]) out.by[d].set(value, (out.by[d].get(value) ?? 0) + n);
  }
}

/**
 * The months' durations (of complaints not cancelled) in these bins, per column: through the (bin,
 * cancelled, received_at, duration) indexes, only the wanted bins' rows of the months.
 */
async function readBins(months: () => Knex.QueryBuilder, bins: Record<DurationColumn, number[]>): Promise<Record<DurationColumn, number[]>> {
  const read = async (column: DurationColumn): Promise<number[]> => {
    if (!bins[column].length) return [];
    const rows = (await months().whereIn(`f.${BIN_COLUMN[column]}`, bins[column]).where('f.cancelled', 0).select(`f.${column}`)) as Row[];
    return rows.map((r) => Number(r[column]));
  };
  const [resolve, ack] = await Promise.all([read('resolve_ms'), read('ack_ms')]);
  return { resolve_ms: resolve, ack_ms: ack };
}

/**
 * The units' labels from the host in one batch; for a unit the host no longer has, the label copied into
 * our rows at intake (one small indexed query, only then).
 */
async function labelsOf(ctx: PluginContext, unitIds: string[]): Promise<Map<string, string>> {
  if (!unitIds.length) return new Map();
  const hostUnits = await ctx.host.getUnits(unitIds);
  const labels = new Map<string, string>();
  for (const [id, unit] of hostUnits) labels.set(id, unit.label);
  const missing = unitIds.filter((id) => !labels.has(id) && isMatchableHostId(id));
  if (missing.length) {
    const rows = (await ctx.db(ctx.tables.complaints).select('unit_id').max({ label: 'unit_label' }).whereIn('unit_id', missing).groupBy('unit_id')) as Row[];
    for (const r of rows) labels.set(String(r.unit_id), String(r.label));
  }
  return labels;
}

interface Grouped {
  complaints: number;
  cancelled: number;
  resolved: number;
  repeats: number;
  onTime: number;
  late: number;
  overdueOpen: number;
  replyOnTime: number;
  replyLate: number;
  replyOverdueOpen: number;
  handlingOnTime: number;
  handlingLate: number;
  handlingOverdueOpen: number;
  followUpOverdue: number;
  incidentComplaints: number;
  by: Record<Dimension, Map<string | null, number>>;
  visits: { visits: number; satisfied: number; inWindow: number; continued: number };
  offsetRow: Row;
  applicationRow: Row;
  ratingRow: Row;
  hotlineRow: Row;
}

function emptyGrouped(): Grouped {
  return {
    complaints: 0,
    cancelled: 0,
    resolved: 0,
    repeats: 0,
    onTime: 0,
    late: 0,
    overdueOpen: 0,
    replyOnTime: 0,
    replyLate: 0,
    replyOverdueOpen: 0,
    handlingOnTime: 0,
    handlingLate: 0,
    handlingOverdueOpen: 0,
    followUpOverdue: 0,
    incidentComplaints: 0,
    by: Object.fromEntries(DIMENSIONS.map((d) => [d, new Map<string | null, number>()])) as Grouped['by'],
    visits: { visits: 0, satisfied: 0, inWindow: 0, continued: 0 },
    offsetRow: {},
    applicationRow: {},
    ratingRow: {},
    hotlineRow: {},
  };
}

/** The per-group flags besides the plain counts, by the column alias each is summed under. */
const FLAGS = [
  ['replyOnTime', 'reply_on_time'],
  ['replyOverdueOpen', 'reply_overdue_open'],
  ['handlingOnTime', 'handling_on_time'],
  ['handlingOverdueOpen', 'handling_overdue_open'],
] as const;

/** Summed as they are (money figures include cancelled complaints), by alias. */
const MONEY_AND_RATINGS = [
  ['offsetRow', 'requests', 'requests'],
  ['offsetRow', 'requested', 'requested_fen'],
  ['offsetRow', 'approvals', 'approvals'],
  ['offsetRow', 'approved', 'approved_fen'],
  ['applicationRow', 'applications', 'applications'],
  ['applicationRow', 'applied', 'applied_fen'],
  ['applicationRow', 'reversals', 'reversals'],
  ['applicationRow', 'reversed', 'reversed_fen'],
  ['ratingRow', 'ratings', 'ratings'],
  ['ratingRow', 'stars', 'stars'],
  ['ratingRow', 'low', 'low_ratings'],
  ['ratingRow', 'rehandled', 'rehandled'],
] as const;

/** The hotline (12345) flags, summed over the groups of that channel. */
const HOTLINE = ['referrals', 'replied', 'on_time', 'late', 'overdue_open'] as const;

/** The deadlines a complaint is held to, as SQL over its summary row f. */
function deadlines(dialect: Dialect, settings: Settings): { deadline: string; promise: string; plan: string; fallback: string } {
  // Complaints registered before the promise was stored: receipt + the promised hours (a setting).
  const fallback = plusHoursSql(dialect, 'f.received_at', settings.replyPromiseHours);
  return {
    // The deadline the complaint is (or was, when replied) held to: see ComplaintReport.onTime.
    deadline: `COALESCE(f.plan_deadline, f.reply_due_at, ${fallback})`,
    // The promise to the owner (moved only by pauses) and the plan's deadline (likewise), apart.
    promise: `COALESCE(f.reply_due_effective_at, f.reply_due_at, ${fallback})`,
    plan: 'COALESCE(f.plan_due_effective_at, f.plan_deadline)',
    fallback,
  };
}

/**
 * Three reads of the cohort's summary rows (report_facts), side by side: the per-complaint flags and
 * visit counts summed for the cancelled complaints and the others (two rows); the offset, application,
 * rating and 12345 figures, summed the same way over only the rows that can have any; and the complaints
 * not cancelled counted by all six dimensions at once (a few thousand groups at most). Every figure but
 * the durations and the units is a sum of these.
 */
async function groupedCounts(db: Knex, q: Knex.QueryBuilder, dialect: Dialect, settings: Settings, now: Date): Promise<Grouped> {
  const at = toDbTime(now);
  const { deadline, promise, plan } = deadlines(dialect, settings);
  const dims = DIMENSIONS.map((d) => `f.${COLUMN[d]}`);
  const hotline = "f.channel = 'hotline_12345'";
  // The six dimensions of the complaints not cancelled, counted alone: grouping by them is the costly
  // part, and a group of one COUNT(*) is far cheaper than a group of thirty sums (issue 20 profile: two
  // reads took about half the time of the one read that did both).
  const breakdown = q
    .clone()
    .where('f.cancelled', 0)
    .select(...dims, db.raw('COUNT(*) AS n'))
    .groupBy(...dims)
    // MariaDB sorts a GROUP BY's result unless told not to; the groups are added up here in any order.
    .modify((b) => (dialect === 'mysql' ? b.orderByRaw('NULL') : b)) as Promise<Row[]>;
  // The money, rating and 12345 sums read apart, over only the rows where one of them can be non-zero:
  // every summed column is zero by construction elsewhere (the offset columns count the complaint's
  // offsets, the application columns its applications, reversals among them; the rating columns its
  // ratings; each 12345 figure is conditional on the channel). Most complaints have none of these, and
  // MariaDB's cost here is per aggregate per row: these 17 aggregates over the whole month took as long as
  // everything else in the read (issue 20 profile: 260 ms against 120 ms without them, 30 ms apart).
  const moneyAndHotline = q
    .clone()
    .where((w) => w.where('f.requests', '>', 0).orWhere('f.applications', '>', 0).orWhere('f.ratings', '>', 0).orWhere('f.channel', 'hotline_12345'))
    .select(
      'f.cancelled',
      ...MONEY_AND_RATINGS.map(([, , column]) => db.raw(`SUM(f.${column}) AS ${column}`)),
      db.raw(`${countIf(hotline)} AS hotline_referrals`),
      db.raw(`${countIf(`${hotline} AND f.resolved_at IS NOT NULL`)} AS hotline_replied`),
      db.raw(
        `${countIf(`${hotline} AND f.resolved_at IS NOT NULL AND f.hotline_due_at IS NOT NULL AND f.resolved_at <= f.hotline_due_at`)} AS hotline_on_time`,
      ),
      db.raw(`${countIf(`${hotline} AND f.resolved_at IS NOT NULL AND f.hotline_due_at IS NOT NULL AND f.resolved_at > f.hotline_due_at`)} AS hotline_late`),
      db.raw(`${countIf(`${hotline} AND f.resolved_at IS NULL AND f.hotline_due_at < ?`)} AS hotline_overdue_open`, [at]),
    )
    .groupBy('f.cancelled') as Promise<Row[]>;
  const totals = q
    .select(
      'f.cancelled',
      db.raw('COUNT(*) AS n'),
      // is_repeat is a 0/1 flag: counted, not summed (see countIf).
      db.raw(`${countIf('f.is_repeat = 1')} AS repeats`),
      db.raw(`${countIf('f.resolved_at IS NOT NULL')} AS resolved`),
      db.raw(`${countIf(`f.resolved_at <= ${deadline}`)} AS on_time`),
      db.raw(`${countIf(`f.resolved_at IS NULL AND ${deadline} < ?`)} AS overdue_open`, [at]),
      db.raw(`${countIf(`f.resolved_at <= ${promise}`)} AS reply_on_time`),
      db.raw(`${countIf(`f.resolved_at IS NULL AND f.paused = 0 AND ${promise} < ?`)} AS reply_overdue_open`, [at]),
      db.raw(`${countIf(`f.plan_deadline IS NOT NULL AND f.resolved_at <= ${plan}`)} AS handling_on_time`),
      db.raw(`${countIf('f.plan_deadline IS NOT NULL AND f.resolved_at IS NOT NULL')} AS handling_replied`),
      db.raw(`${countIf(`f.plan_deadline IS NOT NULL AND f.resolved_at IS NULL AND f.paused = 0 AND ${plan} < ?`)} AS handling_overdue_open`, [at]),
      db.raw(`${countIf('f.awaiting_follow_up = 1 AND f.follow_up_due_at < ?')} AS follow_up_overdue`, [at]),
      db.raw(`${countIf('f.incident_id IS NOT NULL')} AS incident_complaints`),
      db.raw('SUM(f.visits) AS visits'),
      db.raw('SUM(f.satisfied) AS satisfied'),
      db.raw('SUM(f.in_window) AS in_window'),
      db.raw('SUM(f.continued) AS continued'),
    )
    .groupBy('f.cancelled') as Promise<Row[]>;
  const [rows, moneyRows, breakdownRows] = await Promise.all([totals, moneyAndHotline, breakdown]);

  const out = emptyGrouped();
  // Money is summed in fen as integers (fen() reads mysql2's DECIMAL text exactly); money and ratings
  // count cancelled complaints too, the 12345 figures do not.
  for (const row of moneyRows) {
    for (const [target, key, column] of MONEY_AND_RATINGS) {
      const add = column.endsWith('_fen') ? fen(row[column]) : num(row[column]);
      out[target][key] = num(out[target][key]) + add;
    }
    if (!num(row.cancelled)) for (const h of HOTLINE) out.hotlineRow[h] = num(out.hotlineRow[h]) + num(row[`hotline_${h}`]);
  }
  for (const row of rows) {
    const n = num(row.n);
    if (num(row.cancelled)) {
      out.cancelled += n;
      continue;
    }
    out.complaints += n;
    out.resolved += num(row.resolved);
    out.repeats += num(row.repeats);
    out.onTime += num(row.on_time);
    // Late = replied − on time: every deadline here is set (the promise falls back to receipt + hours,
    // the plan's to its own deadline), so a reply is on time or late, never neither; one comparison of
    // the deadline per row instead of two (per-row expressions were most of this read's time).
    out.late += num(row.resolved) - num(row.on_time);
    out.replyLate += num(row.resolved) - num(row.reply_on_time);
    out.handlingLate += num(row.handling_replied) - num(row.handling_on_time);
    out.overdueOpen += num(row.overdue_open);
    for (const [field, column] of FLAGS) out[field] += num(row[column]);
    out.followUpOverdue += num(row.follow_up_overdue);
    out.incidentComplaints += num(row.incident_complaints);
    out.visits.visits += num(row.visits);
    out.visits.satisfied += num(row.satisfied);
    out.visits.inWindow += num(row.in_window);
    out.visits.continued += num(row.continued);
  }
  for (const row of breakdownRows) {
    const n = num(row.n);
    for (const d of DIMENSIONS) {
      const value = row[COLUMN[d]];
      const key = value === null || value === undefined ? null : String(value);
      out.by[d].set(key, (out.by[d].get(key) ?? 0) + n);
    }
  }
  return out;
}

/**
 * Receipt → reply and receipt → first acknowledging event of every complaint not cancelled that has
 * them, in ms, each ascending: one read of the two summary columns, sorted here.
 */
async function sortedDurations(q: Knex.QueryBuilder, dialect: Dialect): Promise<{ resolve: number[]; acknowledge: number[] }> {
  q.where('f.cancelled', 0)
    .where((w) => w.whereNotNull('f.resolve_ms').orWhereNotNull('f.ack_ms'))
    .select('f.resolve_ms', 'f.ack_ms');
  // mysql2 answers each row as a [resolve, ack] pair instead of an object: tens of thousands fewer
  // objects to build for a month of complaints.
  const rows = (
    dialect === 'mysql' ? ((await q.options({ rowsAsArray: true })) as unknown[][]) : ((await q) as Row[]).map((r) => [r.resolve_ms, r.ack_ms])
  ) as unknown[][];
  const resolve: number[] = [];
  const acknowledge: number[] = [];
  for (const [r, a] of rows) {
    if (r !== null && r !== undefined) resolve.push(Number(r));
    if (a !== null && a !== undefined) acknowledge.push(Number(a));
  }
  // Typed arrays sort numerically without a comparator call per pair.
  return { resolve: Array.from(Float64Array.from(resolve).sort()), acknowledge: Array.from(Float64Array.from(acknowledge).sort()) };
}

// 总结改进: the periodic report of complaints. Every figure is about one cohort, the complaints received
// in the period (local days in the settings' time zone) in the communities asked for and allowed to the
// reader; what happened to them afterwards (first action, reply, follow-up visit, offsets) counts up to
// the moment the report is built. Cancelled complaints (duplicates, registered in error) are counted
// apart and left out of every other complaint figure; the money figures include them, so they add up
// with the offsets' own books.
//
// Seven grouped queries over the received_at range, run side by side, each answered from indexes (the
// report index of migrations/20261128000800_add_report_indexes.ts, rebuilt with reply_due_at by 000910,
// covers every complaint column they read); JavaScript only adds up the grouped rows and takes
// percentiles of the sorted durations the database returns. On 1M complaints a month takes about half a second on MariaDB, a year several
// seconds (see the migration for the measurements).
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
import { countIf, durationMsSql, plusHoursSql, type Dialect } from './sql.js';
import { durations, share, type Durations, type Share } from './stats.js';

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
export const ACKNOWLEDGING_ACTIONS = ['start-investigation', 'assess', 'resolve'] as const;

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

function ordered(dimension: Dimension, counts: Map<string | null, number>): Count[] {
  const fixed = FIXED_ORDER[dimension];
  const known: Count[] = fixed
    ? [
        ...fixed.map((key) => ({ key, count: counts.get(key) ?? 0 })),
        ...[...counts].filter(([k]) => k !== null && !fixed.includes(k)).map(([key, count]) => ({ key, count })),
      ]
    : [...counts].filter(([k]) => k !== null).map(([key, count]) => ({ key, count }));
  // Open lists (categories, departments): most frequent first, then by code, so equal counts keep one order.
  if (!fixed) known.sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
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

  /** The cohort: complaints received in the period, in scope, in the community asked for. */
  const cohort = (alias: string): Knex.QueryBuilder => {
    const c = (column: string) => `${alias}.${column}`;
    const q = db({ [alias]: tables.complaints })
      .where(c('received_at'), '>=', toDbTime(period.start))
      .where(c('received_at'), '<', toDbTime(period.end));
    scopeToActor(q, actor, c('community_id'));
    if (communityId !== null) {
      if (isMatchableHostId(communityId)) q.where(c('community_id'), communityId);
      else q.whereRaw('1 = 0');
    }
    return q;
  };

  const nowText = toDbTime(now);
  const [groups, resolveMs, acknowledgeMs, visits, units, offsetRow, applicationRow, ratingRow, hotlineRow, incidentRow] = await Promise.all([
    groupedCounts(db, cohort('c'), dialect, settings, now),
    resolveDurations(db, cohort('c'), dialect),
    acknowledgeDurations(db, cohort('c'), dialect, tables.events),
    followUpCounts(db, cohort('c'), dialect, tables.followUps),
    cohort('c')
      .whereNot('c.state', 'cancelled')
      // Public-area complaints have no unit to rank.
      .whereNotNull('c.unit_id')
      .select('c.unit_id')
      .count({ n: '*' })
      .groupBy('c.unit_id')
      .orderBy([
        { column: 'n', order: 'desc' },
        { column: 'c.unit_id', order: 'asc' },
      ])
      .limit(TOP_UNITS) as Promise<Row[]>,
    joinCohort(cohort('c'), dialect, tables.offsets, 'o', 'o.complaint_id = c.id').first(
      db.raw('COUNT(*) AS requests'),
      db.raw('SUM(o.requested_fen) AS requested'),
      db.raw(`${countIf('o.approved_fen IS NOT NULL')} AS approvals`),
      db.raw('SUM(o.approved_fen) AS approved'),
    ) as Promise<Row | undefined>,
    joinCohort(
      joinCohort(cohort('c'), dialect, tables.offsets, 'o', 'o.complaint_id = c.id'),
      dialect,
      tables.offsetApplications,
      'a',
      'a.offset_id = o.id',
    ).first(
      db.raw('COUNT(*) AS applications'),
      db.raw('SUM(a.amount_fen) AS applied'),
      db.raw(`${countIf("a.state = 'reversed'")} AS reversals`),
      db.raw("SUM(CASE WHEN a.state = 'reversed' THEN a.amount_fen ELSE 0 END) AS reversed"),
    ) as Promise<Row | undefined>,
    joinCohort(cohort('c'), dialect, tables.ownerRatings, 'r', 'r.complaint_id = c.id').first(
      db.raw('COUNT(*) AS ratings'),
      db.raw('SUM(r.stars) AS stars'),
      db.raw(`${countIf('r.stars <= 2')} AS low`),
      db.raw('SUM(r.rehandle) AS rehandled'),
    ) as Promise<Row | undefined>,
    cohort('c')
      .where('c.channel', 'hotline_12345')
      .whereNot('c.state', 'cancelled')
      .first(
        db.raw('COUNT(*) AS referrals'),
        db.raw(`${countIf('c.resolved_at IS NOT NULL')} AS replied`),
        db.raw(`${countIf('c.resolved_at IS NOT NULL AND c.hotline_due_at IS NOT NULL AND c.resolved_at <= c.hotline_due_at')} AS on_time`),
        db.raw(`${countIf('c.resolved_at IS NOT NULL AND c.hotline_due_at IS NOT NULL AND c.resolved_at > c.hotline_due_at')} AS late`),
        db.raw(`${countIf('c.resolved_at IS NULL AND c.hotline_due_at < ?')} AS overdue_open`, [nowText]),
      ) as Promise<Row | undefined>,
    cohort('c')
      .whereNotNull('c.incident_id')
      .whereNot('c.state', 'cancelled')
      .first(db.raw('COUNT(DISTINCT c.incident_id) AS incidents'), db.raw('COUNT(*) AS complaints')) as Promise<Row | undefined>,
  ]);
  const hotlineOnTime = num(hotlineRow?.on_time);
  const hotlineLate = num(hotlineRow?.late);
  const hotlineOverdue = num(hotlineRow?.overdue_open);

  const unitLabels = await labelsOf(
    ctx,
    units.map((u) => String(u.unit_id)),
  );
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
    acknowledge: durations(acknowledgeMs),
    resolve: durations(resolveMs),
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
    incidents: { incidents: num(incidentRow?.incidents), complaints: num(incidentRow?.complaints) },
  };
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

/**
 * Joins one of our child tables to the cohort, the cohort read first. MariaDB/MySQL would otherwise
 * scan the child table and fetch each row's complaint by primary key: cheap in its cost model, but the
 * complaint rows of a million-row table are mostly not in memory (measured on 1M complaints: 4–6 s for
 * one month's offsets). STRAIGHT_JOIN reads the cohort from an index and probes the child's
 * complaint_id index instead (about 60 ms). SQLite's planner gets a plain JOIN.
 */
function joinCohort(q: Knex.QueryBuilder, dialect: Dialect, table: string, alias: string, on: string, bindings: readonly string[] = []): Knex.QueryBuilder {
  const quoted = dialect === 'mysql' ? `\`${table}\`` : `"${table}"`;
  return q.joinRaw(`${dialect === 'mysql' ? 'STRAIGHT_JOIN' : 'JOIN'} ${quoted} AS ${alias} ON ${on}`, [...bindings]);
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
  by: Record<Dimension, Map<string | null, number>>;
}

/** The per-group flags besides the plain counts, by the column alias each is summed under. */
const FLAGS = [
  ['replyOnTime', 'reply_on_time'],
  ['replyLate', 'reply_late'],
  ['replyOverdueOpen', 'reply_overdue_open'],
  ['handlingOnTime', 'handling_on_time'],
  ['handlingLate', 'handling_late'],
  ['handlingOverdueOpen', 'handling_overdue_open'],
] as const;

/**
 * One scan of the cohort grouped by all six dimensions at once (plus cancelled or not), with the
 * per-complaint flags summed in each group; the six breakdowns and the totals are sums of these groups
 * (at most a few hundred rows, where six GROUP BY queries would read the range six times).
 */
async function groupedCounts(db: Knex, q: Knex.QueryBuilder, dialect: Dialect, settings: Settings, now: Date): Promise<Grouped> {
  const at = toDbTime(now);
  // The deadline the complaint is (or was, when replied) held to: see ComplaintReport.onTime.
  const deadline = `COALESCE(c.plan_deadline, c.reply_due_at, ${plusHoursSql(dialect, 'c.received_at', settings.replyPromiseHours)})`;
  // The promise to the owner (moved only by pauses) and the plan's deadline (likewise), apart.
  const promise = `COALESCE(c.reply_due_effective_at, c.reply_due_at, ${plusHoursSql(dialect, 'c.received_at', settings.replyPromiseHours)})`;
  const plan = 'COALESCE(c.plan_due_effective_at, c.plan_deadline)';
  const cancelled = "CASE WHEN c.state = 'cancelled' THEN 1 ELSE 0 END";
  const dims = DIMENSIONS.map((d) => `c.${COLUMN[d]}`);
  const rows = (await q
    .select(
      ...dims,
      db.raw(`${cancelled} AS cancelled`),
      db.raw('COUNT(*) AS n'),
      db.raw(`${countIf('c.repeat_of_id IS NOT NULL')} AS repeats`),
      db.raw(`${countIf('c.resolved_at IS NOT NULL')} AS resolved`),
      db.raw(`${countIf(`c.resolved_at <= ${deadline}`)} AS on_time`),
      db.raw(`${countIf(`c.resolved_at > ${deadline}`)} AS late`),
      db.raw(`${countIf(`c.resolved_at IS NULL AND ${deadline} < ?`)} AS overdue_open`, [at]),
      db.raw(`${countIf(`c.resolved_at <= ${promise}`)} AS reply_on_time`),
      db.raw(`${countIf(`c.resolved_at > ${promise}`)} AS reply_late`),
      db.raw(`${countIf(`c.resolved_at IS NULL AND c.paused_at IS NULL AND ${promise} < ?`)} AS reply_overdue_open`, [at]),
      db.raw(`${countIf(`c.plan_deadline IS NOT NULL AND c.resolved_at <= ${plan}`)} AS handling_on_time`),
      db.raw(`${countIf(`c.plan_deadline IS NOT NULL AND c.resolved_at > ${plan}`)} AS handling_late`),
      db.raw(`${countIf(`c.plan_deadline IS NOT NULL AND c.resolved_at IS NULL AND c.paused_at IS NULL AND ${plan} < ?`)} AS handling_overdue_open`, [at]),
      db.raw(`${countIf("c.state = 'resolved' AND c.follow_up_due_at < ?")} AS follow_up_overdue`, [at]),
    )
    .groupBy(...dims, db.raw(cancelled))) as Row[];

  const out: Grouped = {
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
    by: Object.fromEntries(DIMENSIONS.map((d) => [d, new Map<string | null, number>()])) as Grouped['by'],
  };
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
    out.late += num(row.late);
    out.overdueOpen += num(row.overdue_open);
    for (const [field, column] of FLAGS) out[field] += num(row[column]);
    out.followUpOverdue += num(row.follow_up_overdue);
    for (const d of DIMENSIONS) {
      const value = row[COLUMN[d]];
      const key = value === null || value === undefined ? null : String(value);
      out.by[d].set(key, (out.by[d].get(key) ?? 0) + n);
    }
  }
  return out;
}

/** Receipt → reply of every replied complaint, in ms, ascending. */
async function resolveDurations(db: Knex, q: Knex.QueryBuilder, dialect: Dialect): Promise<number[]> {
  const rows = (await q
    .whereNot('c.state', 'cancelled')
    .whereNotNull('c.resolved_at')
    .select(db.raw(`${durationMsSql(dialect, 'c.received_at', 'c.resolved_at')} AS d`))
    .orderBy('d')) as Row[];
  return rows.map((r) => num(r.d));
}

/**
 * Receipt → first acknowledging event of every complaint that has one, in ms, ascending. Offset events
 * carry the complaint id too, but their actions have other names (request, approve, apply…), so the
 * action alone picks complaint events and the (complaint_id, action, at) index answers by itself.
 */
async function acknowledgeDurations(db: Knex, q: Knex.QueryBuilder, dialect: Dialect, events: string): Promise<number[]> {
  const actions = ACKNOWLEDGING_ACTIONS.map(() => '?').join(', ');
  const rows = (await joinCohort(q, dialect, events, 'e', `e.complaint_id = c.id AND e.action IN (${actions})`, [...ACKNOWLEDGING_ACTIONS])
    .whereNot('c.state', 'cancelled')
    .select(db.raw(`${durationMsSql(dialect, 'c.received_at', 'MIN(e.at)')} AS d`))
    .groupBy('c.id', 'c.received_at')
    .orderBy('d')) as Row[];
  return rows.map((r) => num(r.d));
}

async function followUpCounts(
  db: Knex,
  q: Knex.QueryBuilder,
  dialect: Dialect,
  followUps: string,
): Promise<{ visits: number; satisfied: number; inWindow: number; continued: number }> {
  const row = (await joinCohort(q, dialect, followUps, 'f', 'f.complaint_id = c.id')
    .whereNot('c.state', 'cancelled')
    .first(
      db.raw('COUNT(*) AS visits'),
      db.raw(`${countIf('f.satisfied = 1')} AS satisfied`),
      db.raw(`${countIf('f.visited_at <= c.follow_up_due_at')} AS in_window`),
      db.raw(`${countIf('f.continuation_id IS NOT NULL')} AS continued`),
    )) as Row | undefined;
  return { visits: num(row?.visits), satisfied: num(row?.satisfied), inWindow: num(row?.in_window), continued: num(row?.continued) };
}

// The report's summary (cmp_report_facts): one narrow row per complaint holding everything the period
// report reads about it: the complaint's own report columns, its first acknowledging event, and its
// follow-up visits, offsets, applications and owner rating already counted. The report reads this table
// alone (one range scan per figure family, no joins); the seven joined scans of the complaints and child
// tables are gone.
//
// Kept up to date in the writing transaction, at the storage functions every writer goes through
// (complaints, follow-ups, acknowledging events, offsets, applications, owner ratings):
// - refreshReportFacts recounts one complaint's row from its source rows in ONE statement (INSERT … SELECT
//   … ON DUPLICATE KEY UPDATE / ON CONFLICT DO UPDATE). On InnoDB the SELECT of an INSERT … SELECT is a
//   locking read of the latest committed rows, so two transactions touching one complaint serialise (or
//   deadlock and are retried) instead of writing a stale recount; on Galera both write the facts row, so
//   the later one fails certification and is retried. SQLite has one writer.
// - applications and reversals (the hot fee-collection path) add their amount with `SET n = n + ?`
//   (no recount of a busy approval's thousands of applications, no read-modify-write).
// rebuildReportFacts recounts every row (install, after direct seeding); diffReportFacts compares the
// table with a fresh recount (`complaints reports check`).
import type { Knex } from 'knex';
import { isMysql, rawRows } from '../db/connection.js';
import type { TableNames } from '../db/tables.js';
import { atomically, moveRollup } from './rollupStore.js';

type Db = Knex | Knex.Transaction;

/** The events that show someone took the complaint up (report.ts re-exports it). */
export const ACKNOWLEDGING_ACTIONS = ['start-investigation', 'assess', 'resolve'] as const;

/** Every column of a facts row, in the order the recount SELECT gives them. */
export const FACT_COLUMNS = [
  'complaint_id',
  'community_id',
  'unit_id',
  'received_at',
  'cancelled',
  'awaiting_follow_up',
  'category',
  'severity',
  'dispute_type',
  'nature',
  'channel',
  'department',
  'is_repeat',
  'resolved_at',
  'plan_deadline',
  'reply_due_at',
  'reply_due_effective_at',
  'plan_due_effective_at',
  'paused',
  'follow_up_due_at',
  'hotline_due_at',
  'incident_id',
  'resolve_ms',
  'ack_ms',
  'visits',
  'satisfied',
  'in_window',
  'continued',
  'requests',
  'requested_fen',
  'approvals',
  'approved_fen',
  'applications',
  'applied_fen',
  'reversals',
  'reversed_fen',
  'ratings',
  'stars',
  'low_ratings',
  'rehandled',
  'per_row',
] as const;

export type FactColumn = (typeof FACT_COLUMNS)[number];

function durationMs(mysql: boolean, a: string, b: string): string {
  return mysql ? `(TIMESTAMPDIFF(MICROSECOND, ${a}, ${b}) DIV 1000)` : `CAST(ROUND((julianday(${b}) - julianday(${a})) * 86400000) AS INTEGER)`;
}

const flag = (cond: string) => `CASE WHEN ${cond} THEN 1 ELSE 0 END`;

/** The summary columns per_row depends on, as SQL over some source. */
export interface PerRowSources {
  resolvedAt: string;
  awaitingFollowUp: string;
  planDeadline: string;
  replyDueAt: string;
  replyDueEffectiveAt: string;
  requests: string;
}

/**
 * per_row: why the report must read this complaint's row itself instead of its monthly rollup
 * (src/reports/rollupStore.ts), as the sum of PER_ROW flags (0: the rollup holds all of it): not replied
 * yet (overdue or not depends on the clock), waiting for its follow-up visit (likewise), a deadline that
 * falls back to replyPromiseHours (a setting), or offsets (the money is summed per complaint, never through
 * a shared counter on the fee path). Each flag's rows are read apart, with only their own figures.
 */
export function perRowSql(s: PerRowSources): string {
  const flags = [
    `CASE WHEN ${s.resolvedAt} IS NULL THEN ${PER_ROW.open} ELSE 0 END`,
    `CASE WHEN ${s.awaitingFollowUp} = 1 THEN ${PER_ROW.awaitingFollowUp} ELSE 0 END`,
    `CASE WHEN (${s.planDeadline} IS NULL AND ${s.replyDueAt} IS NULL) OR (${s.replyDueEffectiveAt} IS NULL AND ${s.replyDueAt} IS NULL) THEN ${PER_ROW.settingsDeadline} ELSE 0 END`,
    `CASE WHEN ${s.requests} > 0 THEN ${PER_ROW.money} ELSE 0 END`,
  ];
  return `(${flags.join(' + ')})`;
}

export const PER_ROW = { open: 1, awaitingFollowUp: 2, settingsDeadline: 4, money: 8 } as const;

/** The per_row values that carry this flag (an IN list, which the (per_row, received_at) index serves). */
export function perRowValuesWith(flag: number): number[] {
  return Array.from({ length: 16 }, (_, v) => v).filter((v) => (v & flag) !== 0);
}

const sumIf = (cond: string) => `SUM(${flag(cond)})`;

/**
 * The recount: one facts row per complaint matched by `where` (a condition on the complaint id column it
 * is given, applied to the complaints and to every child table so each reads only its own rows).
 */
function recountSql(db: Db, tables: TableNames, where: (column: string) => { sql: string; bindings: unknown[] }): { sql: string; bindings: unknown[] } {
  const mysql = isMysql(db);
  const q = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`);
  const bindings: unknown[] = [];
  const w = (column: string) => {
    const part = where(column);
    bindings.push(...part.bindings);
    return part.sql;
  };
  const ack = ACKNOWLEDGING_ACTIONS.map((a) => `'${a}'`).join(', ');
  // The derived tables come first in the text, so their bindings are pushed in text order.
  const events = `SELECT e.complaint_id, MIN(e.at) AS first_at FROM ${q(tables.events)} e WHERE e.action IN (${ack}) AND ${w('e.complaint_id')} GROUP BY e.complaint_id`;
  const visits = `SELECT f.complaint_id, COUNT(*) AS visits, ${sumIf('f.satisfied = 1')} AS satisfied, ${sumIf('f.visited_at <= fc.follow_up_due_at')} AS in_window, ${sumIf('f.continuation_id IS NOT NULL')} AS continued FROM ${q(tables.followUps)} f JOIN ${q(tables.complaints)} fc ON fc.id = f.complaint_id WHERE ${w('f.complaint_id')} GROUP BY f.complaint_id`;
  const offsets = `SELECT o.complaint_id, COUNT(*) AS requests, SUM(o.requested_fen) AS requested_fen, ${sumIf('o.approved_fen IS NOT NULL')} AS approvals, SUM(COALESCE(o.approved_fen, 0)) AS approved_fen FROM ${q(tables.offsets)} o WHERE ${w('o.complaint_id')} GROUP BY o.complaint_id`;
  const applications = `SELECT ao.complaint_id, COUNT(*) AS applications, SUM(a.amount_fen) AS applied_fen, ${sumIf("a.state = 'reversed'")} AS reversals, SUM(CASE WHEN a.state = 'reversed' THEN a.amount_fen ELSE 0 END) AS reversed_fen FROM ${q(tables.offsets)} ao JOIN ${q(tables.offsetApplications)} a ON a.offset_id = ao.id WHERE ${w('ao.complaint_id')} GROUP BY ao.complaint_id`;
  const ratings = `SELECT r.complaint_id, COUNT(*) AS ratings, SUM(r.stars) AS stars, ${sumIf('r.stars <= 2')} AS low_ratings, SUM(r.rehandle) AS rehandled FROM ${q(tables.ownerRatings)} r WHERE ${w('r.complaint_id')} GROUP BY r.complaint_id`;
  const z = (expr: string) => `COALESCE(${expr}, 0)`;
  const select = [
    'c.id',
    'c.community_id',
    'c.unit_id',
    'c.received_at',
    flag("c.state = 'cancelled'"),
    flag("c.state = 'resolved'"),
    'c.category',
    'c.severity',
    'c.dispute_type',
    'c.nature',
    'c.channel',
    'c.department',
    flag('c.repeat_of_id IS NOT NULL'),
    'c.resolved_at',
    'c.plan_deadline',
    'c.reply_due_at',
    'c.reply_due_effective_at',
    'c.plan_due_effective_at',
    flag('c.paused_at IS NOT NULL'),
    'c.follow_up_due_at',
    'c.hotline_due_at',
    'c.incident_id',
    `CASE WHEN c.resolved_at IS NULL THEN NULL ELSE ${durationMs(mysql, 'c.received_at', 'c.resolved_at')} END`,
    `CASE WHEN ev.first_at IS NULL THEN NULL ELSE ${durationMs(mysql, 'c.received_at', 'ev.first_at')} END`,
    z('fv.visits'),
    z('fv.satisfied'),
    z('fv.in_window'),
    z('fv.continued'),
    z('ro.requests'),
    z('ro.requested_fen'),
    z('ro.approvals'),
    z('ro.approved_fen'),
    z('ra.applications'),
    z('ra.applied_fen'),
    z('ra.reversals'),
    z('ra.reversed_fen'),
    z('rr.ratings'),
    z('rr.stars'),
    z('rr.low_ratings'),
    z('rr.rehandled'),
    perRowSql({
      resolvedAt: 'c.resolved_at',
      awaitingFollowUp: `(${flag("c.state = 'resolved'")})`,
      planDeadline: 'c.plan_deadline',
      replyDueAt: 'c.reply_due_at',
      replyDueEffectiveAt: 'c.reply_due_effective_at',
      requests: z('ro.requests'),
    }),
  ].map((expr, i) => `${expr} AS ${FACT_COLUMNS[i]}`);
  const sql =
    `SELECT ${select.join(', ')} FROM ${q(tables.complaints)} c` +
    ` LEFT JOIN (${events}) ev ON ev.complaint_id = c.id` +
    ` LEFT JOIN (${visits}) fv ON fv.complaint_id = c.id` +
    ` LEFT JOIN (${offsets}) ro ON ro.complaint_id = c.id` +
    ` LEFT JOIN (${applications}) ra ON ra.complaint_id = c.id` +
    ` LEFT JOIN (${ratings}) rr ON rr.complaint_id = c.id` +
    ` WHERE ${w('c.id')}`;
  return { sql, bindings };
}

function upsertSql(db: Db, tables: TableNames, select: { sql: string; bindings: unknown[] }): { sql: string; bindings: unknown[] } {
  const mysql = isMysql(db);
  const cols = FACT_COLUMNS.join(', ');
  const rest = FACT_COLUMNS.filter((c) => c !== 'complaint_id');
  const tail = mysql
    ? ` ON DUPLICATE KEY UPDATE ${rest.map((c) => `${c} = VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT(complaint_id) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  const table = mysql ? `\`${tables.reportFacts}\`` : `"${tables.reportFacts}"`;
  return { sql: `INSERT INTO ${table} (${cols}) ${select.sql}${tail}`, bindings: select.bindings };
}

const byIds = (ids: readonly number[]) => (column: string) => ({ sql: `${column} IN (${ids.map(() => '?').join(', ')})`, bindings: [...ids] });
const byRange = (lo: number, hi: number) => (column: string) => ({ sql: `${column} BETWEEN ? AND ?`, bindings: [lo, hi] });

/**
 * Recounts these complaints' facts rows from their source rows, in the caller's transaction. Called by
 * the stores right after they change a complaint or one of its child rows.
 */
export async function refreshReportFacts(trx: Db, tables: TableNames, complaintIds: ReadonlyArray<number | null | undefined>): Promise<void> {
  const ids = [...new Set(complaintIds.filter((id): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id > 0))];
  if (!ids.length) return;
  const { sql, bindings } = upsertSql(trx, tables, recountSql(trx, tables, byIds(ids)));
  // The monthly rollup follows the rows: their old contribution out, the recount, the new one in.
  await moveRollup(trx, tables, ids, -1);
  await trx.raw(sql, bindings as Knex.RawBinding[]);
  await moveRollup(trx, tables, ids, 1);
}

/**
 * An application or its reversal changes the counts by its own amount: added in place (`n = n + …`), so
 * concurrent applications on one approval never recount each other's rows (nor hold them). The caller
 * knows the amount and the complaint (or the offset, whose complaint a subquery finds): one UPDATE by the
 * facts row's key. A complaint without a facts row yet (written outside the stores) is recounted whole.
 */
export async function countApplicationInReportFacts(
  trx: Db,
  tables: TableNames,
  application: { amountFen: number } & ({ complaintId: number } | { offsetId: number }),
  as: 'applied' | 'reversed',
): Promise<void> {
  const [n, fen] = as === 'reversed' ? ['reversals', 'reversed_fen'] : ['applications', 'applied_fen'];
  const complaint = 'complaintId' in application ? application.complaintId : trx(tables.offsets).select('complaint_id').where('id', application.offsetId);
  const updated = await trx(tables.reportFacts)
    .where('complaint_id', complaint)
    .update({ [n]: trx.raw('?? + 1', [n]), [fen]: trx.raw('?? + ?', [fen, application.amountFen]) });
  if (updated === 0) {
    if (typeof complaint === 'number') await refreshReportFacts(trx, tables, [complaint]);
    else if ('offsetId' in application) await refreshReportFactsOfOffset(trx, tables, application.offsetId);
  }
}

/** Recounts the facts row of an offset's complaint (a decision changed what was approved). */
export async function refreshReportFactsOfOffset(trx: Db, tables: TableNames, offsetId: number): Promise<void> {
  const row = (await trx(tables.offsets).where({ id: offsetId }).first('complaint_id')) as { complaint_id: number } | undefined;
  if (row) await refreshReportFacts(trx, tables, [Number(row.complaint_id)]);
}

/** Complaint ids in batches of `size`, by id range: the rebuild and the check walk the table this way. */
async function idBatches(db: Db, tables: TableNames, size: number): Promise<Array<[number, number]>> {
  const row = (await db(tables.complaints).min({ lo: 'id' }).max({ hi: 'id' }).first()) as { lo: number | null; hi: number | null } | undefined;
  if (!row || row.lo === null || row.hi === null) return [];
  const out: Array<[number, number]> = [];
  for (let lo = Number(row.lo); lo <= Number(row.hi); lo += size) out.push([lo, Math.min(lo + size - 1, Number(row.hi))]);
  return out;
}

/**
 * Recounts every facts row: deletes the rows of complaints that are gone, then upserts each id range in
 * its own transaction. Writers running meanwhile keep their rows up to date themselves.
 */
export async function rebuildReportFacts(db: Knex, tables: TableNames, options: { batch?: number } = {}): Promise<{ complaints: number }> {
  const orphans = () => db(tables.reportFacts).whereNotIn('complaint_id', db(tables.complaints).select('id'));
  if (await orphans().first('complaint_id')) await orphans().del();
  let complaints = 0;
  for (const [lo, hi] of await idBatches(db, tables, options.batch ?? 20_000)) {
    await atomically(db, async (trx) => {
      const { sql, bindings } = upsertSql(trx, tables, recountSql(trx, tables, byRange(lo, hi)));
      await trx.raw(sql, bindings as Knex.RawBinding[]);
    });
    const [{ n } = { n: 0 }] = (await db(tables.complaints).whereBetween('id', [lo, hi]).count({ n: '*' })) as Array<{ n: number | string }>;
    complaints += Number(n);
  }
  return { complaints };
}

export interface FactDifference {
  complaintId: number;
  /** missing: no facts row; orphan: a facts row without its complaint; differs: these columns disagree. */
  problem: 'missing' | 'orphan' | 'differs';
  /** Column → [in the summary, recounted]. */
  columns: Record<string, [unknown, unknown]>;
}

/** Normalises a value as both drivers return it (numbers, DATETIME as Date or text) for comparison. */
function norm(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  const s = String(v);
  return /^-?\d+(\.0+)?$/.test(s) ? String(Number(s.replace(/\.0+$/, ''))) : s;
}

/** Every difference between the facts table and a fresh recount, at most `limit` of them. */
export async function diffReportFacts(
  db: Knex,
  tables: TableNames,
  options: { batch?: number; limit?: number } = {},
): Promise<{ checked: number; differences: FactDifference[] }> {
  const limit = options.limit ?? 1000;
  const differences: FactDifference[] = [];
  let checked = 0;
  for (const [lo, hi] of await idBatches(db, tables, options.batch ?? 20_000)) {
    const { sql, bindings } = recountSql(db, tables, byRange(lo, hi));
    const recount = rawRows(db, await db.raw(sql, bindings as Knex.RawBinding[]));
    const stored = (await db(tables.reportFacts)
      .select(...FACT_COLUMNS)
      .whereBetween('complaint_id', [lo, hi])) as Array<Record<string, unknown>>;
    const storedById = new Map(stored.map((r) => [Number(r.complaint_id), r]));
    for (const want of recount) {
      checked++;
      const id = Number(want.complaint_id);
      const have = storedById.get(id);
      storedById.delete(id);
      if (!have) {
        differences.push({ complaintId: id, problem: 'missing', columns: {} });
        continue;
      }
      const columns: Record<string, [unknown, unknown]> = {};
      for (const c of FACT_COLUMNS) if (norm(have[c]) !== norm(want[c])) columns[c] = [norm(have[c]), norm(want[c])];
      if (Object.keys(columns).length) differences.push({ complaintId: id, problem: 'differs', columns });
    }
    for (const id of storedById.keys()) differences.push({ complaintId: id, problem: 'orphan', columns: {} });
    if (differences.length >= limit) break;
  }
  // Facts rows beyond the complaints' id range (their complaints are gone).
  const row = (await db(tables.complaints).max({ hi: 'id' }).first()) as { hi: number | null } | undefined;
  const beyond = (await db(tables.reportFacts)
    .select('complaint_id')
    .where('complaint_id', '>', Number(row?.hi ?? 0))
    .limit(limit)) as Array<{ complaint_id: number }>;
  for (const r of beyond) differences.push({ complaintId: Number(r.complaint_id), problem: 'orphan', columns: {} });
  return { checked, differences: differences.slice(0, limit) };
}

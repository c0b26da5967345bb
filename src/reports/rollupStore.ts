// The report's monthly rollup (cmp_report_rollup): what the summary rows (report_facts) of one local
// month add up to, so a report of whole months reads a few hundred rollup rows instead of scanning every
// complaint of the month (issue 20: the report of a month for every community took 18–26× a COUNT(*) over
// it, read per complaint).
//
// A rollup row is keyed by (month, kind, value, slot):
// - 'total' rows (value: the cancelled flag) hold the counters that are fixed once a complaint's summary
//   row is: how many, replied, on time by a stored deadline, visits, ratings, the 12345 figures;
// - one row per value of each breakdown dimension, per incident and per unit (how many complaints not
//   cancelled have it);
// - 'resolve_ms' / 'ack_ms' rows: a histogram of the two durations, by two significant digits, so the
//   report finds which bin a percentile falls in and reads only that bin's complaints (exact percentiles).
// What depends on the clock or the settings (overdue counts, deadlines that fall back to
// replyPromiseHours) and the money (fee collection must never wait on a shared counter, nor fail on one
// inside the host's transaction) is not rolled up: the summary row says why it must be read itself
// (per_row, perRowSql in summaryStore.ts) and the report reads those rows, each reason's apart.
//
// Kept in the writing transaction: refreshReportFacts takes a complaint's old contribution out before it
// recounts the summary row and puts the new one in after (two INSERT … SELECT … ON DUPLICATE KEY UPDATE
// n = n + …), so the rollup is the sum of the summary rows at every commit. The busiest rows (totals,
// breakdowns) are spread over SLOTS rows by complaint id, so concurrent writers seldom wait on one
// another (nor, on Galera, fail certification on one row).
//
// Months are local months of the settings' time zone, listed in cmp_report_months. When the time zone
// changes, the rollup no longer fits the report's months: the report reads per complaint (same figures,
// slower) until `complaints reports rebuild` rebuilds both in the new zone.
import type { Knex } from 'knex';
import { startOfZonedDay } from '../calendar/zoned.js';
import { toDbTime } from '../db/time.js';
import { isMysql, rawRows } from '../db/connection.js';
import type { TableNames } from '../db/tables.js';
import { inTransaction } from '../db/transaction.js';

type Db = Knex | Knex.Transaction;

/** The months the calendar lists; a complaint received outside them is only ever read per complaint. */
export const CALENDAR_FIRST_YEAR = 2000;
export const CALENDAR_LAST_YEAR = 2099;

/** Rows the busiest counters are spread over. */
export const SLOTS = 8;

/** The counters of a 'total' row, each the sum of one expression over the month's summary rows. */
export const TOTAL_COUNTERS = [
  'n',
  'repeats',
  'resolved',
  'on_time',
  'reply_on_time',
  'handling_on_time',
  'handling_replied',
  'incident_complaints',
  'visits',
  'satisfied',
  'in_window',
  'continued',
  'ratings',
  'stars',
  'low_ratings',
  'rehandled',
  'hotline_referrals',
  'hotline_replied',
  'hotline_on_time',
  'hotline_late',
] as const;
export type TotalCounter = (typeof TOTAL_COUNTERS)[number];

/** The breakdown dimensions, by their summary column. */
export const DIMENSION_COLUMNS = ['category', 'severity', 'dispute_type', 'nature', 'channel', 'department'] as const;
export type DimensionColumn = (typeof DIMENSION_COLUMNS)[number];
export const DURATION_COLUMNS = ['resolve_ms', 'ack_ms'] as const;
export type DurationColumn = (typeof DURATION_COLUMNS)[number];

/** A rollup row's key. A unit's rows are keyed by its id, in a column of the host key's type (its collation, any length). */
const KEY = ['month', 'kind', 'v', 'v_null', 'slot', 'unit_id'] as const;
const ROW_COLUMNS = [...KEY, ...TOTAL_COUNTERS] as const;
/**
 * unit_id of the rows that are not a unit's: the text '0', which an integer column and a text column both
 * take as they are (0 and '0'); kind tells those rows from a unit's.
 */
const NO_UNIT = "'0'";

const flag = (cond: string) => `CASE WHEN ${cond} THEN 1 ELSE 0 END`;
/**
 * A value as text in the collation of our tables (tableDefaults), so the value column's CASE never mixes
 * the connection's collation with a column's (MySQL refuses such a mix).
 */
const text = (mysql: boolean, expr: string) => (mysql ? `CAST(${expr} AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_unicode_ci` : `CAST(${expr} AS TEXT)`);

/**
 * The histogram bin of a duration (whole ms), as SQL: its number of decimal digits × 100 plus its first
 * two digits (9 → 109, 1234 → 412, 98,765 → 598), 0 below zero. Bins grow with the value, each is at most
 * 10 % wide, and binOf computes the same in JS.
 */
export function binSql(mysql: boolean, column: string): string {
  const digits = mysql ? `CAST(${column} AS CHAR)` : `CAST(${column} AS TEXT)`;
  return mysql
    ? `CASE WHEN ${column} < 0 THEN 0 ELSE CHAR_LENGTH(${digits}) * 100 + CAST(LEFT(${digits}, 2) AS UNSIGNED) END`
    : `CASE WHEN ${column} < 0 THEN 0 ELSE LENGTH(${digits}) * 100 + CAST(SUBSTR(${digits}, 1, 2) AS INTEGER) END`;
}

/** The summary's column holding a duration's bin (a virtual column of binSql, indexed with the receipt). */
export const BIN_COLUMN: Record<DurationColumn, string> = { resolve_ms: 'resolve_bin', ack_ms: 'ack_bin' };

export function binOf(ms: number): number {
  if (ms < 0) return 0;
  const digits = String(ms);
  return digits.length * 100 + Number(digits.slice(0, 2));
}

/**
 * Every rollup contribution of the summary rows `where` selects (alias f), one row per (key, complaint),
 * in month `month` (SQL). The deadline-based flags count only deadlines the row stores (the fallback on
 * replyPromiseHours is a setting: those rows are read one by one, see perRowSql).
 */
function contributionsSql(mysql: boolean, tables: TableNames, where: string, month: string): string {
  const q = (name: string) => (mysql ? `\`${name}\`` : `"${name}"`);
  const hotline = "f.channel = 'hotline_12345'";
  const totals: Record<TotalCounter, string> = {
    n: '1',
    repeats: 'f.is_repeat',
    resolved: flag('f.resolved_at IS NOT NULL'),
    on_time: flag('f.resolved_at <= COALESCE(f.plan_deadline, f.reply_due_at)'),
    reply_on_time: flag('f.resolved_at <= COALESCE(f.reply_due_effective_at, f.reply_due_at)'),
    handling_on_time: flag('f.plan_deadline IS NOT NULL AND f.resolved_at <= COALESCE(f.plan_due_effective_at, f.plan_deadline)'),
    handling_replied: flag('f.plan_deadline IS NOT NULL AND f.resolved_at IS NOT NULL'),
    incident_complaints: flag('f.incident_id IS NOT NULL'),
    visits: 'f.visits',
    satisfied: 'f.satisfied',
    in_window: 'f.in_window',
    continued: 'f.continued',
    ratings: 'f.ratings',
    stars: 'f.stars',
    low_ratings: 'f.low_ratings',
    rehandled: 'f.rehandled',
    hotline_referrals: flag(hotline),
    hotline_replied: flag(`${hotline} AND f.resolved_at IS NOT NULL`),
    hotline_on_time: flag(`${hotline} AND f.resolved_at <= f.hotline_due_at`),
    hotline_late: flag(`${hotline} AND f.resolved_at > f.hotline_due_at`),
  };
  // One row per kind of rollup row: the summary row is read once and crossed with the kinds (eleven
  // UNION branches, each reading it again, cost MariaDB about 2 ms a statement to plan and run).
  interface Kind {
    kind: string;
    v: string;
    vNull: string;
    slot: string;
    unit: string;
    counters: Partial<Record<TotalCounter, string>>;
    /** Which summary rows have this kind of rollup row. */
    when: string;
  }
  const slot = `f.complaint_id % ${SLOTS}`;
  const counted = 'f.cancelled = 0';
  const kinds: Kind[] = [
    { kind: 'total', v: text(mysql, 'f.cancelled'), vNull: '0', slot, unit: NO_UNIT, counters: totals, when: '1 = 1' },
    ...DIMENSION_COLUMNS.map((d) => ({ kind: d, v: `COALESCE(f.${d}, '')`, vNull: flag(`f.${d} IS NULL`), slot, unit: NO_UNIT, counters: {}, when: counted })),
    ...DURATION_COLUMNS.map((d) => ({
      kind: d,
      v: text(mysql, `f.${BIN_COLUMN[d]}`),
      vNull: '0',
      slot: '0',
      unit: NO_UNIT,
      counters: {},
      when: `${counted} AND f.${d} IS NOT NULL`,
    })),
    { kind: 'incident', v: text(mysql, 'f.incident_id'), vNull: '0', slot: '0', unit: NO_UNIT, counters: {}, when: `${counted} AND f.incident_id IS NOT NULL` },
    { kind: 'unit', v: "''", vNull: '0', slot: '0', unit: 'f.unit_id', counters: {}, when: `${counted} AND f.unit_id IS NOT NULL` },
  ];
  const byKind = (value: (k: Kind) => string) => `CASE k.kind ${kinds.map((k) => `WHEN '${k.kind}' THEN ${value(k)}`).join(' ')} END`;
  const columns = [
    `${month} AS month`,
    'k.kind AS kind',
    `${byKind((k) => k.v)} AS v`,
    `${byKind((k) => k.vNull)} AS v_null`,
    `${byKind((k) => k.slot)} AS slot`,
    `${byKind((k) => k.unit)} AS unit_id`,
    // n is 1 for every kind; the other counters are the totals' own.
    ...TOTAL_COUNTERS.map((c) => (c === 'n' ? '1 AS n' : `CASE WHEN k.kind = 'total' THEN ${totals[c]} ELSE 0 END AS ${c}`)),
  ];
  const kindTable = kinds.map((k) => `SELECT '${k.kind}' AS kind`).join(' UNION ALL ');
  return (
    `SELECT ${columns.join(', ')} FROM ${q(tables.reportFacts)} f CROSS JOIN (${kindTable}) k` +
    ` WHERE (${where}) AND (${kinds.map((k) => `(k.kind = '${k.kind}' AND ${k.when})`).join(' OR ')})`
  );
}

/**
 * The month of each summary row: the first calendar month ending after its receipt, if it began by then
 * (NULL outside the calendar, whose rows are never rolled up).
 */
function monthOfRowSql(mysql: boolean, tables: TableNames): string {
  const months = mysql ? `\`${tables.reportMonths}\`` : `"${tables.reportMonths}"`;
  // Forward along the (ends_at) index: asked for the last start before the receipt instead, MariaDB
  // scanned the earlier months one by one (0.5 ms a lookup).
  return `(SELECT m.month FROM ${months} m WHERE m.ends_at > f.received_at AND m.starts_at <= f.received_at ORDER BY m.ends_at LIMIT 1)`;
}

/** A calendar month written into the SQL: only ever one of the calendar's own 'YYYY-MM'. */
function monthLiteral(month: string): string {
  if (!/^\d{4}-\d{2}$/.test(month)) throw new RangeError(`not a calendar month: ${month}`);
  return `'${month}'`;
}

/**
 * The contributions summed by rollup key, times `sign`: the rows to add to (or, -1, take out of) the
 * rollup. `month`: SQL giving each row's month (a literal when every row is of one month).
 */
function groupedSql(mysql: boolean, tables: TableNames, where: string, month: string, sign: 1 | -1): string {
  const times = sign === 1 ? '' : '-';
  return (
    `SELECT ${KEY.map((k) => `x.${k}`).join(', ')}, ` +
    TOTAL_COUNTERS.map((c) => `${times}SUM(x.${c}) AS ${c}`).join(', ') +
    ` FROM (${contributionsSql(mysql, tables, where, month)}) x WHERE x.month IS NOT NULL GROUP BY ${KEY.map((k) => `x.${k}`).join(', ')}`
  );
}

function addToRollupSql(mysql: boolean, tables: TableNames, select: string): string {
  const table = mysql ? `\`${tables.reportRollup}\`` : `"${tables.reportRollup}"`;
  // The target's columns named in full: the SELECT's derived table has columns of the same names.
  const tail = mysql
    ? ` ON DUPLICATE KEY UPDATE ${TOTAL_COUNTERS.map((c) => `${table}.${c} = ${table}.${c} + VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT(${KEY.join(', ')}) DO UPDATE SET ${TOTAL_COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
  return `INSERT INTO ${table} (${ROW_COLUMNS.join(', ')}) ${select}${tail}`;
}

/**
 * Adds (sign 1) or takes out (-1) these complaints' summary rows' contributions, in the caller's
 * transaction: the stores call it with -1 before recounting a summary row and with 1 after. The SELECT of
 * an INSERT … SELECT reads the summary rows with a shared lock on InnoDB, so the contribution taken out is
 * the one committed, and the recount's exclusive lock that follows keeps it so until commit.
 */
export async function moveRollup(trx: Db, tables: TableNames, complaintIds: readonly number[], sign: 1 | -1): Promise<void> {
  if (!complaintIds.length) return;
  const mysql = isMysql(trx);
  const where = `f.complaint_id IN (${complaintIds.map(() => '?').join(', ')})`;
  const sql = addToRollupSql(mysql, tables, groupedSql(mysql, tables, where, monthOfRowSql(mysql, tables), sign));
  await trx.raw(sql, [...complaintIds] as Knex.RawBinding[]);
}

export interface CalendarMonth {
  month: string;
  /** Stored time (src/db/time.ts) the local month begins, included. */
  startsAt: string;
  /** Stored time the next month begins, excluded. */
  endsAt: string;
}

/** Every local month of the calendar's years in this time zone. */
export function calendarMonths(timeZone: string): CalendarMonth[] {
  const months: CalendarMonth[] = [];
  const first = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}-01`;
  for (let y = CALENDAR_FIRST_YEAR; y <= CALENDAR_LAST_YEAR; y++) {
    for (let m = 1; m <= 12; m++) {
      const next = m === 12 ? first(y + 1, 1) : first(y, m + 1);
      months.push({
        month: `${y}-${String(m).padStart(2, '0')}`,
        startsAt: toDbTime(startOfZonedDay(first(y, m), timeZone)),
        endsAt: toDbTime(startOfZonedDay(next, timeZone)),
      });
    }
  }
  return months;
}

/** The time zone the calendar (and so the rollup) is in; null when it has none yet. */
export async function rollupTimeZone(db: Db, tables: TableNames): Promise<string | null> {
  const row = (await db(tables.reportMonths).first('time_zone')) as { time_zone: string } | undefined;
  return row ? String(row.time_zone) : null;
}

/**
 * The calendar's months whose summary rows all lie within [start, end) (stored times), in order, if the
 * calendar is in this time zone: the months wholly inside, and the first and last months the period covers
 * only in part when their part outside it holds no summary row (the month so far, the report page's
 * default, is its whole month: nothing is received after today). A partial month with rows outside the
 * period is left to the summary rows.
 */
export async function monthsCoveredBy(db: Db, tables: TableNames, timeZone: string, start: string, end: string): Promise<CalendarMonth[]> {
  const rows = (await db(tables.reportMonths)
    .select('month', 'starts_at', 'ends_at', 'time_zone')
    .where('starts_at', '<', end)
    .where('ends_at', '>', start)
    .orderBy('starts_at')) as Array<{ month: string; starts_at: unknown; ends_at: unknown; time_zone: string }>;
  if (!rows.length || rows.some((r) => r.time_zone !== timeZone)) return [];
  const months = rows.map((r) => ({ month: String(r.month), startsAt: storedText(r.starts_at), endsAt: storedText(r.ends_at) }));
  const noRowsIn = async (from: string, to: string) =>
    !(await db(tables.reportFacts).where('received_at', '>=', from).where('received_at', '<', to).first('complaint_id'));
  const first = months[0]!;
  if (first.startsAt < start && !(await noRowsIn(first.startsAt, start))) months.shift();
  const last = months[months.length - 1];
  if (last && last.endsAt > end && !(await noRowsIn(end, last.endsAt))) months.pop();
  return months;
}

/** mysql2 may answer DATETIME as a Date; the calendar compares stored text. */
function storedText(v: unknown): string {
  return v instanceof Date ? toDbTime(v) : String(v);
}

/**
 * Our own transaction, retried on deadlocks (writers keep the rollup meanwhile), or the caller's when `db`
 * is one: a migration's (a nested one would be a savepoint its DDL has already committed away).
 */
export function atomically<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return inTransaction(db, work, (db as { isTransaction?: boolean }).isTransaction ? { trx: db as Knex.Transaction } : {});
}

/** The months that hold summary rows, with their bounds. */
async function monthsWithFacts(db: Db, tables: TableNames): Promise<CalendarMonth[]> {
  const span = (await db(tables.reportFacts).min({ lo: 'received_at' }).max({ hi: 'received_at' }).first()) as { lo: unknown; hi: unknown } | undefined;
  if (!span || span.lo === null || span.lo === undefined) return [];
  const rows = (await db(tables.reportMonths)
    .select('month', 'starts_at', 'ends_at')
    .where('ends_at', '>', storedText(span.lo))
    .where('starts_at', '<=', storedText(span.hi))
    .orderBy('starts_at')) as Array<{ month: string; starts_at: unknown; ends_at: unknown }>;
  return rows.map((r) => ({ month: String(r.month), startsAt: storedText(r.starts_at), endsAt: storedText(r.ends_at) }));
}

/**
 * Rebuilds the rollup from the summary rows, in this time zone: the calendar is written again first if it
 * is in another zone (or empty); then each month is recounted in its own transaction (its rows deleted and
 * summed again), while writers keep their own months up to date; rows of months without summary rows go.
 */
export async function rebuildReportRollup(db: Knex, tables: TableNames, timeZone: string): Promise<{ months: number }> {
  const calendar = calendarMonths(timeZone);
  // Written again when in another zone, or short (a run that stopped while writing it).
  const [{ n } = { n: 0 }] = (await db(tables.reportMonths).where('time_zone', timeZone).count({ n: '*' })) as Array<{ n: number | string }>;
  if ((await rollupTimeZone(db, tables)) !== timeZone || Number(n) !== calendar.length) {
    await atomically(db, async (trx) => {
      await trx(tables.reportRollup).del();
      await trx(tables.reportMonths).del();
      const rows = calendar.map((m) => ({ month: m.month, starts_at: m.startsAt, ends_at: m.endsAt, time_zone: timeZone }));
      for (let i = 0; i < rows.length; i += 200) await trx(tables.reportMonths).insert(rows.slice(i, i + 200));
    });
  }
  const mysql = isMysql(db);
  const months = await monthsWithFacts(db, tables);
  for (const m of months) {
    await atomically(db, async (trx) => {
      await trx(tables.reportRollup).where('month', m.month).del();
      await trx.raw(addToRollupSql(mysql, tables, groupedSql(mysql, tables, RECEIVED_IN, monthLiteral(m.month), 1)), monthBindings(m));
    });
  }
  const kept = months.map((m) => m.month);
  const stray = () => db(tables.reportRollup).modify((q) => (kept.length ? q.whereNotIn('month', kept) : q));
  if (await stray().first('month')) await stray().del();
  return { months: months.length };
}

/** The summary rows of one month (bound to its bounds by monthBindings). */
const RECEIVED_IN = 'f.received_at >= ? AND f.received_at < ?';
const monthBindings = (m: CalendarMonth): string[] => [m.startsAt, m.endsAt];

export interface RollupDifference {
  month: string;
  kind: string;
  /** The row's value (the dimension's value, the bin, the unit…); null for a NULL value. */
  value: string | null;
  slot: number;
  /** Counter → [in the rollup, recounted]. */
  counters: Record<string, [number, number]>;
}

/** Every difference between the rollup and a fresh sum of the summary rows, at most `limit`. */
export async function diffReportRollup(
  db: Knex,
  tables: TableNames,
  options: { limit?: number } = {},
): Promise<{ months: number; differences: RollupDifference[]; timeZone: string | null }> {
  const limit = options.limit ?? 1000;
  const zone = await rollupTimeZone(db, tables);
  const differences: RollupDifference[] = [];
  const mysql = isMysql(db);
  const months = await monthsWithFacts(db, tables);
  const keyOf = (r: Record<string, unknown>) => KEY.map((k) => String(r[k])).join('\u0000');
  for (const m of months) {
    const [recount, stored] = await Promise.all([
      db.raw(groupedSql(mysql, tables, RECEIVED_IN, monthLiteral(m.month), 1), monthBindings(m)).then((r) => rawRows(db, r)),
      db(tables.reportRollup)
        .select(...ROW_COLUMNS)
        .where('month', m.month) as Promise<Array<Record<string, unknown>>>,
    ]);
    const have = new Map(stored.map((r) => [keyOf(r), r]));
    const seen = new Set<string>();
    for (const want of recount) {
      const key = keyOf(want);
      seen.add(key);
      const row = have.get(key);
      const counters: Record<string, [number, number]> = {};
      for (const c of TOTAL_COUNTERS) if (Number(row?.[c] ?? 0) !== Number(want[c])) counters[c] = [Number(row?.[c] ?? 0), Number(want[c])];
      if (Object.keys(counters).length) differences.push(differenceOf(want, counters));
    }
    // A stored row the recount does not have must be all zeros (a contribution taken out again).
    for (const [key, row] of have) {
      if (seen.has(key)) continue;
      const counters: Record<string, [number, number]> = {};
      for (const c of TOTAL_COUNTERS) if (Number(row[c]) !== 0) counters[c] = [Number(row[c]), 0];
      if (Object.keys(counters).length) differences.push(differenceOf(row, counters));
    }
    if (differences.length >= limit) break;
  }
  // Rows of months without summary rows must be zeros too.
  const stray = (await db(tables.reportRollup)
    .select(...ROW_COLUMNS)
    .modify((q) =>
      months.length
        ? q.whereNotIn(
            'month',
            months.map((m) => m.month),
          )
        : q,
    )
    .where((w) => {
      for (const c of TOTAL_COUNTERS) w.orWhereNot(c, 0);
    })
    .limit(limit)) as Array<Record<string, unknown>>;
  for (const row of stray)
    differences.push(differenceOf(row, Object.fromEntries(TOTAL_COUNTERS.filter((c) => Number(row[c]) !== 0).map((c) => [c, [Number(row[c]), 0]]))));
  return { months: months.length, differences: differences.slice(0, limit), timeZone: zone };
}

function differenceOf(row: Record<string, unknown>, counters: Record<string, [number, number]>): RollupDifference {
  const value = row.kind === 'unit' ? String(row.unit_id) : Number(row.v_null) ? null : String(row.v);
  return { month: String(row.month), kind: String(row.kind), value, slot: Number(row.slot), counters };
}

// Complaint lists that stay fast on a million rows: every filter maps to an indexed column, pages are
// taken by keyset (cursor on the sort column + id) rather than deep offsets, ids first and rows second, and
// the total is counted only up to a cap (the UI shows "1000+"), remembered for a while once past it, and
// not counted at all where the page itself tells it.
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { Actor } from '../../auth/actor.js';
import { ValidationError, fieldError } from '../../common/errors.js';
import { isMissingIndexError } from '../../db/errors.js';
import { isMysql } from '../../db/connection.js';
import { namedIndexes, type TableNames } from '../../db/tables.js';
import { toDbTime } from '../../db/time.js';
import { CODE_PATTERN } from '../codes.js';
import { isMatchableHostId } from '../hostIds.js';
import { SUMMARY_ROWS, WHOLE_ROWS, type ComplaintSummary, type RowShape } from './complaints.js';
import { OPEN_STATES } from '../states.js';
import { scopeToActor } from './scoping.js';
import type { ListQuery, ListResult, SortKey } from '../types.js';
import { nextDay, startOfZonedDay } from '../../calendar/zoned.js';
import { readShaped, type ShapedRead } from '../../db/shapedReads.js';

/**
 * The count reads up to this many index entries on every list request. At 10,000 the count cost more than
 * the page itself on a million complaints (p99 7.6× a primary-key read under 50 clients); beyond 50 pages
 * a list is refined with filters, and the report gives exact figures.
 */
export const TOTAL_CAP = 1000;

const SORTS: Record<SortKey, { field: 'receivedAt' | 'dueAt'; column: string; order: 'asc' | 'desc' }> = {
  receivedAt: { field: 'receivedAt', column: 'received_at', order: 'asc' },
  '-receivedAt': { field: 'receivedAt', column: 'received_at', order: 'desc' },
  dueAt: { field: 'dueAt', column: 'due_at', order: 'asc' },
  '-dueAt': { field: 'dueAt', column: 'due_at', order: 'desc' },
};

type Cursor = [sort: SortKey, value: string | null, id: number];

function encodeCursor(sort: SortKey, c: ComplaintSummary): string {
  const value = c[SORTS[sort].field];
  const cursor: Cursor = [sort, value ? toDbTime(value) : null, c.id];
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string, sort: SortKey): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(c) && c[0] === sort && (c[1] === null || typeof c[1] === 'string') && Number.isInteger(c[2])) return c as Cursor;
  } catch {
    // fall through to the field error
  }
  throw new ValidationError([
    fieldError(
      'cursor',
      '翻页标记无效或与排序方式不符，请从第一页重新开始',
      'The page cursor is invalid or belongs to another sort order; start again from the first page',
    ),
  ]);
}

/** Rows strictly after the cursor in (column, id) order. NULLs sort first ascending on both databases. */
function applyKeyset(query: Knex.QueryBuilder, column: string, order: 'asc' | 'desc', [, value, id]: Cursor): void {
  const cmp = order === 'asc' ? '>' : '<';
  query.where((q) => {
    if (value === null) {
      q.where((n) => n.whereNull(column).andWhere('id', cmp, id));
      if (order === 'asc') q.orWhereNotNull(column);
    } else {
      q.where(column, cmp, value).orWhere((n) => n.where(column, value).andWhere('id', cmp, id));
      if (order === 'desc') q.orWhereNull(column);
    }
  });
}

function likePattern(text: string, where: 'prefix' | 'contains'): string {
  const escaped = text.replace(/[!%_]/g, (ch) => `!${ch}`);
  return where === 'prefix' ? `${escaped}%` : `%${escaped}%`;
}

/**
 * Text search picks the cheapest reading of what was typed: a complaint code is an exact unique
 * lookup, digits are a phone-number prefix (indexed), anything else scans names, unit labels and
 * descriptions (combine it with other filters or a date range on very large tables).
 */
function applyText(query: Knex.QueryBuilder, raw: string, mysql: boolean): void {
  const q = raw.trim();
  if (CODE_PATTERN.test(q)) {
    query.where('code', q.toUpperCase());
  } else if (/^\d{3,11}$/.test(q)) {
    // Both are index range scans: SQLite's LIKE is case-insensitive and cannot use a BINARY index, GLOB can.
    if (mysql) query.where('complainant_phone', 'like', `${q}%`);
    else query.whereRaw('complainant_phone GLOB ?', [`${q}*`]);
  } else {
    query.where((w) => {
      w.whereRaw(`complainant_name LIKE ? ESCAPE '!'`, [likePattern(q, 'prefix')])
        .orWhereRaw(`owner_name LIKE ? ESCAPE '!'`, [likePattern(q, 'prefix')])
        .orWhereRaw(`unit_label LIKE ? ESCAPE '!'`, [likePattern(q, 'contains')])
        .orWhereRaw(`description LIKE ? ESCAPE '!'`, [likePattern(q, 'contains')]);
    });
  }
}

export function applyFilters(query: Knex.QueryBuilder, filter: ListQuery, now: Date, timeZone: string, mysql: boolean): void {
  if (filter.state?.length) query.whereIn('state', filter.state);
  if (filter.severity?.length) query.whereIn('severity', filter.severity);
  if (filter.category?.length) query.whereIn('category', filter.category);
  if (filter.nature?.length) query.whereIn('nature', filter.nature);
  if (filter.disputeType) query.where('dispute_type', filter.disputeType);
  for (const [column, value] of [
    ['community_id', filter.communityId],
    ['unit_id', filter.unitId],
    ['owner_id', filter.ownerId],
  ] as const) {
    if (value !== undefined) query.where((q) => (isMatchableHostId(value) ? q.where(column, value) : q.whereRaw('1 = 0')));
  }
  if (filter.assigneeId) query.where('assignee_id', filter.assigneeId);
  // A paused clock is not overdue: its deadline moves when it resumes.
  if (filter.overdue === true) query.where('due_at', '<', toDbTime(now)).whereNull('paused_at');
  if (filter.overdue === false) query.where((q) => q.whereNull('due_at').orWhere('due_at', '>=', toDbTime(now)).orWhereNotNull('paused_at'));
  if (filter.paused === true) query.whereNotNull('paused_at');
  if (filter.paused === false) query.whereNull('paused_at');
  if (filter.awaitingAcceptance === true) query.whereNotNull('assignee_id').whereNull('accepted_at');
  if (filter.unassigned === true) query.whereNull('assignee_id');
  if (filter.repeat !== undefined) query[filter.repeat ? 'whereNotNull' : 'whereNull']('repeat_of_id');
  if (filter.threatenedWithholding !== undefined) query.where('threatened_withholding', filter.threatenedWithholding ? 1 : 0);
  if (filter.receivedFrom) query.where('received_at', '>=', toDbTime(startOfZonedDay(filter.receivedFrom, timeZone)));
  if (filter.receivedTo) query.where('received_at', '<', toDbTime(startOfZonedDay(nextDay(filter.receivedTo), timeZone)));
  if (filter.q) applyText(query, filter.q, mysql);
}

/** Up to this many states are read as one index range each (see stateBranchesPage). */
const MAX_STATE_BRANCHES = 8;

/**
 * One community, several states, newest first: the (community_id, state, received_at, id) index holds
 * each state's complaints in date order, but not the states merged, so a plain query reads every match
 * and sorts it (a community's closed complaints: tens of thousands of rows for a 20-row page). Instead,
 * each state is one index-ordered branch that stops after offset + limit entries and reads only the
 * index (id, received_at); the branches are merged, and only the page's rows are read in full.
 */
function stateBranchesPage(
  db: Knex,
  tables: TableNames,
  filtered: Knex.QueryBuilder,
  states: string[],
  order: Array<{ column: string; order: 'asc' | 'desc' }>,
  take: number,
  skip: number,
  columns: readonly string[],
): Knex.QueryBuilder {
  const branches = states.map((state, i) =>
    db.select('*').from(
      filtered
        .clone()
        .select('id', 'received_at')
        .where('state', state)
        .orderBy(order)
        .limit(skip + take)
        .as(`b${i}`),
    ),
  );
  const [first, ...rest] = branches;
  const ids = first!.unionAll(rest).orderBy(order).limit(take).offset(skip);
  return db
    .select(columns.map((c) => `c.${c}`))
    .from(ids.as('p'))
    .join(`${tables.complaints} as c`, 'c.id', 'p.id')
    .orderBy(order.map((o) => ({ column: `p.${o.column}`, order: o.order })));
}

/**
 * How long a count past the cap is taken as still past it. Only "more than TOTAL_CAP" is remembered: an
 * exact total is always counted afresh, and a list past the cap stays past it unless more than the excess
 * leave it within these seconds. Per database handle and per query (the actor's scope is in the SQL).
 */
export const CAPPED_COUNT_TTL_MS = 30_000;
const cappedCounts = new WeakMap<object, LRUCache<string, true>>();

function cappedCountsOf(db: Knex): LRUCache<string, true> {
  let cache = cappedCounts.get(db);
  if (!cache) {
    cache = new LRUCache<string, true>({ max: 500, ttl: CAPPED_COUNT_TTL_MS });
    cappedCounts.set(db, cache);
  }
  return cache;
}

/** Matches counted up to TOTAL_CAP + 1 (reading at most that many index entries), or remembered past it. */
async function cappedCount(db: Knex, filtered: Knex.QueryBuilder): Promise<number> {
  const query = db
    .from(
      filtered
        .clone()
        .select('id')
        .limit(TOTAL_CAP + 1)
        .as('capped'),
    )
    .count({ n: '*' });
  const { sql, bindings } = query.toSQL();
  const key = `${sql}\u0000${JSON.stringify(bindings)}`;
  const cache = cappedCountsOf(db);
  if (cache.get(key)) return TOTAL_CAP + 1;
  const counted = (await query) as Array<{ n: number | string }>;
  const n = Number(counted[0]?.n ?? 0);
  if (n > TOTAL_CAP) cache.set(key, true);
  return n;
}

/**
 * What a page taken at `skip` with `found` rows (limit + 1 asked) says about the number of matches, or null
 * when only a count can tell: a last page ends the list (skip + found, unless it is empty past the end); a
 * full page reaching past the cap proves more than TOTAL_CAP (reported as TOTAL_CAP + 1, "1000+").
 */
export function totalFromOffsetPage(skip: number, found: number, limit: number): number | null {
  if (found > limit) return skip + found > TOTAL_CAP ? TOTAL_CAP + 1 : null;
  if (found > 0 || skip === 0) return skip + found;
  return null;
}

/** Filters the community-date index answers on its own entries (anything else would read rows to test). */
const ON_COMMUNITY_DATES = new Set<string>(['state', 'communityId', 'receivedFrom', 'receivedTo', 'sort', 'limit', 'offset', 'cursor']);

/**
 * From this offset on, a community's closed list walks the community-date index. Nearer the top the
 * state branches read less: the newest few hundred complaints of a community are still open (521 index
 * entries walked for page 1 on the bench's million, against 42 for the branches), while past it the
 * branches read states × (offset + limit) entries and sort them all.
 */
export const WALK_FROM_OFFSET = 200;

/**
 * Whether a community's list is best read by walking its complaints newest first on the community-date
 * index, testing each entry's state there: at a deep offset, when the states asked include `closed` (every
 * complaint with a history mostly is), so offset n reads about n entries (offset 9,980: 12,600 entries, no
 * sort). Any other filter (a unit, a category, text) keeps the plan the database picks from its own indexes.
 */
function walksCommunityDates(filter: ListQuery, states: readonly string[], skip: number): boolean {
  if (skip < WALK_FROM_OFFSET || SORTS[filter.sort].field !== 'receivedAt' || filter.communityId === undefined || !states.includes('closed')) return false;
  return Object.entries(filter).every(([key, value]) => value === undefined || ON_COMMUNITY_DATES.has(key));
}

/**
 * Ids first, rows second: the page's ids and dates from the community-date index alone (named, as
 * MariaDB otherwise prefers the (community_id, state) ranges and sorts every match), then the 20 rows.
 */
function communityDatesPage(
  db: Knex,
  tables: TableNames,
  filtered: Knex.QueryBuilder,
  order: Array<{ column: string; order: 'asc' | 'desc' }>,
  take: number,
  skip: number,
  columns: readonly string[],
): Knex.QueryBuilder {
  const hint = isMysql(db) ? '?? FORCE INDEX (??)' : '?? INDEXED BY ??';
  const ids = filtered
    .clone()
    .from(db.raw(hint, [tables.complaints, namedIndexes(tables).communityDates]))
    .select('id', 'received_at')
    .orderBy(order)
    .limit(take)
    .offset(skip);
  return db
    .select(columns.map((c) => `c.${c}`))
    .from(ids.as('p'))
    .join(`${tables.complaints} as c`, 'c.id', 'p.id')
    .orderBy(order.map((o) => ({ column: `p.${o.column}`, order: o.order })));
}

export interface ListOptions {
  /** Count the matches (capped); pages that show no count skip the extra query. Default true. */
  count?: boolean;
}

/**
 * The complaints the actor may see that match the filter, as the list means it: deadline order is for
 * open work (closed complaints have no deadline), so sorting by deadline keeps only the open states asked
 * for. The list and the ledger export both start here.
 */
export function filteredComplaints(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  filter: ListQuery,
  now: Date,
  timeZone: string,
): { query: Knex.QueryBuilder; states: ListQuery['state'] } {
  const base = scopeToActor(db(tables.complaints), actor);
  const open = (filter.state ?? OPEN_STATES).filter((s) => OPEN_STATES.includes(s));
  const effective = SORTS[filter.sort].field === 'dueAt' ? { ...filter, state: open } : filter;
  if (!effective.state?.length && filter.state?.length) base.whereRaw('1 = 0');
  applyFilters(base, effective, now, timeZone, isMysql(db));
  return { query: base, states: effective.state };
}

export async function listComplaints(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  filter: ListQuery,
  now: Date,
  timeZone: string,
  options: ListOptions = {},
): Promise<ListResult> {
  return listComplaintRows(db, tables, actor, filter, now, timeZone, WHOLE_ROWS, options);
}

/**
 * The same page in another row shape: list rows (SUMMARY_ROWS) for the list page and its CSV, jobs
 * (JOB_ROWS) for the workbench and "my work"; only the columns that shape reads (whole rows are about
 * seventy columns, four of them TEXT).
 */
export async function listComplaintRows<T extends ComplaintSummary>(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  filter: ListQuery,
  now: Date,
  timeZone: string,
  shape: RowShape<T>,
  options: ListOptions = {},
): Promise<ListResult<T>> {
  const { columns, read } = shape;
  if (filter.cursor && filter.offset !== undefined) {
    throw new ValidationError([fieldError('offset', 'cursor 与 offset 只能二选一', 'Use either cursor or offset, not both')]);
  }
  const { query: base, states: effectiveStates } = filteredComplaints(db, tables, actor, filter, now, timeZone);

  const sort = SORTS[filter.sort];
  const order = [
    { column: sort.column, order: sort.order },
    { column: 'id', order: sort.order },
  ];
  const page = base.clone();
  // Redundant with the open states (only they have a deadline) but lets the page start its walk of the
  // due_at index after the NULLs; the count does without it and stays on the state index.
  if (sort.field === 'dueAt') page.whereNotNull('due_at');
  if (filter.cursor) applyKeyset(page, sort.column, sort.order, decodeCursor(filter.cursor, filter.sort));
  const take = filter.limit + 1;
  const skip = filter.cursor ? 0 : (filter.offset ?? 0);
  const states = effectiveStates ?? [];
  const planned = () =>
    sort.field === 'receivedAt' && filter.communityId !== undefined && states.length > 1 && states.length <= MAX_STATE_BRANCHES
      ? stateBranchesPage(db, tables, page, states, order, take, skip, columns)
      : page
          .select([...columns])
          .orderBy(order)
          .limit(take)
          .offset(skip);
  const walks = walksCommunityDates(filter, states, skip);
  const readPage = async (): Promise<Array<Record<string, unknown>>> => {
    if (!walks) return (await planned()) as Array<Record<string, unknown>>;
    try {
      return (await communityDatesPage(db, tables, page, order, take, skip, columns)) as Array<Record<string, unknown>>;
    } catch (err) {
      // The index was dropped or renamed: the page is read on the database's own plan (slower, same rows).
      if (!isMissingIndexError(err)) throw err;
      return (await planned()) as Array<Record<string, unknown>>;
    }
  };

  const counting = options.count !== false;
  let rows: Array<Record<string, unknown>>;
  let total: number | null = null;
  if (counting && !filter.cursor && skip === 0) {
    // Page 1 of a long list needs the count: it runs beside the page (two connections on MySQL).
    [total, rows] = await Promise.all([cappedCount(db, base), readPage()]);
  } else {
    // A page reached by offset tells the total itself when it is the last one or lies past the cap.
    rows = await readPage();
    if (counting) total = (filter.cursor ? null : totalFromOffsetPage(skip, rows.length, filter.limit)) ?? (await cappedCount(db, base));
  }
  const items = rows.slice(0, filter.limit).map(read);
  const last = items[items.length - 1];
  return {
    items,
    total: total === null ? null : Math.min(total, TOTAL_CAP),
    totalCapped: total !== null && total > TOTAL_CAP,
    nextCursor: rows.length > filter.limit && last ? encodeCursor(filter.sort, last) : null,
  };
}

/**
 * What the intake page shows for a unit before registering: its open complaints and its latest ones,
 * newest first, as list rows (ComplaintSummary), in one round trip (a UNION ALL of two index ranges on
 * (unit_id, …)).
 * The two ranges pick ids only, and the rows are joined on after: MariaDB materialises each derived table
 * of the UNION, and one holding the complaint's TEXT columns (description, findings, …) cannot live in
 * memory, so every page view wrote two on-disk temporary tables (1.2 ms of server time per read on the
 * bench's million, 0.4 ms with ids only; Created_tmp_disk_tables, test/integration/temp-tables.test.ts).
 */
export async function unitComplaints(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  unitId: string,
  limits: { open: number; recent: number },
): Promise<UnitComplaints> {
  const read = unitComplaintsRead(db, tables, actor, unitId, limits);
  return read ? readShaped(db, read) : { open: [], recent: [] };
}

export interface UnitComplaints {
  open: ComplaintSummary[];
  recent: ComplaintSummary[];
}

/** unitComplaints as a read of its own or a part of a larger statement; null when the id matches no unit. */
export function unitComplaintsRead(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  unitId: string,
  limits: { open: number; recent: number },
): ShapedRead<UnitComplaints> | null {
  if (!isMatchableHostId(unitId)) return null;
  const newestFirst = [
    { column: 'received_at', order: 'desc' as const },
    { column: 'id', order: 'desc' as const },
  ];
  const part = (name: 'open' | 'recent', limit: number) => {
    const q = scopeToActor(db(tables.complaints), actor)
      .select('id', db.raw(`'${name}' as part`))
      .where('unit_id', unitId);
    if (name === 'open') q.whereIn('state', [...OPEN_STATES]);
    return db.select('*').from(q.orderBy(newestFirst).limit(limit).as(name));
  };
  // One text per scope size and limits: the unit and the actor's communities are its only values.
  const scoped = actor.communityIds === null ? null : actor.communityIds.filter(isMatchableHostId);
  const newest = (a: ComplaintSummary, b: ComplaintSummary) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.id - a.id;
  return {
    key: `unit-panel:${tables.complaints}:${scoped === null ? 'all' : scoped.length}:${limits.open}:${limits.recent}`,
    values: [unitId, ...(scoped ?? [])],
    columns: [...SUMMARY_ROWS.columns, 'part'],
    build: () =>
      db
        .select([...SUMMARY_ROWS.columns.map((column) => `c.${column}`), 'p.part'])
        .from(part('open', limits.open).unionAll(part('recent', limits.recent)).as('p'))
        .join(`${tables.complaints} as c`, 'c.id', 'p.id'),
    read: (rows) => {
      const of = (name: string) =>
        rows
          .filter((r) => r.part === name)
          .map(SUMMARY_ROWS.read)
          .sort(newest);
      return { open: of('open'), recent: of('recent') };
    },
  };
}

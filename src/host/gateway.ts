// The read-only door to the host ERP: owners, units, communities and bills, always through the mapping
// and always with each entity's `where` filter (soft deletes). Nothing here writes to a host table.
// Every lookup is one query per table per 1,000 ids, and host tables are never joined to each other,
// so host columns in utf8mb3/gbk only ever meet bound values, never our utf8mb4 columns.
import type { Knex } from 'knex';
import { isMysql } from '../db/connection.js';
import { fenFromInteger, yuanToFen } from '../common/money.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../common/parallel.js';
import { describeTable, isIntegerType, isStringType, type ColumnInfo, type TableInfo } from './introspect.js';
import type { HostMapping, WhereFilter, WhereValue } from './mapping.js';

import type { HostBill, HostOwner, HostReader, HostUnit } from './reader.js';

export type { HostBill, HostOwner, HostUnit } from './reader.js';

export interface HostCommunity {
  id: string;
  name: string;
}

/** The host schema or data does not fit the mapping (run check-host), or a value cannot be read exactly. */
export class HostDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostDataError';
  }
}

export const ID_CHUNK = 1000;
/** How long a community's name is remembered (see communityNames). */
export const COMMUNITY_NAME_TTL_MS = 60_000;
const OWNER_MATCH_LIMIT = 200;
const ESCAPE = '!';

type Row = Record<string, unknown>;
interface Cond {
  sql: string;
  bindings: Knex.Value[];
}
const NEVER: Cond = { sql: '1 = 0', bindings: [] };

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function chunks<T>(items: T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => ESCAPE + c);
}

// Charsets that can hold characters outside the BMP (emoji, rare CJK). A value with such a character can
// never equal anything in, say, a utf8mb3 column, and binding it raises "Illegal mix of collations".
const ASTRAL_CHARSETS = new Set(['utf8mb4', 'utf16', 'utf16le', 'utf32', 'gb18030']);
const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;

/** How to compare one host column with bound values, per client and column charset. */
class ColumnSql {
  private readonly integer: boolean;
  private readonly string: boolean;
  private readonly placeholder: string;
  private readonly astralOk: boolean;
  private readonly collation: string | null;

  constructor(
    column: ColumnInfo,
    private readonly mysql: boolean,
  ) {
    this.collation = column.collation;
    this.integer = isIntegerType(column);
    this.string = isStringType(column);
    const charset = column.charset ?? 'utf8mb4';
    this.astralOk = !mysql || !this.string || ASTRAL_CHARSETS.has(charset);
    const safe = (s: string | null) => !!s && /^[A-Za-z0-9_]+$/.test(s);
    // Our connection speaks utf8mb4; converting the bound value to the column's own charset and collation
    // keeps the comparison index-friendly and free of collation errors.
    this.placeholder =
      mysql && this.string && charset !== 'utf8mb4' && safe(column.charset) && safe(column.collation)
        ? `CONVERT(? USING ${column.charset}) COLLATE ${column.collation}`
        : '?';
  }

  /**
   * How the database compares two values of this column, as a function from a value to its comparison
   * form: an integer key ignores leading zeros; MySQL's PAD SPACE collations ignore trailing spaces and
   * the `_ci` ones case (and accents). Used to match the host's canonical key to the id a caller typed.
   */
  sameKey(): (value: string) => string {
    if (this.integer) return (v) => (/^-?\d+$/.test(v.trim()) ? BigInt(v.trim()).toString() : v);
    if (!this.mysql || !this.string) return (v) => v;
    const collation = this.collation ?? '';
    const pad = !collation.includes('nopad');
    const folds = !/_(bin|cs)$/.test(collation);
    return (v) => {
      const text = pad ? v.replace(/ +$/, '') : v;
      return folds ? text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase() : text;
    };
  }

  /** Drops values that cannot match at all (non-numeric text for an integer key, emoji for utf8mb3). */
  usable(values: string[]): string[] {
    if (this.integer) return values.filter((v) => /^-?\d+$/.test(v));
    if (!this.astralOk) return values.filter((v) => !ASTRAL.test(v));
    return values;
  }

  in(column: string, values: string[]): Cond {
    const usable = [...new Set(this.usable(values))];
    if (usable.length === 0) return NEVER;
    return { sql: `?? IN (${usable.map(() => this.placeholder).join(', ')})`, bindings: [column, ...usable] };
  }

  equals(column: string, value: WhereValue): Cond {
    if (value === null) return { sql: '?? IS NULL', bindings: [column] };
    if (typeof value === 'boolean') return { sql: '?? = ?', bindings: [column, value ? 1 : 0] };
    if (typeof value === 'number') return { sql: '?? = ?', bindings: [column, value] };
    if (!this.astralOk && ASTRAL.test(value)) return NEVER;
    return { sql: `?? = ${this.placeholder}`, bindings: [column, value] };
  }

  /** Contains-match; the pattern is escaped so % and _ typed by a person are literal. */
  contains(column: string, text: string): Cond {
    if (!this.astralOk && ASTRAL.test(text)) return NEVER;
    const placeholder = this.string ? this.placeholder : '?';
    return { sql: `?? LIKE ${placeholder} ESCAPE '${ESCAPE}'`, bindings: [column, `%${escapeLike(text)}%`] };
  }

  prefix(column: string, text: string): Cond {
    if (!this.astralOk && ASTRAL.test(text)) return NEVER;
    const placeholder = this.string ? this.placeholder : '?';
    return { sql: `?? LIKE ${placeholder} ESCAPE '${ESCAPE}'`, bindings: [column, `${escapeLike(text)}%`] };
  }
}

/** A host table's columns as ColumnSql, loaded once per gateway. */
class HostTable {
  constructor(
    readonly name: string,
    private readonly info: TableInfo,
    private readonly mysql: boolean,
  ) {}
  private readonly cache = new Map<string, ColumnSql>();

  col(column: string): ColumnSql {
    let c = this.cache.get(column);
    if (!c) {
      const info = this.info.columns.get(column);
      if (!info) throw new HostDataError(`Host table ${this.name} has no column ${column}; run check-host to compare the mapping with the database`);
      c = new ColumnSql(info, this.mysql);
      this.cache.set(column, c);
    }
    return c;
  }

  applyWhere(qb: Knex.QueryBuilder, where: WhereFilter | undefined): Knex.QueryBuilder {
    for (const [column, value] of Object.entries(where ?? {})) add(qb, this.col(column).equals(column, value));
    return qb;
  }
}

function add(qb: Knex.QueryBuilder, cond: Cond): Knex.QueryBuilder {
  return qb.whereRaw(cond.sql, cond.bindings);
}

/** Applies a mapping `where` filter to a query on a described host table (also used by check-host). */
export function applyHostWhere(qb: Knex.QueryBuilder, info: TableInfo, mysql: boolean, where: WhereFilter | undefined): Knex.QueryBuilder {
  return new HostTable(info.name, info, mysql).applyWhere(qb, where);
}

/**
 * The rows found, keyed by the ids asked for. An id that is the host's key letter for letter is matched
 * at once; any other (other case, padding, leading zeros) by how the database compares keys.
 */
function byAskedId<T>(asked: string[], byKey: Map<string, T>, sameKey: (value: string) => string): Map<string, T> {
  const out = new Map<string, T>();
  let folded: Map<string, T> | null = null;
  for (const id of asked) {
    let found = byKey.get(id);
    if (found === undefined) {
      folded ??= new Map([...byKey].map(([key, value]) => [sameKey(key), value]));
      found = folded.get(sameKey(id));
    }
    if (found !== undefined) out.set(id, found);
  }
  return out;
}

export class HostGateway implements HostReader {
  private readonly tables = new Map<string, Promise<HostTable>>();
  private readonly communityCache = new Map<string, { name: string; at: number }>();
  private readonly mysql: boolean;

  constructor(
    private readonly db: Knex,
    private readonly mapping: HostMapping,
  ) {
    this.mysql = isMysql(db);
  }
  within(trx: Knex.Transaction): HostReader {
    return new HostGateway(trx, this.mapping);
  }


  private table(name: string): Promise<HostTable> {
    let t = this.tables.get(name);
    if (!t) {
      t = describeTable(this.db, name).then((info) => {
        if (!info) throw new HostDataError(`Host table ${name} does not exist; run check-host to compare the mapping with the database`);
        return new HostTable(name, info, this.mysql);
      });
      // A failed lookup (database down) must not be cached for the gateway's lifetime.
      t.catch(() => this.tables.delete(name));
      this.tables.set(name, t);
    }
    return t;
  }

  /** SELECT <select> FROM table WHERE column IN (values) AND <where>, one query per chunk. */
  private async selectIn(tableName: string, column: string, values: string[], select: Record<string, string>, where: WhereFilter | undefined, orderBy?: string): Promise<Row[]> {
    const table = await this.table(tableName);
    const distinct = [...new Set(values)];
    const pages = await mapLimit(chunks(distinct), CHUNK_CONCURRENCY, async (chunk) => {
      const cond = table.col(column).in(column, chunk);
      if (cond === NEVER) return [];
      const qb = table.applyWhere(add(this.db(tableName).select(select), cond), where);
      if (orderBy) qb.orderBy(orderBy);
      return (await qb) as Row[];
    });
    return pages.flat();
  }

  private unitSelect(): Record<string, string> {
    const u = this.mapping.unit;
    return {
      id: u.key,
      label: u.columns.label,
      ...(u.columns.community && this.mapping.community ? { community: u.columns.community } : {}),
      ...(u.columns.owner ? { owner: u.columns.owner } : {}),
    };
  }

  /** Owner ids per unit from the unit's owner column or the ownership table, not yet checked for liveness. */
  private async ownerIdsByUnit(unitRows: Row[]): Promise<Map<string, string[]>> {
    const byUnit = new Map<string, string[]>(unitRows.map((r) => [String(r.id), []]));
    const own = this.mapping.ownership;
    if (!own) {
      for (const r of unitRows) if (r.owner !== null && r.owner !== undefined) byUnit.get(String(r.id))!.push(String(r.owner));
      return byUnit;
    }
    const rel = await this.selectIn(own.table, own.unit, [...byUnit.keys()], { owner: own.owner, unit: own.unit }, own.where, own.owner);
    for (const r of rel) {
      const list = byUnit.get(String(r.unit));
      const owner = str(r.owner);
      if (list && owner !== null && !list.includes(owner)) list.push(owner);
    }
    return byUnit;
  }

  private async liveOwners(ids: string[]): Promise<Map<string, HostOwner>> {
    const o = this.mapping.owner;
    const rows = await this.selectIn(o.table, o.key, ids, { id: o.key, name: o.columns.name, phone: o.columns.phone }, o.where);
    return new Map(rows.map((r) => [String(r.id), { id: String(r.id), name: str(r.name) ?? '', phone: str(r.phone) }]));
  }

  private async ownersFor(unitRows: Row[]): Promise<Map<string, HostOwner[]>> {
    const idsByUnit = await this.ownerIdsByUnit(unitRows);
    const owners = await this.liveOwners([...idsByUnit.values()].flat());
    const out = new Map<string, HostOwner[]>();
    for (const [unit, ids] of idsByUnit) out.set(unit, ids.flatMap((id) => owners.get(id) ?? []));
    return out;
  }

  /**
   * Community names, remembered for a minute: a handful of rows that are renamed perhaps once a year,
   * read on every unit lookup otherwise (the intake page, the cashier page).
   */
  private async communityNames(ids: string[]): Promise<Map<string, string>> {
    const c = this.mapping.community;
    if (!c || ids.length === 0) return new Map();
    const now = Date.now();
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const known = this.communityCache.get(id);
      if (known && now - known.at < COMMUNITY_NAME_TTL_MS) out.set(id, known.name);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const rows = await this.selectIn(c.table, c.key, missing, { id: c.key, name: c.columns.name }, c.where);
    if (this.communityCache.size > 10_000) this.communityCache.clear();
    for (const r of rows) {
      const name = str(r.name) ?? '';
      out.set(String(r.id), name);
      this.communityCache.set(String(r.id), { name, at: now });
    }
    return out;
  }

  async getUnits(ids: string[]): Promise<Map<string, HostUnit>> {
    const u = this.mapping.unit;
    const rows = await this.selectIn(u.table, u.key, ids.map(String), this.unitSelect(), u.where);
    const [owners, communities] = await Promise.all([
      this.ownersFor(rows),
      this.communityNames(rows.flatMap((r) => (r.community === null || r.community === undefined ? [] : [String(r.community)]))),
    ]);
    const out = new Map<string, HostUnit>();
    for (const r of rows) {
      const id = String(r.id);
      const communityId = str(r.community);
      out.set(id, {
        id,
        label: str(r.label) ?? '',
        communityId,
        communityName: communityId === null ? null : (communities.get(communityId) ?? null),
        owners: owners.get(id) ?? [],
      });
    }
    return out;
  }

  async getUnit(unitId: string): Promise<HostUnit | null> {
    const [unit] = (await this.getUnits([String(unitId)])).values();
    return unit ?? null;
  }

  /** Live owner ids per live unit; units that are missing or soft-deleted are absent from the map. */
  async ownersOfUnits(unitIds: string[]): Promise<Map<string, string[]>> {
    const u = this.mapping.unit;
    const select: Record<string, string> = { id: u.key, ...(u.columns.owner ? { owner: u.columns.owner } : {}) };
    const rows = await this.selectIn(u.table, u.key, unitIds.map(String), select, u.where);
    const owners = await this.ownersFor(rows);
    return new Map([...owners].map(([unit, list]) => [unit, list.map((o) => o.id)]));
  }

  async listCommunities(): Promise<HostCommunity[]> {
    const c = this.mapping.community;
    if (!c) return [];
    const table = await this.table(c.table);
    const rows = (await table.applyWhere(this.db(c.table).select({ id: c.key, name: c.columns.name }), c.where).orderBy(c.key)) as Row[];
    return rows.map((r) => ({ id: String(r.id), name: str(r.name) ?? '' }));
  }

  /**
   * Units whose label, owner name or owner phone contains `query`. Label matches come first (exact,
   * then prefix, then contains), then units found through their owners. `communityIds` restricts the
   * search; a restriction that cannot be applied (communities not mapped) finds nothing.
   */
  async searchUnits(query: string, opts: { communityIds?: string[] | null; limit?: number } = {}): Promise<HostUnit[]> {
    const text = query.trim();
    const limit = Math.min(Math.max(Math.floor(opts.limit ?? 20), 1), 200);
    const communities = opts.communityIds ?? null;
    const communityColumn = this.mapping.community ? this.mapping.unit.columns.community : undefined;
    if (!text || (communities && (communities.length === 0 || !communityColumn))) return [];

    const u = this.mapping.unit;
    const units = await this.table(u.table);
    const unitQuery = (cond: Cond) => {
      const qb = units.applyWhere(add(this.db(u.table).select({ id: u.key, label: u.columns.label }), cond), u.where);
      if (communities && communityColumn) add(qb, units.col(communityColumn).in(communityColumn, communities));
      return qb;
    };
    const label = units.col(u.columns.label);
    const byLabel = [
      ...((await unitQuery(label.prefix(u.columns.label, text)).orderBy(u.columns.label).limit(limit)) as Row[]),
      ...((await unitQuery(label.contains(u.columns.label, text)).orderBy(u.columns.label).limit(limit)) as Row[]),
    ];
    const rank = (r: Row) => {
      const l = (str(r.label) ?? '').toLowerCase();
      const q = text.toLowerCase();
      return l === q ? 0 : l.startsWith(q) ? 1 : 2;
    };
    const ids: string[] = [];
    const push = (id: string) => {
      if (!ids.includes(id)) ids.push(id);
    };
    byLabel.sort((a, b) => rank(a) - rank(b)).forEach((r) => push(String(r.id)));

    if (ids.length < limit) {
      for (const id of await this.unitIdsByOwnerMatch(text, unitQuery, limit)) push(id);
    }
    const found = await this.getUnits(ids.slice(0, limit));
    return ids.slice(0, limit).flatMap((id) => found.get(id) ?? []);
  }

  private async unitIdsByOwnerMatch(text: string, unitQuery: (cond: Cond) => Knex.QueryBuilder, limit: number): Promise<string[]> {
    const o = this.mapping.owner;
    const ownerTable = await this.table(o.table);
    const name = ownerTable.col(o.columns.name).contains(o.columns.name, text);
    const phone = ownerTable.col(o.columns.phone).contains(o.columns.phone, text);
    const matches = ownerTable.applyWhere(
      this.db(o.table)
        .select({ id: o.key })
        .where((b) => b.whereRaw(name.sql, name.bindings).orWhereRaw(phone.sql, phone.bindings)),
      o.where,
    );
    const ownerIds = ((await matches.limit(OWNER_MATCH_LIMIT)) as Row[]).map((r) => String(r.id));
    if (ownerIds.length === 0) return [];

    const u = this.mapping.unit;
    const units = await this.table(u.table);
    let candidateCond: Cond;
    if (u.columns.owner) {
      candidateCond = units.col(u.columns.owner).in(u.columns.owner, ownerIds);
    } else {
      const own = this.mapping.ownership!;
      const rel = await this.selectIn(own.table, own.owner, ownerIds, { unit: own.unit }, own.where);
      const unitIds = [...new Set(rel.flatMap((r) => (r.unit === null ? [] : [String(r.unit)])))].slice(0, ID_CHUNK);
      candidateCond = units.col(u.key).in(u.key, unitIds);
    }
    if (candidateCond === NEVER) return [];
    const rows = (await unitQuery(candidateCond).orderBy(u.columns.label).limit(limit)) as Row[];
    return rows.map((r) => String(r.id));
  }

  private billSelect(): Record<string, string> {
    const b = this.mapping.bill;
    const c = b.columns;
    return {
      id: b.key,
      unit: c.unit,
      amount: c.amount,
      ...(c.owner ? { owner: c.owner } : {}),
      ...(c.period ? { period: c.period } : {}),
      ...(c.status ? { status: c.status } : {}),
    };
  }

  private toBill(r: Row): HostBill {
    const b = this.mapping.bill;
    const id = String(r.id);
    const raw = r.amount as string | number | bigint | null | undefined;
    if (raw === null || raw === undefined) throw new HostDataError(`Bill ${id} in host table ${b.table} has no amount (${b.columns.amount} is null)`);
    let amountFen: number;
    try {
      amountFen = b.amountUnit === 'fen' ? fenFromInteger(raw) : yuanToFen(raw);
    } catch (err) {
      throw new HostDataError(`Bill ${id} in host table ${b.table}: ${(err as Error).message}`);
    }
    const status = str(r.status);
    const unpaid = !b.unpaidStatus || b.unpaidStatus.some((s) => (s === null ? status === null : status !== null && String(typeof s === 'boolean' ? Number(s) : s) === status));
    return {
      id,
      unitId: str(r.unit) ?? '',
      ownerId: str(r.owner),
      amountFen,
      period: str(r.period),
      status,
      paymentState: unpaid ? 'unpaid' : 'paid',
      outstandingFen: unpaid ? amountFen : 0,
      unpaid,
    };
  }

  async getBills(ids: string[]): Promise<Map<string, HostBill>> {
    const b = this.mapping.bill;
    const asked = ids.map(String);
    const rows = await this.selectIn(b.table, b.key, asked, this.billSelect(), b.where);
    const byKey = new Map(rows.map((r) => [String(r.id), this.toBill(r)]));
    return byAskedId(asked, byKey, (await this.table(b.table)).col(b.key).sameKey());
  }

  async getBill(billId: string): Promise<HostBill | null> {
    return (await this.getBills([String(billId)])).get(String(billId)) ?? null;
  }

  /** The unit's unpaid bills, latest period first. */
  async listUnpaidBills(unitId: string, limit = 24): Promise<HostBill[]> {
    const b = this.mapping.bill;
    const bills = await this.table(b.table);
    const unitCond = bills.col(b.columns.unit).in(b.columns.unit, [String(unitId)]);
    if (unitCond === NEVER) return [];
    const qb = bills.applyWhere(add(this.db(b.table).select(this.billSelect()), unitCond), b.where);
    if (b.unpaidStatus && b.columns.status) {
      const status = b.columns.status;
      const col = bills.col(status);
      const conds = b.unpaidStatus.map((v) => col.equals(status, v));
      if (conds.length === 0) return [];
      qb.where((w) => {
        for (const c of conds) w.orWhereRaw(c.sql, c.bindings);
      });
    }
    if (b.columns.period) qb.orderBy(b.columns.period, 'desc');
    qb.orderBy(b.key, 'desc').limit(Math.max(1, Math.floor(limit)));
    return ((await qb) as Row[]).map((r) => this.toBill(r));
  }
}

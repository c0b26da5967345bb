// The read-only door to the host ERP: owners, units, communities and bills, always through the mapping
// and always with each entity's `where` filter (soft deletes). Nothing here writes to a host table.
// Every lookup is one query per entity table per 1,000 ids: a mapping's lookups are LEFT JOINs and its
// payment rule a correlated subquery of that same query. Host tables meet only each other and bound
// values, never our utf8mb4 tables, so host columns in utf8mb3/gbk raise no collation errors.
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import { isMysql } from '../db/connection.js';
import { fenFromInteger, yuanToFen } from '../common/money.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../common/parallel.js';
import { describeTable, isIntegerType, isStringType, type ColumnInfo, type TableInfo } from './introspect.js';
import {
  fieldParts,
  fieldRefs,
  hasCommunities,
  splitWhere,
  whereValues,
  type FieldSource,
  type HostMapping,
  type LookupMapping,
  type WhereCondition,
  type WhereFilter,
  type WhereValue,
} from './mapping.js';

import type { BillJoins, BillsSubquery, HostBill, HostOwner, HostReader, HostStaff, HostUnit, UnitPanelReads } from './reader.js';
import { readShaped, type ShapedRead } from '../db/shapedReads.js';

export type { HostBill, HostOwner, HostStaff, HostUnit } from './reader.js';

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
/** The most ownership rows the intake page's one-statement read takes for its unit (see unitPanelReads). */
export const OWNER_ROWS = 200;
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
    private readonly column: ColumnInfo,
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

  /**
   * Whether `a = b` between this column and `other` compares as their bound values would: both integers,
   * or both text of one charset and collation (so a join is neither a collation error nor a different match).
   */
  joinsWith(other: ColumnSql): boolean {
    if (this.integer && other.integer) return true;
    if (!this.string || !other.string) return false;
    return !this.mysql || (this.column.charset === other.column.charset && this.collation === other.collation);
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

  /** A `where` condition: a value, an `in` list, or `not` (null passes a `not` unless null is listed). */
  condition(column: string, condition: WhereCondition): Cond {
    const { values, not, list } = whereValues(condition);
    if (!list && !not) return this.equals(column, values[0] ?? null);
    const eqs = values.filter((v) => v !== null).map((v) => this.equals(column, v));
    const hasNull = eqs.length < values.length;
    const any = eqs.length ? `(${eqs.map((c) => c.sql).join(' OR ')})` : '1 = 0';
    const bindings = eqs.flatMap((c) => c.bindings);
    if (!not) return hasNull ? { sql: `(${any} OR ?? IS NULL)`, bindings: [...bindings, column] } : { sql: any, bindings };
    return hasNull
      ? { sql: `(?? IS NOT NULL AND NOT ${any})`, bindings: [column, ...bindings] }
      : { sql: `(?? IS NULL OR NOT ${any})`, bindings: [column, ...bindings] };
  }

  /** False when the text holds a character this column can never store (so nothing can match it). */
  canHold(text: string): boolean {
    return this.astralOk || !ASTRAL.test(text);
  }

  /** Contains-match; the pattern is escaped so % and _ typed by a person are literal. */
  contains(column: string, text: string): Cond {
    if (!this.astralOk && ASTRAL.test(text)) return NEVER;
    const placeholder = this.string ? this.placeholder : '?';
    return { sql: `?? LIKE ${placeholder} ESCAPE '${ESCAPE}'`, bindings: [column, `%${escapeLike(text)}%`] };
  }

  /** Greater than a key already read (keyset paging through a host table). */
  after(column: string, value: string): Cond {
    return { sql: `?? > ${this.string ? this.placeholder : '?'}`, bindings: [column, value] };
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

  /** The filter's conditions, on columns qualified by `alias` when given. */
  conditions(where: WhereFilter | undefined, alias?: string): Cond[] {
    return Object.entries(where ?? {}).map(([column, value]) => this.col(column).condition(alias ? `${alias}.${column}` : column, value));
  }

  applyWhere(qb: Knex.QueryBuilder, where: WhereFilter | undefined, alias?: string): Knex.QueryBuilder {
    for (const cond of this.conditions(where, alias)) add(qb, cond);
    return qb;
  }
}

function joinConds(conds: Cond[]): Cond {
  return { sql: conds.map((c) => c.sql).join(' AND '), bindings: conds.flatMap((c) => c.bindings) };
}

/** An entity's table with its lookups: a mapped field becomes qualified columns of one query. */
interface SourceSpec {
  table: string;
  where?: WhereFilter;
  lookups?: Record<string, LookupMapping>;
}

interface Ref {
  /** Qualified identifier for `??`: e.col or l_building.name. */
  id: string;
  col: ColumnSql;
}

const BASE = 'e';

class Source {
  constructor(
    readonly spec: SourceSpec,
    readonly base: HostTable,
    private readonly looks: Map<string, HostTable>,
    private readonly mysql: boolean,
  ) {}

  ref(lookup: string | null, column: string): Ref {
    if (lookup === null) return { id: `${BASE}.${column}`, col: this.base.col(column) };
    const table = this.looks.get(lookup);
    if (!table) throw new HostDataError(`The mapping refers to an undeclared lookup ${lookup}`);
    return { id: `l_${lookup}.${column}`, col: table.col(column) };
  }

  /** A plain or dotted column reference. */
  refOf(source: string): Ref {
    const [part] = fieldRefs(source);
    return this.ref(part!.lookup, part!.column);
  }

  /** FROM the table, LEFT JOIN each lookup (with its own filter in the ON clause), WHERE the entity's filter. */
  from(db: Knex): Knex.QueryBuilder {
    const qb = db({ [BASE]: this.spec.table });
    const lookups = Object.entries(this.spec.lookups ?? {});
    const done = new Set<string>();
    // A lookup reached through another comes after it (two hops at most, no cycles: validateMapping).
    while (done.size < lookups.length) {
      const before = done.size;
      for (const [name, l] of lookups) {
        if (done.has(name)) continue;
        const [from] = fieldRefs(l.from);
        if (from!.lookup !== null && !done.has(from!.lookup)) continue;
        const alias = `l_${name}`;
        const target = this.looks.get(name)!;
        const on = joinConds([
          { sql: '?? = ??', bindings: [`${alias}.${l.key}`, this.ref(from!.lookup, from!.column).id] },
          ...target.conditions(l.where, alias),
        ]);
        qb.joinRaw(`LEFT JOIN ?? AS ?? ON ${on.sql}`, [l.table, alias, ...on.bindings]);
        done.add(name);
      }
      if (done.size === before) throw new HostDataError('The mapping has lookups that refer to each other in a loop');
    }
    return this.base.applyWhere(qb, this.spec.where, BASE);
  }

  /** The select list for named fields and how to read them back from a row. */
  fields(named: Record<string, FieldSource | undefined>): { select: Record<string, string>; read: (row: Row) => Record<string, string | null> } {
    const select: Record<string, string> = {};
    const aliasOf = new Map<string, string>();
    const alias = (lookup: string | null, column: string) => {
      const { id } = this.ref(lookup, column);
      let a = aliasOf.get(id);
      if (!a) {
        a = `f${aliasOf.size}`;
        aliasOf.set(id, a);
        select[a] = id;
      }
      return a;
    };
    const readers: Array<[string, (row: Row) => string | null]> = [];
    for (const [name, source] of Object.entries(named)) {
      if (source === undefined) continue;
      if (typeof source !== 'string') {
        const [y, m] = fieldRefs(source);
        const ya = alias(y!.lookup, y!.column);
        const ma = alias(m!.lookup, m!.column);
        readers.push([name, (row) => periodOf(row[ya], row[ma])]);
        continue;
      }
      const parts = fieldParts(source).map((p) => ('text' in p ? { text: p.text, alias: null } : { text: '', alias: alias(p.lookup, p.column) }));
      const only = parts.length === 1 ? parts[0]!.alias : null;
      if (only !== null) {
        readers.push([name, (row) => str(row[only])]);
      } else {
        readers.push([
          name,
          (row) => {
            // A composed text is absent only when every column in it is.
            if (parts.every((p) => p.alias === null || str(row[p.alias]) === null)) return null;
            return parts.map((p) => (p.alias === null ? p.text : (str(row[p.alias]) ?? ''))).join('');
          },
        ]);
      }
    }
    return { select, read: (row) => Object.fromEntries(readers.map(([name, read]) => [name, read(row)])) };
  }

  /** A text field as one SQL expression (for search and order), and whether every column can hold `text`. */
  text(source: string): { sql: string; bindings: Knex.Value[]; canHold: (text: string) => boolean } {
    const parts = fieldParts(source);
    if (parts.length === 1 && 'column' in parts[0]!) {
      const r = this.ref(parts[0].lookup, parts[0].column);
      return { sql: '??', bindings: [r.id], canHold: (t) => r.col.canHold(t) };
    }
    const cols: ColumnSql[] = [];
    const sqls: string[] = [];
    const bindings: Knex.Value[] = [];
    for (const p of parts) {
      if ('text' in p) {
        sqls.push('?');
        bindings.push(p.text);
      } else {
        const r = this.ref(p.lookup, p.column);
        cols.push(r.col);
        sqls.push("COALESCE(??, '')");
        bindings.push(r.id);
      }
    }
    const sql = this.mysql ? `CONCAT(${sqls.join(', ')})` : `(${sqls.join(' || ')})`;
    return { sql, bindings, canHold: (t) => cols.every((c) => c.canHold(t)) };
  }

  /** Contains or prefix match on a text field; the pattern is escaped so % and _ are literal. */
  like(source: string, text: string, mode: 'prefix' | 'contains'): Cond {
    const parts = fieldParts(source);
    if (parts.length === 1 && 'column' in parts[0]!) {
      const r = this.ref(parts[0].lookup, parts[0].column);
      return mode === 'prefix' ? r.col.prefix(r.id, text) : r.col.contains(r.id, text);
    }
    const expr = this.text(source);
    if (!expr.canHold(text)) return NEVER;
    const pattern = mode === 'prefix' ? `${escapeLike(text)}%` : `%${escapeLike(text)}%`;
    return { sql: `${expr.sql} LIKE ? ESCAPE '${ESCAPE}'`, bindings: [...expr.bindings, pattern] };
  }

  /** ORDER BY a field (a period orders by year, then month). */
  orderBy(qb: Knex.QueryBuilder, source: FieldSource, direction: 'asc' | 'desc'): Knex.QueryBuilder {
    if (typeof source !== 'string') {
      for (const r of fieldRefs(source)) qb.orderBy(this.ref(r.lookup, r.column).id, direction);
      return qb;
    }
    const expr = this.text(source);
    return qb.orderByRaw(`${expr.sql} ${direction}`, expr.bindings);
  }
}

/** Year and month columns as a sortable YYYY-MM (null when either is missing or not a number). */
export function periodOf(year: unknown, month: unknown): string | null {
  const y = str(year)?.trim();
  const m = str(month)?.trim();
  if (!y || !m || !/^\d{4}$/.test(y) || !/^\d{1,2}$/.test(m)) return null;
  return `${y}-${m.padStart(2, '0')}`;
}

/** `column IN (subquery)`: the subquery reads host tables only, so no value leaves the database. */
function inSubquery(column: string, sub: Knex.QueryBuilder): Cond {
  const { sql, bindings } = sub.toSQL();
  return { sql: `?? IN (${sql})`, bindings: [column, ...(bindings as Knex.Value[])] };
}

function add(qb: Knex.QueryBuilder, cond: Cond): Knex.QueryBuilder {
  return qb.whereRaw(cond.sql, cond.bindings);
}

/** Applies a mapping `where` filter to a query on a described host table (also used by check-host). */
export function applyHostWhere(qb: Knex.QueryBuilder, info: TableInfo, mysql: boolean, where: WhereFilter | undefined, alias?: string): Knex.QueryBuilder {
  return new HostTable(info.name, info, mysql).applyWhere(qb, where, alias);
}

/** The SQL of a mapping `where` filter (check-host builds its own queries with it). */
export function hostWhereSql(info: TableInfo, mysql: boolean, where: WhereFilter | undefined, alias?: string): { sql: string; bindings: Knex.Value[] } | null {
  const conds = new HostTable(info.name, info, mysql).conditions(where, alias);
  return conds.length ? joinConds(conds) : null;
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

/**
 * What a gateway learns once and keeps: the host tables' descriptions, the entities' sources, and the bill
 * query's SQL text per shape. Shared with the gateways made for a host's transaction (within), so a host
 * that passes `{ trx }` on every fee collection does not describe its tables again on every call.
 */
interface GatewayCaches {
  /** The gateway's own connection pool (not a host transaction's, which ends). */
  pool: Knex;
  tables: Map<string, Promise<HostTable>>;
  sources: Map<string, Promise<Source>>;
  /** billsSubquery's checks per comparison (BillJoins): null where the bill query cannot be embedded. */
  billShapes: Map<string, Promise<BillShape | null>>;
  /** The bill query's SQL text for n ids (ids are its last bindings): the same statement for every n-bill call. */
  billSql: LRUCache<string, { sql: string; before: Knex.Value[] }>;
  /** Names this mapping's reads among the statement shapes kept per database (selectShaped). */
  shapePrefix: string;
}

let gateways = 0;

/**
 * What unitsWithOwners joins: the units, and their owners either through the ownership table (`relation`:
 * its source and its unit and owner columns) or through the unit's own owner column (`ownerColumn`).
 */
interface OwnersJoin {
  units: Source;
  owners: Source;
  unitKey: Ref;
  relation: { source: Source; unit: Ref; owner: Ref } | null;
  ownerColumn: Ref | null;
}

interface UnitsWithOwners {
  rows: Array<Record<string, string | null>>;
  owners: Map<string, HostOwner[]>;
  /** False when a row limit was reached: some owners may be missing. */
  complete?: boolean;
}

/** What billsSubquery needs of the bill query besides its text, the same on every call. */
interface BillShape {
  key: Ref;
  columns: string[];
  keyColumn: string;
  unitColumn: string;
  read: (row: Row) => HostBill;
  /** A fresh bill query, wrapped: a query builder is thenable, so a promise of one would run it. */
  build: () => Promise<{ qb: Knex.QueryBuilder }>;
}

export class HostGateway implements HostReader {
  private readonly tables: Map<string, Promise<HostTable>>;
  private readonly sources: Map<string, Promise<Source>>;
  private readonly communityCache = new Map<string, { name: string; at: number }>();
  private readonly mysql: boolean;

  constructor(
    private readonly db: Knex,
    private readonly mapping: HostMapping,
    private readonly caches: GatewayCaches = {
      pool: db,
      tables: new Map(),
      sources: new Map(),
      billShapes: new Map(),
      billSql: new LRUCache({ max: 64 }),
      shapePrefix: `host${++gateways}:`,
    },
  ) {
    this.mysql = isMysql(db);
    this.tables = caches.tables;
    this.sources = caches.sources;
  }
  /** A statement shape's key for selectShaped: this gateway's mapping, then the read's own name. */
  private shape(name: string): string {
    return this.caches.shapePrefix + name;
  }

  within(trx: Knex.Transaction): HostReader {
    return new HostGateway(trx, this.mapping, this.caches);
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

  private source(name: 'owner' | 'unit' | 'bill' | 'community' | 'ownership' | 'staff'): Promise<Source> {
    let s = this.sources.get(name);
    if (!s) {
      const spec = this.mapping[name] as SourceSpec;
      s = (async () => {
        const looks = new Map<string, HostTable>();
        for (const [lookup, l] of Object.entries(spec.lookups ?? {})) looks.set(lookup, await this.table(l.table));
        return new Source(spec, await this.table(spec.table), looks, this.mysql);
      })();
      s.catch(() => this.sources.delete(name));
      this.sources.set(name, s);
    }
    return s;
  }

  /** SELECT <fields> FROM the entity (with lookups) WHERE <ref> IN (values) AND <where>, one query per chunk. */
  private async selectIn(
    source: Source,
    ref: string,
    values: string[],
    fields: Record<string, FieldSource | undefined>,
    extra?: (qb: Knex.QueryBuilder) => void,
  ): Promise<Array<Record<string, string | null>>> {
    const r = source.refOf(ref);
    const { select, read } = source.fields(fields);
    const distinct = [...new Set(values)];
    const pages = await mapLimit(chunks(distinct), CHUNK_CONCURRENCY, async (chunk) => {
      const cond = r.col.in(r.id, chunk);
      if (cond === NEVER) return [];
      const qb = add(source.from(this.db).select(select), cond);
      extra?.(qb);
      return ((await qb) as Row[]).map(read);
    });
    return pages.flat();
  }

  private unitFields(): Record<string, FieldSource | undefined> {
    const u = this.mapping.unit;
    return {
      id: u.key,
      label: u.columns.label,
      ...(hasCommunities(this.mapping) ? { community: u.columns.community } : {}),
      ...(u.columns.owner ? { owner: u.columns.owner } : {}),
    };
  }

  /** Owner ids per unit from the unit's owner column or the ownership table, not yet checked for liveness. */
  private async ownerIdsByUnit(unitRows: Array<Record<string, string | null>>): Promise<Map<string, string[]>> {
    const byUnit = new Map<string, string[]>(unitRows.map((r) => [String(r.id), []]));
    const own = this.mapping.ownership;
    if (!own) {
      for (const r of unitRows) if (r.owner !== null && r.owner !== undefined) byUnit.get(String(r.id))!.push(String(r.owner));
      return byUnit;
    }
    const rel = await this.selectIn(await this.source('ownership'), own.unit, [...byUnit.keys()], { owner: own.owner, unit: own.unit }, (qb) =>
      qb.orderBy(`${BASE}.${own.owner}`),
    );
    for (const r of rel) {
      const list = byUnit.get(String(r.unit));
      const owner = r.owner ?? null;
      if (list && owner !== null && !list.includes(owner)) list.push(owner);
    }
    return byUnit;
  }

  private async liveOwners(ids: string[]): Promise<Map<string, HostOwner>> {
    const o = this.mapping.owner;
    const rows = await this.selectIn(await this.source('owner'), o.key, ids, { id: o.key, name: o.columns.name, phone: o.columns.phone });
    return new Map(rows.map((r) => [String(r.id), { id: String(r.id), name: r.name ?? '', phone: r.phone ?? null }]));
  }

  private async ownersFor(unitRows: Array<Record<string, string | null>>): Promise<Map<string, HostOwner[]>> {
    const idsByUnit = await this.ownerIdsByUnit(unitRows);
    const owners = await this.liveOwners([...idsByUnit.values()].flat());
    const out = new Map<string, HostOwner[]>();
    for (const [unit, ids] of idsByUnit)
      out.set(
        unit,
        ids.flatMap((id) => owners.get(id) ?? []),
      );
    return out;
  }

  /**
   * Community names, remembered for a minute: a handful of rows that are renamed perhaps once a year,
   * read on every unit lookup otherwise (the intake page, the cashier page). A community named by a
   * unit's column (no community table) is its own name.
   */
  private async communityNames(ids: string[]): Promise<Map<string, string>> {
    const c = this.mapping.community;
    if (!c) return new Map(ids.map((id) => [id, id]));
    if (ids.length === 0) return new Map();
    const now = Date.now();
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const known = this.communityCache.get(id);
      if (known && now - known.at < COMMUNITY_NAME_TTL_MS) out.set(id, known.name);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const rows = await this.selectIn(await this.source('community'), c.key, missing, { id: c.key, name: c.columns.name });
    if (this.communityCache.size > 10_000) this.communityCache.clear();
    for (const r of rows) {
      const name = r.name ?? '';
      out.set(String(r.id), name);
      this.communityCache.set(String(r.id), { name, at: now });
    }
    return out;
  }

  /**
   * Units with their live owners in one query (the intake and cashier pages read one unit per request):
   * the units LEFT JOIN the live owners, each a derived table with its own filter and lookups, through the
   * live ownership rows or the unit's own owner column. Only where the joined columns compare as bound
   * values would (joinsWith), and an owner column is one column; otherwise null: the caller reads units
   * then owners.
   */
  private async unitsWithOwners(ids: string[]): Promise<UnitsWithOwners | null> {
    if (ids.length === 0 || ids.length > ID_CHUNK) return null;
    const join = await this.ownersJoin();
    if (!join) return null;
    const usable = [...new Set(join.unitKey.col.usable(ids))];
    if (!usable.length) return { rows: [], owners: new Map() };
    return readShaped(this.db, this.unitsWithOwnersRead(join, usable));
  }

  /** The sources unitsWithOwners joins, or null where it cannot be one query (see there). */
  private async ownersJoin(): Promise<OwnersJoin | null> {
    const u = this.mapping.unit;
    const own = this.mapping.ownership;
    const [units, owners] = await Promise.all([this.source('unit'), this.source('owner')]);
    const unitKey = units.ref(null, u.key);
    const ownerKey = owners.ref(null, this.mapping.owner.key);
    if (u.columns.owner) {
      const parts = fieldParts(u.columns.owner);
      const only = parts.length === 1 ? parts[0]! : null;
      if (!only || !('column' in only)) return null;
      const ownerColumn = units.ref(only.lookup, only.column);
      return ownerColumn.col.joinsWith(ownerKey.col) ? { units, owners, unitKey, relation: null, ownerColumn } : null;
    }
    if (!own) return null;
    const source = await this.source('ownership');
    const relation = { source, unit: source.refOf(own.unit), owner: source.refOf(own.owner) };
    return unitKey.col.joinsWith(relation.unit.col) && relation.owner.col.joinsWith(ownerKey.col)
      ? { units, owners, unitKey, relation, ownerColumn: null }
      : null;
  }

  /**
   * The read of these units (usable ids) with their live owners, in unit then owner order. `limit` caps its
   * rows: the order of a part of a larger statement holds only with one (src/db/shapedReads.ts).
   */
  private unitsWithOwnersRead(join: OwnersJoin, usable: string[], limit?: number): ShapedRead<UnitsWithOwners> {
    const { units, owners, unitKey, relation, ownerColumn } = join;
    const o = this.mapping.owner;
    const unitFields = units.fields(this.unitFields());
    const ownerFields = owners.fields({ id: o.key, name: o.columns.name, phone: o.columns.phone });
    // The owner's fields come back under their own aliases, prefixed so they never meet the unit's.
    const ownerAliases = Object.keys(ownerFields.select);
    return {
      key: this.shape(`units-with-owners:${usable.length}${limit === undefined ? '' : `:rows${limit}`}`),
      values: usable,
      columns: [...Object.keys(unitFields.select), ...ownerAliases.map((a) => `o_${a}`)],
      build: () => {
        const who = owners.from(this.db).select(ownerFields.select);
        const qb = add(units.from(this.db).select(unitFields.select), unitKey.col.in(unitKey.id, usable)).select(
          Object.fromEntries(ownerAliases.map((a) => [`o_${a}`, `w.${a}`])),
        );
        if (relation) {
          const rel = relation.source.from(this.db).select({ u: relation.unit.id, o: relation.owner.id });
          qb.leftJoin(rel.as('r'), 'r.u', unitKey.id).leftJoin(who.as('w'), `w.${ownerAliases[0]}`, 'r.o').orderBy(unitKey.id).orderBy('r.o');
        } else {
          qb.leftJoin(who.as('w'), `w.${ownerAliases[0]}`, ownerColumn!.id).orderBy(unitKey.id);
        }
        return limit === undefined ? qb : qb.limit(limit);
      },
      read: (raw) => {
        const rows: Array<Record<string, string | null>> = [];
        const byUnit = new Map<string, HostOwner[]>();
        for (const row of raw) {
          const unit = unitFields.read(row);
          const id = String(unit.id);
          let list = byUnit.get(id);
          if (!list) {
            byUnit.set(id, (list = []));
            rows.push(unit);
          }
          const owner = ownerFields.read(Object.fromEntries(ownerAliases.map((a) => [a, row[`o_${a}`]])) as Row);
          if (owner.id !== null && owner.id !== undefined && !list.some((x) => x.id === String(owner.id)))
            list.push({ id: String(owner.id), name: owner.name ?? '', phone: owner.phone ?? null });
        }
        return { rows, owners: byUnit, complete: limit === undefined || raw.length < limit };
      },
    };
  }

  /** Units as HostUnits: their rows, their owners, and their communities' names. */
  private async toUnits(
    rows: Array<Record<string, string | null>>,
    ownersOf: Map<string, HostOwner[]> | Promise<Map<string, HostOwner[]>>,
  ): Promise<Map<string, HostUnit>> {
    const [owners, communities] = await Promise.all([
      ownersOf,
      this.communityNames(rows.flatMap((r) => (r.community === null || r.community === undefined ? [] : [String(r.community)]))),
    ]);
    const out = new Map<string, HostUnit>();
    for (const r of rows) {
      const id = String(r.id);
      const communityId = r.community ?? null;
      out.set(id, {
        id,
        label: r.label ?? '',
        communityId,
        communityName: communityId === null ? null : (communities.get(communityId) ?? null),
        owners: owners.get(id) ?? [],
      });
    }
    return out;
  }

  async getUnits(ids: string[]): Promise<Map<string, HostUnit>> {
    const u = this.mapping.unit;
    const joined = await this.unitsWithOwners(ids.map(String));
    if (joined) return this.toUnits(joined.rows, joined.owners);
    const rows = await this.selectIn(await this.source('unit'), u.key, ids.map(String), this.unitFields());
    return this.toUnits(rows, this.ownersFor(rows));
  }

  async getUnit(unitId: string): Promise<HostUnit | null> {
    const [unit] = (await this.getUnits([String(unitId)])).values();
    return unit ?? null;
  }

  /** Live owner ids per live unit; units that are missing or soft-deleted are absent from the map. */
  async ownersOfUnits(unitIds: string[]): Promise<Map<string, string[]>> {
    const u = this.mapping.unit;
    const rows = await this.selectIn(await this.source('unit'), u.key, unitIds.map(String), {
      id: u.key,
      ...(u.columns.owner ? { owner: u.columns.owner } : {}),
    });
    const owners = await this.ownersFor(rows);
    return new Map([...owners].map(([unit, list]) => [unit, list.map((o) => o.id)]));
  }

  async listStaff(limit = 5000): Promise<HostStaff[]> {
    const m = this.mapping.staff;
    if (!m) return [];
    const source = await this.source('staff');
    const { select, read } = source.fields({
      id: m.key,
      name: m.columns.name,
      mobile: m.columns.mobile,
      department: m.columns.department,
      communities: m.columns.communities,
    });
    const rows = ((await source.from(this.db).select(select).orderBy(`${BASE}.${m.key}`).limit(limit)) as Row[]).map(read);
    return rows.flatMap((r) => {
      if (r.id === null || r.id === '') return [];
      const listed = m.columns.communities ? (r.communities ?? '').split(/[,，、;；\s]+/).filter(Boolean) : [];
      return [
        {
          id: String(r.id),
          name: r.name || String(r.id),
          mobile: r.mobile || null,
          department: r.department || null,
          communityIds: listed.length ? listed : null,
        },
      ];
    });
  }

  async listCommunities(): Promise<HostCommunity[]> {
    const c = this.mapping.community;
    if (!c && !hasCommunities(this.mapping)) return [];
    if (!c) {
      // Communities named on the unit (or its building): the distinct names of live units.
      const units = await this.source('unit');
      const r = units.refOf(this.mapping.unit.columns.community!);
      const rows = (await units.from(this.db).distinct({ id: r.id }).whereNotNull(r.id).orderBy(r.id)) as Row[];
      return rows.flatMap((row) => (str(row.id) ? [{ id: String(row.id), name: String(row.id) }] : []));
    }
    const source = await this.source('community');
    const { select, read } = source.fields({ id: c.key, name: c.columns.name });
    const rows = ((await source.from(this.db).select(select).orderBy(`${BASE}.${c.key}`)) as Row[]).map(read);
    return rows.map((r) => ({ id: String(r.id), name: r.name ?? '' }));
  }

  /**
   * Units whose label, owner name or owner phone contains `query`. Label matches come first (exact,
   * then prefix, then contains), then units found through their owners. `communityIds` restricts the
   * search; a restriction that cannot be applied (communities not mapped) finds nothing.
   */
  async searchUnits(query: string, opts: { communityIds?: string[] | null; limit?: number } = {}): Promise<HostUnit[]> {
    const text = query.trim();
    // Bounded: the staff pages read up to 201 matches once and page them (src/units/search.ts).
    const limit = Math.min(Math.max(Math.floor(opts.limit ?? 20), 1), 500);
    const communities = opts.communityIds ?? null;
    const communityColumn = hasCommunities(this.mapping) ? this.mapping.unit.columns.community : undefined;
    if (!text || (communities && (communities.length === 0 || !communityColumn))) return [];

    const u = this.mapping.unit;
    const units = await this.source('unit');
    const { select, read } = units.fields({ id: u.key, label: u.columns.label });
    const unitQuery = (cond: Cond) => {
      const qb = add(units.from(this.db).select(select), cond);
      if (communities && communityColumn) {
        const c = units.refOf(communityColumn);
        add(qb, c.col.in(c.id, communities));
      }
      // Units of one label (in different communities) come in key order, the same on every call.
      return units.orderBy(qb, u.columns.label, 'asc').orderBy(units.ref(null, u.key).id);
    };
    const run = async (cond: Cond) => (cond === NEVER ? [] : ((await unitQuery(cond).limit(limit)) as Row[]).map(read));
    const byLabel = [...(await run(units.like(u.columns.label, text, 'prefix'))), ...(await run(units.like(u.columns.label, text, 'contains')))];
    const rank = (r: Record<string, string | null>) => {
      const l = (r.label ?? '').toLowerCase();
      const q = text.toLowerCase();
      return l === q ? 0 : l.startsWith(q) ? 1 : 2;
    };
    const ids: string[] = [];
    const push = (id: string) => {
      if (!ids.includes(id)) ids.push(id);
    };
    byLabel.sort((a, b) => rank(a) - rank(b)).forEach((r) => push(String(r.id)));

    if (ids.length < limit) {
      for (const id of await this.unitIdsByOwnerMatch(text, run)) push(id);
    }
    const found = await this.getUnits(ids.slice(0, limit));
    return ids.slice(0, limit).flatMap((id) => found.get(id) ?? []);
  }

  /**
   * Units whose live owner's name or phone contains `text` (the last four digits of a mobile, say): one
   * query, the owners a subquery of the units' query, so the community restriction and the limit apply
   * in SQL however many owners match elsewhere.
   */
  private async unitIdsByOwnerMatch(text: string, run: (cond: Cond) => Promise<Array<Record<string, string | null>>>): Promise<string[]> {
    const o = this.mapping.owner;
    const owners = await this.source('owner');
    const name = owners.like(o.columns.name, text, 'contains');
    const phone = owners.like(o.columns.phone, text, 'contains');
    const conds = [name, phone].filter((c) => c !== NEVER);
    if (conds.length === 0) return [];
    const key = owners.ref(null, o.key);
    const matching = owners
      .from(this.db)
      .select(key.id)
      .where((b) => {
        for (const c of conds) b.orWhereRaw(c.sql, c.bindings);
      });

    const u = this.mapping.unit;
    const units = await this.source('unit');
    if (u.columns.owner) {
      const r = units.refOf(u.columns.owner);
      return (await run(inSubquery(r.id, matching))).map((r) => String(r.id));
    }
    const own = this.mapping.ownership!;
    const relations = await this.source('ownership');
    const rel = add(relations.from(this.db).select(relations.ref(null, own.unit).id), inSubquery(relations.ref(null, own.owner).id, matching));
    return (await run(inSubquery(units.ref(null, u.key).id, rel))).map((r) => String(r.id));
  }

  private billFields(): Record<string, FieldSource | undefined> {
    const b = this.mapping.bill;
    const c = b.columns;
    return { id: b.key, unit: c.unit, amount: c.amount, owner: c.owner, period: c.period, status: c.status, paid: c.paidAmount };
  }

  /** Payments that count for a bill (paidBy): the correlated subquery's FROM … WHERE. */
  private async paymentsOfBill(bills: Source): Promise<{ sql: string; bindings: Knex.Value[]; amount?: string } | null> {
    const p = this.mapping.bill.paidBy;
    if (!p) return null;
    const payments = await this.table(p.table);
    const cond = joinConds([{ sql: '?? = ??', bindings: [`p.${p.bill}`, bills.ref(null, this.mapping.bill.key).id] }, ...payments.conditions(p.where, 'p')]);
    payments.col(p.bill);
    if (p.amount) payments.col(p.amount);
    return { sql: `FROM ?? AS p WHERE ${cond.sql}`, bindings: [p.table, ...cond.bindings], ...(p.amount ? { amount: `p.${p.amount}` } : {}) };
  }

  /** The bill source, how a row of the bill query reads as a HostBill, and its columns, without building the query. */
  private async billReader(): Promise<{ source: Source; read: (row: Row) => HostBill; columns: string[] }> {
    const bills = await this.source('bill');
    const { select, read } = bills.fields(this.billFields());
    return { source: bills, read: (row) => this.toBill(read(row), row), columns: this.billColumns(select) };
  }

  /** The bill query's column names: its fields, then what its payments add up to or whether one exists (paidBy). */
  private billColumns(select: Record<string, string>): string[] {
    const paidBy = this.mapping.bill.paidBy;
    return [...Object.keys(select), ...(paidBy ? [paidBy.amount ? 'paid_sum' : 'paid_rows'] : [])];
  }

  /** The bill query: its fields, plus what its payments add up to (or whether one exists) under paidBy. */
  /** `db`: another connection to build it on (the pool's, for SQL text kept beyond a host's transaction). */
  private async billQuery(db: Knex = this.db): Promise<{
    source: Source;
    qb: Knex.QueryBuilder;
    read: (row: Row) => HostBill;
    select: Record<string, string>;
    columns: string[];
  }> {
    const bills = await this.source('bill');
    const { select, read } = bills.fields(this.billFields());
    const qb = bills.from(db).select(select);
    const payments = await this.paymentsOfBill(bills);
    if (payments?.amount) qb.select(this.db.raw(`(SELECT SUM(??) ${payments.sql}) AS ??`, [payments.amount, ...payments.bindings, 'paid_sum']));
    else if (payments) qb.select(this.db.raw(`CASE WHEN EXISTS (SELECT 1 ${payments.sql}) THEN 1 ELSE 0 END AS ??`, [...payments.bindings, 'paid_rows']));
    return { source: bills, qb, read: (row) => this.toBill(read(row), row), select, columns: this.billColumns(select) };
  }

  private fen(value: unknown, unit: 'yuan' | 'fen', id: string, what: string): number {
    try {
      return unit === 'fen' ? fenFromInteger(value as string | number | bigint) : yuanToFen(value as string | number | bigint);
    } catch (err) {
      throw new HostDataError(`Bill ${id} in host table ${this.mapping.bill.table}: ${what}: ${(err as Error).message}`);
    }
  }

  private toBill(r: Record<string, string | null>, raw: Row): HostBill {
    const b = this.mapping.bill;
    const id = String(r.id);
    if (r.amount === null || r.amount === undefined) throw new HostDataError(`Bill ${id} in host table ${b.table} has no amount (${b.columns.amount} is null)`);
    const amountFen = this.fen(r.amount, b.amountUnit, id, 'amount');
    const status = r.status ?? null;
    let paidFen = 0;
    let paid = false;
    if (b.unpaidStatus) {
      paid = !b.unpaidStatus.some((s) => (s === null ? status === null : status !== null && String(typeof s === 'boolean' ? Number(s) : s) === status));
    } else if (b.columns.paidAmount) {
      paidFen = r.paid === null || r.paid === undefined ? 0 : this.fen(r.paid, b.amountUnit, id, 'paid amount');
    } else if (b.paidBy?.amount) {
      const sum = raw.paid_sum as string | number | null | undefined;
      paidFen = sum === null || sum === undefined ? 0 : this.fen(sum, b.paidBy.amountUnit ?? b.amountUnit, id, 'payments');
    } else if (b.paidBy) {
      paid = Number(raw.paid_rows) === 1;
    }
    const outstandingFen = paid ? 0 : Math.max(0, amountFen - paidFen);
    const paymentState = paid || (paidFen > 0 && outstandingFen === 0) ? 'paid' : paidFen > 0 ? 'partial' : 'unpaid';
    return {
      id,
      unitId: r.unit ?? '',
      ownerId: r.owner ?? null,
      amountFen,
      period: r.period ?? null,
      status,
      paymentState,
      outstandingFen,
      unpaid: paymentState !== 'paid',
    };
  }

  async getBills(ids: string[]): Promise<Map<string, HostBill>> {
    const b = this.mapping.bill;
    const asked = ids.map(String);
    const { source, qb: base, read } = await this.billQuery();
    const key = source.ref(null, b.key);
    const distinct = [...new Set(asked)];
    const pages = await mapLimit(chunks(distinct), CHUNK_CONCURRENCY, async (chunk) => {
      const cond = key.col.in(key.id, chunk);
      if (cond === NEVER) return [];
      return ((await add(base.clone(), cond)) as Row[]).map(read);
    });
    const byKey = new Map(pages.flat().map((bill) => [bill.id, bill]));
    return byAskedId(asked, byKey, key.col.sameKey());
  }

  /**
   * The bill query for these ids as SQL text for one of our statements to embed as a derived table (the
   * billing check reads a bill and our rows about it in one round trip). Only where each of our columns
   * the statement compares with the bill's key or unit compares as bound values would (joinsWith), the
   * unit is one column, and the ids fit one chunk; otherwise null, and the caller reads the bills first.
   */
  async billsSubquery(ids: string[], compare: BillJoins): Promise<BillsSubquery | null> {
    const asked = ids.map(String);
    if (asked.length === 0 || asked.length > ID_CHUNK) return null;
    const compareKey = JSON.stringify(compare);
    let shape = this.caches.billShapes.get(compareKey);
    if (!shape) {
      shape = this.billShape(compare);
      shape.catch(() => this.caches.billShapes.delete(compareKey));
      this.caches.billShapes.set(compareKey, shape);
    }
    const found = await shape;
    if (!found) return null;
    const { sql, bindings } = await this.billSql(found, asked);
    const sameKey = found.key.col.sameKey();
    return {
      sql,
      bindings,
      columns: found.columns,
      keyColumn: found.keyColumn,
      unitColumn: found.unitColumn,
      read: (rows) => byAskedId(asked, new Map(rows.map((row) => found.read(row)).map((bill) => [bill.id, bill])), sameKey),
    };
  }

  /**
   * The bill query for these ids as text. Built by the query builder once per number of ids and kept
   * (building it cost about as much as a billing check's other work, issue 20 profile); only where the ids
   * are exactly its last bindings, as the IN condition added last makes them, else built every time.
   */
  private async billSql(shape: BillShape, asked: string[]): Promise<{ sql: string; bindings: Knex.Value[] }> {
    const usable = [...new Set(shape.key.col.usable(asked))];
    const cacheKey = `${this.mysql}:${usable.length}`;
    const kept = usable.length ? this.caches.billSql.get(cacheKey) : undefined;
    if (kept) return { sql: kept.sql, bindings: [...kept.before, ...usable] };
    const { sql, bindings } = add((await shape.build()).qb, shape.key.col.in(shape.key.id, usable)).toSQL();
    const values = bindings as Knex.Value[];
    const before = values.slice(0, values.length - usable.length);
    const inList = sql.slice(sql.lastIndexOf(' IN (') + 5);
    const idsLast =
      usable.length > 0 && inList.endsWith(')') && inList.split('?').length - 1 === usable.length && usable.every((id, i) => values[before.length + i] === id);
    if (idsLast) this.caches.billSql.set(cacheKey, { sql, before });
    return { sql, bindings: values };
  }

  /** Whether the bill query can be embedded for this comparison (see billsSubquery), and what it needs then. */
  private async billShape(compare: BillJoins): Promise<BillShape | null> {
    const b = this.mapping.bill;
    if (typeof b.columns.unit !== 'string') return null;
    const unitParts = fieldParts(b.columns.unit);
    const unitPart = unitParts.length === 1 ? unitParts[0]! : null;
    if (!unitPart || !('column' in unitPart)) return null;
    const { source, read, select, columns } = await this.billQuery();
    const key = source.ref(null, b.key);
    const unit = source.ref(unitPart.lookup, unitPart.column);
    const aliasOf = (id: string) => Object.keys(select).find((a) => select[a] === id);
    const keyColumn = aliasOf(key.id);
    const unitColumn = aliasOf(unit.id);
    if (!keyColumn || !unitColumn) return null;
    const ours = (cols: BillJoins['key']) => Promise.all(cols.map(async (c) => (await this.table(c.table)).col(c.column)));
    const [keyCols, unitCols] = await Promise.all([ours(compare.key), ours(compare.unit)]);
    if (!keyCols.every((c) => c.joinsWith(key.col)) || !unitCols.every((c) => c.joinsWith(unit.col))) return null;
    return { key, columns, keyColumn, unitColumn, read, build: async () => ({ qb: (await this.billQuery(this.caches.pool)).qb }) };
  }

  async getBill(billId: string): Promise<HostBill | null> {
    return (await this.getBills([String(billId)])).get(String(billId)) ?? null;
  }

  /**
   * Of the ids asked for, those that are live bills in the host's table but left out by the scope part of
   * the mapping's `where` (a water bill when only property fees are mapped): so a refusal can say the bill
   * is not mapped rather than missing. A bill outside the live-row filter (soft-deleted: `del_flag = '2'`)
   * is not told apart from a bill that does not exist. One query, none when the filter has no scope part.
   */
  async billsOutsideMapping(ids: string[]): Promise<Set<string>> {
    const b = this.mapping.bill;
    const { live, scope } = splitWhere(b.where);
    if (Object.keys(scope).length === 0 || ids.length === 0) return new Set();
    const table = await this.table(b.table);
    const key = table.col(b.key);
    const asked = ids.map(String).slice(0, ID_CHUNK);
    const cond = key.in(b.key, asked);
    if (cond === NEVER) return new Set();
    const rows = (await table.applyWhere(add(this.db(b.table).select({ id: b.key }), cond), live)) as Row[];
    if (rows.length === 0) return new Set();
    const mapped = await this.getBills(asked);
    const found = byAskedId(asked, new Map(rows.map((r) => [String(r.id), true])), key.sameKey());
    return new Set([...found.keys()].filter((id) => !mapped.has(id)));
  }

  /** check-host: the entity's own query (lookups, payments) over one row, then its live rows counted. */
  async probe(entity: 'owner' | 'unit' | 'bill' | 'community'): Promise<number> {
    const source = await this.source(entity);
    if (entity === 'bill') {
      await (await this.billQuery()).qb.limit(1);
    } else {
      const m = this.mapping[entity]!;
      await source
        .from(this.db)
        .select(source.fields({ id: m.key, ...m.columns }).select)
        .limit(1);
    }
    const [row] = (await source.from(this.db).count({ n: '*' })) as Row[];
    return Number(row?.n ?? 0);
  }

  /** check-host: labels that more than one live unit carries within one community, a few of them. */
  async repeatedLabels(limit = 5): Promise<Array<{ community: string | null; label: string; units: number }>> {
    const u = this.mapping.unit;
    const units = await this.source('unit');
    const label = units.text(u.columns.label);
    const inner = units.from(this.db).select(this.db.raw(`${label.sql} AS ??`, [...label.bindings, 'label']));
    const community = hasCommunities(this.mapping) ? units.refOf(u.columns.community!) : null;
    inner.select(community ? { community: community.id } : this.db.raw('NULL AS ??', ['community']));
    const rows = (await this.db
      .from(inner.as('t'))
      .select('community', 'label')
      .count({ n: '*' })
      .whereNotNull('label')
      .groupBy(['community', 'label'])
      .havingRaw('COUNT(*) > 1')
      .orderBy(['community', 'label'])
      .limit(limit)) as Row[];
    return rows.map((r) => ({ community: str(r.community), label: str(r.label) ?? '', units: Number(r.n) }));
  }

  /** The unit's unpaid (or partly paid) bills, latest period first. */
  async listUnpaidBills(unitId: string, limit = 24): Promise<HostBill[]> {
    const read = await this.unpaidBillsRead(String(unitId), limit);
    return read ? readShaped(this.db, read) : [];
  }

  /**
   * The intake page's two host reads as parts of the one statement it sends with its own (src/units/panel.ts):
   * the unit with its live owners and its unpaid bills. Null where either cannot be such a part (the owners
   * cannot be joined in one query, the id cannot match the unit's key, no bill can be unpaid): the caller
   * then reads them as usual. The unit's read stops at `OWNER_ROWS` rows, so that as a part it keeps its
   * order; a unit with more is read again on its own.
   */
  async unitPanelReads(unitId: string, billLimit: number): Promise<UnitPanelReads | null> {
    const join = await this.ownersJoin();
    if (!join) return null;
    const [usable] = join.unitKey.col.usable([String(unitId)]);
    const bills = await this.unpaidBillsRead(String(unitId), billLimit);
    if (usable === undefined || !bills) return null;
    const units = this.unitsWithOwnersRead(join, [usable], OWNER_ROWS);
    return {
      unit: {
        ...units,
        read: async (rows) => {
          const { rows: found, owners, complete } = units.read(rows);
          if (!complete) return this.getUnit(String(unitId));
          const [unit] = (await this.toUnits(found, owners)).values();
          return unit ?? null;
        },
      },
      bills,
    };
  }

  /** The read of a unit's unpaid bills; null when none can be (the id cannot match, no status is unpaid). */
  private async unpaidBillsRead(unitId: string, limit: number): Promise<ShapedRead<HostBill[]> | null> {
    const b = this.mapping.bill;
    const { source, read, columns } = await this.billReader();
    const unit = source.refOf(b.columns.unit);
    const [usable] = unit.col.usable([unitId]);
    if (usable === undefined) return null;
    if (b.unpaidStatus && b.columns.status && b.unpaidStatus.length === 0) return null;
    const rows = Math.max(1, Math.floor(limit));
    return {
      key: this.shape(`unpaid-bills:${rows}`),
      values: [usable],
      columns,
      build: async () => {
        const { qb } = await this.billQuery();
        add(qb, unit.col.in(unit.id, [usable]));
        const amount = source.refOf(b.columns.amount).id;
        if (b.unpaidStatus && b.columns.status) {
          const status = source.refOf(b.columns.status);
          const conds = b.unpaidStatus.map((v) => status.col.equals(status.id, v));
          qb.where((w) => {
            for (const c of conds) w.orWhereRaw(c.sql, c.bindings);
          });
        } else if (b.columns.paidAmount) {
          const paid = source.refOf(b.columns.paidAmount).id;
          qb.whereRaw('(?? IS NULL OR ?? < ??)', [paid, paid, amount]);
        } else if (b.paidBy) {
          const payments = (await this.paymentsOfBill(source))!;
          if (payments.amount) {
            const from = b.paidBy.amountUnit ?? b.amountUnit;
            const scale = from === b.amountUnit ? '' : from === 'fen' ? ' / 100' : ' * 100';
            qb.whereRaw(`COALESCE((SELECT SUM(??) ${payments.sql}), 0)${scale} < ??`, [payments.amount, ...payments.bindings, amount]);
          } else {
            qb.whereRaw(`NOT EXISTS (SELECT 1 ${payments.sql})`, payments.bindings);
          }
        }
        if (b.columns.period) source.orderBy(qb, b.columns.period, 'desc');
        qb.orderBy(source.ref(null, b.key).id, 'desc').limit(rows);
        return { qb };
      },
      read: (found) => found.map(read),
    };
  }
}

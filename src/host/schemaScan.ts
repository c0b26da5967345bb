// The mapping wizard's view of a whole host database: every table and view with its columns, their
// types and comments (业主姓名, 手机号 …), primary, unique and foreign keys. Read-only: the schema, and
// on request a bounded list of the distinct values of one column (to read a status or a fee type).
// MySQL/MariaDB keeps comments in information_schema; SQLite has none, so a `-- comment` written after a
// column in the CREATE TABLE text (kept verbatim in sqlite_master) stands for one.
import type { Knex } from 'knex';
import { isMysql } from '../db/connection.js';
import { describeTable } from './introspect.js';
import type { WhereFilter } from './mapping.js';
import { hostWhereSql } from './gateway.js';

export interface ScannedColumn {
  name: string;
  /** Lower-case base type: int, varchar, decimal … */
  dataType: string;
  columnType: string;
  nullable: boolean;
  comment: string;
}

export interface ForeignKey {
  column: string;
  table: string;
  refColumn: string;
}

export interface ScannedTable {
  name: string;
  comment: string;
  view: boolean;
  columns: ScannedColumn[];
  primaryKey: string[] | null;
  uniqueKeys: string[][];
  foreignKeys: ForeignKey[];
}

export interface HostSchema {
  client: 'mysql' | 'sqlite';
  tables: ScannedTable[];
}

/** Every table and view of the connection's database, but ours (`prefix`) and knex's bookkeeping. */
export async function scanHostSchema(db: Knex, options: { prefix?: string } = {}): Promise<HostSchema> {
  const prefix = (options.prefix ?? 'cmp_').toLowerCase();
  const skip = (name: string) => name.toLowerCase().startsWith(prefix) || /^knex_/i.test(name) || /^sqlite_/i.test(name);
  const tables = isMysql(db) ? await scanMysql(db) : await scanSqlite(db);
  return { client: isMysql(db) ? 'mysql' : 'sqlite', tables: tables.filter((t) => !skip(t.name)).sort((a, b) => a.name.localeCompare(b.name)) };
}

type Row = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));

async function scanMysql(db: Knex): Promise<ScannedTable[]> {
  const here = (table: string) => db(table).whereRaw('TABLE_SCHEMA = DATABASE()');
  const tables = (await here('information_schema.TABLES').select('TABLE_NAME as name', 'TABLE_TYPE as type', 'TABLE_COMMENT as comment')) as Row[];
  const columns = (await here('information_schema.COLUMNS')
    .select(
      'TABLE_NAME as tableName',
      'COLUMN_NAME as name',
      'DATA_TYPE as dataType',
      'COLUMN_TYPE as columnType',
      'IS_NULLABLE as nullable',
      'COLUMN_COMMENT as comment',
    )
    .orderBy(['TABLE_NAME', 'ORDINAL_POSITION'])) as Row[];
  const stats = (await here('information_schema.STATISTICS')
    .select('TABLE_NAME as tableName', 'INDEX_NAME as indexName', 'COLUMN_NAME as column')
    .where('NON_UNIQUE', 0)
    .orderBy(['TABLE_NAME', 'INDEX_NAME', 'SEQ_IN_INDEX'])) as Row[];
  const fks = (await here('information_schema.KEY_COLUMN_USAGE')
    .select('TABLE_NAME as tableName', 'COLUMN_NAME as column', 'REFERENCED_TABLE_NAME as refTable', 'REFERENCED_COLUMN_NAME as refColumn')
    .whereNotNull('REFERENCED_TABLE_NAME')
    .whereRaw('REFERENCED_TABLE_SCHEMA = DATABASE()')) as Row[];
  return tables.map((t) => {
    const name = s(t.name);
    const indexes = new Map<string, string[]>();
    for (const st of stats.filter((x) => s(x.tableName) === name)) indexes.set(s(st.indexName), [...(indexes.get(s(st.indexName)) ?? []), s(st.column)]);
    // A view's comment is "VIEW" on MySQL: no comment of its own.
    const view = /view/i.test(s(t.type));
    return {
      name,
      comment: view ? '' : s(t.comment),
      view,
      columns: columns
        .filter((c) => s(c.tableName) === name)
        .map((c) => ({
          name: s(c.name),
          dataType: s(c.dataType).toLowerCase(),
          columnType: s(c.columnType).toLowerCase(),
          nullable: c.nullable === 'YES',
          comment: s(c.comment),
        })),
      primaryKey: indexes.get('PRIMARY') ?? null,
      uniqueKeys: [...indexes].filter(([n]) => n !== 'PRIMARY').map(([, cols]) => cols),
      foreignKeys: fks.filter((f) => s(f.tableName) === name).map((f) => ({ column: s(f.column), table: s(f.refTable), refColumn: s(f.refColumn) })),
    };
  });
}

/** `-- comment` after a column definition (one column a line), and a table's comment on its first line. */
export function sqliteComments(sql: string): { table: string; columns: Map<string, string> } {
  const columns = new Map<string, string>();
  let table = '';
  for (const [i, line] of sql.split('\n').entries()) {
    const at = line.indexOf('--');
    if (at < 0) continue;
    const comment = line.slice(at + 2).trim();
    const before = line.slice(0, at).trim();
    const col = /^[,(\s]*["`[]?([A-Za-z_][A-Za-z0-9_]*)["`\]]?\s+[A-Za-z]/.exec(before);
    if (i === 0 || /^create\s/i.test(before)) table = comment;
    else if (col) columns.set(col[1]!, comment);
  }
  return { table, columns };
}

async function scanSqlite(db: Knex): Promise<ScannedTable[]> {
  const objects = (await db.raw("SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")) as Row[];
  const out: ScannedTable[] = [];
  for (const o of objects) {
    const name = s(o.name);
    const info = await describeTable(db, name);
    if (!info) continue;
    const comments = sqliteComments(s(o.sql));
    const fks = (await db.raw(`PRAGMA foreign_key_list("${name.replace(/"/g, '""')}")`)) as Row[];
    out.push({
      name,
      comment: comments.table,
      view: info.view,
      columns: [...info.columns.values()].map((c) => ({
        name: c.name,
        dataType: c.dataType,
        columnType: c.columnType,
        nullable: c.nullable,
        comment: comments.columns.get(c.name) ?? '',
      })),
      primaryKey: info.primaryKey,
      uniqueKeys: info.uniqueKeys,
      // A foreign key to the referenced table's primary key leaves `to` null.
      foreignKeys: fks.map((f) => ({ column: s(f.from), table: s(f.table), refColumn: s(f.to) })),
    });
  }
  return out;
}

/**
 * Up to `limit` distinct values of a column with their row counts, most frequent first (rows passing
 * `where` only), or null when the column holds more distinct values than that (not a code column).
 */
export async function distinctValues(
  db: Knex,
  table: ScannedTable,
  column: string,
  where?: WhereFilter,
  limit = 12,
): Promise<Array<{ value: string | null; rows: number }> | null> {
  const info = await describeTable(db, table.name);
  if (!info || !info.columns.has(column)) return null;
  const qb = db(table.name)
    .select({ value: column })
    .count({ n: '*' })
    .groupBy(column)
    .orderBy([{ column: 'n', order: 'desc' }, { column: 'value' }]);
  const cond = hostWhereSql(info, isMysql(db), where);
  if (cond) qb.whereRaw(cond.sql, cond.bindings);
  const rows = (await qb.limit(limit + 1)) as Row[];
  if (rows.length > limit) return null;
  return rows.map((r) => ({ value: r.value === null || r.value === undefined ? null : String(r.value), rows: Number(r.n) }));
}

/** Names for codes: the `name` column of the rows of `table` whose `key` is one of the values. */
export async function namesOf(db: Knex, table: string, key: string, name: string, values: string[]): Promise<Map<string, string>> {
  if (values.length === 0) return new Map();
  const rows = (await db(table).select({ key, name }).whereIn(key, values.slice(0, 50))) as Row[];
  return new Map(rows.map((r) => [s(r.key), s(r.name)]));
}

/**
 * How many of a sample of the distinct values of `from.column` are keys of `to` (a reference that its
 * name does not tell: `pay_fee.payer_obj_id` holding room ids). Two bounded queries.
 */
export async function valuesFoundIn(
  db: Knex,
  from: string,
  column: string,
  to: string,
  key: string,
  sample = 200,
): Promise<{ sampled: number; found: number }> {
  const values = ((await db(from).distinct({ v: column }).whereNotNull(column).limit(sample)) as Row[]).map((r) => r.v as string | number);
  if (values.length === 0) return { sampled: 0, found: 0 };
  const found = (await db(to).countDistinct({ n: key }).whereIn(key, values)) as Row[];
  return { sampled: values.length, found: Number(found[0]?.n ?? 0) };
}

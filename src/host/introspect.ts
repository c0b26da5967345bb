// Reads the live schema of host tables (never their rows' contents): columns with types and charsets,
// and the primary/unique keys. Both clients answer in the same shape.
import type { Knex } from 'knex';
import { isMysql } from '../db/connection.js';

export interface ColumnInfo {
  name: string;
  /** Lower-case base type: int, bigint, varchar, decimal, text, datetime, integer, real … */
  dataType: string;
  /** Full declared type, e.g. "varchar(32)", "decimal(12,2)", "int(10) unsigned", "INTEGER". */
  columnType: string;
  nullable: boolean;
  charset: string | null;
  collation: string | null;
}

export interface TableInfo {
  name: string;
  columns: Map<string, ColumnInfo>;
  /** Column lists of the primary key and of every unique index. */
  primaryKey: string[] | null;
  uniqueKeys: string[][];
  /** A view: it has no keys of its own, so uniqueness of a mapped key can only be tested on its rows. */
  view: boolean;
}

/** `erp.owner_info` → schema erp, table owner_info; a bare name is in the connection's database. */
export function splitTableName(table: string): { schema: string | null; name: string } {
  const dot = table.indexOf('.');
  return dot < 0 ? { schema: null, name: table } : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

export async function describeTable(db: Knex, table: string): Promise<TableInfo | null> {
  return isMysql(db) ? describeMysqlTable(db, table) : describeSqliteTable(db, table);
}

async function describeMysqlTable(db: Knex, table: string): Promise<TableInfo | null> {
  const { schema, name: bare } = splitTableName(table);
  const inSchema = (qb: Knex.QueryBuilder) =>
    (schema ? qb.where('TABLE_SCHEMA', schema) : qb.whereRaw('TABLE_SCHEMA = DATABASE()')).andWhere('TABLE_NAME', bare);
  const columns = (await inSchema(
    db('information_schema.COLUMNS').select(
      'COLUMN_NAME as name',
      'DATA_TYPE as dataType',
      'COLUMN_TYPE as columnType',
      'IS_NULLABLE as nullable',
      'CHARACTER_SET_NAME as charset',
      'COLLATION_NAME as collation',
    ),
  ).orderBy('ORDINAL_POSITION')) as Array<Record<string, string | null>>;
  if (columns.length === 0) return null;
  const [kind] = (await inSchema(db('information_schema.TABLES').select('TABLE_TYPE as type'))) as Array<{ type: string }>;
  const stats = (await inSchema(
    db('information_schema.STATISTICS').select('INDEX_NAME as indexName', 'COLUMN_NAME as column', 'NON_UNIQUE as nonUnique', 'SEQ_IN_INDEX as seq'),
  ).orderBy([{ column: 'INDEX_NAME' }, { column: 'SEQ_IN_INDEX' }])) as Array<{ indexName: string; column: string; nonUnique: number | string }>;
  const indexes = new Map<string, string[]>();
  for (const s of stats) {
    if (Number(s.nonUnique) !== 0) continue;
    indexes.set(s.indexName, [...(indexes.get(s.indexName) ?? []), s.column]);
  }
  return {
    name: table,
    columns: new Map(
      columns.map((c) => [
        String(c.name),
        {
          name: String(c.name),
          dataType: String(c.dataType).toLowerCase(),
          columnType: String(c.columnType).toLowerCase(),
          nullable: c.nullable === 'YES',
          charset: c.charset ?? null,
          collation: c.collation ?? null,
        },
      ]),
    ),
    primaryKey: indexes.get('PRIMARY') ?? null,
    uniqueKeys: [...indexes.entries()].filter(([name]) => name !== 'PRIMARY').map(([, cols]) => cols),
    view: /view/i.test(kind?.type ?? ''),
  };
}

function quoteSqlite(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function describeSqliteTable(db: Knex, table: string): Promise<TableInfo | null> {
  // An attached database is addressed as schema.table, its pragmas as PRAGMA schema.table_info(table).
  const { schema, name: bare } = splitTableName(table);
  const prefix = schema ? `${quoteSqlite(schema)}.` : '';
  const cols = (await db.raw(`PRAGMA ${prefix}table_info(${quoteSqlite(bare)})`)) as Array<{ name: string; type: string; notnull: number; pk: number }>;
  if (cols.length === 0) return null;
  const [kind] = (await db.raw(`SELECT type FROM ${prefix}sqlite_master WHERE name = ?`, [bare])) as Array<{ type: string }>;
  const pk = cols
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  const indexList = (await db.raw(`PRAGMA ${prefix}index_list(${quoteSqlite(bare)})`)) as Array<{
    name: string;
    unique: number;
    origin: string;
    partial: number;
  }>;
  const uniqueKeys: string[][] = [];
  for (const index of indexList) {
    if (!index.unique || index.partial || index.origin === 'pk') continue;
    const info = (await db.raw(`PRAGMA ${prefix}index_info(${quoteSqlite(index.name)})`)) as Array<{ name: string; seqno: number }>;
    uniqueKeys.push(info.sort((a, b) => a.seqno - b.seqno).map((i) => i.name));
  }
  return {
    name: table,
    columns: new Map(
      cols.map((c) => {
        const declared = (c.type || '').trim();
        return [
          c.name,
          {
            name: c.name,
            dataType: declared.toLowerCase().replace(/\(.*$/, '').trim() || 'blob',
            columnType: declared.toLowerCase(),
            // A rowid-aliasing INTEGER PRIMARY KEY is never null even without NOT NULL.
            nullable: c.notnull === 0 && !(c.pk > 0 && pk.length === 1 && /^integer$/i.test(declared)),
            charset: null,
            collation: null,
          },
        ];
      }),
    ),
    primaryKey: pk.length ? pk : null,
    uniqueKeys,
    view: kind?.type === 'view',
  };
}

/** True when `column` alone identifies a row: the primary key or a single-column unique index. */
export function isSingleColumnKey(table: TableInfo, column: string): boolean {
  const isOnly = (cols: string[] | null) => !!cols && cols.length === 1 && cols[0] === column;
  return isOnly(table.primaryKey) || table.uniqueKeys.some(isOnly);
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const STRING_TYPES = new Set([
  'char',
  'varchar',
  'text',
  'tinytext',
  'mediumtext',
  'longtext',
  'nvarchar',
  'nchar',
  'character',
  'varying character',
  'native character',
  'clob',
]);

export function isIntegerType(c: ColumnInfo): boolean {
  return INTEGER_TYPES.has(c.dataType) || /\bint/.test(c.dataType);
}
export function isStringType(c: ColumnInfo): boolean {
  return STRING_TYPES.has(c.dataType) || /char|text|clob/.test(c.dataType);
}
export function isDecimalType(c: ColumnInfo): boolean {
  return ['decimal', 'numeric', 'real', 'double', 'float', 'double precision'].includes(c.dataType);
}

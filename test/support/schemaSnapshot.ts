// The whole schema of a test database as plain data, so two databases can be compared with deep equality:
// on MariaDB every table's columns, indexes, constraints (CHECK and foreign keys) and triggers from
// information_schema plus SHOW CREATE TABLE; on SQLite sqlite_master (the stored DDL text) plus what the
// pragmas report for each table. Row counters (AUTO_INCREMENT=n, sqlite_sequence) are left out: they are data.
import type { Knex } from 'knex';
import { isMysql } from '../../src/db/connection.js';

export type SchemaSnapshot = Record<string, unknown>;

export async function schemaSnapshot(db: Knex): Promise<SchemaSnapshot> {
  return isMysql(db) ? mysqlSnapshot(db) : sqliteSnapshot(db);
}

async function rows(db: Knex, sql: string, bindings: readonly Knex.Value[] = []): Promise<Array<Record<string, unknown>>> {
  const result = (await db.raw(sql, bindings)) as unknown;
  return (isMysql(db) ? (result as [Array<Record<string, unknown>>])[0] : (result as Array<Record<string, unknown>>)).map((r) => ({ ...r }));
}

/**
 * SHOW CREATE TABLE lists secondary indexes in the order they were made: a down migration that makes an
 * index again moves it to the end without changing the schema. Their lines are compared sorted (each
 * line whole: name, columns, kind), trailing commas aside.
 */
function secondaryKeysSorted(createTable: string): string {
  const lines = createTable.split('\n');
  const isKey = (line: string) => /^\s+(UNIQUE |FULLTEXT |SPATIAL )?KEY /.test(line);
  const keys = lines
    .filter(isKey)
    .map((l) => l.replace(/,$/, ''))
    .sort();
  return [...lines.filter((l) => !isKey(l)).map((l) => l.replace(/,$/, '')), ...keys].join('\n');
}

async function mysqlSnapshot(db: Knex): Promise<SchemaSnapshot> {
  const here = 'TABLE_SCHEMA = DATABASE()';
  const tables = await rows(
    db,
    `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS FROM information_schema.TABLES WHERE ${here} ORDER BY TABLE_NAME`,
  );
  const createTable: Record<string, string> = {};
  for (const t of tables) {
    const [row] = await rows(db, 'SHOW CREATE TABLE ??', [String(t.TABLE_NAME)]);
    createTable[String(t.TABLE_NAME)] = secondaryKeysSorted(String(row!['Create Table']).replace(/ AUTO_INCREMENT=\d+/, ''));
  }
  return {
    tables,
    createTable,
    columns: await rows(
      db,
      `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, EXTRA, COLUMN_COMMENT
       FROM information_schema.COLUMNS WHERE ${here} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    ),
    indexes: await rows(
      db,
      `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART, COLLATION, INDEX_TYPE
       FROM information_schema.STATISTICS WHERE ${here} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    ),
    constraints: await rows(
      db,
      `SELECT TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()
       ORDER BY TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE`,
    ),
    checks: await rows(
      db,
      'SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME, CHECK_CLAUSE',
    ),
    foreignKeys: await rows(
      db,
      `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
       WHERE k.${here} ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    ),
    triggers: await rows(
      db,
      `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_TIMING, ACTION_ORIENTATION, ACTION_STATEMENT, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME`,
    ),
  };
}

async function sqliteSnapshot(db: Knex): Promise<SchemaSnapshot> {
  const master = await rows(db, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> 'sqlite_sequence' ORDER BY type, name");
  const perTable: Record<string, unknown> = {};
  for (const { name } of master.filter((m) => m.type === 'table')) {
    const table = String(name);
    const indexes = await rows(db, 'SELECT * FROM pragma_index_list(?) ORDER BY name', [table]);
    const indexColumns: Record<string, unknown> = {};
    for (const index of indexes) indexColumns[String(index.name)] = await rows(db, 'SELECT * FROM pragma_index_xinfo(?) ORDER BY seqno', [String(index.name)]);
    perTable[table] = {
      columns: await rows(db, 'SELECT * FROM pragma_table_xinfo(?) ORDER BY cid', [table]),
      indexes: indexes.map(({ seq: _seq, ...rest }) => rest),
      indexColumns,
      foreignKeys: await rows(db, 'SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq', [table]),
    };
  }
  return { master, perTable };
}

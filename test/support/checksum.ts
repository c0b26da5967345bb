// A fingerprint per table over its full schema (columns, types, indexes, triggers) and every row, so a
// test can prove host tables were left exactly as they were.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isMysql } from '../../src/db/connection.js';
import { describeTable } from '../../src/host/introspect.js';

async function schemaOf(db: Knex, table: string): Promise<unknown> {
  if (isMysql(db)) {
    const [created] = (await db.raw('SHOW CREATE TABLE ??', [table])) as [Array<Record<string, string>>];
    const triggers = await db('information_schema.TRIGGERS')
      .select('TRIGGER_NAME', 'ACTION_TIMING', 'EVENT_MANIPULATION', 'ACTION_STATEMENT')
      .whereRaw('EVENT_OBJECT_SCHEMA = DATABASE()')
      .andWhere('EVENT_OBJECT_TABLE', table)
      .orderBy('TRIGGER_NAME');
    return { create: created[0]?.['Create Table'], triggers };
  }
  // Table, index and trigger definitions all live in sqlite_master under the table's name.
  const objects = await db('sqlite_master')
    .select('type', 'name', 'sql')
    .where('tbl_name', table)
    .orderBy([{ column: 'type' }, { column: 'name' }]);
  const columns = await db.raw(`PRAGMA table_info("${table.replace(/"/g, '""')}")`);
  return { objects, columns };
}

function stable(value: unknown): unknown {
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (value instanceof Date) return { date: value.toISOString() };
  return value;
}

/** sha256 per table; 'absent' for a table that does not exist. */
export async function checksumTables(db: Knex, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const info = await describeTable(db, table);
    if (!info) {
      out[table] = 'absent';
      continue;
    }
    const columns = [...info.columns.keys()];
    const hash = createHash('sha256');
    hash.update(JSON.stringify(await schemaOf(db, table)));
    const rows = (await db(table)
      .select(columns)
      .orderBy(columns.map((column) => ({ column })))) as Array<Record<string, unknown>>;
    hash.update(`\n${rows.length}\n`);
    for (const row of rows) hash.update(`${JSON.stringify(columns.map((c) => stable(row[c])))}\n`);
    out[table] = hash.digest('hex');
  }
  return out;
}

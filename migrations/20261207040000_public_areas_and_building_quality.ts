// Issue 19, what intake records: public-area complaints, and the cause category 房屋质量/维修.
//
// 1. Public-area complaints (公共区域: a lobby, the garage, a garden) name a community, perhaps a building,
// and a location instead of a unit: complaints.unit_id becomes nullable, and two columns say where.
// - MySQL/MariaDB: MODIFY the column with its own type, character set and collation, only NULL added.
// - SQLite cannot alter a column; dropping NOT NULL changes nothing on disk, and SQLite documents editing
//   the stored CREATE TABLE text for exactly this (sqlite.org/lang_altertable.html, section 7: writable_schema,
//   then a schema_version bump and an integrity check). A rebuild would have to drop the table every
//   other table references, inside the migration's transaction. The text is changed only when the
//   column's NOT NULL is found exactly once.
// Each step is guarded: a run that stopped anywhere can run again.
//
// 2. Cause category 房屋质量/维修 (leaks, cracks, warranty repairs): staff filed leaks under 邻里纠纷 for want
// of it. The default list (plugin.json) has it; a list an administrator already saved is stored whole in
// the settings table and would never see a new default, so the category is added to it here, before
// 邻里纠纷 (or at the end), and the change is audited like an administrator's. Existing complaints keep
// the category they were filed under: nothing is re-filed. A list that has the code is left alone.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, createIndexIfMissing, dropColumnIfPresent, dropIndexIfPresent } from '../src/db/schema.js';

const CATEGORY = { code: 'building_quality', 'zh-CN': '房屋质量/维修', en: 'Building quality and repairs', active: true };

type Category = { code: string; 'zh-CN': string; en: string; active?: boolean };

function stamp(): string {
  return new Date().toISOString().replace('T', ' ').replace('Z', '');
}

async function addBuildingQuality(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { settings, events } = ctx.tables;
  const row = (await knex(settings).where({ key: 'categories' }).first('value')) as { value: string } | undefined;
  if (!row) return; // the default list applies, and it has the category
  const before = JSON.parse(row.value) as Category[];
  if (!Array.isArray(before) || before.some((c) => c.code === CATEGORY.code) || before.length >= 100) return;
  const at = before.findIndex((c) => c.code === 'neighbour');
  const after = at < 0 ? [...before, CATEGORY] : [...before.slice(0, at), CATEGORY, ...before.slice(at)];
  // Both writes commit with the migration's transaction; the UPDATE takes only the list it read.
  const now = stamp();
  const changed = await knex(settings)
    .where({ key: 'categories', value: row.value })
    .update({ value: JSON.stringify(after), updated_at: now, updated_by: 'system' });
  if (changed !== 1) return;
  await knex(events).insert({
    entity_type: 'settings',
    entity_id: 0,
    action: 'settings_changed',
    actor_id: 'system',
    actor_name: '系统 / System',
    at: now,
    changes: JSON.stringify({ categories: [before, after] }),
    note: '新增投诉类别“房屋质量/维修” / Added the cause category "Building quality and repairs"',
  });
}

interface SqliteConnection {
  unsafeMode(on: boolean): unknown;
  pragma(sql: string, options?: { simple: boolean }): unknown;
  prepare(sql: string): { run(...params: unknown[]): { changes: number } };
}

async function unitIdNullable(knex: Knex, ctx: MigrationContext): Promise<boolean> {
  const table = ctx.tables.complaints;
  if (ctx.client === 'mysql2') {
    const [rows] = (await knex.raw(
      'SELECT IS_NULLABLE AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, 'unit_id'],
    )) as [Array<{ n: string }>];
    return rows[0]?.n === 'YES';
  }
  const rows = (await knex.raw('SELECT "notnull" AS n FROM pragma_table_info(?) WHERE name = ?', [table, 'unit_id'])) as Array<{ n: number }>;
  return Number(rows[0]?.n) === 0;
}

async function setUnitIdNullable(knex: Knex, ctx: MigrationContext, nullable: boolean): Promise<void> {
  const table = ctx.tables.complaints;
  if (ctx.client === 'mysql2') {
    const [rows] = (await knex.raw(
      'SELECT COLUMN_TYPE AS type, CHARACTER_SET_NAME AS cs, COLLATION_NAME AS co FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [table, 'unit_id'],
    )) as [Array<{ type: string; cs: string | null; co: string | null }>];
    const col = rows[0]!;
    const charset = col.cs ? ` CHARACTER SET ${col.cs} COLLATE ${col.co}` : '';
    await knex.raw(`ALTER TABLE ?? MODIFY ?? ${col.type}${charset} ${nullable ? 'NULL' : 'NOT NULL'}`, [table, 'unit_id']);
    return;
  }
  const [{ sql }] = (await knex.raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])) as [{ sql: string }];
  const column = nullable ? /(`unit_id`\s+[^,`]*?)\s+not null/gi : /(`unit_id`\s+[^,`]*?)(?=,)/gi;
  const found = sql.match(column) ?? [];
  if (found.length !== 1) throw new Error(`Cannot find the definition of ${table}.unit_id exactly once in its stored CREATE TABLE`);
  const next = sql.replace(column, nullable ? '$1' : '$1 not null');
  // The migration's own connection (a transaction's client hands out the transaction's connection).
  const conn = await (knex.client as { acquireConnection(): Promise<SqliteConnection> }).acquireConnection();
  const version = Number(conn.pragma('schema_version', { simple: true }));
  conn.unsafeMode(true);
  try {
    conn.pragma('writable_schema = ON');
    const changed = conn.prepare("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ? AND sql = ?").run(next, table, sql);
    if (changed.changes !== 1) throw new Error(`The stored definition of ${table} changed under the migration`);
    conn.pragma(`schema_version = ${version + 1}`);
  } finally {
    conn.pragma('writable_schema = OFF');
    conn.unsafeMode(false);
  }
  const check = (await knex.raw('PRAGMA integrity_check')) as Array<Record<string, string>>;
  if (Object.values(check[0] ?? {})[0] !== 'ok') throw new Error(`integrity_check after changing ${table}.unit_id: ${JSON.stringify(check)}`);
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = ctx.tables.complaints;
  if (!(await unitIdNullable(knex, ctx))) await setUnitIdNullable(knex, ctx, true);
  await addColumnIfMissing(knex, table, 'building', (t) => t.string('building', 100).nullable());
  await addColumnIfMissing(knex, table, 'location', (t) => t.string('location', 200).nullable());
  // Repeats of a public area are found by community, place and category, as a unit's by its index.
  await createIndexIfMissing(knex, table, `${table}_place_idx`, ['community_id', 'location', 'category', 'received_at']);
  await addBuildingQuality(knex, ctx);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = ctx.tables.complaints;
  if (await unitIdNullable(knex, ctx)) {
    // Public-area complaints have no unit to give back: refuse rather than invent one.
    const [{ n }] = (await knex(table).whereNull('unit_id').count({ n: '*' })) as [{ n: number | string }];
    if (Number(n) > 0) throw new Error(`${n} public-area complaints have no unit; ${table}.unit_id cannot be made NOT NULL again`);
  }
  // A category added to a stored list stays: complaints may be filed under it by then.
  await dropIndexIfPresent(knex, table, `${table}_place_idx`);
  await dropColumnIfPresent(knex, table, 'location');
  await dropColumnIfPresent(knex, table, 'building');
  if (await unitIdNullable(knex, ctx)) await setUnitIdNullable(knex, ctx, false);
}

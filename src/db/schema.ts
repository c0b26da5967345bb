// Column and table conventions shared by the migrations, so every table looks the same on both clients.
import type { Knex } from 'knex';
import type { MigrationContext } from './migrations.js';
import type { HostKeyType } from '../host/keyTypes.js';
import { clientOf } from './connection.js';

/** UTC timestamp with milliseconds; TEXT on SQLite (see db/time.ts). */
export function timestamp(t: Knex.CreateTableBuilder, ctx: MigrationContext, name: string): Knex.ColumnBuilder {
  return t.specificType(name, ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT');
}

/**
 * The key column our tables share for idempotency and request keys: compared byte for byte (utf8mb4_bin on
 * MySQL), because a case-insensitive collation would merge two submits or two host payments.
 */
export function keyColumn(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, ctx: MigrationContext, name: string, length: number): Knex.ColumnBuilder {
  return t.specificType(name, ctx.client === 'mysql2' ? `VARCHAR(${length}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin` : 'TEXT');
}

/** A column holding a host id, typed like the host key it points to. */
export function hostId(t: Knex.CreateTableBuilder, name: string, key: HostKeyType): Knex.ColumnBuilder {
  return t.specificType(name, key.sqlType);
}

/** Our tables are InnoDB utf8mb4 on MySQL (Chinese text and characters outside the BMP). */
export function tableDefaults(t: Knex.CreateTableBuilder, ctx: MigrationContext): void {
  if (ctx.client === 'mysql2') {
    t.engine('InnoDB');
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
  }
}

/**
 * Makes a table append-only in the database itself: updates and deletes are refused by triggers. A trigger
 * already there is left alone, so a run that stopped between the two can run again. The SQLite text keeps
 * its double quotes: sqlite_master stores it as written, and databases made before must compare equal.
 */
export async function makeAppendOnly(knex: Knex, ctx: MigrationContext, table: string): Promise<void> {
  for (const op of ['UPDATE', 'DELETE']) {
    const name = `${table}_no_${op.toLowerCase()}`;
    if (await hasTrigger(knex, name)) continue;
    if (ctx.client === 'mysql2') {
      await knex.raw(`CREATE TRIGGER ?? BEFORE ${op} ON ?? FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${table} is append-only'`, [name, table]);
    } else {
      await knex.raw(`CREATE TRIGGER "${name}" BEFORE ${op} ON "${table}" BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`);
    }
  }
}

export async function dropAppendOnly(knex: Knex, _ctx: MigrationContext, table: string): Promise<void> {
  for (const op of ['update', 'delete']) await knex.raw('DROP TRIGGER IF EXISTS ??', [`${table}_no_${op}`]);
}

/** A migration's own identifier quoting, through knex (never by hand): `name` on both clients. */
export function quoteId(knex: Knex, name: string): string {
  return knex.raw('??', [name]).toQuery();
}

/**
 * Whether the table has the column, generated ones included: SQLite's table_info (which knex's hasColumn
 * reads) leaves generated columns out, its table_xinfo does not.
 */
export async function hasColumn(knex: Knex, table: string, column: string): Promise<boolean> {
  if (clientOf(knex) === 'mysql2') return knex.schema.hasColumn(table, column);
  const rows = (await knex.raw(`PRAGMA table_xinfo(${quoteId(knex, table)})`)) as Array<{ name: string }>;
  return rows.some((r) => r.name === column);
}

/**
 * Adds a virtual column computed by the database from the row's other columns (`expression`, SQL over
 * them), unless it is there already. Indexable on both clients; never written by an INSERT.
 */
export async function addGeneratedColumnIfMissing(knex: Knex, table: string, column: string, type: string, expression: string): Promise<boolean> {
  if (await hasColumn(knex, table, column)) return false;
  await knex.raw(`ALTER TABLE ${quoteId(knex, table)} ADD COLUMN ${quoteId(knex, column)} ${type} GENERATED ALWAYS AS (${expression}) VIRTUAL`);
  return true;
}

/**
 * Adds a column unless it is there already. MySQL commits each DDL statement at once, so a migration that
 * failed half-way must be able to run again over what it already did.
 */
export async function addColumnIfMissing(knex: Knex, table: string, column: string, build: (t: Knex.AlterTableBuilder) => void): Promise<boolean> {
  if (await hasColumn(knex, table, column)) return false;
  await knex.schema.alterTable(table, build);
  return true;
}

/**
 * Drops a column if it is there, as a plain ALTER TABLE … DROP COLUMN on both clients (SQLite ≥ 3.35):
 * knex's own dropColumn rebuilds a SQLite table and would lose its CHECK constraints and triggers.
 */
export async function dropColumnIfPresent(knex: Knex, table: string, column: string): Promise<boolean> {
  if (!(await hasColumn(knex, table, column))) return false;
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
  return true;
}

/** Integer fen; UNSIGNED on MySQL so even a hand-written UPDATE cannot store a negative amount. */
export function fenColumn(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, name: string): Knex.ColumnBuilder {
  return t.integer(name).unsigned();
}

/** Adds a named CHECK constraint on MySQL/MariaDB; SQLite cannot add one to an existing table. */
export async function addCheckIfMissing(knex: Knex, ctx: MigrationContext, table: string, name: string, condition: string): Promise<void> {
  if (ctx.client !== 'mysql2') return;
  if (await hasConstraint(knex, table, name)) return;
  await knex.raw(`ALTER TABLE ?? ADD CONSTRAINT ?? CHECK (${condition})`, [table, name]);
}

// ---- Guards: what is already there. MySQL and MariaDB have no IF NOT EXISTS for every form (ADD UNIQUE,
// ADD CONSTRAINT … FOREIGN KEY, CREATE TRIGGER before MySQL 8.0.29), so the guards ask the catalog:
// information_schema on MySQL, sqlite_master on SQLite.

/** The columns of the named index (a UNIQUE constraint is one too), in index order; null when there is none. */
export async function indexColumns(knex: Knex, table: string, name: string): Promise<string[] | null> {
  if (clientOf(knex) === 'mysql2') {
    const [rows] = (await knex.raw(
      'SELECT COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX',
      [table, name],
    )) as [Array<{ col: string }>];
    return rows.length > 0 ? rows.map((r) => r.col) : null;
  }
  const found = (await knex.raw("SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?", [table, name])) as unknown[];
  if (found.length === 0) return null;
  const rows = (await knex.raw('SELECT name AS col FROM pragma_index_info(?) ORDER BY seqno', [name])) as Array<{ col: string }>;
  return rows.map((r) => r.col);
}

export async function hasIndex(knex: Knex, table: string, name: string): Promise<boolean> {
  return (await indexColumns(knex, table, name)) !== null;
}

/** A named constraint (CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY) on MySQL; SQLite has no named-constraint catalog. */
export async function hasConstraint(knex: Knex, table: string, name: string): Promise<boolean> {
  if (clientOf(knex) !== 'mysql2') throw new Error('hasConstraint: SQLite keeps constraints inside the CREATE TABLE text; test sqlite_master instead');
  const [rows] = (await knex.raw(
    'SELECT COUNT(*) AS n FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?',
    [table, name],
  )) as [Array<{ n: number | string }>];
  return Number(rows[0]?.n ?? 0) > 0;
}

export async function hasTrigger(knex: Knex, name: string): Promise<boolean> {
  if (clientOf(knex) === 'mysql2') {
    const [rows] = (await knex.raw('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = ?', [name])) as [
      Array<{ n: number | string }>,
    ];
    return Number(rows[0]?.n ?? 0) > 0;
  }
  const rows = (await knex.raw("SELECT 1 AS x FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name])) as unknown[];
  return rows.length > 0;
}

/**
 * Creates a named index (or UNIQUE index) unless it is there. One there with other columns is an error,
 * not something to skip: it means the database is not what the migrations made.
 */
export async function createIndexIfMissing(knex: Knex, table: string, name: string, columns: string[], options: { unique?: boolean } = {}): Promise<boolean> {
  const existing = await indexColumns(knex, table, name);
  if (existing) {
    if (existing.join(',') !== columns.join(',')) {
      throw new Error(`Index ${name} on ${table} is on (${existing.join(', ')}), the migration expects (${columns.join(', ')})`);
    }
    return false;
  }
  await knex.schema.alterTable(table, (t) => {
    if (options.unique) t.unique(columns, { indexName: name });
    else t.index(columns, name);
  });
  return true;
}

/** Drops a named index if it is there: ALTER TABLE … DROP INDEX on MySQL, DROP INDEX on SQLite (as knex's dropIndex). */
export async function dropIndexIfPresent(knex: Knex, table: string, name: string): Promise<boolean> {
  if (!(await hasIndex(knex, table, name))) return false;
  if (clientOf(knex) === 'mysql2') await knex.raw('ALTER TABLE ?? DROP INDEX ??', [table, name]);
  else await knex.raw('DROP INDEX ??', [name]);
  return true;
}

/**
 * Gives a named index these columns: kept when it has them, otherwise dropped (if there) and made again.
 * Re-runnable at every step, as the drop and the create are two statements MySQL commits one by one.
 */
export async function rebuildIndex(knex: Knex, table: string, name: string, columns: string[]): Promise<boolean> {
  const existing = await indexColumns(knex, table, name);
  if (existing && existing.join(',') === columns.join(',')) return false;
  await dropIndexIfPresent(knex, table, name);
  await createIndexIfMissing(knex, table, name, columns);
  return true;
}

/**
 * knex.schema.createTable, statement by statement, each skipped when what it makes is there already. knex
 * makes a MySQL table in several statements (CREATE TABLE, then one ALTER TABLE per foreign key and per
 * index), each committed at once: a run that stopped after the first must still get the indexes on the
 * next run, which a plain "if the table exists, skip" would miss. The statements are knex's own, so a
 * table made here is exactly the one createTable makes. A statement whose effect cannot be checked is an
 * error, never run blind.
 */
export async function createTableIfMissing(knex: Knex, table: string, build: (t: Knex.CreateTableBuilder) => void): Promise<boolean> {
  const statements = knex.schema.createTable(table, build).toSQL() as Array<{ sql: string; bindings?: readonly Knex.Value[] }>;
  let created = false;
  for (const statement of statements) {
    if (await alreadyMade(knex, table, statement.sql)) continue;
    await knex.raw(statement.sql, statement.bindings ?? []);
    created = true;
  }
  return created;
}

async function alreadyMade(knex: Knex, table: string, sql: string): Promise<boolean> {
  if (/^create table /i.test(sql)) return knex.schema.hasTable(table);
  const index = /^(?:alter table `[^`]+` add (?:unique|index) |create (?:unique )?index )`([^`]+)`/i.exec(sql);
  if (index) return hasIndex(knex, table, index[1]!);
  const foreign = /^alter table `[^`]+` add constraint `([^`]+)` foreign key/i.exec(sql);
  if (foreign) return hasConstraint(knex, table, foreign[1]!);
  throw new Error(`createTableIfMissing cannot tell whether this statement already ran: ${sql}`);
}

// Column and table conventions shared by the migrations, so every table looks the same on both clients.
import type { Knex } from 'knex';
import type { MigrationContext } from './migrations.js';
import type { HostKeyType } from '../host/keyTypes.js';

/** UTC timestamp with milliseconds; TEXT on SQLite (see db/time.ts). */
export function timestamp(t: Knex.CreateTableBuilder, ctx: MigrationContext, name: string): Knex.ColumnBuilder {
  return t.specificType(name, ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT');
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

/** Makes a table append-only in the database itself: updates and deletes are refused by triggers. */
export async function makeAppendOnly(knex: Knex, ctx: MigrationContext, table: string): Promise<void> {
  for (const op of ['UPDATE', 'DELETE']) {
    const name = `${table}_no_${op.toLowerCase()}`;
    if (ctx.client === 'mysql2') {
      await knex.raw(
        `CREATE TRIGGER \`${name}\` BEFORE ${op} ON \`${table}\` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${table} is append-only'`,
      );
    } else {
      await knex.raw(`CREATE TRIGGER "${name}" BEFORE ${op} ON "${table}" BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END`);
    }
  }
}

export async function dropAppendOnly(knex: Knex, ctx: MigrationContext, table: string): Promise<void> {
  for (const op of ['update', 'delete']) {
    const q = ctx.client === 'mysql2' ? '`' : '"';
    await knex.raw(`DROP TRIGGER IF EXISTS ${q}${table}_no_${op}${q}`);
  }
}

/** A migration's own identifier quoting, through knex (never by hand): `name` on MySQL, "name" on SQLite. */
export function quoteId(knex: Knex, name: string): string {
  return knex.raw('??', [name]).toQuery();
}

/**
 * Adds a column unless it is there already. MySQL commits each DDL statement at once, so a migration that
 * failed half-way must be able to run again over what it already did.
 */
export async function addColumnIfMissing(knex: Knex, table: string, column: string, build: (t: Knex.AlterTableBuilder) => void): Promise<boolean> {
  if (await knex.schema.hasColumn(table, column)) return false;
  await knex.schema.alterTable(table, build);
  return true;
}

/**
 * Drops a column if it is there, as a plain ALTER TABLE … DROP COLUMN on both clients (SQLite ≥ 3.35):
 * knex's own dropColumn rebuilds a SQLite table and would lose its CHECK constraints and triggers.
 */
export async function dropColumnIfPresent(knex: Knex, table: string, column: string): Promise<boolean> {
  if (!(await knex.schema.hasColumn(table, column))) return false;
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
  const [rows] = (await knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?', [
    table,
    name,
  ])) as [Array<{ n: number }>];
  if (Number(rows[0]?.n ?? 0) > 0) return;
  await knex.raw(`ALTER TABLE ?? ADD CONSTRAINT ?? CHECK (${condition})`, [table, name]);
}

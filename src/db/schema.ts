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

// Runs the plugin's own migrations (top-level migrations/) with their own migrations table, so
// install/upgrade never touch the host's knex_migrations nor any host table. Migration names are stored
// without extension so the same history serves the TypeScript sources and the compiled build.
import type { Knex } from 'knex';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { clientOf, type DbClient } from './connection.js';
import { tableNames, type TableNames } from './tables.js';
import type { HostKeyTypes } from '../host/keyTypes.js';

export interface MigrationContext {
  prefix: string;
  tables: TableNames;
  client: DbClient;
  hostKeys: HostKeyTypes;
}

export interface PluginMigration {
  up(knex: Knex, ctx: MigrationContext): Promise<void>;
  down(knex: Knex, ctx: MigrationContext): Promise<void>;
}

/** migrations/ sits two levels above this file both in src/db and in dist/src/db. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const MIGRATION_FILE = /^(\d{14}_[a-z0-9_]+)\.(ts|js)$/;

class PluginMigrationSource implements Knex.MigrationSource<{ name: string; file: string }> {
  constructor(
    private readonly ctx: MigrationContext,
    private readonly dir: string,
  ) {}

  async getMigrations() {
    const byName = new Map<string, string>();
    for (const file of readdirSync(this.dir).sort()) {
      const m = MIGRATION_FILE.exec(file);
      if (m && !file.endsWith('.d.ts')) byName.set(m[1]!, file);
    }
    return [...byName.entries()].map(([name, file]) => ({ name, file }));
  }

  getMigrationName(migration: { name: string }) {
    return migration.name;
  }

  async getMigration(migration: { file: string }): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(join(this.dir, migration.file)).href)) as PluginMigration;
    return {
      up: (knex: Knex) => mod.up(knex, this.ctx),
      down: (knex: Knex) => mod.down(knex, this.ctx),
    };
  }
}

/** `dir` is for tests only (the migrations as they stood before a rewrite, test/fixtures/migrations-before). */
export function migratorConfig(db: Knex, prefix: string, hostKeys: HostKeyTypes, dir: string = MIGRATIONS_DIR): Knex.MigratorConfig {
  const tables = tableNames(prefix);
  return {
    tableName: tables.migrations,
    migrationSource: new PluginMigrationSource({ prefix, tables, client: clientOf(db), hostKeys }, dir),
  };
}

export async function migrateLatest(db: Knex, prefix: string, hostKeys: HostKeyTypes): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig(db, prefix, hostKeys))) as [number, string[]];
  return applied;
}

export async function migrationStatus(db: Knex, prefix: string, hostKeys: HostKeyTypes): Promise<{ applied: string[]; pending: string[] }> {
  const [completed, pending] = (await db.migrate.list(migratorConfig(db, prefix, hostKeys))) as [Array<{ name: string }>, Array<{ name: string }>];
  return { applied: completed.map((m) => m.name), pending: pending.map((m) => m.name) };
}

export async function rollbackAll(db: Knex, prefix: string, hostKeys: HostKeyTypes): Promise<void> {
  await db.migrate.rollback(migratorConfig(db, prefix, hostKeys), true);
}

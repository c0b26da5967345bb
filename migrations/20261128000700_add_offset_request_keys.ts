// An offset request may carry an idempotency key, as the intake form does: the same person sending the
// same key again gets the offset the first submit made (same content) or a refusal (other content),
// never a second request. UNIQUE (requested_by, request_key) makes the database refuse the duplicate
// that two simultaneous submits would otherwise create; rows without a key (NULL) are not constrained.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsets } = ctx.tables;
  await knex.schema.alterTable(offsets, (t) => {
    // Keys compare byte for byte (utf8mb4_bin): a case-insensitive collation would merge two submits.
    t.specificType('request_key', ctx.client === 'mysql2' ? 'VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT').nullable();
    t.string('request_hash', 64).nullable();
  });
  await knex.schema.alterTable(offsets, (t) => {
    t.unique(['requested_by', 'request_key'], { indexName: `${offsets}_request_key_uq` });
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  // Plain ALTER TABLE … DROP COLUMN on both clients (SQLite ≥ 3.35): knex would rebuild the SQLite table.
  const { offsets } = ctx.tables;
  const q = ctx.client === 'mysql2' ? '`' : '"';
  if (ctx.client === 'mysql2') await knex.raw(`ALTER TABLE ${q}${offsets}${q} DROP INDEX ${q}${offsets}_request_key_uq${q}`);
  else await knex.raw(`DROP INDEX IF EXISTS ${q}${offsets}_request_key_uq${q}`);
  for (const column of ['request_hash', 'request_key']) await knex.raw(`ALTER TABLE ${q}${offsets}${q} DROP COLUMN ${q}${column}${q}`);
}

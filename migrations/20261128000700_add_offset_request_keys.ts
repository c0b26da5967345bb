// An offset request may carry an idempotency key, as the intake form does: the same person sending the
// same key again gets the offset the first submit made (same content) or a refusal (other content),
// never a second request. UNIQUE (requested_by, request_key) makes the database refuse the duplicate
// that two simultaneous submits would otherwise create; rows without a key (NULL) are not constrained.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, createIndexIfMissing, dropColumnIfPresent, dropIndexIfPresent, keyColumn } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsets } = ctx.tables;
  // Guarded step by step (MySQL commits each ALTER at once), so a run that stopped half-way can run again.
  // Keys compare byte for byte (keyColumn): a case-insensitive collation would merge two submits.
  await addColumnIfMissing(knex, offsets, 'request_key', (t) => keyColumn(t, ctx, 'request_key', 100).nullable());
  await addColumnIfMissing(knex, offsets, 'request_hash', (t) => t.string('request_hash', 64).nullable());
  await createIndexIfMissing(knex, offsets, `${offsets}_request_key_uq`, ['requested_by', 'request_key'], { unique: true });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsets } = ctx.tables;
  await dropIndexIfPresent(knex, offsets, `${offsets}_request_key_uq`);
  await dropColumnIfPresent(knex, offsets, 'request_hash');
  await dropColumnIfPresent(knex, offsets, 'request_key');
}

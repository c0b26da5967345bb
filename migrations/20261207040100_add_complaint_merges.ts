// Merging a duplicate complaint into a survivor (合并): the duplicate closes in state `merged` and points
// to its survivor (merged_into_id), so its owner is followed up through the survivor and the report can
// tell merged duplicates apart. Guarded: a run that stopped anywhere can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, createIndexIfMissing, dropColumnIfPresent, dropIndexIfPresent } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const c = ctx.tables.complaints;
  await addColumnIfMissing(knex, c, 'merged_into_id', (t) => t.integer('merged_into_id').unsigned().nullable());
  await createIndexIfMissing(knex, c, `${c}_merged_into_idx`, ['merged_into_id']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const c = ctx.tables.complaints;
  await dropIndexIfPresent(knex, c, `${c}_merged_into_idx`);
  await dropColumnIfPresent(knex, c, 'merged_into_id');
}

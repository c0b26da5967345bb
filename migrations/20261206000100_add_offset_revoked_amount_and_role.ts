// Two columns the money-integrity rules need on an offset:
// - revoked_fen: the part of an approval withdrawn before it was used (a revoked remainder, or everything
//   left when its complaint was cancelled). A revoked offset keeps remaining_fen = 0, so for every offset
//   approved = applied − reversed + remaining + revoked. Offsets revoked before this migration were revoked
//   whole and unused: their remaining amount moves to revoked_fen.
// - decided_role: the role whose approval limit the approver used, so a limit bounds what one role
//   approves on one complaint in total (cmp_offset_approval_totals). NULL for decisions made before.
// Guarded step by step: MySQL commits each ALTER at once, so a failed run can simply run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addCheckIfMissing, addColumnIfMissing, dropColumnIfPresent, fenColumn } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsets } = ctx.tables;
  await addColumnIfMissing(knex, offsets, 'revoked_fen', (t) => fenColumn(t, 'revoked_fen').notNullable().defaultTo(0));
  await addColumnIfMissing(knex, offsets, 'decided_role', (t) => t.string('decided_role', 40).nullable());
  // Idempotent: a second run finds no revoked offset with anything remaining.
  await knex(offsets)
    .where({ status: 'revoked' })
    .where('remaining_fen', '>', 0)
    .update({ revoked_fen: knex.raw('??', ['remaining_fen']), remaining_fen: 0 });
  await addCheckIfMissing(knex, ctx, offsets, `${offsets}_revoked_chk`, 'remaining_fen + revoked_fen <= COALESCE(approved_fen, 0)');
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsets } = ctx.tables;
  if (ctx.client === 'mysql2') await knex.raw('ALTER TABLE ?? DROP CONSTRAINT IF EXISTS ??', [offsets, `${offsets}_revoked_chk`]);
  // A revoked offset's withdrawn amount goes back to remaining, as revocations were stored before.
  await knex(offsets)
    .where('revoked_fen', '>', 0)
    .update({ remaining_fen: knex.raw('?? + ??', ['remaining_fen', 'revoked_fen']) });
  await dropColumnIfPresent(knex, offsets, 'decided_role');
  await dropColumnIfPresent(knex, offsets, 'revoked_fen');
}

// Referrals from the government service hotline 12345 (12345 转办): the hotline's own work-order number
// and the reply deadline it set, kept apart from our own promise (reply_due_at) because the company is
// scored on the hotline's. Complaints of channel hotline_12345 carry both; others leave them NULL.
// Guarded: a run that stopped anywhere can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, createIndexIfMissing, dropColumnIfPresent, dropIndexIfPresent, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const c = ctx.tables.complaints;
  await addColumnIfMissing(knex, c, 'external_ref', (t) => t.string('external_ref', 64).nullable());
  await addColumnIfMissing(knex, c, 'hotline_due_at', (t) => timestamp(t as never, ctx, 'hotline_due_at').nullable());
  await createIndexIfMissing(knex, c, `${c}_external_ref_idx`, ['external_ref']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const c = ctx.tables.complaints;
  await dropIndexIfPresent(knex, c, `${c}_external_ref_idx`);
  await dropColumnIfPresent(knex, c, 'hotline_due_at');
  await dropColumnIfPresent(knex, c, 'external_ref');
}

// Who may read a note on the timeline: `owner_visible` (the owner's status page may show it) or
// `internal` (staff only). Set on every event that carries a note; notes default to internal. Events
// written before this column keep NULL, which reads as internal: nothing written for staff alone is
// shown to an owner after the fact. One guarded ADD COLUMN (the events table stays append-only: the
// value is written with the event and never updated).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, dropColumnIfPresent } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await addColumnIfMissing(knex, ctx.tables.events, 'visibility', (t) => t.string('visibility', 16).nullable());
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropColumnIfPresent(knex, ctx.tables.events, 'visibility');
}

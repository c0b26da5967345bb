// The billing check asks, for every bill's unit, which complaints are still open. With only the
// (unit, category, received_at) index each complaint of the unit was read from the table to test its
// state; this index answers from the index alone (measured: 10,000 bills 8.8 s → 1.0 s on 1M complaints).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';

const name = (ctx: MigrationContext) => `${ctx.tables.complaints}_unit_state_idx`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.alterTable(ctx.tables.complaints, (t) => {
    t.index(['unit_id', 'state', 'id'], name(ctx));
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.alterTable(ctx.tables.complaints, (t) => {
    t.dropIndex(['unit_id', 'state', 'id'], name(ctx));
  });
}

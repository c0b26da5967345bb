// The improvement register (总结改进): what the company decided to change after a report figure (a
// category, a unit, a building, a community), who does it, by when, and its status. Its effect is
// measured from the complaints themselves (src/reports/improvements.ts), so nothing else is stored.
// Guarded: a run that stopped anywhere can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = `${ctx.prefix}improvement_actions`;
  await createTableIfMissing(knex, table, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('version').unsigned().notNullable();
    t.string('scope_kind', 16).notNullable();
    t.string('scope_value', 100).notNullable();
    // The community the scope lies in (null: company-wide category), for scoping who sees it.
    t.string('community_id', 64).nullable();
    t.text('what').notNullable();
    t.string('owner_name', 100).notNullable();
    t.specificType('due_on', ctx.client === 'mysql2' ? 'DATE' : 'TEXT').notNullable();
    // The day the change took effect: the effect compares the N days before it with the N days after.
    t.specificType('taken_on', ctx.client === 'mysql2' ? 'DATE' : 'TEXT').notNullable();
    t.string('status', 16).notNullable();
    timestamp(t, ctx, 'created_at').notNullable();
    t.string('created_by', 64).notNullable();
    t.string('created_by_name', 100).notNullable();
    timestamp(t, ctx, 'updated_at').notNullable();
    t.index(['scope_kind', 'scope_value'], `${table}_scope_idx`);
    t.check("scope_kind IN ('category', 'unit', 'building', 'community')", {}, `${table}_scope_chk`);
    t.check("status IN ('planned', 'in_progress', 'done', 'dropped')", {}, `${table}_status_chk`);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(`${ctx.prefix}improvement_actions`);
}

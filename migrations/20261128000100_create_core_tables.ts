// Core tables: plugin metadata, administrator settings, and the append-only audit trail.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, dropAppendOnly, makeAppendOnly, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables } = ctx;
  await createTableIfMissing(knex, tables.meta, (t) => {
    tableDefaults(t, ctx);
    t.string('key', 64).primary();
    t.text('value').notNullable();
  });
  await createTableIfMissing(knex, tables.settings, (t) => {
    tableDefaults(t, ctx);
    t.string('key', 64).primary();
    t.text('value').notNullable();
    timestamp(t, ctx, 'updated_at').notNullable();
    t.string('updated_by', 64).notNullable();
  });
  await createTableIfMissing(knex, tables.events, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.string('entity_type', 20).notNullable();
    t.integer('entity_id').unsigned().notNullable();
    t.integer('complaint_id').unsigned().nullable();
    t.string('action', 40).notNullable();
    t.string('from_state', 30).nullable();
    t.string('to_state', 30).nullable();
    t.string('actor_id', 64).notNullable();
    t.string('actor_name', 100).notNullable();
    timestamp(t, ctx, 'at').notNullable();
    t.text('changes').nullable();
    t.text('note').nullable();
    t.index(['entity_type', 'entity_id', 'id'], `${tables.events}_entity_idx`);
    t.index(['complaint_id', 'id'], `${tables.events}_complaint_idx`);
  });
  await makeAppendOnly(knex, ctx, tables.events);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropAppendOnly(knex, ctx, ctx.tables.events);
  await knex.schema.dropTableIfExists(ctx.tables.events);
  await knex.schema.dropTableIfExists(ctx.tables.settings);
  await knex.schema.dropTableIfExists(ctx.tables.meta);
}

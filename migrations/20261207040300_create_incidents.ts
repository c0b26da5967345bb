// Incidents (事件 / 群诉): one event (a lift outage, a flood) that many owners complain about. The incident
// groups the complaints (complaints.incident_id) so they are handled, replied to and closed together while
// each complaint keeps its own owner, follow-up visit and timeline; the report counts an incident once.
// Guarded: a run that stopped anywhere can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import {
  addColumnIfMissing,
  createIndexIfMissing,
  createTableIfMissing,
  dropColumnIfPresent,
  dropIndexIfPresent,
  tableDefaults,
  timestamp,
} from '../src/db/schema.js';

const incidents = (ctx: MigrationContext) => `${ctx.prefix}incidents`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = incidents(ctx);
  await createTableIfMissing(knex, table, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('version').unsigned().notNullable();
    t.string('state', 16).notNullable();
    (ctx.hostKeys.community ? t.specificType('community_id', ctx.hostKeys.community.sqlType) : t.string('community_id', 64)).nullable();
    t.string('title', 200).notNullable();
    t.text('description').nullable();
    timestamp(t, ctx, 'created_at').notNullable();
    t.string('created_by', 64).notNullable();
    t.string('created_by_name', 100).notNullable();
    timestamp(t, ctx, 'closed_at').nullable();
    t.index(['state', 'id'], `${table}_state_idx`);
    t.check("state IN ('open', 'closed')", {}, `${table}_state_chk`);
  });
  const c = ctx.tables.complaints;
  await addColumnIfMissing(knex, c, 'incident_id', (t) => t.integer('incident_id').unsigned().nullable());
  await createIndexIfMissing(knex, c, `${c}_incident_idx`, ['incident_id']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const c = ctx.tables.complaints;
  await dropIndexIfPresent(knex, c, `${c}_incident_idx`);
  await dropColumnIfPresent(knex, c, 'incident_id');
  await knex.schema.dropTableIfExists(incidents(ctx));
}

// The period report's summary table (src/reports/summaryStore.ts): one narrow row per complaint with
// what the report counts about it, kept up to date by the stores in the writing transaction, so the
// report reads one table by its period instead of seven joined scans of the complaints (issue 20: 57× a
// COUNT(*) over the month on 1M complaints). On MySQL the rows are clustered by (received_at,
// complaint_id), so a month is one contiguous range; one community's rows come through
// (community_id, received_at). Filled from the data so far by migration 20261209000000, which adds the
// last column the recount writes (per_row) and the monthly rollup. Guarded: a run that stopped anywhere
// can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createIndexIfMissing, createTableIfMissing, dropIndexIfPresent, hostId, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = ctx.tables.reportFacts;
  await createTableIfMissing(knex, table, (t) => {
    tableDefaults(t, ctx);
    t.integer('complaint_id').unsigned().notNullable();
    (ctx.hostKeys.community ? hostId(t, 'community_id', ctx.hostKeys.community) : t.string('community_id', 64)).nullable();
    hostId(t, 'unit_id', ctx.hostKeys.unit).nullable();
    timestamp(t, ctx, 'received_at').notNullable();
    t.tinyint('cancelled').unsigned().notNullable();
    // state = 'resolved': replied, the follow-up visit still to make.
    t.tinyint('awaiting_follow_up').unsigned().notNullable();
    t.string('category', 40).notNullable();
    t.string('severity', 16).nullable();
    t.string('dispute_type', 16).nullable();
    t.string('nature', 16).nullable();
    t.string('channel', 16).notNullable();
    t.string('department', 40).nullable();
    t.tinyint('is_repeat').unsigned().notNullable();
    for (const c of ['resolved_at', 'plan_deadline', 'reply_due_at', 'reply_due_effective_at', 'plan_due_effective_at']) timestamp(t, ctx, c).nullable();
    t.tinyint('paused').unsigned().notNullable();
    timestamp(t, ctx, 'follow_up_due_at').nullable();
    timestamp(t, ctx, 'hotline_due_at').nullable();
    t.integer('incident_id').unsigned().nullable();
    // Receipt → reply and receipt → first acknowledging event, in ms (exact: the percentiles need them).
    t.bigInteger('resolve_ms').nullable();
    t.bigInteger('ack_ms').nullable();
    for (const c of [
      'visits',
      'satisfied',
      'in_window',
      'continued',
      'requests',
      'approvals',
      'applications',
      'reversals',
      'ratings',
      'stars',
      'low_ratings',
      'rehandled',
    ]) {
      t.integer(c).unsigned().notNullable().defaultTo(0);
    }
    for (const c of ['requested_fen', 'approved_fen', 'applied_fen', 'reversed_fen']) t.bigInteger(c).unsigned().notNullable().defaultTo(0);
    t.primary(['received_at', 'complaint_id']);
    t.unique(['complaint_id'], { indexName: `${table}_complaint_uq` });
  });
  await createIndexIfMissing(knex, table, `${table}_community_idx`, ['community_id', 'received_at']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropIndexIfPresent(knex, ctx.tables.reportFacts, `${ctx.tables.reportFacts}_community_idx`);
  await knex.schema.dropTableIfExists(ctx.tables.reportFacts);
}

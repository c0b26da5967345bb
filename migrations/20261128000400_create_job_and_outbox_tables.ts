// Scheduled work and notifications. job_claims makes "one run per slot" a primary key the database
// enforces across every instance (no in-process flag, no GET_LOCK on a pooled connection); job_runs is
// the run history; outbox holds notifications written in the same transaction as the change they
// announce, until the host's webhook has acknowledged them.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables } = ctx;
  await createTableIfMissing(knex, tables.jobClaims, (t) => {
    tableDefaults(t, ctx);
    t.string('job', 40).notNullable();
    /** The scheduled time as UTC ISO ('2026-10-01T00:05:00Z'), or 'manual:…' for a run by hand. */
    t.string('slot', 64).notNullable();
    t.string('instance_id', 100).notNullable();
    timestamp(t, ctx, 'claimed_at').notNullable();
    t.primary(['job', 'slot']);
  });

  await createTableIfMissing(knex, tables.jobRuns, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.string('job', 40).notNullable();
    t.string('slot', 64).notNullable();
    t.string('instance_id', 100).notNullable();
    timestamp(t, ctx, 'started_at').notNullable();
    timestamp(t, ctx, 'finished_at').nullable();
    /** running → ok | failed; a run left 'running' means its process died. */
    t.string('outcome', 10).notNullable();
    /** JSON object of counts the job reports (e.g. {"escalated": 2}). */
    t.text('counts').nullable();
    t.text('error').nullable();
    t.unique(['job', 'slot'], { indexName: `${tables.jobRuns}_slot_uq` });
    t.index(['job', 'started_at'], `${tables.jobRuns}_job_idx`);
    t.check("outcome IN ('running', 'ok', 'failed')", {}, `${tables.jobRuns}_outcome_chk`);
  });

  await createTableIfMissing(knex, tables.outbox, (t) => {
    tableDefaults(t, ctx);
    t.bigIncrements('id').primary();
    t.string('topic', 40).notNullable();
    t.text('payload').notNullable();
    /** Set when the same notice must never be sent twice (e.g. one overdue notice per deadline). */
    t.string('dedupe_key', 191).nullable();
    timestamp(t, ctx, 'created_at').notNullable();
    /** Not to be sent before this: now at first, later the retry time or the end of a delivery lease. */
    timestamp(t, ctx, 'available_at').notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    t.text('last_error').nullable();
    /** The deliverer holding the row; its updates are conditional on this token. */
    t.string('claim_token', 36).nullable();
    timestamp(t, ctx, 'delivered_at').nullable();
    t.unique(['dedupe_key'], { indexName: `${tables.outbox}_dedupe_uq` });
    t.index(['delivered_at', 'available_at', 'id'], `${tables.outbox}_pending_idx`);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.outbox);
  await knex.schema.dropTableIfExists(ctx.tables.jobRuns);
  await knex.schema.dropTableIfExists(ctx.tables.jobClaims);
}

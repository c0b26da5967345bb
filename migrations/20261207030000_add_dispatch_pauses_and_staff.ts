// Dispatch, deadline policies and pauses (issue 18).
// - complaints: the current pause (paused_at, pause_reason, pause_party), the calendar time paused so far
//   (paused_ms), the clock its deadlines count on (deadline_clock), the instant escalation age counts from (escalation_from = original_received_at plus every
//   closed pause), the promise and the plan deadline as moved by pauses (reply_due_effective_at,
//   plan_due_effective_at; NULL means not moved), and when the handler accepted the job (accepted_at).
//   The promise itself (reply_due_at) and the plan's deadline (plan_deadline) are never rewritten.
// - complaint_pauses: one row per pause, with its reason, the third party waited on, who paused and
//   resumed it, and the service time and calendar time it stopped the clock for.
// - staff_seen: people the auth adapter has seen sign in (the staff directory without a host staff table).
// Every step is guarded; the UPDATE that fills escalation_from writes the same values each run.
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

const TIME_COLUMNS = ['paused_at', 'escalation_from', 'reply_due_effective_at', 'plan_due_effective_at', 'accepted_at'];
const escalationIndex = (ctx: MigrationContext) => `${ctx.tables.complaints}_escalation_from_idx`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, complaintPauses, staffSeen } = ctx.tables;
  const timeType = ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT';
  for (const column of TIME_COLUMNS) await addColumnIfMissing(knex, complaints, column, (t) => t.specificType(column, timeType).nullable());
  await addColumnIfMissing(knex, complaints, 'pause_reason', (t) => t.string('pause_reason', 500).nullable());
  await addColumnIfMissing(knex, complaints, 'pause_party', (t) => t.string('pause_party', 20).nullable());
  // The clock its deadlines were counted on ('working' or 'calendar', from its deadline policy); NULL: the service calendar's mode.
  await addColumnIfMissing(knex, complaints, 'deadline_clock', (t) => t.string('deadline_clock', 10).nullable());
  await addColumnIfMissing(knex, complaints, 'paused_ms', (t) => t.bigInteger('paused_ms').unsigned().notNullable().defaultTo(0));
  await knex(complaints)
    .whereNull('escalation_from')
    .update({ escalation_from: knex.ref('original_received_at') });
  await createIndexIfMissing(knex, complaints, escalationIndex(ctx), ['state', 'severity', 'escalation_from']);

  await createTableIfMissing(knex, complaintPauses, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('complaint_id').unsigned().notNullable();
    timestamp(t, ctx, 'started_at').notNullable();
    timestamp(t, ctx, 'ended_at').nullable();
    t.string('reason', 500).notNullable();
    t.string('party', 20).notNullable();
    t.string('started_by', 64).notNullable();
    t.string('started_by_name', 100).notNullable();
    t.string('ended_by', 64).nullable();
    t.string('ended_by_name', 100).nullable();
    // What the pause stopped: service time (working hours when the calendar counts them) and plain time.
    t.bigInteger('service_ms').unsigned().nullable();
    t.bigInteger('calendar_ms').unsigned().nullable();
    t.index(['complaint_id', 'started_at'], `${complaintPauses}_complaint_idx`);
  });

  await createTableIfMissing(knex, staffSeen, (t) => {
    tableDefaults(t, ctx);
    t.string('actor_id', 64).notNullable().primary();
    t.string('name', 100).notNullable();
    t.string('roles', 1000).notNullable();
    // JSON list of community ids, or NULL for all communities.
    t.text('community_ids').nullable();
    timestamp(t, ctx, 'first_seen_at').notNullable();
    timestamp(t, ctx, 'last_seen_at').notNullable();
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, complaintPauses, staffSeen } = ctx.tables;
  await knex.schema.dropTableIfExists(staffSeen);
  await knex.schema.dropTableIfExists(complaintPauses);
  await dropIndexIfPresent(knex, complaints, escalationIndex(ctx));
  for (const column of [...TIME_COLUMNS, 'pause_reason', 'pause_party', 'deadline_clock', 'paused_ms']) await dropColumnIfPresent(knex, complaints, column);
}

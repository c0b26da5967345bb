// Complaint records, their per-day code counter and their follow-up visits. Host ids are typed like the
// host keys; indexes follow the list filters and sorts so pages stay fast on a million complaints.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, hostId, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables } = ctx;
  const c = tables.complaints;

  // One row per local calendar day; last_seq is bumped under the row lock by each intake.
  await createTableIfMissing(knex, tables.complaintCodes, (t) => {
    tableDefaults(t, ctx);
    t.string('day', 8).primary();
    t.integer('last_seq').unsigned().notNullable();
  });

  await createTableIfMissing(knex, c, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.string('code', 32).notNullable().unique(`${c}_code_uq`);
    t.integer('version').unsigned().notNullable();
    t.string('state', 24).notNullable();

    hostId(t, 'unit_id', ctx.hostKeys.unit).notNullable();
    t.string('unit_label', 100).notNullable();
    hostId(t, 'owner_id', ctx.hostKeys.owner).nullable();
    t.string('owner_name', 100).nullable();
    // Without a mapped community the column only ever holds NULL; a string keeps its type neutral.
    (ctx.hostKeys.community ? hostId(t, 'community_id', ctx.hostKeys.community) : t.string('community_id', 64)).nullable();

    t.string('complainant_name', 50).notNullable();
    t.string('complainant_phone', 20).notNullable();
    t.string('complainant_relation', 16).notNullable();
    t.string('channel', 16).notNullable();
    t.string('category', 40).notNullable();
    t.text('description').notNullable();
    t.string('expectation', 500).nullable();
    t.boolean('threatened_withholding').notNullable();
    timestamp(t, ctx, 'received_at').notNullable();
    t.string('received_by', 64).notNullable();
    t.string('received_by_name', 100).notNullable();

    t.string('dispute_type', 16).nullable();
    t.string('third_party', 16).nullable();
    t.boolean('responsibility_explained').nullable();
    t.string('nature', 16).nullable();
    t.string('severity', 16).nullable();
    t.text('findings').nullable();

    t.string('department', 40).nullable();
    t.string('assignee_id', 64).nullable();
    t.string('assignee_name', 100).nullable();
    t.text('plan_measures').nullable();
    timestamp(t, ctx, 'plan_deadline').nullable();

    t.text('resolution_reply').nullable();
    t.string('resolution_basis', 1000).nullable();
    timestamp(t, ctx, 'resolved_at').nullable();
    t.string('resolved_by', 64).nullable();
    timestamp(t, ctx, 'follow_up_due_at').nullable();
    timestamp(t, ctx, 'closed_at').nullable();
    t.string('cancel_kind', 24).nullable();
    t.string('cancel_reason', 500).nullable();
    timestamp(t, ctx, 'cancelled_at').nullable();

    t.integer('parent_id').unsigned().nullable().references('id').inTable(c);
    t.integer('repeat_of_id').unsigned().nullable().references('id').inTable(c);
    timestamp(t, ctx, 'escalated_at').nullable();
    t.string('escalation_reason', 500).nullable();
    timestamp(t, ctx, 'original_received_at').notNullable();
    // The current stage's deadline, kept on every change so "overdue" is one indexed range.
    timestamp(t, ctx, 'due_at').nullable();

    t.string('idempotency_key', 100).nullable();
    t.string('idempotency_hash', 64).nullable();
    timestamp(t, ctx, 'created_at').notNullable();
    t.string('created_by', 64).notNullable();
    timestamp(t, ctx, 'updated_at').notNullable();
    t.string('updated_by', 64).notNullable();
    t.string('updated_by_name', 100).notNullable();

    // A double-submitted form from the same person makes one complaint (NULL keys never collide).
    t.unique(['created_by', 'idempotency_key'], { indexName: `${c}_idem_uq` });
    t.index(['community_id', 'state', 'received_at', 'id'], `${c}_community_state_idx`);
    t.index(['unit_id', 'category', 'received_at'], `${c}_unit_category_idx`);
    t.index(['state', 'severity', 'original_received_at'], `${c}_state_severity_idx`);
    t.index(['received_at', 'id'], `${c}_received_idx`);
    t.index(['due_at', 'id'], `${c}_due_idx`);
    t.index(['assignee_id', 'state'], `${c}_assignee_idx`);
    t.index(['owner_id', 'received_at'], `${c}_owner_idx`);
    t.index(['complainant_phone'], `${c}_phone_idx`);
    t.index(['parent_id'], `${c}_parent_idx`);
    t.index(['repeat_of_id'], `${c}_repeat_idx`);
  });

  await createTableIfMissing(knex, tables.followUps, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('complaint_id').unsigned().notNullable().references('id').inTable(c);
    t.string('method', 16).notNullable();
    t.string('visitor_id', 64).notNullable();
    t.string('visitor_name', 100).notNullable();
    timestamp(t, ctx, 'visited_at').notNullable();
    t.boolean('satisfied').notNullable();
    t.text('complainant_words').nullable();
    // What the owner rates themselves, never mixed with staff's record of the visit.
    t.tinyint('owner_rating').unsigned().nullable();
    t.string('note', 1000).nullable();
    t.integer('continuation_id').unsigned().nullable().references('id').inTable(c);
    timestamp(t, ctx, 'created_at').notNullable();
    t.index(['complaint_id', 'id'], `${tables.followUps}_complaint_idx`);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.followUps);
  await knex.schema.dropTableIfExists(ctx.tables.complaints);
  await knex.schema.dropTableIfExists(ctx.tables.complaintCodes);
}

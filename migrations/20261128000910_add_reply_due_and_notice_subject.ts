// Two columns the service calendar and the outbox housekeeping need.
// - complaints.reply_due_at: the reply promise made at receipt, counted in service time (working hours
//   when the calendar says so), which the received_at + replyPromiseHours of plain SQL cannot compute.
//   The report judges "replied on time" by it. Complaints registered before this migration keep NULL and
//   are judged as before (received_at + replyPromiseHours, the rule their due_at was made with). The
//   report index of 20261128000800 is rebuilt with the column at its end, so the report is still answered
//   from the index alone (15 columns; MySQL allows 16).
// - outbox.complaint_id: the complaint a notice is about, copied from its payload. The purge job keeps a
//   delivered notice with a dedupe key while its complaint is open, because the jobs read those keys to
//   know a deadline notice was already sent; existing keyed rows are filled from their payloads.
// Four DDL statements and an UPDATE: MySQL commits each DDL statement at once, so every step is guarded
// and the UPDATE writes the same values each time; a run that stopped anywhere can simply run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, dropColumnIfPresent, rebuildIndex } from '../src/db/schema.js';

const REPORT_COLUMNS = [
  'received_at',
  'community_id',
  'state',
  'category',
  'severity',
  'dispute_type',
  'nature',
  'channel',
  'department',
  'repeat_of_id',
  'resolved_at',
  'plan_deadline',
  'follow_up_due_at',
  'unit_id',
];

const reportIndex = (ctx: MigrationContext) => `${ctx.tables.complaints}_report_idx`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, outbox } = ctx.tables;
  await addColumnIfMissing(knex, complaints, 'reply_due_at', (t) =>
    t.specificType('reply_due_at', ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT').nullable(),
  );
  await rebuildIndex(knex, complaints, reportIndex(ctx), [...REPORT_COLUMNS, 'reply_due_at']);

  await addColumnIfMissing(knex, outbox, 'complaint_id', (t) => t.integer('complaint_id').unsigned().nullable());
  // Only a whole number is copied (a CAST of anything else would fail a strict-mode UPDATE on MySQL).
  const fromPayload =
    ctx.client === 'mysql2'
      ? "CASE WHEN JSON_TYPE(JSON_EXTRACT(payload, '$.complaintId')) = 'INTEGER' THEN CAST(JSON_EXTRACT(payload, '$.complaintId') AS UNSIGNED) END"
      : "CASE WHEN json_type(payload, '$.complaintId') = 'integer' THEN json_extract(payload, '$.complaintId') END";
  await knex.raw(`UPDATE ?? SET ?? = ${fromPayload} WHERE ?? IS NOT NULL AND ?? LIKE '%"complaintId":%'`, [outbox, 'complaint_id', 'dedupe_key', 'payload']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, outbox } = ctx.tables;
  await dropColumnIfPresent(knex, outbox, 'complaint_id');
  await rebuildIndex(knex, complaints, reportIndex(ctx), REPORT_COLUMNS);
  await dropColumnIfPresent(knex, complaints, 'reply_due_at');
}

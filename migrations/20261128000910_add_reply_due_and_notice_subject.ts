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
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';

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
  await knex.schema.alterTable(complaints, (t) => {
    t.specificType('reply_due_at', ctx.client === 'mysql2' ? 'DATETIME(3)' : 'TEXT').nullable();
  });
  await knex.schema.alterTable(complaints, (t) => {
    t.dropIndex(REPORT_COLUMNS, reportIndex(ctx));
  });
  await knex.schema.alterTable(complaints, (t) => {
    t.index([...REPORT_COLUMNS, 'reply_due_at'], reportIndex(ctx));
  });

  await knex.schema.alterTable(outbox, (t) => {
    t.integer('complaint_id').unsigned().nullable();
  });
  const q = ctx.client === 'mysql2' ? '`' : '"';
  // Only a whole number is copied (a CAST of anything else would fail a strict-mode UPDATE on MySQL).
  const fromPayload =
    ctx.client === 'mysql2'
      ? "CASE WHEN JSON_TYPE(JSON_EXTRACT(payload, '$.complaintId')) = 'INTEGER' THEN CAST(JSON_EXTRACT(payload, '$.complaintId') AS UNSIGNED) END"
      : "CASE WHEN json_type(payload, '$.complaintId') = 'integer' THEN json_extract(payload, '$.complaintId') END";
  await knex.raw(`UPDATE ${q}${outbox}${q} SET complaint_id = ${fromPayload} WHERE dedupe_key IS NOT NULL AND payload LIKE '%"complaintId":%'`);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { complaints, outbox } = ctx.tables;
  const q = ctx.client === 'mysql2' ? '`' : '"';
  await knex.raw(`ALTER TABLE ${q}${outbox}${q} DROP COLUMN ${q}complaint_id${q}`);
  await knex.schema.alterTable(complaints, (t) => {
    t.dropIndex([...REPORT_COLUMNS, 'reply_due_at'], reportIndex(ctx));
  });
  await knex.schema.alterTable(complaints, (t) => {
    t.index(REPORT_COLUMNS, reportIndex(ctx));
  });
  await knex.raw(`ALTER TABLE ${q}${complaints}${q} DROP COLUMN ${q}reply_due_at${q}`);
}

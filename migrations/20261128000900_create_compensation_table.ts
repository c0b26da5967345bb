// Compensation (赔付): money paid to the owner by the company, an insurer (公众责任险) or a third party,
// separately from fees, recorded on the complaint it settles. It never touches a bill or an offset. The
// database refuses what must never be stored: an amount of zero, below zero or above the per-record
// ceiling (CHECK, UNSIGNED on MySQL), a payer or method outside the glossary, and the same form submitted
// twice by the same person (UNIQUE (recorded_by, request_key); rows without a key, NULL, never collide).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, keyColumn, tableDefaults, timestamp } from '../src/db/schema.js';

// The glossary as it stood when the table was made; a later value needs its own migration.
const PAYERS = ['company', 'insurer', 'third_party'];
const METHODS = ['transfer', 'cash', 'mobile', 'other'];
/** ¥1,000,000.00: the same ceiling as MAX_COMPENSATION_FEN in src/compensations/model.ts. */
const MAX_FEN = 100_000_000;

function inList(column: string, values: string[]): string {
  return `${column} IN (${values.map((v) => `'${v}'`).join(', ')})`;
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables } = ctx;
  const c = tables.compensations;
  await createTableIfMissing(knex, c, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('complaint_id').unsigned().notNullable().references('id').inTable(tables.complaints);
    t.string('payer', 16).notNullable();
    // Integer fen; UNSIGNED on MySQL so even a hand-written UPDATE cannot store a negative amount.
    t.integer('amount_fen').unsigned().notNullable();
    // The day the money was paid, a calendar date in the plugin's time zone.
    t.specificType('paid_on', ctx.client === 'mysql2' ? 'DATE' : 'TEXT').notNullable();
    t.string('method', 16).notNullable();
    // E.g. the insurer's claim number (理赔编号) or the bank transfer's reference.
    t.string('reference', 100).nullable();
    t.text('note').nullable();
    t.string('recorded_by', 64).notNullable();
    t.string('recorded_by_name', 100).notNullable();
    timestamp(t, ctx, 'recorded_at').notNullable();
    // The form's idempotency key compares byte for byte (utf8mb4_bin): a case-insensitive collation would
    // merge two submits. request_hash is what was asked for, so a key reused for other content is refused.
    keyColumn(t, ctx, 'request_key', 100).nullable();
    t.string('request_hash', 64).nullable();
    t.unique(['recorded_by', 'request_key'], { indexName: `${c}_request_key_uq` });
    t.index(['complaint_id', 'id'], `${c}_complaint_idx`);
    t.check(inList('payer', PAYERS), {}, `${c}_payer_chk`);
    t.check(inList('method', METHODS), {}, `${c}_method_chk`);
    t.check(`amount_fen > 0 AND amount_fen <= ${MAX_FEN}`, {}, `${c}_amount_chk`);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.compensations);
}

// Fee offsets (抵扣): the request and its approval, the optional limitation to specific host bills, and
// every application of an approved amount to a bill at fee collection. The database itself refuses what
// must never happen: a remaining amount below zero or above the approved one (CHECK, and UNSIGNED on
// MySQL), and the same host payment applied twice (UNIQUE idempotency key).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, hostId, keyColumn, tableDefaults, timestamp } from '../src/db/schema.js';

const OFFSET_STATUSES = ['requested', 'approved', 'rejected', 'revoked', 'expired', 'exhausted'];
const APPLICATION_STATES = ['applied', 'reversed'];

/** Integer fen; UNSIGNED on MySQL so even a hand-written UPDATE cannot store a negative amount. */
function fen(t: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return t.integer(name).unsigned();
}

function inList(column: string, values: string[]): string {
  return `${column} IN (${values.map((v) => `'${v}'`).join(', ')})`;
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables, hostKeys } = ctx;
  await createTableIfMissing(knex, tables.offsets, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('complaint_id').unsigned().notNullable().references('id').inTable(tables.complaints);
    hostId(t, 'unit_id', hostKeys.unit).notNullable();
    // The complaint's owner when the offset was requested; null when the unit had no owner on record.
    hostId(t, 'owner_id', hostKeys.owner).nullable();
    fen(t, 'requested_fen').notNullable();
    fen(t, 'approved_fen').nullable();
    fen(t, 'remaining_fen').notNullable().defaultTo(0);
    t.string('status', 16).notNullable();
    t.text('reason').notNullable();
    // A calendar date in the plugin's time zone, valid through that day.
    t.specificType('expires_on', ctx.client === 'mysql2' ? 'DATE' : 'TEXT').nullable();
    t.string('requested_by', 64).notNullable();
    t.string('requested_by_name', 100).notNullable();
    t.string('decided_by', 64).nullable();
    t.string('decided_by_name', 100).nullable();
    timestamp(t, ctx, 'decided_at').nullable();
    t.text('decision_note').nullable();
    t.string('revoked_by', 64).nullable();
    timestamp(t, ctx, 'revoked_at').nullable();
    t.text('revoke_note').nullable();
    t.integer('version').unsigned().notNullable().defaultTo(1);
    timestamp(t, ctx, 'created_at').notNullable();
    timestamp(t, ctx, 'updated_at').notNullable();
    t.index(['complaint_id'], `${tables.offsets}_complaint_idx`);
    t.index(['unit_id', 'status'], `${tables.offsets}_unit_idx`);
    t.index(['status', 'id'], `${tables.offsets}_status_idx`);
    t.check(inList('status', OFFSET_STATUSES), {}, `${tables.offsets}_status_chk`);
    t.check('requested_fen > 0', {}, `${tables.offsets}_requested_chk`);
    t.check('approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= requested_fen)', {}, `${tables.offsets}_approved_chk`);
    t.check('remaining_fen >= 0 AND remaining_fen <= COALESCE(approved_fen, 0)', {}, `${tables.offsets}_remaining_chk`);
  });

  // No rows: valid for any bill of the unit. Rows: only for these bills.
  await createTableIfMissing(knex, tables.offsetBills, (t) => {
    tableDefaults(t, ctx);
    t.integer('offset_id').unsigned().notNullable().references('id').inTable(tables.offsets);
    hostId(t, 'bill_id', hostKeys.bill).notNullable();
    t.primary(['offset_id', 'bill_id']);
    t.index(['bill_id'], `${tables.offsetBills}_bill_idx`);
  });

  // One row per host payment that used an offset. A reversal marks the row instead of deleting it, so
  // for every offset: approved = applied − reversed + remaining.
  await createTableIfMissing(knex, tables.offsetApplications, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('offset_id').unsigned().notNullable().references('id').inTable(tables.offsets);
    hostId(t, 'bill_id', hostKeys.bill).notNullable();
    fen(t, 'amount_fen').notNullable();
    // Compared byte for byte (keyColumn): a case-insensitive collation would merge two host payments.
    keyColumn(t, ctx, 'idempotency_key', 128).notNullable();
    t.string('params_hash', 64).notNullable();
    t.string('state', 10).notNullable();
    // The offset's remaining amount right after this application, so a replay answers exactly the same.
    fen(t, 'remaining_after_fen').notNullable();
    timestamp(t, ctx, 'applied_at').notNullable();
    t.string('applied_by', 64).notNullable();
    t.string('applied_by_name', 100).notNullable();
    keyColumn(t, ctx, 'reversal_key', 128).nullable();
    fen(t, 'reversal_remaining_fen').nullable();
    timestamp(t, ctx, 'reversed_at').nullable();
    t.string('reversed_by', 64).nullable();
    t.string('reversed_by_name', 100).nullable();
    t.unique(['idempotency_key'], { indexName: `${tables.offsetApplications}_key_uq` });
    t.unique(['reversal_key'], { indexName: `${tables.offsetApplications}_reversal_uq` });
    t.index(['offset_id', 'state'], `${tables.offsetApplications}_offset_idx`);
    t.index(['bill_id'], `${tables.offsetApplications}_bill_idx`);
    t.check(inList('state', APPLICATION_STATES), {}, `${tables.offsetApplications}_state_chk`);
    t.check('amount_fen > 0', {}, `${tables.offsetApplications}_amount_chk`);
    t.check(
      "(state = 'applied' AND reversal_key IS NULL) OR (state = 'reversed' AND reversal_key IS NOT NULL)",
      {},
      `${tables.offsetApplications}_reversal_chk`,
    );
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.offsetApplications);
  await knex.schema.dropTableIfExists(ctx.tables.offsetBills);
  await knex.schema.dropTableIfExists(ctx.tables.offsets);
}

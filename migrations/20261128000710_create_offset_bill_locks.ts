// One row per host bill that ever had an offset applied: applications to the same bill lock it (SELECT …
// FOR UPDATE on an existing primary-key row) so that offsets of different approvals can never add up to
// more than the bill, and so that they queue instead of deadlocking on the gap locks a range read over
// the applications would take (MySQL). The rows carry no data; SQLite, with a single writer, needs none.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, hostId, tableDefaults } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await createTableIfMissing(knex, ctx.tables.offsetBillLocks, (t) => {
    tableDefaults(t, ctx);
    hostId(t, 'bill_id', ctx.hostKeys.bill).notNullable().primary();
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.offsetBillLocks);
}

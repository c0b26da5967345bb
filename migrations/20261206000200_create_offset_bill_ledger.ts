// The per-bill ledger that keeps offsets within a bill on every engine. One row per host bill that ever
// had an offset applied, holding the fen applied to it now (applications not reversed). Every application
// and reversal changes the row with a conditional UPDATE (`applied_fen + ? <= bill amount`), so two
// writers of one bill always conflict: InnoDB makes them queue on the row, and a multi-primary cluster
// (Galera) certifies only rows that really change. It replaces cmp_offset_bill_locks, whose
// `INSERT … ON DUPLICATE KEY UPDATE` changed nothing after the first application and so locked one node only.
// Filled from the applications so far; guarded so a failed run can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, fenColumn, hostId, tableDefaults } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsetBillLedger, offsetApplications, offsetBillLocks } = ctx.tables;
  await createTableIfMissing(knex, offsetBillLedger, (t) => {
    tableDefaults(t, ctx);
    hostId(t, 'bill_id', ctx.hostKeys.bill).notNullable().primary();
    fenColumn(t, 'applied_fen').notNullable().defaultTo(0);
    t.check('applied_fen >= 0', {}, `${offsetBillLedger}_applied_chk`);
  });
  const [{ n } = { n: 0 }] = (await knex(offsetBillLedger).count({ n: '*' })) as Array<{ n: number | string }>;
  if (Number(n) === 0) {
    await knex.raw(`INSERT INTO ?? (??, ??) SELECT ??, SUM(CASE WHEN ?? = 'applied' THEN ?? ELSE 0 END) FROM ?? GROUP BY ??`, [
      offsetBillLedger,
      'bill_id',
      'applied_fen',
      'bill_id',
      'state',
      'amount_fen',
      offsetApplications,
      'bill_id',
    ]);
  }
  await knex.schema.dropTableIfExists(offsetBillLocks);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsetBillLedger, offsetBillLocks } = ctx.tables;
  await createTableIfMissing(knex, offsetBillLocks, (t) => {
    tableDefaults(t, ctx);
    hostId(t, 'bill_id', ctx.hostKeys.bill).notNullable().primary();
  });
  await knex.schema.dropTableIfExists(offsetBillLedger);
}

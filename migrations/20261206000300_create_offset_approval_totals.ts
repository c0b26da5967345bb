// What each approver, and each role, has approved on one complaint in total. A role's approval limit bounds
// that total, not each request, so four ¥400 requests cannot pass a ¥500 limit one at a time. An approval
// raises both rows with a conditional UPDATE (`approved_fen + ? <= limit`): concurrent approvals of one
// complaint conflict on the row on every engine, as the bill ledger does. Totals only grow: an approval
// that was later revoked, expired or withdrawn still counts as approved by that person.
// Filled from the decisions so far (by approver; their role was not recorded before).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, tableDefaults } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { offsetApprovalTotals, offsets } = ctx.tables;
  await createTableIfMissing(knex, offsetApprovalTotals, (t) => {
    tableDefaults(t, ctx);
    t.integer('complaint_id').unsigned().notNullable();
    // 'approver' (scope_id: the person's id) or 'role' (scope_id: the role's name).
    t.string('scope', 10).notNullable();
    t.string('scope_id', 64).notNullable();
    t.bigInteger('approved_fen').unsigned().notNullable().defaultTo(0);
    t.primary(['complaint_id', 'scope', 'scope_id']);
    t.check("scope IN ('approver', 'role')", {}, `${offsetApprovalTotals}_scope_chk`);
  });
  const [{ n } = { n: 0 }] = (await knex(offsetApprovalTotals).count({ n: '*' })) as Array<{ n: number | string }>;
  if (Number(n) === 0) {
    await knex.raw(`INSERT INTO ?? (??, ??, ??, ??) SELECT ??, 'approver', ??, SUM(??) FROM ?? WHERE ?? IS NOT NULL AND ?? IS NOT NULL GROUP BY ??, ??`, [
      offsetApprovalTotals,
      'complaint_id',
      'scope',
      'scope_id',
      'approved_fen',
      'complaint_id',
      'decided_by',
      'approved_fen',
      offsets,
      'approved_fen',
      'decided_by',
      'complaint_id',
      'decided_by',
    ]);
  }
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.offsetApprovalTotals);
}

// The report's monthly rollup (src/reports/rollupStore.ts): a whole month's report read from a few hundred
// rows summed by month instead of one summary row per complaint (issue 20: a month for every community took
// 18–26× a COUNT(*) over it). This migration
// - adds per_row to the summary rows (why the report still reads a complaint one by one: its figures
//   depend on the clock or the settings, or it has money) and an index that finds a month's and carries
//   what those reads use;
// - adds each duration's histogram bin (a virtual column, src/reports/rollupStore.ts binSql) with an index
//   from the bin to the receipt, so a percentile reads only its bin's rows of the period;
// - creates the calendar of local months (in the settings' time zone) and the rollup;
// - recounts every summary row (the recount now writes per_row) and builds the rollup from them.
// Guarded: a run that stopped anywhere can run again. The fill runs today's recount: a later migration
// that adds a column the recount writes must take the fill over, as this one took it from 20261207300000.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import {
  addColumnIfMissing,
  createIndexIfMissing,
  createTableIfMissing,
  dropColumnIfPresent,
  dropIndexIfPresent,
  addGeneratedColumnIfMissing,
  hostId,
  tableDefaults,
  timestamp,
} from '../src/db/schema.js';
import { systemClock } from '../src/clock.js';
import { SettingsStore } from '../src/settings/settings.js';
import { BIN_COLUMN, DURATION_COLUMNS, TOTAL_COUNTERS, binSql, rebuildReportRollup } from '../src/reports/rollupStore.js';
import { rebuildReportFacts } from '../src/reports/summaryStore.js';

/** The settings' time zone, read and defaulted as the plugin reads it. */
async function settingsTimeZone(knex: Knex, ctx: MigrationContext): Promise<string> {
  return (await new SettingsStore(knex, ctx.tables, systemClock).get()).timezone;
}

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const facts = ctx.tables.reportFacts;
  await addColumnIfMissing(knex, facts, 'per_row', (t) => t.tinyint('per_row').unsigned().notNullable().defaultTo(1));
  // Carries every column the report's clock- and settings-dependent reads of those rows use, so they are
  // read from the index alone (a month's not-replied complaints, read row by row from the table, were the
  // report's costliest read: 26 ms of 41 on 1M complaints; 3 ms from this index). The money's read is not
  // covered: few rows.
  await createIndexIfMissing(knex, facts, `${facts}_per_row_idx`, [
    'per_row',
    'received_at',
    'cancelled',
    'resolved_at',
    'plan_deadline',
    'reply_due_at',
    'reply_due_effective_at',
    'plan_due_effective_at',
    'paused',
    'follow_up_due_at',
    'channel',
    'hotline_due_at',
  ]);
  for (const column of DURATION_COLUMNS) {
    const bin = BIN_COLUMN[column];
    await addGeneratedColumnIfMissing(knex, facts, bin, ctx.client === 'mysql2' ? 'INT' : 'INTEGER', binSql(ctx.client === 'mysql2', column));
    await createIndexIfMissing(knex, facts, `${facts}_${bin}_idx`, [bin, 'cancelled', 'received_at', column]);
  }

  await createTableIfMissing(knex, ctx.tables.reportMonths, (t) => {
    tableDefaults(t, ctx);
    t.string('month', 7).notNullable().primary();
    timestamp(t, ctx, 'starts_at')
      .notNullable()
      .unique({ indexName: `${ctx.tables.reportMonths}_starts_uq` });
    // A summary row's month: the first month ending after its receipt (one step forward in this index).
    timestamp(t, ctx, 'ends_at')
      .notNullable()
      .unique({ indexName: `${ctx.tables.reportMonths}_ends_uq` });
    t.string('time_zone', 64).notNullable();
  });
  await createTableIfMissing(knex, ctx.tables.reportRollup, (t) => {
    tableDefaults(t, ctx);
    t.string('month', 7).notNullable();
    t.string('kind', 16).notNullable();
    t.string('v', 191).notNullable();
    t.tinyint('v_null').unsigned().notNullable();
    t.tinyint('slot').unsigned().notNullable();
    hostId(t, 'unit_id', ctx.hostKeys.unit).notNullable();
    // Signed: a contribution is taken out before the new one is put in.
    for (const c of TOTAL_COUNTERS) t.bigInteger(c).notNullable().defaultTo(0);
    t.primary(['month', 'kind', 'v', 'v_null', 'slot', 'unit_id']);
  });
  // The units with the most complaints of a month: read from the top of this index.
  await createIndexIfMissing(knex, ctx.tables.reportRollup, `${ctx.tables.reportRollup}_top_idx`, ['month', 'kind', 'n']);

  await rebuildReportFacts(knex, ctx.tables);
  await rebuildReportRollup(knex, ctx.tables, await settingsTimeZone(knex, ctx));
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.reportRollup);
  await knex.schema.dropTableIfExists(ctx.tables.reportMonths);
  for (const bin of Object.values(BIN_COLUMN)) {
    await dropIndexIfPresent(knex, ctx.tables.reportFacts, `${ctx.tables.reportFacts}_${bin}_idx`);
    await dropColumnIfPresent(knex, ctx.tables.reportFacts, bin);
  }
  await dropIndexIfPresent(knex, ctx.tables.reportFacts, `${ctx.tables.reportFacts}_per_row_idx`);
  await dropColumnIfPresent(knex, ctx.tables.reportFacts, 'per_row');
}

// The billing check asks, for each bill's unit, which complaints are still open and reads their code,
// owner, community, dispute type and withholding flag for its warnings. (unit_id, state, id) found the open
// ones in the index but then read each one's row from the table: on 1M complaints, with a buffer pool far
// smaller than the table, those scattered row reads were most of a month-end batch's time (10,000 bills:
// 0.9–1.0 s of database time, 0.45 s with this index; bench/batch-profile.ts). This index carries the
// columns the check reads (COMPLAINT_FACT_COLUMNS in src/offsets/store/rows.ts), so the check answers from
// it alone; it starts with the old index's columns, so it serves every query that one did, and replaces it.
// Our id columns copy the host's key types: where the host's keys are long text (three VARCHAR(255) utf8mb4
// ids are 3,060 bytes) MySQL refuses the index as too long, and it is made on the old columns alone under
// the same name (the check then reads the open complaints' rows, as before; test/integration/wide-host-keys).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { isIndexTooLongError } from '../src/db/errors.js';
import { createIndexIfMissing, dropIndexIfPresent, indexColumns } from '../src/db/schema.js';

// The check names it in its index hint (namedIndexes in src/db/tables.ts): keep the two names the same.
const name = (ctx: MigrationContext) => `${ctx.tables.complaints}_unit_open_facts_idx`;
const COLUMNS = ['unit_id', 'state', 'id', 'code', 'owner_id', 'community_id', 'dispute_type', 'threatened_withholding'];
const UNCOVERED = ['unit_id', 'state', 'id'];
const previous = (ctx: MigrationContext) => `${ctx.tables.complaints}_unit_state_idx`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const table = ctx.tables.complaints;
  // Made on the old columns by an earlier run on a host with long keys: kept.
  if ((await indexColumns(knex, table, name(ctx)))?.join(',') !== UNCOVERED.join(',')) {
    try {
      await createIndexIfMissing(knex, table, name(ctx), COLUMNS);
    } catch (err) {
      if (!isIndexTooLongError(err)) throw err;
      await createIndexIfMissing(knex, table, name(ctx), UNCOVERED);
    }
  }
  await dropIndexIfPresent(knex, table, previous(ctx));
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await createIndexIfMissing(knex, ctx.tables.complaints, previous(ctx), UNCOVERED);
  await dropIndexIfPresent(knex, ctx.tables.complaints, name(ctx));
}

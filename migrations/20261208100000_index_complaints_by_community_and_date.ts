// The complaint list's usual page: one community, the closed states, newest first. With only
// (community_id, state, received_at, id) each state is its own date-ordered range, so a page past the
// first few merged and sorted every entry up to it (offset 9,980: 20,000 entries sorted per request). This
// index holds a community's complaints already in list order with the state on each entry, so the list
// walks it newest first, tests the state without reading the row, and stops at the page (see
// src/complaints/store/listing.ts). One more entry to update per complaint change of state or date.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createIndexIfMissing, dropIndexIfPresent } from '../src/db/schema.js';

const COLUMNS = ['community_id', 'received_at', 'id', 'state'];
// The list names it in its index hint (namedIndexes in src/db/tables.ts): keep the two names the same.
const name = (ctx: MigrationContext) => `${ctx.tables.complaints}_community_date_idx`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await createIndexIfMissing(knex, ctx.tables.complaints, name(ctx), COLUMNS);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropIndexIfPresent(knex, ctx.tables.complaints, name(ctx));
}

// Who may read the reply (答复) and its basis: `owner_visible` (the default: the reply is what the owner is
// told) or `internal`. Replies given before this column read as owner-visible, as they were given to the
// owner. One guarded ADD COLUMN with a default, so existing rows need no UPDATE.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, dropColumnIfPresent } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await addColumnIfMissing(knex, ctx.tables.complaints, 'reply_visibility', (t) => t.string('reply_visibility', 16).notNullable().defaultTo('owner_visible'));
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropColumnIfPresent(knex, ctx.tables.complaints, 'reply_visibility');
}

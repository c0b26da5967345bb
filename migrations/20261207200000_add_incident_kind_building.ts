// An incident says what kind of event it is (power or water cut, lift failure, flood, gas, other) and, when
// it is one building's, which: the supervisor picks them when opening it, the list shows them (issue 19).
// Both nullable: incidents opened before keep neither. Guarded: a run that stopped anywhere can run again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { addColumnIfMissing, dropColumnIfPresent } from '../src/db/schema.js';

const incidents = (ctx: MigrationContext) => `${ctx.prefix}incidents`;

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  await addColumnIfMissing(knex, incidents(ctx), 'kind', (t) => t.string('kind', 16).nullable());
  await addColumnIfMissing(knex, incidents(ctx), 'building', (t) => t.string('building', 64).nullable());
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await dropColumnIfPresent(knex, incidents(ctx), 'building');
  await dropColumnIfPresent(knex, incidents(ctx), 'kind');
}

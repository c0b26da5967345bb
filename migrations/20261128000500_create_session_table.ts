// Page sessions for the server-rendered forms. A row is a session; the cookie carries a random token
// and only its SHA-256 is stored here, so a copy of this table cannot be replayed as a cookie. Each
// session holds its own CSRF token, the actor it is bound to, and an absolute expiry. Signing out
// deletes the row.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { tables } = ctx;
  await createTableIfMissing(knex, tables.sessions, (t) => {
    tableDefaults(t, ctx);
    /** hex SHA-256 of the cookie token. */
    t.string('id', 64).primary();
    /** 'signed_in' (demo sign-in page: the session says who acts) or 'bound' (CSRF only: the host's auth says who acts). */
    t.string('kind', 16).notNullable();
    /** The actor the session belongs to; a request from anyone else does not use it. Null before sign-in. */
    t.string('actor_id', 64).nullable();
    /** JSON of the signed-in actor (kind 'signed_in' only). */
    t.text('actor').nullable();
    t.string('csrf_token', 64).notNullable();
    timestamp(t, ctx, 'created_at').notNullable();
    timestamp(t, ctx, 'expires_at').notNullable();
    t.index(['expires_at'], `${tables.sessions}_expires_idx`);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.sessions);
}

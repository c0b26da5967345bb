// The owner's side of the loop (issue 17): the status link printed on the slip and the owner's own rating.
// owner_links: one row per complaint; the token is an HMAC over (complaint id, nonce), so the row only
// holds the nonce (a new nonce re-issues the link, revoked_at withdraws it) and the owner's notice opt-out.
// owner_ratings: the owner's 1–5 stars and comment, once per complaint (the primary key refuses a second).
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createIndexIfMissing, createTableIfMissing, keyColumn, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { ownerLinks, ownerRatings } = ctx.tables;
  await createTableIfMissing(knex, ownerLinks, (t) => {
    tableDefaults(t, ctx);
    t.integer('complaint_id').unsigned().notNullable().primary();
    keyColumn(t, ctx, 'nonce', 32).notNullable();
    t.tinyint('notices_opt_out').notNullable().defaultTo(0);
    timestamp(t, ctx, 'issued_at').notNullable();
    t.string('issued_by', 64).notNullable();
    timestamp(t, ctx, 'revoked_at');
    t.string('revoked_by', 64);
  });
  await createIndexIfMissing(knex, ownerLinks, `${ownerLinks}_nonce_uq`, ['nonce'], { unique: true });
  await createTableIfMissing(knex, ownerRatings, (t) => {
    tableDefaults(t, ctx);
    t.integer('complaint_id').unsigned().notNullable().primary();
    t.tinyint('stars').unsigned().notNullable();
    t.string('comment', 500);
    t.tinyint('rehandle').notNullable().defaultTo(0);
    t.integer('continuation_id').unsigned();
    // 'link' (the status page from the slip) or 'app' (the ERP's owner app, X-Complaints-Owner).
    t.string('source', 10).notNullable();
    t.string('owner_id', 64);
    timestamp(t, ctx, 'rated_at').notNullable();
    // Set when a supervisor has looked at a low rating (it leaves their workbench).
    timestamp(t, ctx, 'seen_at');
    t.check('stars BETWEEN 1 AND 5', {}, `${ownerRatings}_stars_chk`);
  });
  await createIndexIfMissing(knex, ownerRatings, `${ownerRatings}_rated_idx`, ['rated_at']);
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.ownerRatings);
  await knex.schema.dropTableIfExists(ctx.tables.ownerLinks);
}

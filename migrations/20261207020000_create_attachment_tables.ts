// Attachments (附件 / 照片) of a complaint's steps, and the database blob store behind them.
// - attachments: one row per stored file: the complaint and step it belongs to, who may see it
//   (owner_visible | internal), its content type as detected from the bytes (never the name), its size
//   and checksum, whether a thumbnail was made, and where its bytes are (`storage`: database or
//   directory, `storage_key`). A removal keeps the row (removed_at, by, reason) for the audit trail and
//   deletes the bytes.
// - attachment_blobs: the bytes when they are kept in the database (the default: shared by every
//   instance, backed up with the ERP), in parts of at most 512 KB, so that no statement comes near
//   MariaDB's max_allowed_packet (16 MB by default; a 10 MB file is sent as 20 MB of hex text).
// Two CREATE TABLEs, each guarded statement by statement, so a run that stopped half-way runs again.
import type { Knex } from 'knex';
import type { MigrationContext } from '../src/db/migrations.js';
import { createTableIfMissing, keyColumn, tableDefaults, timestamp } from '../src/db/schema.js';

export async function up(knex: Knex, ctx: MigrationContext): Promise<void> {
  const { attachments, attachmentBlobs, complaints } = ctx.tables;
  await createTableIfMissing(knex, attachments, (t) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('complaint_id').unsigned().notNullable().references('id').inTable(complaints);
    t.string('step', 16).notNullable();
    t.string('visibility', 16).notNullable();
    t.string('file_name', 200).notNullable();
    t.string('mime', 64).notNullable();
    t.integer('size_bytes').unsigned().notNullable();
    t.string('sha256', 64).notNullable();
    t.integer('width').unsigned().nullable();
    t.integer('height').unsigned().nullable();
    // 'reencoded': an image decoded and written again without its metadata (EXIF, GPS); 'as_uploaded':
    // kept byte for byte (PDF; HEIC when the image library cannot decode it).
    t.string('processing', 16).notNullable();
    t.integer('thumb_size_bytes').unsigned().nullable();
    t.string('storage', 16).notNullable();
    keyColumn(t, ctx, 'storage_key', 100).notNullable();
    t.string('uploaded_by', 64).notNullable();
    t.string('uploaded_by_name', 100).notNullable();
    timestamp(t, ctx, 'uploaded_at').notNullable();
    timestamp(t, ctx, 'removed_at').nullable();
    t.string('removed_by', 64).nullable();
    t.string('removed_by_name', 100).nullable();
    t.string('removed_reason', 500).nullable();
    t.unique(['storage_key'], { indexName: `${attachments}_key_uq` });
    t.index(['complaint_id', 'id'], `${attachments}_complaint_idx`);
    t.check(
      "step IN ('intake', 'progress', 'reply_before', 'reply_after', 'follow_up', 'owner') AND visibility IN ('owner_visible', 'internal')",
      {},
      `${attachments}_kind_chk`,
    );
  });
  await createTableIfMissing(knex, attachmentBlobs, (t) => {
    tableDefaults(t, ctx);
    keyColumn(t, ctx, 'blob_key', 110).notNullable();
    t.integer('part').unsigned().notNullable();
    t.specificType('data', ctx.client === 'mysql2' ? 'MEDIUMBLOB' : 'BLOB').notNullable();
    t.primary(['blob_key', 'part']);
  });
}

export async function down(knex: Knex, ctx: MigrationContext): Promise<void> {
  await knex.schema.dropTableIfExists(ctx.tables.attachmentBlobs);
  await knex.schema.dropTableIfExists(ctx.tables.attachments);
}

// Where attachment bytes live, behind one small interface, with two built-ins:
// - DatabaseBlobStore (the default): rows of our attachment_blobs table, in parts of 512 KB, written in
//   the same transaction as the attachment's record. Shared by every instance and backed up with the
//   ERP's database; nothing to mount or sync.
// - DirectoryBlobStore: files in a directory (a local disk, or a shared mount when several instances
//   run). Written before the record's transaction and removed again if it fails; a crash between the two
//   leaves an orphan file, never a record without its bytes.
// A host may pass its own (object storage, say) with the same three methods.
import type { Knex } from 'knex';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TableNames } from '../../db/tables.js';

export interface AttachmentStore {
  /** Recorded with each attachment (`storage`), so a change of store never loses older files' place. */
  readonly name: string;
  /** true: put and remove run inside the caller's transaction (they roll back with it). */
  readonly transactional: boolean;
  /** Stores the bytes under a key made by newStorageKey(); `trx` is given to a transactional store. */
  put(key: string, data: Buffer, trx?: Knex.Transaction): Promise<void>;
  /** The bytes, or null when nothing is stored under the key. */
  get(key: string): Promise<Buffer | null>;
  /** Deletes the bytes; a key already gone is not an error. */
  remove(key: string, trx?: Knex.Transaction): Promise<void>;
}

/** 32 hex characters, unguessable and safe as a file name. */
export function newStorageKey(): string {
  return randomBytes(16).toString('hex');
}

const KEY = /^[0-9a-f]{32}(\.thumb)?$/;

function checkedKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`Not an attachment storage key: ${key}`);
  return key;
}

/** Small enough that no statement comes near max_allowed_packet (a Buffer travels as hex: twice its size). */
export const BLOB_PART_BYTES = 512 * 1024;

export class DatabaseBlobStore implements AttachmentStore {
  readonly name = 'database';
  readonly transactional = true;

  constructor(
    private readonly db: Knex,
    private readonly tables: TableNames,
  ) {}

  async put(key: string, data: Buffer, trx?: Knex.Transaction): Promise<void> {
    const q = trx ?? this.db;
    checkedKey(key);
    const parts = Math.max(1, Math.ceil(data.length / BLOB_PART_BYTES));
    for (let part = 0; part < parts; part++) {
      await q(this.tables.attachmentBlobs).insert({ blob_key: key, part, data: data.subarray(part * BLOB_PART_BYTES, (part + 1) * BLOB_PART_BYTES) });
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const rows = (await this.db(this.tables.attachmentBlobs)
      .select('data')
      .where({ blob_key: checkedKey(key) })
      .orderBy('part')) as Array<{ data: Buffer }>;
    return rows.length ? Buffer.concat(rows.map((r) => r.data)) : null;
  }

  async remove(key: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)(this.tables.attachmentBlobs)
      .where({ blob_key: checkedKey(key) })
      .delete();
  }
}

export class DirectoryBlobStore implements AttachmentStore {
  readonly name = 'directory';
  readonly transactional = false;
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  /** Two levels of fan-out by the key's first characters, so no directory grows to millions of entries. */
  private pathOf(key: string): string {
    checkedKey(key);
    return join(this.root, key.slice(0, 2), key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Written whole under a temporary name, then renamed: a reader never sees half a file.
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data, { mode: 0o640 });
    await rename(tmp, path);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

// The attachments table: one row per stored file (metadata only; the bytes are in an AttachmentStore).
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime, requireDbTime, toDbTime } from '../../db/time.js';
import type { Visibility } from '../../complaints/visibility.js';
import { KINDS, type Attachment, type AttachmentStep } from '../types.js';

type Db = Knex | Knex.Transaction;

export interface NewAttachmentRow {
  complaintId: number;
  step: AttachmentStep;
  visibility: Visibility;
  fileName: string;
  mime: string;
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  processing: 'reencoded' | 'as_uploaded';
  thumbSizeBytes: number | null;
  storage: string;
  storageKey: string;
  uploadedBy: string;
  uploadedByName: string;
  uploadedAt: Date;
}

const IMAGE_MIMES: Set<string> = new Set(
  Object.values(KINDS)
    .filter((k) => k.image)
    .map((k) => k.mime),
);

export function rowToAttachment(row: Record<string, unknown>): Attachment {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(row.id),
    complaintId: Number(row.complaint_id),
    step: row.step as AttachmentStep,
    visibility: row.visibility as Visibility,
    fileName: String(row.file_name),
    mime: String(row.mime),
    sizeBytes: Number(row.size_bytes),
    sha256: String(row.sha256),
    width: num(row.width),
    height: num(row.height),
    processing: row.processing as Attachment['processing'],
    hasThumbnail: row.thumb_size_bytes !== null && row.thumb_size_bytes !== undefined,
    isImage: IMAGE_MIMES.has(String(row.mime)),
    storage: String(row.storage),
    storageKey: String(row.storage_key),
    uploadedBy: String(row.uploaded_by),
    uploadedByName: String(row.uploaded_by_name),
    uploadedAt: requireDbTime(row.uploaded_at as string),
    removedAt: fromDbTime(row.removed_at as string | null),
    removedBy: (row.removed_by as string | null) ?? null,
    removedByName: (row.removed_by_name as string | null) ?? null,
    removedReason: (row.removed_reason as string | null) ?? null,
  };
}

export async function insertAttachment(trx: Db, tables: TableNames, a: NewAttachmentRow): Promise<Attachment> {
  const row = {
    complaint_id: a.complaintId,
    step: a.step,
    visibility: a.visibility,
    file_name: a.fileName,
    mime: a.mime,
    size_bytes: a.sizeBytes,
    sha256: a.sha256,
    width: a.width,
    height: a.height,
    processing: a.processing,
    thumb_size_bytes: a.thumbSizeBytes,
    storage: a.storage,
    storage_key: a.storageKey,
    uploaded_by: a.uploadedBy,
    uploaded_by_name: a.uploadedByName,
    uploaded_at: toDbTime(a.uploadedAt),
  };
  const [id] = (await trx(tables.attachments).insert(row)) as number[];
  return rowToAttachment({ ...row, id, removed_at: null, removed_by: null, removed_by_name: null, removed_reason: null });
}

export async function findAttachment(db: Db, tables: TableNames, id: number, options: { lock?: boolean } = {}): Promise<Attachment | null> {
  const q = db(tables.attachments).where({ id }).first();
  if (options.lock) q.forUpdate();
  const row = (await q) as Record<string, unknown> | undefined;
  return row ? rowToAttachment(row) : null;
}

export async function listAttachments(
  db: Db,
  tables: TableNames,
  complaintId: number,
  options: { includeRemoved?: boolean; visibility?: Visibility } = {},
): Promise<Attachment[]> {
  const q = db(tables.attachments).where({ complaint_id: complaintId }).orderBy('id');
  if (!options.includeRemoved) q.whereNull('removed_at');
  if (options.visibility) q.where({ visibility: options.visibility });
  return ((await q) as Array<Record<string, unknown>>).map(rowToAttachment);
}

/** Marks a live attachment removed; false when it was removed meanwhile (a conditional UPDATE, so two removals cannot both count). */
export async function markRemoved(trx: Db, tables: TableNames, id: number, by: { id: string; name: string }, reason: string, at: Date): Promise<boolean> {
  const n = await trx(tables.attachments)
    .where({ id })
    .whereNull('removed_at')
    .update({ removed_at: toDbTime(at), removed_by: by.id, removed_by_name: by.name, removed_reason: reason });
  return n === 1;
}

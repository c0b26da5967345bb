// What we hold about one owner, read for the owner's export: their complaints (by the host's owner id
// copied at intake) and what hangs off them. Sections are a list, so owner ratings and attachments add
// theirs in OWNER_EXPORT_SECTIONS without touching the export itself.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime } from '../../db/time.js';
import { listForComplaint } from '../../compensations/store.js';
import { listFollowUps, rowToComplaint, type ComplaintRow } from '../../complaints/store/complaints.js';
import type { Complaint } from '../../complaints/types.js';
// Owner notices are the outbox rows of the owner-notice topics.
import { OWNER_NOTICE_TOPICS } from '../../notifications/outbox.js';

type Db = Knex | Knex.Transaction;

export async function complaintsOfOwner(db: Db, tables: TableNames, ownerId: string): Promise<Complaint[]> {
  const rows = (await db(tables.complaints).where({ owner_id: ownerId }).orderBy('id')) as ComplaintRow[];
  return rows.map(rowToComplaint);
}

/** One part of the owner's export: a name and the data of these complaints. */
export interface OwnerExportSection {
  name: string;
  collect(db: Db, tables: TableNames, complaints: Complaint[]): Promise<unknown[]>;
}

/** Follow-up visits as the owner lived them: when, how, satisfied or not, their own words and rating (not the visitor's internal note). */
const followUps: OwnerExportSection = {
  name: 'followUps',
  async collect(db, tables, complaints) {
    const out: unknown[] = [];
    for (const c of complaints) {
      for (const f of await listFollowUps(db, tables, c.id)) {
        out.push({
          complaintCode: c.code,
          visitedAt: f.visitedAt.toISOString(),
          method: f.method,
          satisfied: f.satisfied,
          complainantWords: f.complainantWords,
          ownerRating: f.ownerRating,
        });
      }
    }
    return out;
  },
};

/** Offsets of their fees: amounts and states (the internal decision notes are not the owner's data). */
const offsets: OwnerExportSection = {
  name: 'offsets',
  async collect(db, tables, complaints) {
    if (!complaints.length) return [];
    const code = new Map(complaints.map((c) => [c.id, c.code]));
    const rows = (await db(tables.offsets)
      .select('id', 'complaint_id', 'unit_id', 'requested_fen', 'approved_fen', 'remaining_fen', 'status', 'reason', 'expires_on', 'created_at', 'decided_at')
      .whereIn(
        'complaint_id',
        complaints.map((c) => c.id),
      )
      .orderBy('id')) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      complaintCode: code.get(Number(r.complaint_id)),
      unitId: String(r.unit_id),
      status: String(r.status),
      requestedFen: Number(r.requested_fen),
      approvedFen: r.approved_fen === null ? null : Number(r.approved_fen),
      remainingFen: Number(r.remaining_fen),
      reason: r.reason as string,
      expiresOn: r.expires_on === null ? null : String(r.expires_on instanceof Date ? r.expires_on.toISOString().slice(0, 10) : r.expires_on),
      requestedAt: fromDbTime(r.created_at as string)?.toISOString() ?? null,
      decidedAt: fromDbTime(r.decided_at as string | null)?.toISOString() ?? null,
    }));
  },
};

/** Compensation paid to them: payer, amount, day, method, reference, note. */
const compensations: OwnerExportSection = {
  name: 'compensations',
  async collect(db, tables, complaints) {
    const out: unknown[] = [];
    for (const c of complaints) {
      for (const m of await listForComplaint(db, tables, c.id)) {
        out.push({ complaintCode: c.code, payer: m.payer, amountFen: m.amountFen, paidOn: m.paidOn, method: m.method, reference: m.reference, note: m.note });
      }
    }
    return out;
  },
};

/** Notices sent to the owner about their complaints (topic, when written, when delivered). */
const notices: OwnerExportSection = {
  name: 'notices',
  async collect(db, tables, complaints) {
    if (!complaints.length || !OWNER_NOTICE_TOPICS.length) return [];
    const code = new Map(complaints.map((c) => [c.id, c.code]));
    const rows = (await db(tables.outbox)
      .select('id', 'topic', 'complaint_id', 'created_at', 'delivered_at')
      .whereIn('topic', [...OWNER_NOTICE_TOPICS])
      .whereIn(
        'complaint_id',
        complaints.map((c) => c.id),
      )
      .orderBy('id')) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      complaintCode: code.get(Number(r.complaint_id)),
      topic: String(r.topic),
      createdAt: fromDbTime(r.created_at as string)?.toISOString() ?? null,
      deliveredAt: fromDbTime(r.delivered_at as string | null)?.toISOString() ?? null,
    }));
  },
};

/** Their own ratings on the status page or the owner app: stars, comment, whether they asked for re-handling. */
const ownerRatings: OwnerExportSection = {
  name: 'ownerRatings',
  async collect(db, tables, complaints) {
    if (!complaints.length) return [];
    const code = new Map(complaints.map((c) => [c.id, c.code]));
    const rows = (await db(tables.ownerRatings)
      .select('complaint_id', 'stars', 'comment', 'rehandle', 'source', 'rated_at')
      .whereIn(
        'complaint_id',
        complaints.map((c) => c.id),
      )
      .orderBy('complaint_id')) as Array<{
      complaint_id: number | string;
      stars: number | string;
      comment: string | null;
      rehandle: number | boolean;
      source: string;
      rated_at: string;
    }>;
    return rows.map((r) => ({
      complaintCode: code.get(Number(r.complaint_id)),
      stars: Number(r.stars),
      comment: r.comment,
      askedForRehandling: Boolean(Number(r.rehandle)),
      source: r.source,
      ratedAt: fromDbTime(r.rated_at)?.toISOString() ?? null,
    }));
  },
};

/**
 * Photos and files on their complaints that they may see (owner-visible, not removed): what each is, its
 * step and when it came. The files themselves are on the status page (or given on request); the export
 * lists them with their checksums so each can be matched.
 */
const attachments: OwnerExportSection = {
  name: 'attachments',
  async collect(db, tables, complaints) {
    if (!complaints.length) return [];
    const code = new Map(complaints.map((c) => [c.id, c.code]));
    const rows = (await db(tables.attachments)
      .select('id', 'complaint_id', 'step', 'file_name', 'mime', 'size_bytes', 'sha256', 'uploaded_at')
      .whereIn(
        'complaint_id',
        complaints.map((c) => c.id),
      )
      .andWhere('visibility', 'owner_visible')
      .whereNull('removed_at')
      .orderBy('id')) as Array<{
      id: number | string;
      complaint_id: number | string;
      step: string;
      file_name: string;
      mime: string;
      size_bytes: number | string;
      sha256: string;
      uploaded_at: string;
    }>;
    return rows.map((r) => ({
      id: Number(r.id),
      complaintCode: code.get(Number(r.complaint_id)),
      step: r.step,
      fileName: r.file_name,
      mime: r.mime,
      sizeBytes: Number(r.size_bytes),
      sha256: r.sha256,
      uploadedAt: fromDbTime(r.uploaded_at)?.toISOString() ?? null,
    }));
  },
};

/** Every section of the export after the complaints themselves; a new kind of owner data adds its section here. */
export const OWNER_EXPORT_SECTIONS: readonly OwnerExportSection[] = [followUps, offsets, compensations, ownerRatings, attachments, notices];

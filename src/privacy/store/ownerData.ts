// What we hold about one owner, read for the owner's export: their complaints (by the host's owner id
// copied at intake) and what hangs off them. Sections are a list, so owner ratings and attachments add
// theirs in OWNER_EXPORT_SECTIONS without touching the export itself.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime } from '../../db/time.js';
import { listForComplaint } from '../../compensations/store.js';
import { listFollowUps, rowToComplaint, type ComplaintRow } from '../../complaints/store/complaints.js';
import type { Complaint } from '../../complaints/types.js';
// Owner notices (none yet) are listed with the outbox; they appear in the export once they exist.
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

/** Every section of the export after the complaints themselves; owner ratings and attachments add theirs here. */
export const OWNER_EXPORT_SECTIONS: readonly OwnerExportSection[] = [followUps, offsets, compensations, notices];

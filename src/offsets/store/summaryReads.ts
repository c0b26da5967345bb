// The reads behind what a person deciding about money sees at once (src/offsets/summaries.ts): each
// complaint's offset figures, the approval queue's complaints, bill limits and the approver's own totals,
// and the applications that stay when a complaint is cancelled. Grouped reads: a handful of queries
// whatever the number of complaints or rows.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { requireDbTime } from '../../db/time.js';
import type { Offset, OffsetStatus } from '../model.js';
import { dateOnly, offsetFromRow, str, type OffsetRow } from './rows.js';

type Db = Knex | Knex.Transaction;

/** The money columns of one offset, as the complaint's totals add them up. */
export interface OffsetFigures {
  complaintId: number;
  status: OffsetStatus;
  expiresOn: string | null;
  requestedFen: number;
  approvedFen: number | null;
  remainingFen: number;
  revokedFen: number;
}

type FiguresRow = Pick<OffsetRow, 'complaint_id' | 'status' | 'expires_on' | 'requested_fen' | 'approved_fen' | 'remaining_fen' | 'revoked_fen'>;

export async function offsetFiguresOfComplaints(db: Db, tables: TableNames, complaintIds: number[]): Promise<OffsetFigures[]> {
  const rows = (await db(tables.offsets)
    .select('complaint_id', 'status', 'expires_on', 'requested_fen', 'approved_fen', 'remaining_fen', 'revoked_fen')
    .whereIn('complaint_id', complaintIds)) as FiguresRow[];
  return rows.map((r) => ({
    complaintId: Number(r.complaint_id),
    status: String(r.status) as OffsetStatus,
    expiresOn: dateOnly(r.expires_on),
    requestedFen: Number(r.requested_fen),
    approvedFen: r.approved_fen === null || r.approved_fen === undefined ? null : Number(r.approved_fen),
    remainingFen: Number(r.remaining_fen),
    revokedFen: Number(r.revoked_fen ?? 0),
  }));
}

/** The fen applied (and not reversed) on each complaint's offsets. */
export async function appliedByComplaint(db: Db, tables: TableNames, complaintIds: number[]): Promise<Map<number, number>> {
  const rows = (await db(`${tables.offsetApplications} as a`)
    .join(`${tables.offsets} as o`, 'o.id', 'a.offset_id')
    .whereIn('o.complaint_id', complaintIds)
    .andWhere('a.state', 'applied')
    .groupBy('o.complaint_id')
    .select('o.complaint_id as complaint_id', db.raw('SUM(a.amount_fen) AS applied_fen'))) as Array<{
    complaint_id: number | string;
    applied_fen: number | string | null;
  }>;
  return new Map(rows.map((r) => [Number(r.complaint_id), Number(r.applied_fen ?? 0)]));
}

/** Every offset of these complaints, oldest first. */
export async function offsetsOfComplaints(db: Db, tables: TableNames, complaintIds: number[]): Promise<Offset[]> {
  const rows = (await db(tables.offsets).whereIn('complaint_id', complaintIds).orderBy('id')) as OffsetRow[];
  return rows.map(offsetFromRow);
}

/** What the approval queue names about each complaint. */
export interface QueueComplaint {
  code: string;
  category: string;
  unitLabel: string | null;
  ownerName: string | null;
}

export async function queueComplaints(db: Db, tables: TableNames, complaintIds: number[]): Promise<Map<number, QueueComplaint>> {
  const rows = (await db(tables.complaints).select('id', 'code', 'category', 'unit_label', 'owner_name').whereIn('id', complaintIds)) as Array<{
    id: number | string;
    code: string;
    category: string;
    unit_label: string | null;
    owner_name: string | null;
  }>;
  return new Map(
    rows.map((r) => [Number(r.id), { code: String(r.code), category: String(r.category), unitLabel: str(r.unit_label), ownerName: str(r.owner_name) }]),
  );
}

/** Each offset's bill limits (the bills it may go against), bill ids in order; offsets without limits are absent. */
export async function billLimitsOfOffsets(db: Db, tables: TableNames, offsetIds: number[]): Promise<Map<number, string[]>> {
  const rows = (await db(tables.offsetBills).select('offset_id', 'bill_id').whereIn('offset_id', offsetIds).orderBy('bill_id')) as Array<{
    offset_id: number | string;
    bill_id: string | number;
  }>;
  const limits = new Map<number, string[]>();
  for (const r of rows) limits.set(Number(r.offset_id), [...(limits.get(Number(r.offset_id)) ?? []), String(r.bill_id)]);
  return limits;
}

/** What this approver has approved so far on each complaint (their row of the approval totals). */
export async function approvedByApprover(db: Db, tables: TableNames, complaintIds: number[], approverId: string): Promise<Map<number, number>> {
  const rows = (await db(tables.offsetApprovalTotals)
    .select('complaint_id', 'approved_fen')
    .whereIn('complaint_id', complaintIds)
    .andWhere({ scope: 'approver', scope_id: approverId })) as Array<{ complaint_id: number | string; approved_fen: number | string }>;
  return new Map(rows.map((r) => [Number(r.complaint_id), Number(r.approved_fen)]));
}

/** An application that stands (applied, not reversed) on one of the complaint's offsets. */
export interface StandingApplicationRow {
  offsetId: number;
  billId: string;
  amountFen: number;
  paymentRef: string;
  appliedAt: Date;
}

export async function standingApplicationsOfComplaint(db: Db, tables: TableNames, complaintId: number): Promise<StandingApplicationRow[]> {
  const rows = (await db(`${tables.offsetApplications} as a`)
    .join(`${tables.offsets} as o`, 'o.id', 'a.offset_id')
    .where('o.complaint_id', complaintId)
    .andWhere('a.state', 'applied')
    .orderBy('a.id')
    .select('a.offset_id', 'a.bill_id', 'a.amount_fen', 'a.idempotency_key', 'a.applied_at')) as Array<{
    offset_id: number | string;
    bill_id: string | number;
    amount_fen: number | string;
    idempotency_key: string;
    applied_at: string | Date;
  }>;
  return rows.map((r) => ({
    offsetId: Number(r.offset_id),
    billId: String(r.bill_id),
    amountFen: Number(r.amount_fen),
    paymentRef: String(r.idempotency_key),
    appliedAt: requireDbTime(r.applied_at),
  }));
}

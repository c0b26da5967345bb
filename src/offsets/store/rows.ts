// The offsets domain's rows as the drivers return them, and their mapping to domain objects. Host ids
// come back as numbers for INT keys (mysql2 and SQLite alike); the domain speaks of them as text.
// mysql2 returns DATE and DATETIME as strings (dateStrings); SQLite stores the same text.
import { fromDbTime, requireDbTime } from '../../db/time.js';
import type { ApplicationState, ComplaintFacts, Offset, OffsetApplication, OffsetStatus } from '../model.js';

type HostKey = string | number;
type DbTime = string | Date;
type DbInt = number | string;

export interface OffsetRow {
  id: number;
  complaint_id: number;
  unit_id: HostKey;
  owner_id: HostKey | null;
  requested_fen: DbInt;
  approved_fen: DbInt | null;
  remaining_fen: DbInt;
  revoked_fen: DbInt;
  status: OffsetStatus;
  reason: string;
  expires_on: string | null;
  requested_by: string;
  requested_by_name: string;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_role: string | null;
  decided_at: DbTime | null;
  decision_note: string | null;
  revoked_by: string | null;
  revoked_at: DbTime | null;
  revoke_note: string | null;
  request_key: string | null;
  request_hash: string | null;
  version: number;
  created_at: DbTime;
  updated_at: DbTime;
}

/** The bills an offset is limited to (none: any bill of its unit). */
export interface OffsetBillRow {
  offset_id: number;
  bill_id: HostKey;
}

export interface ApplicationRow {
  id: number;
  offset_id: number;
  bill_id: HostKey;
  amount_fen: DbInt;
  idempotency_key: string;
  params_hash: string;
  state: ApplicationState;
  remaining_after_fen: DbInt;
  applied_at: DbTime;
  applied_by: string;
  applied_by_name: string;
  reversal_key: string | null;
  reversal_remaining_fen: DbInt | null;
  reversed_at: DbTime | null;
  reversed_by: string | null;
  reversed_by_name: string | null;
}

/** The columns of a complaint the offset rules read. */
export interface ComplaintFactsRow {
  id: number;
  code: string;
  state: string;
  unit_id: HostKey;
  owner_id: HostKey | null;
  community_id: HostKey | null;
  dispute_type: string | null;
  threatened_withholding: number | boolean | string;
}

/** What the billing check reads of an open complaint: the index of migration 20261208200000 holds exactly these. */
export const COMPLAINT_FACT_COLUMNS = ['id', 'code', 'state', 'unit_id', 'owner_id', 'community_id', 'dispute_type', 'threatened_withholding'] as const;

export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const time = (v: DbTime | null): Date | null => fromDbTime(v as string | null);

/** 'YYYY-MM-DD' of a DATE column, whatever the driver returned. */
export function dateOnly(v: unknown): string | null {
  const s = str(v);
  return s === null ? null : s.slice(0, 10);
}

export function offsetFromRow(r: OffsetRow): Offset {
  return {
    id: Number(r.id),
    complaintId: Number(r.complaint_id),
    unitId: String(r.unit_id),
    ownerId: str(r.owner_id),
    requestedFen: Number(r.requested_fen),
    approvedFen: num(r.approved_fen),
    remainingFen: Number(r.remaining_fen),
    revokedFen: Number(r.revoked_fen ?? 0),
    status: String(r.status) as OffsetStatus,
    reason: String(r.reason),
    expiresOn: dateOnly(r.expires_on),
    requestedBy: String(r.requested_by),
    requestedByName: String(r.requested_by_name),
    decidedBy: str(r.decided_by),
    decidedByName: str(r.decided_by_name),
    decidedRole: str(r.decided_role),
    decidedAt: time(r.decided_at),
    decisionNote: str(r.decision_note),
    revokedBy: str(r.revoked_by),
    revokedAt: time(r.revoked_at),
    revokeNote: str(r.revoke_note),
    version: Number(r.version),
    createdAt: requireDbTime(r.created_at as string),
    updatedAt: requireDbTime(r.updated_at as string),
  };
}

export function applicationFromRow(r: ApplicationRow): OffsetApplication {
  return {
    id: Number(r.id),
    offsetId: Number(r.offset_id),
    billId: String(r.bill_id),
    amountFen: Number(r.amount_fen),
    idempotencyKey: String(r.idempotency_key),
    paramsHash: String(r.params_hash),
    state: String(r.state) as ApplicationState,
    remainingAfterFen: Number(r.remaining_after_fen),
    appliedAt: requireDbTime(r.applied_at as string),
    appliedBy: String(r.applied_by),
    appliedByName: String(r.applied_by_name),
    reversalKey: str(r.reversal_key),
    reversalRemainingFen: num(r.reversal_remaining_fen),
    reversedAt: time(r.reversed_at),
    reversedBy: str(r.reversed_by),
    reversedByName: str(r.reversed_by_name),
  };
}

export function complaintFactsFromRow(r: ComplaintFactsRow): ComplaintFacts {
  return {
    id: Number(r.id),
    code: String(r.code),
    state: String(r.state),
    unitId: str(r.unit_id),
    ownerId: str(r.owner_id),
    communityId: str(r.community_id),
    disputeType: str(r.dispute_type),
    threatenedWithholding: Boolean(Number(r.threatened_withholding)),
  };
}

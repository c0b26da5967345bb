// The offset (抵扣) and its applications as the domain sees them, and the rules that need no database.
// Money is integer fen; host ids are strings whatever the host key's type. Rows live in store/.
import { msg, type Localized } from '../common/localized.js';
import type { BillPaymentState } from '../host/reader.js';
import type { Complaint } from '../complaints/types.js';

export const OFFSET_STATUS_LABELS = {
  requested: msg('待审批', 'Awaiting approval'),
  approved: msg('已批准', 'Approved'),
  rejected: msg('已驳回', 'Rejected'),
  revoked: msg('已撤回', 'Revoked'),
  expired: msg('已过期', 'Expired'),
  exhausted: msg('已用完', 'Used up'),
} satisfies Record<string, Localized>;
export type OffsetStatus = keyof typeof OFFSET_STATUS_LABELS;

/** A host bill's payment state in words (the cashier page, the billing check's answers). */
export const BILL_PAYMENT_LABELS = {
  unpaid: msg('未缴', 'Unpaid'),
  partial: msg('部分缴纳', 'Partly paid'),
  paid: msg('已缴', 'Paid'),
} satisfies Record<BillPaymentState, Localized>;
export const OFFSET_STATUSES = Object.keys(OFFSET_STATUS_LABELS) as OffsetStatus[];

export interface Offset {
  id: number;
  complaintId: number;
  unitId: string;
  ownerId: string | null;
  requestedFen: number;
  approvedFen: number | null;
  remainingFen: number;
  /**
   * What was withdrawn unused: a revoked remainder, or what was left when the complaint was cancelled.
   * For every offset: approved = applied − reversed + remaining + revoked.
   */
  revokedFen: number;
  /** As stored; an approved offset past its date is refused as expired before the job marks it. */
  status: OffsetStatus;
  reason: string;
  /** 'YYYY-MM-DD' in the company's time zone, valid through that day. */
  expiresOn: string | null;
  requestedBy: string;
  requestedByName: string;
  decidedBy: string | null;
  decidedByName: string | null;
  /** The role whose approval limit the approver used (null before it was recorded). */
  decidedRole: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  revokedBy: string | null;
  revokedAt: Date | null;
  revokeNote: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type ApplicationState = 'applied' | 'reversed';

export interface OffsetApplication {
  id: number;
  offsetId: number;
  billId: string;
  amountFen: number;
  idempotencyKey: string;
  paramsHash: string;
  state: ApplicationState;
  remainingAfterFen: number;
  appliedAt: Date;
  appliedBy: string;
  appliedByName: string;
  reversalKey: string | null;
  reversalRemainingFen: number | null;
  reversedAt: Date | null;
  reversedBy: string | null;
  reversedByName: string | null;
}

/** Today's date 'YYYY-MM-DD' in the company's time zone: expiry dates are local calendar days. */
export function isPastExpiry(expiresOn: string | null, today: string): boolean {
  return expiresOn !== null && expiresOn < today;
}

/** The status a reader should see: an approved or requested offset past its date counts as expired. */
export function effectiveStatus(offset: Pick<Offset, 'status' | 'expiresOn'>, today: string): OffsetStatus {
  if ((offset.status === 'approved' || offset.status === 'requested') && isPastExpiry(offset.expiresOn, today)) return 'expired';
  return offset.status;
}

/** What a bill can still take in offsets: its amount less what offsets already took, and no more than is outstanding. */
export function openToOffsets(bill: { amountFen: number; outstandingFen: number }, appliedFen: number): number {
  return Math.max(0, Math.min(bill.amountFen - appliedFen, bill.outstandingFen));
}

/** The facts of a complaint the offset rules read (a narrow view of the complaint row). */
export interface ComplaintFacts {
  id: number;
  code: string;
  state: string;
  /** Null for a public-area complaint: no unit, so no fee to offset. */
  unitId: string | null;
  ownerId: string | null;
  communityId: string | null;
  disputeType: string | null;
  threatenedWithholding: boolean;
}

/** A complaint's facts as the offset rules read them. */
export function factsOf(c: Complaint): ComplaintFacts {
  return {
    id: c.id,
    code: c.code,
    state: c.state,
    unitId: c.unitId,
    ownerId: c.ownerId,
    communityId: c.communityId,
    disputeType: c.disputeType,
    threatenedWithholding: c.threatenedWithholding,
  };
}

/** What the billing check reads of an offset: whose it is, its status and date, what is left. */
export type OffsetFacts = Pick<Offset, 'id' | 'unitId' | 'ownerId' | 'remainingFen' | 'status' | 'expiresOn'>;

/** An offset with the bills it is limited to (null: any bill of its unit). */
export interface OffsetWithLimits<O extends OffsetFacts = Offset> {
  offset: O;
  billLimits: Set<string> | null;
}

/** What the billing check needs besides the host's bills: our side of the story, for these bills and offsets. */
export interface BillFacts {
  /** Open complaints (not closed or cancelled) of the bills' units, for the warnings. */
  openComplaints: ComplaintFacts[];
  /** Fen already applied (not reversed) per bill, from the bill ledger. */
  appliedFen: Map<string, number>;
  offsets: Map<number, OffsetWithLimits<OffsetFacts>>;
}

/** IN lists are cut at this size, so a batch costs a constant number of queries per thousand ids. */
export const ID_CHUNK = 1000;

export function chunked<T>(items: T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

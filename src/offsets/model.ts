// The offset (抵扣) and its applications as the domain sees them, read from our rows. Money is integer
// fen; host ids are strings whatever the host key's type (mysql2 and SQLite return numbers for INT keys).
import type { Knex } from 'knex';
import { msg, type Localized } from '../common/localized.js';
import { requireDbTime, fromDbTime } from '../db/time.js';
import { OPEN_STATES } from '../complaints/states.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../common/parallel.js';
import { isMysql } from '../db/connection.js';
import type { BillPaymentState } from '../host/reader.js';
import type { PluginContext } from '../common/context.js';

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

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** mysql2 returns DATE as 'YYYY-MM-DD' (dateStrings); SQLite stores the same text. */
function dateOnly(v: unknown): string | null {
  const s = str(v);
  return s === null ? null : s.slice(0, 10);
}

export function offsetFromRow(r: Row): Offset {
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
    decidedAt: fromDbTime(r.decided_at as string | null),
    decisionNote: str(r.decision_note),
    revokedBy: str(r.revoked_by),
    revokedAt: fromDbTime(r.revoked_at as string | null),
    revokeNote: str(r.revoke_note),
    version: Number(r.version),
    createdAt: requireDbTime(r.created_at as string),
    updatedAt: requireDbTime(r.updated_at as string),
  };
}

export function applicationFromRow(r: Row): OffsetApplication {
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
    reversedAt: fromDbTime(r.reversed_at as string | null),
    reversedBy: str(r.reversed_by),
    reversedByName: str(r.reversed_by_name),
  };
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
  unitId: string;
  ownerId: string | null;
  communityId: string | null;
  disputeType: string | null;
  threatenedWithholding: boolean;
}

const COMPLAINT_COLUMNS = ['id', 'code', 'state', 'unit_id', 'owner_id', 'community_id', 'dispute_type', 'threatened_withholding'];

function complaintFromRow(r: Row): ComplaintFacts {
  return {
    id: Number(r.id),
    code: String(r.code),
    state: String(r.state),
    unitId: String(r.unit_id),
    ownerId: str(r.owner_id),
    communityId: str(r.community_id),
    disputeType: str(r.dispute_type),
    threatenedWithholding: Boolean(Number(r.threatened_withholding)),
  };
}

/** `lock`: a shared locking read, which waits for a cancellation in progress and sees its result. */
export async function readComplaintFacts(db: Knex | Knex.Transaction, ctx: Pick<PluginContext, 'tables'>, id: number, options: { lock?: boolean } = {}): Promise<ComplaintFacts | null> {
  const qb = db(ctx.tables.complaints).select(COMPLAINT_COLUMNS).where({ id }).first();
  if (options.lock) qb.forShare();
  const row = (await qb) as Row | undefined;
  return row ? complaintFromRow(row) : null;
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

// The one result shape of billFacts' UNION ALL; each branch fills its own columns and leaves NULL elsewhere.
const FACT_COLUMNS = ['id', 'code', 'state', 'unit_id', 'owner_id', 'community_id', 'dispute_type', 'threatened_withholding', 'bill_id', 'fen', 'status', 'expires_on'] as const;
type FactColumn = (typeof FACT_COLUMNS)[number];

/** One branch's SELECT list, as SQL (backtick quoting: MySQL's, and accepted by SQLite). */
function factsSelect(kind: string, columns: Partial<Record<FactColumn, string>>): string {
  return `SELECT '${kind}' AS kind, ${FACT_COLUMNS.map((name) => `${columns[name] ?? 'NULL'} AS \`${name}\``).join(', ')}`;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Everything of ours the billing check reads, in one round trip per thousand bills (and offsets): a UNION
 * ALL of the units' open complaints, the fen applied per bill, and the offsets with their bill limits,
 * told apart by `kind`. At the counter this makes a check two statements: the host's bill, then this.
 * Written as SQL text rather than with the query builder: this is the hottest query of fee collection,
 * and building it from forty fragments cost more than running it.
 */
export async function billFacts(
  db: Knex | Knex.Transaction,
  ctx: Pick<PluginContext, 'tables'>,
  bills: Array<{ id: string; unitId: string }>,
  offsetIds: number[],
): Promise<BillFacts> {
  const t = ctx.tables;
  const complaints = new Map<number, ComplaintFacts>();
  const appliedFen = new Map<string, number>();
  const offsets = new Map<number, OffsetWithLimits<OffsetFacts>>();
  const openStates = [...OPEN_STATES];
  const billChunks = chunked(bills);
  const offsetChunks = chunked([...new Set(offsetIds)]);
  const rounds = Array.from({ length: Math.max(billChunks.length, offsetChunks.length) }, (_, i) => i);
  const results = await mapLimit(rounds, CHUNK_CONCURRENCY, async (i) => {
    const branches: string[] = [];
    const bindings: Array<string | number> = [];
    const chunk = billChunks[i];
    if (chunk) {
      const units = [...new Set(chunk.map((b) => b.unitId))];
      branches.push(
        `${factsSelect('complaint', Object.fromEntries(COMPLAINT_COLUMNS.map((c) => [c, `\`${c}\``])))} FROM \`${t.complaints}\`` +
          ` WHERE \`unit_id\` IN (${marks(units.length)}) AND \`state\` IN (${marks(openStates.length)})`,
        `${factsSelect('applied', { bill_id: '`bill_id`', fen: '`applied_fen`' })} FROM \`${t.offsetBillLedger}\`` +
          ` WHERE \`bill_id\` IN (${marks(chunk.length)})`,
      );
      bindings.push(...units, ...openStates, ...chunk.map((b) => b.id));
    }
    const ids = offsetChunks[i];
    if (ids) {
      branches.push(
        `${factsSelect('offset', { id: 'o.`id`', unit_id: 'o.`unit_id`', owner_id: 'o.`owner_id`', bill_id: 'ob.`bill_id`', fen: 'o.`remaining_fen`', status: 'o.`status`', expires_on: 'o.`expires_on`' })}` +
          ` FROM \`${t.offsets}\` o LEFT JOIN \`${t.offsetBills}\` ob ON ob.\`offset_id\` = o.\`id\` WHERE o.\`id\` IN (${marks(ids.length)})`,
      );
      bindings.push(...ids);
    }
    const result = (await db.raw(branches.join(' UNION ALL '), bindings)) as unknown;
    return (isMysql(db as Knex) ? (result as [Row[]])[0] : result) as Row[];
  });
  for (const rows of results) {
    for (const row of rows) {
      if (row.kind === 'applied') appliedFen.set(String(row.bill_id), Number(row.fen ?? 0));
      else if (row.kind === 'complaint') complaints.set(Number(row.id), complaintFromRow(row));
      else {
        const id = Number(row.id);
        let entry = offsets.get(id);
        if (!entry) {
          entry = {
            offset: { id, unitId: String(row.unit_id), ownerId: str(row.owner_id), remainingFen: Number(row.fen), status: String(row.status) as OffsetStatus, expiresOn: dateOnly(row.expires_on) },
            billLimits: null,
          };
          offsets.set(id, entry);
        }
        if (row.bill_id !== null && row.bill_id !== undefined) (entry.billLimits ??= new Set()).add(String(row.bill_id));
      }
    }
  }
  return { openComplaints: [...complaints.values()].sort((x, y) => x.id - y.id), appliedFen, offsets };
}

/** IN lists are cut at this size, so a batch costs a constant number of queries per thousand ids. */
export const ID_CHUNK = 1000;

export function chunked<T>(items: T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

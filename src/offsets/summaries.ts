// What a person deciding about money on a complaint sees at once: the unit's outstanding bills and what
// each can still take in offsets, what is already requested, approved and applied on the complaint, and
// whether an amount goes beyond what the unit owes. Going beyond is a warning with the figures, never a
// refusal: apply still caps every bill, and an approval may be meant for bills not yet issued.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, hasPermission, requirePermission } from '../auth/permissions.js';
import { msg, type Localized } from '../common/localized.js';
import { formatYuan } from '../common/money.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../common/parallel.js';
import { localDate } from '../calendar/zoned.js';
import type { BillPaymentState, HostBill } from '../host/reader.js';
import type { PluginContext } from '../common/context.js';
import { appliedOnBills } from './store/billLedger.js';
import { offsetInComplaint } from './store/listing.js';
import {
  appliedByComplaint,
  approvedByApprover,
  billLimitsOfOffsets,
  offsetFiguresOfComplaints,
  offsetsOfComplaints as readOffsetsOfComplaints,
  queueComplaints,
  standingApplicationsOfComplaint,
} from './store/summaryReads.js';
import { effectiveStatus, openToOffsets, type Offset, type OffsetStatus } from './model.js';
import { approvalLimitFen } from './approvals.js';

/** At most this many of a unit's outstanding bills are read (latest first); `more` says when there are others. */
export const OUTSTANDING_BILLS_READ = 60;

export interface OutstandingBill {
  id: string;
  period: string | null;
  amountFen: number;
  paymentState: BillPaymentState;
  /** Still to be paid, as the host tells it. */
  outstandingFen: number;
  /** Offsets already applied to the bill (not reversed). */
  appliedFen: number;
  /** What offsets can still take from it: openToOffsets. */
  openFen: number;
}

export interface UnitOutstanding {
  unitId: string;
  bills: OutstandingBill[];
  outstandingFen: number;
  /** What offsets could still take from the unit's outstanding bills together. */
  openFen: number;
  /** More outstanding bills exist than were read: the totals are at least these. */
  more: boolean;
}

/** A complaint's offsets in four figures (each a sum in fen over the complaint's offsets). */
export interface ComplaintOffsetTotals {
  /** Requests awaiting approval (not past their date). */
  requestedFen: number;
  /** Everything ever approved (including what was later withdrawn or used). */
  approvedFen: number;
  /** Applied to bills and not reversed. */
  appliedFen: number;
  /** Approved and still usable. */
  remainingFen: number;
  /** Withdrawn unused (revoked, or the complaint cancelled). */
  withdrawnFen: number;
}

/** One offset as listed next to another (the queue's "other offsets of this complaint", the cancel form). */
export interface OffsetBrief {
  id: number;
  complaintId: number;
  status: OffsetStatus;
  requestedFen: number;
  approvedFen: number | null;
  remainingFen: number;
  requestedByName: string;
}

/** An offset's application still standing, with the bill and payment it backs. */
export interface StandingApplication {
  offsetId: number;
  billId: string;
  amountFen: number;
  /** The host's payment id; shown only to those who may see payment ids (offset.apply or report.view). */
  paymentRef: string | null;
  appliedAt: Date;
}

async function today(ctx: PluginContext): Promise<string> {
  return localDate(ctx.clock.now(), (await ctx.settings.get()).timezone);
}

function outstandingBill(bill: HostBill, appliedFen: number): OutstandingBill {
  return {
    id: bill.id,
    period: bill.period,
    amountFen: bill.amountFen,
    paymentState: bill.paymentState,
    outstandingFen: bill.outstandingFen,
    appliedFen,
    openFen: openToOffsets(bill, appliedFen),
  };
}

function unitOutstandingOf(unitId: string, bills: OutstandingBill[], more: boolean): UnitOutstanding {
  return {
    unitId,
    bills,
    outstandingFen: bills.reduce((s, b) => s + b.outstandingFen, 0),
    openFen: bills.reduce((s, b) => s + b.openFen, 0),
    more,
  };
}

/** Each unit's outstanding bills from the host, with what offsets already took from each (one ledger read). */
export async function unitsOutstanding(ctx: PluginContext, unitIds: string[]): Promise<Map<string, UnitOutstanding>> {
  const units = [...new Set(unitIds)];
  const read = await mapLimit(units, CHUNK_CONCURRENCY, (unitId) => ctx.host.listUnpaidBills(unitId, OUTSTANDING_BILLS_READ + 1));
  const applied = await appliedOnBills(
    ctx.db,
    ctx.tables,
    read.flatMap((bills) => bills.map((b) => b.id)),
  );
  return new Map(
    units.map((unitId, i) => {
      const bills = read[i]!;
      const shown = bills.slice(0, OUTSTANDING_BILLS_READ).filter((b) => b.unpaid);
      return [
        unitId,
        unitOutstandingOf(
          unitId,
          shown.map((b) => outstandingBill(b, applied.get(b.id) ?? 0)),
          bills.length > OUTSTANDING_BILLS_READ,
        ),
      ];
    }),
  );
}

/** Bills by id (an offset's bill limits), with what offsets already took from each; unknown ids are left out. */
export async function billsOutstanding(ctx: PluginContext, billIds: string[]): Promise<Map<string, OutstandingBill>> {
  if (!billIds.length) return new Map();
  const bills = await ctx.host.getBills([...new Set(billIds)]);
  const applied = await appliedOnBills(ctx.db, ctx.tables, [...new Set([...bills.values()].map((b) => b.id))]);
  return new Map([...bills].map(([asked, bill]) => [asked, outstandingBill(bill, applied.get(bill.id) ?? 0)]));
}

/** The four figures of each complaint's offsets: two grouped reads, whatever the number of complaints. */
export async function complaintOffsetTotals(ctx: PluginContext, complaintIds: number[]): Promise<Map<number, ComplaintOffsetTotals>> {
  const ids = [...new Set(complaintIds)];
  const totals = new Map<number, ComplaintOffsetTotals>(
    ids.map((id) => [id, { requestedFen: 0, approvedFen: 0, appliedFen: 0, remainingFen: 0, withdrawnFen: 0 }]),
  );
  if (!ids.length) return totals;
  const [figures, applied, day] = await Promise.all([
    offsetFiguresOfComplaints(ctx.db, ctx.tables, ids),
    appliedByComplaint(ctx.db, ctx.tables, ids),
    today(ctx),
  ]);
  for (const f of figures) {
    const t = totals.get(f.complaintId)!;
    const status = effectiveStatus(f, day);
    if (status === 'requested') t.requestedFen += f.requestedFen;
    if (f.approvedFen !== null) t.approvedFen += f.approvedFen;
    if (status === 'approved') t.remainingFen += f.remainingFen;
    t.withdrawnFen += f.revokedFen;
  }
  for (const [complaintId, fen] of applied) totals.get(complaintId)!.appliedFen = fen;
  return totals;
}

/** Every offset of these complaints, oldest first, as they should be read (expired when past their date). */
export async function offsetsOfComplaints(ctx: PluginContext, complaintIds: number[]): Promise<Map<number, OffsetBrief[]>> {
  const ids = [...new Set(complaintIds)];
  const out = new Map<number, OffsetBrief[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const [offsets, day] = await Promise.all([readOffsetsOfComplaints(ctx.db, ctx.tables, ids), today(ctx)]);
  for (const o of offsets) out.get(o.complaintId)!.push(brief(o, day));
  return out;
}

function brief(o: Offset, day: string): OffsetBrief {
  return {
    id: o.id,
    complaintId: o.complaintId,
    status: effectiveStatus(o, day),
    requestedFen: o.requestedFen,
    approvedFen: o.approvedFen,
    remainingFen: o.remainingFen,
    requestedByName: o.requestedByName,
  };
}

/** What the offset request form shows: the unit's outstanding bills and the complaint's figures so far. */
export interface RequestContext {
  outstanding: UnitOutstanding;
  totals: ComplaintOffsetTotals;
}

export async function requestContext(ctx: PluginContext, complaint: { id: number; unitId: string }, actor: Actor): Promise<RequestContext> {
  requirePermission(actor, 'complaint.view');
  const [units, totals] = await Promise.all([unitsOutstanding(ctx, [complaint.unitId]), complaintOffsetTotals(ctx, [complaint.id])]);
  return { outstanding: units.get(complaint.unitId)!, totals: totals.get(complaint.id)! };
}

/**
 * The warning for an amount beyond what the unit's outstanding bills can still take, with the figures;
 * null when it fits. `totals` (the complaint's figures so far) are named in the warning when given.
 */
export function beyondOutstanding(
  kind: 'request' | 'approve',
  amountFen: number,
  outstanding: UnitOutstanding,
  totals?: ComplaintOffsetTotals,
): Localized | null {
  if (amountFen <= outstanding.openFen) return null;
  const zhKind = kind === 'request' ? '申请' : '批准';
  const enKind = kind === 'request' ? 'requested' : 'to approve';
  const n = outstanding.bills.length;
  const zhMore = outstanding.more ? '（仅统计最近的账单）' : '';
  const enMore = outstanding.more ? ' (latest bills only)' : '';
  const zhSoFar = totals
    ? `本投诉已申请待批 ${formatYuan(totals.requestedFen)}、已批准 ${formatYuan(totals.approvedFen)}、已使用 ${formatYuan(totals.appliedFen)}。`
    : '';
  const enSoFar = totals
    ? ` On this complaint ${formatYuan(totals.requestedFen)} is awaiting approval, ${formatYuan(totals.approvedFen)} was approved and ${formatYuan(totals.appliedFen)} applied.`
    : '';
  return msg(
    `注意：${zhKind}金额 ${formatYuan(amountFen)} 超过该房屋未缴账单还可抵扣的合计 ${formatYuan(outstanding.openFen)}（${n} 笔未缴，未缴合计 ${formatYuan(outstanding.outstandingFen)}）${zhMore}，超出的 ${formatYuan(amountFen - outstanding.openFen)} 目前没有账单可抵。${zhSoFar}`,
    `Note: the amount ${enKind}, ${formatYuan(amountFen)}, is more than the ${formatYuan(outstanding.openFen)} the unit's outstanding bills can still take in offsets (${n} outstanding, ${formatYuan(outstanding.outstandingFen)} in all)${enMore}; ${formatYuan(amountFen - outstanding.openFen)} has no bill to go against now.${enSoFar}`,
  );
}

/** What an approver sees about one request in the queue. */
export interface QueueFacts {
  offsetId: number;
  complaintCode: string;
  category: string;
  unitLabel: string;
  ownerNames: string[];
  /** The bills the offset may go against: its bill limits, or else the unit's outstanding bills. */
  bills: OutstandingBill[];
  /** Limited to named bills (`bills` are those), or any bill of the unit. */
  limited: boolean;
  outstanding: UnitOutstanding;
  others: OffsetBrief[];
  /** What this approver has already approved on the complaint, against their limit (null: none; undefined: may not approve). */
  approvedByMeFen: number;
  limitFen: number | null | undefined;
  /** Approving the requested amount would go beyond the unit's outstanding bills. */
  warning: Localized | null;
}

/** The queue rows' facts in a handful of reads, whatever the number of rows. */
export async function approvalQueueFacts(ctx: PluginContext, offsets: Offset[], actor: Actor): Promise<Map<number, QueueFacts>> {
  if (!hasPermission(actor, 'offset.approve')) requirePermission(actor, 'offset.revoke');
  if (!offsets.length) return new Map();
  const complaintIds = [...new Set(offsets.map((o) => o.complaintId))];
  const offsetIds = offsets.map((o) => o.id);
  const [complaints, limits, mine, others, totals, units, hostUnits, settings] = await Promise.all([
    queueComplaints(ctx.db, ctx.tables, complaintIds),
    billLimitsOfOffsets(ctx.db, ctx.tables, offsetIds),
    approvedByApprover(ctx.db, ctx.tables, complaintIds, actor.id),
    offsetsOfComplaints(ctx, complaintIds),
    complaintOffsetTotals(ctx, complaintIds),
    unitsOutstanding(
      ctx,
      offsets.map((o) => o.unitId),
    ),
    ctx.host.getUnits([...new Set(offsets.map((o) => o.unitId))]),
    ctx.settings.get(),
  ]);
  const limitedBills = await billsOutstanding(ctx, [...limits.values()].flat());
  const limitFen = approvalLimitFen(actor, settings.roleApprovalLimitsFen);
  const out = new Map<number, QueueFacts>();
  for (const o of offsets) {
    const c = complaints.get(o.complaintId);
    const unit = hostUnits.get(o.unitId);
    const outstanding = units.get(o.unitId)!;
    const named = limits.get(o.id);
    out.set(o.id, {
      offsetId: o.id,
      complaintCode: c?.code ?? '',
      category: c?.category ?? '',
      unitLabel: unit?.label ?? c?.unitLabel ?? o.unitId,
      ownerNames: unit ? unit.owners.map((w) => w.name) : c?.ownerName ? [c.ownerName] : [],
      bills: named ? named.flatMap((id) => (limitedBills.has(id) ? [limitedBills.get(id)!] : [])) : outstanding.bills,
      limited: !!named,
      outstanding,
      others: (others.get(o.complaintId) ?? []).filter((b) => b.id !== o.id),
      approvedByMeFen: mine.get(o.complaintId) ?? 0,
      limitFen,
      warning: beyondOutstanding('approve', o.requestedFen, outstanding, totals.get(o.complaintId)),
    });
  }
  return out;
}

/** After an approval: the warning when what was approved goes beyond the unit's outstanding bills (null otherwise). */
export async function approvedBeyondOutstanding(ctx: PluginContext, offsetId: number, actor: Actor): Promise<Localized | null> {
  requirePermission(actor, 'complaint.view');
  const found = await offsetInComplaint(ctx.db, ctx.tables, offsetId);
  // Another community's offset is answered like a missing one.
  if (!found || !canSeeCommunity(actor, found.communityId)) return null;
  const o = found.offset;
  if (o.approvedFen === null) return null;
  const { outstanding, totals } = await requestContext(ctx, { id: o.complaintId, unitId: o.unitId }, actor);
  return beyondOutstanding('approve', o.approvedFen, outstanding, totals);
}

/** What cancelling a complaint does to its money: offsets it will withdraw, and applications that stay. */
export interface CancelEffects {
  /** Requested or approved (with something left): withdrawn with the complaint. */
  withdrawn: OffsetBrief[];
  /** Applied and not reversed: they stay; a cashier reverses them if the payment is voided. */
  applied: StandingApplication[];
}

const WITHDRAWN_ON_CANCEL: OffsetStatus[] = ['requested', 'approved'];

export async function cancelEffects(ctx: PluginContext, complaintId: number, actor: Actor): Promise<CancelEffects> {
  requirePermission(actor, 'complaint.view');
  const seesPayments = hasPermission(actor, 'offset.apply') || hasPermission(actor, 'report.view');
  const [all, standing, day] = await Promise.all([
    readOffsetsOfComplaints(ctx.db, ctx.tables, [complaintId]),
    standingApplicationsOfComplaint(ctx.db, ctx.tables, complaintId),
    today(ctx),
  ]);
  // Withdrawal goes by the stored status, as the cancellation does (an offset past its date that the job
  // has not marked yet is withdrawn too).
  const offsets = all.filter((o) => WITHDRAWN_ON_CANCEL.includes(o.status));
  return {
    withdrawn: offsets.map((o) => brief(o, day)),
    applied: standing.map((a) => ({ ...a, paymentRef: seesPayments ? a.paymentRef : null })),
  };
}

// The billing check at fee collection: for a bill and the offsets a cashier wants to use, each offset is
// `allowed` or refused with a code; the unit's open complaints and fee-withholding threats come back as
// warnings that never block collection. Read-only. A batch costs a constant number of queries per
// thousand ids, never one per bill: one UNION of the host's bills and ours (the offsets with their bill
// limits, the units' open complaints, what earlier payments already applied to the bills; see
// billsWithFacts), and the units' owners only when an offset's owner must be compared with them. One bill:
// one statement (two where our columns do not compare alike with the host's: the bills, then ours).
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity } from '../auth/permissions.js';
import { type Localized } from '../common/localized.js';
import { unmappedBills, type BillPaymentState, type HostBill, type HostReader } from '../host/reader.js';
import type { PluginContext } from '../common/context.js';
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../common/parallel.js';
import { BILL_PAYMENT_LABELS, ID_CHUNK, openToOffsets, effectiveStatus, type ComplaintFacts, type OffsetFacts, type OffsetWithLimits } from './model.js';
import { billFacts, billJoins, billsWithFacts, type BillFactsOptions, type BillFactsRead } from './store/facts.js';
import { allowed, openComplaintOnUnit, withholdingThreat } from './messages.js';
import { refusalMessage, type RefusalCode, type RefusalFacts } from './refusals.js';
import { validateBillBatch, validateBillCheck, type BillCheckInput } from './schemas.js';
import { localDate } from '../calendar/zoned.js';
import { seeLatestWrites } from '../db/causalReads.js';

export type { BillCheckInput } from './schemas.js';

export interface OffsetVerdict {
  offsetId: number;
  amountFen: number;
  allowed: boolean;
  code: 'allowed' | RefusalCode;
  message: Localized;
  /** What is left of the offset before this collection (null when the offset does not exist). */
  remainingFen: number | null;
}

export interface BillWarning {
  code: 'open_complaint' | 'withholding_threat';
  complaintId: number;
  complaintCode: string;
  complaintState: string;
  message: Localized;
}

export interface BillCheck {
  /** The host's own key of the bill when found (as read from its row); the id asked for otherwise. */
  billId: string;
  found: boolean;
  unitId: string | null;
  amountFen: number | null;
  /** Whether the host still shows the bill as outstanding; offsets go only against unpaid or partly paid bills. */
  paymentState: BillPaymentState | null;
  paymentStateLabel: Localized | null;
  /** The host's own status value, as stored (null when the mapping has no status column). */
  hostStatus: string | null;
  /** What is still to be paid on the bill, as the host tells it. */
  outstandingFen: number | null;
  /** Offsets already applied to this bill (not reversed); new ones may take the bill only up to its amount. */
  appliedFen: number;
  /** What the bill can still take in offsets now: its amount less applied offsets, at most what is outstanding. */
  openToOffsetsFen: number;
  /** Always true: a complaint never stops a fee from being collected; only offsets can be refused. */
  collectible: true;
  /** Every requested offset is allowed (true when none were requested). */
  allAllowed: boolean;
  offsets: OffsetVerdict[];
  warnings: BillWarning[];
}

export type { OffsetWithLimits } from './model.js';

type OwnersOfUnits = (unitIds: string[]) => Promise<Map<string, string[]>>;

/** Current live owners per unit; HostGateway answers in fewer queries than getUnits when it can. */
export function ownersLookup(host: HostReader): OwnersOfUnits {
  const gateway = host as HostReader & { ownersOfUnits?: OwnersOfUnits };
  if (typeof gateway.ownersOfUnits === 'function') return (ids) => gateway.ownersOfUnits!(ids);
  return async (ids) => new Map([...(await host.getUnits(ids))].map(([id, unit]) => [id, unit.owners.map((o) => o.id)]));
}

/** Does the offset's owner still own the bill? Uses the bill's own owner column when mapped, else the unit's owners. */
function ownerMatches(offset: OffsetFacts, bill: HostBill, unitOwners: Map<string, string[]>): boolean {
  if (offset.ownerId === null) return true;
  if (bill.ownerId !== null) return bill.ownerId === offset.ownerId;
  return (unitOwners.get(bill.unitId) ?? []).includes(offset.ownerId);
}

/** Needs the unit's owner list to decide ownership (no owner on the bill itself). */
export function needsUnitOwners(offset: OffsetFacts | undefined, bill: HostBill): boolean {
  return !!offset && offset.ownerId !== null && bill.ownerId === null && offset.unitId === bill.unitId;
}

/**
 * The refusals that do not depend on concurrent use: who the offset belongs to, which bills it may
 * cover, and its status and date as last read. Remaining amounts are judged by the caller.
 */
export function identityRefusal(
  entry: OffsetWithLimits<OffsetFacts> | undefined,
  bill: HostBill,
  unitOwners: Map<string, string[]>,
  today: string,
): RefusalCode | null {
  if (!entry) return 'not_found';
  const { offset, billLimits } = entry;
  if (offset.unitId !== bill.unitId) return 'other_unit';
  if (!ownerMatches(offset, bill, unitOwners)) return 'other_owner';
  if (billLimits && !billLimits.has(bill.id)) return 'not_valid_for_bill';
  switch (effectiveStatus(offset, today)) {
    case 'requested':
      return 'not_approved';
    case 'rejected':
      return 'rejected';
    case 'revoked':
      return 'revoked';
    case 'expired':
      return 'expired';
    case 'approved':
    case 'exhausted':
      return null;
  }
}

function warningsFor(complaints: ComplaintFacts[]): BillWarning[] {
  const out: BillWarning[] = [];
  for (const c of complaints) {
    out.push({
      code: 'open_complaint',
      complaintId: c.id,
      complaintCode: c.code,
      complaintState: c.state,
      message: openComplaintOnUnit(c.code),
    });
    if (c.threatenedWithholding) {
      out.push({
        code: 'withholding_threat',
        complaintId: c.id,
        complaintCode: c.code,
        complaintState: c.state,
        message: withholdingThreat(c.code),
      });
    }
  }
  return out;
}

function verdict(offsetId: number, amountFen: number, code: RefusalCode | null, remainingFen: number | null, facts: RefusalFacts = {}): OffsetVerdict {
  return {
    offsetId,
    amountFen,
    allowed: code === null,
    code: code ?? 'allowed',
    message: code ? refusalMessage(code, { offsetId, amountFen, remainingFen: remainingFen ?? 0, ...facts }) : allowed(),
    remainingFen,
  };
}

/**
 * Judges one bill with everything already loaded (`complaints`: the open complaints of the bill's unit).
 * Several lines on one offset share its remaining amount.
 */
function judgeBill(
  input: BillCheckInput,
  bill: HostBill | undefined,
  offsets: Map<number, OffsetWithLimits<OffsetFacts>>,
  owners: Map<string, string[]>,
  complaints: ComplaintFacts[],
  appliedFen: number,
  today: string,
  unmapped = false,
): BillCheck {
  if (!bill) {
    return {
      billId: input.billId,
      found: false,
      unitId: null,
      amountFen: null,
      paymentState: null,
      paymentStateLabel: null,
      hostStatus: null,
      outstandingFen: null,
      appliedFen,
      openToOffsetsFen: 0,
      collectible: true,
      allAllowed: input.offsets.length === 0,
      // Nothing about the offsets is told for a bill that is not there (or not the asker's to see).
      offsets: input.offsets.map((l) => verdict(l.offsetId, l.amountFen, unmapped ? 'bill_not_mapped' : 'bill_not_found', null, { billId: input.billId })),
      warnings: [],
    };
  }
  const usedOfOffset = new Map<number, number>();
  // Earlier payments' offsets count against the bill too: splitting them over several calls changes nothing.
  const open = openToOffsets(bill, appliedFen);
  let usedOfBill = 0;
  const verdicts = input.offsets.map((line) => {
    const entry = offsets.get(line.offsetId);
    const remaining = entry ? entry.offset.remainingFen : null;
    let code: RefusalCode | null = line.amountFen <= 0 ? 'invalid_amount' : bill.unpaid ? identityRefusal(entry, bill, owners, today) : 'bill_paid';
    const used = usedOfOffset.get(line.offsetId) ?? 0;
    if (!code && (remaining ?? 0) - used < line.amountFen) code = 'exceeds_remaining';
    if (!code && usedOfBill + line.amountFen > open) code = 'exceeds_bill';
    if (!code) {
      usedOfOffset.set(line.offsetId, used + line.amountFen);
      usedOfBill += line.amountFen;
    }
    return verdict(line.offsetId, line.amountFen, code, remaining, {
      billId: bill.id,
      billStatus: bill.status,
      remainingFen: (remaining ?? 0) - used,
      billAmountFen: bill.amountFen,
      appliedFen: appliedFen + usedOfBill,
      openFen: open - usedOfBill,
      expiresOn: entry?.offset.expiresOn ?? null,
    });
  });
  return {
    billId: bill.id,
    found: true,
    unitId: bill.unitId,
    amountFen: bill.amountFen,
    paymentState: bill.paymentState,
    paymentStateLabel: BILL_PAYMENT_LABELS[bill.paymentState],
    hostStatus: bill.status,
    outstandingFen: bill.outstandingFen,
    appliedFen,
    openToOffsetsFen: open,
    collectible: true,
    allAllowed: verdicts.every((v) => v.allowed),
    offsets: verdicts,
    warnings: warningsFor(complaints),
  };
}

/** Requests cut into groups of at most a thousand bills and a thousand distinct offsets (one statement each). */
function groupsOf(requests: Array<{ billId: string; offsetIds: number[] }>): Array<{ billIds: string[]; offsetIds: number[] }> {
  const groups: Array<{ billIds: string[]; offsetIds: Set<number> }> = [];
  let current: { billIds: string[]; offsetIds: Set<number> } | null = null;
  for (const r of requests) {
    const fresh = r.offsetIds.filter((id) => !current?.offsetIds.has(id));
    if (!current || current.billIds.length >= ID_CHUNK || current.offsetIds.size + new Set(fresh).size > ID_CHUNK)
      groups.push((current = { billIds: [], offsetIds: new Set() }));
    current.billIds.push(r.billId);
    for (const id of r.offsetIds) current.offsetIds.add(id);
  }
  return groups.map((g) => ({ billIds: g.billIds, offsetIds: [...g.offsetIds] }));
}

function mergeFacts(parts: BillFactsRead[]): BillFactsRead {
  const complaints = new Map(parts.flatMap((p) => p.openComplaints.map((c) => [c.id, c] as const)));
  return {
    openComplaints: [...complaints.values()].sort((x, y) => x.id - y.id),
    appliedFen: new Map(parts.flatMap((p) => [...p.appliedFen])),
    offsets: new Map(parts.flatMap((p) => [...p.offsets])),
    offsetComplaints: new Map(parts.flatMap((p) => [...p.offsetComplaints])),
  };
}

/**
 * Fee collection's everyday calls (a bill or a few, a few offsets) send their one read prepared, parsed once
 * per connection; larger batches as plain statements (each size would be one more prepared statement).
 */
const PREPARED_MAX_BILLS = 4;
const PREPARED_MAX_OFFSETS = 8;

/**
 * The host's bills by the ids asked for, and our facts about them and their offsets: ONE statement per
 * thousand bills where the host reader can embed its bill query in ours (joins that compare alike, see
 * HostReader.billsSubquery), else the bills first and then our UNION (two statements per thousand ids).
 */
export async function billsAndFacts(
  db: Knex | Knex.Transaction,
  tables: TableNames,
  host: HostReader,
  requests: Array<{ billId: string; offsetIds: number[] }>,
  options: BillFactsOptions,
): Promise<{ bills: Map<string, HostBill>; facts: BillFactsRead }> {
  const groups = groupsOf(requests);
  const joins = billJoins(tables);
  const queries = host.billsSubquery ? await mapLimit(groups, CHUNK_CONCURRENCY, (g) => host.billsSubquery!(g.billIds, joins)) : [];
  if (groups.length && queries.length === groups.length && queries.every((q) => q !== null)) {
    const parts = await mapLimit(groups, CHUNK_CONCURRENCY, (g, i) =>
      billsWithFacts(db, tables, queries[i]!, g.offsetIds, {
        ...options,
        prepared: g.billIds.length <= PREPARED_MAX_BILLS && g.offsetIds.length <= PREPARED_MAX_OFFSETS,
      }),
    );
    return { bills: new Map(parts.flatMap((p) => [...p.bills])), facts: mergeFacts(parts.map((p) => p.facts)) };
  }
  const bills = await host.getBills(requests.map((r) => r.billId));
  const distinct = [...new Map([...bills.values()].map((b) => [b.id, b])).values()];
  return {
    bills,
    facts: await billFacts(
      db,
      tables,
      distinct,
      requests.flatMap((r) => r.offsetIds),
      options,
    ),
  };
}

/** Checks many bills at once (month-end collection); answers in the order given. */
export async function checkBills(ctx: PluginContext, batch: BillCheckInput[]): Promise<BillCheck[]> {
  const { bills: inputs } = validateBillBatch({ bills: batch });
  await seeLatestWrites(ctx.db);
  const { timezone } = await ctx.settings.get();
  const today = localDate(ctx.clock.now(), timezone);
  const requests = inputs.map((b) => ({ billId: b.billId, offsetIds: b.offsets.map((l) => l.offsetId) }));
  const { bills, facts } = await billsAndFacts(ctx.db, ctx.tables, ctx.host, requests, { complaints: true });
  const { openComplaints, appliedFen: applied, offsets } = facts;
  const unmapped = await unmappedBills(
    ctx.host,
    inputs.filter((b) => !bills.has(b.billId) && b.offsets.length > 0).map((b) => b.billId),
  );
  // Owners are read only for units where an offset's owner has to be compared with the unit's owners.
  const ownerUnits = new Set<string>();
  for (const input of inputs) {
    const bill = bills.get(input.billId);
    if (!bill) continue;
    for (const line of input.offsets) if (needsUnitOwners(offsets.get(line.offsetId)?.offset, bill)) ownerUnits.add(bill.unitId);
  }
  const owners = ownerUnits.size ? await ownersLookup(ctx.host)([...ownerUnits]) : new Map<string, string[]>();
  const byUnit = new Map<string, ComplaintFacts[]>();
  for (const c of openComplaints) {
    if (c.unitId === null) continue;
    const list = byUnit.get(c.unitId);
    if (list) list.push(c);
    else byUnit.set(c.unitId, [c]);
  }
  return inputs.map((input) => {
    const bill = bills.get(input.billId);
    return judgeBill(
      input,
      bill,
      offsets,
      owners,
      bill ? (byUnit.get(bill.unitId) ?? []) : [],
      bill ? (applied.get(bill.id) ?? 0) : 0,
      today,
      unmapped.has(input.billId),
    );
  });
}

/**
 * Is the bill's unit in the actor's communities? True for a bill that does not exist (the caller answers
 * that as "not found" anyway) and for actors who see every community.
 */
export async function billVisibleTo(ctx: PluginContext, actor: Actor | undefined, billId: string): Promise<boolean> {
  if (!actor || actor.communityIds === null) return true;
  const bill = await ctx.host.getBill(billId);
  if (!bill) return true;
  const unit = await ctx.host.getUnit(bill.unitId);
  return !unit || canSeeCommunity(actor, unit.communityId);
}

/**
 * Checks one bill: may these offsets reduce it, and what should the cashier know. With an actor (a
 * signed-in cashier), a bill outside their communities is answered as one that does not exist.
 */
export async function checkOffsets(ctx: PluginContext, input: BillCheckInput, actor?: Actor): Promise<BillCheck> {
  const one = validateBillCheck(input);
  if (!(await billVisibleTo(ctx, actor, one.billId))) return judgeBill(one, undefined, new Map(), new Map(), [], 0, '');
  const [result] = await checkBills(ctx, [one]);
  return result!;
}

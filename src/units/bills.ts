// A unit's outstanding bills for an ERP's own screens, each with what the billing check would say of it
// now: its payment state, what is outstanding, what offsets already took, what it can still take, and
// the approved offsets that may go against it (and how much of each). The judging is the billing check's
// own (checkBills): one line per bill and candidate offset, so each offset is judged alone and the answer
// here never differs from what check or apply would answer.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity } from '../auth/permissions.js';
import { NotFoundError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { formatFen } from '../common/money.js';
import type { BillPaymentState, HostBill, HostUnit } from '../host/reader.js';
import type { BillCheck, BillCheckInput, BillWarning } from '../offsets/billingCheck.js';
import type { OffsetListItem } from '../offsets/queries.js';
import type { OffsetService } from '../offsets/service.js';
import type { PluginContext } from '../common/context.js';
import { requireUnitLookup, validateUnitBillsQuery } from './schemas.js';

/** The billing check's batch limit; a unit with more bill × offset pairs is checked in several batches. */
const CHECK_BATCH = 10_000;
/** Candidate offsets read per unit: a unit with more approved offsets than this is not a real case. */
const OFFSETS_PER_UNIT = 200;

export interface ApplicableOffset {
  offsetId: number;
  complaintId: number;
  complaintCode: string;
  reason: string;
  expiresOn: string | null;
  remainingFen: number;
  remainingYuan: string;
  /** What of this offset the bill can take now: the smaller of its remainder and the bill's open amount. */
  mayApplyFen: number;
  mayApplyYuan: string;
}

export interface UnitBill {
  billId: string;
  period: string | null;
  amountFen: number;
  amountYuan: string;
  paymentState: BillPaymentState;
  paymentStateLabel: Localized;
  hostStatus: string | null;
  outstandingFen: number;
  outstandingYuan: string;
  appliedFen: number;
  appliedYuan: string;
  openToOffsetsFen: number;
  openToOffsetsYuan: string;
  offsets: ApplicableOffset[];
}

export interface UnitBills {
  unit: HostUnit;
  bills: UnitBill[];
  /** The unit has more outstanding bills than were returned (older ones). */
  more: boolean;
  /** Open complaints and fee-withholding threats on the unit: never a reason not to collect. */
  warnings: BillWarning[];
}

function unitNotFound(unitId: string): NotFoundError {
  return new NotFoundError(msg(`房屋 ${unitId} 不存在或不在您管辖的小区`, `Unit ${unitId} does not exist or is not in your communities`));
}

/** Approved offsets of the unit with something left, newest first (stored status; the check judges expiry). */
async function candidateOffsets(offsets: OffsetService, unitId: string, actor: Actor): Promise<OffsetListItem[]> {
  const page = await offsets.list({ unitId, status: 'approved', perPage: OFFSETS_PER_UNIT }, actor);
  return page.items.filter((o) => o.remainingFen > 0);
}

async function checkPairs(offsets: OffsetService, bills: HostBill[], candidates: OffsetListItem[]): Promise<BillCheck[]> {
  // One fen per line: "allowed" then means the offset may go against the bill at all; how much is the
  // smaller of its remainder and what the bill can still take.
  const inputs: BillCheckInput[] = bills.flatMap((b) =>
    candidates.length ? candidates.map((o) => ({ billId: b.id, offsets: [{ offsetId: o.id, amountFen: 1 }] })) : [{ billId: b.id, offsets: [] }],
  );
  const answers: BillCheck[] = [];
  for (let i = 0; i < inputs.length; i += CHECK_BATCH) answers.push(...(await offsets.checkBills(inputs.slice(i, i + CHECK_BATCH))));
  return answers;
}

export async function unitBills(
  ctx: Pick<PluginContext, 'host'>,
  offsets: OffsetService,
  unitId: string,
  input: Record<string, unknown>,
  actor: Actor,
): Promise<UnitBills> {
  requireUnitLookup(actor);
  const { limit = 24 } = validateUnitBillsQuery({ ...input });
  const unit = await ctx.host.getUnit(unitId);
  if (!unit || !canSeeCommunity(actor, unit.communityId)) throw unitNotFound(unitId);

  const [listed, candidates] = await Promise.all([ctx.host.listUnpaidBills(unit.id, limit + 1), candidateOffsets(offsets, unit.id, actor)]);
  const bills = listed.slice(0, limit);
  const answers = await checkPairs(offsets, bills, candidates);
  const byId = new Map(candidates.map((o) => [o.id, o]));

  const out = new Map<string, UnitBill>();
  let warnings: BillWarning[] = [];
  for (const answer of answers) {
    if (!answer.found || answer.paymentState === null || answer.amountFen === null || answer.outstandingFen === null) continue;
    warnings = answer.warnings;
    let bill = out.get(answer.billId);
    if (!bill) {
      const listedBill = bills.find((b) => b.id === answer.billId);
      bill = {
        billId: answer.billId,
        period: listedBill?.period ?? null,
        amountFen: answer.amountFen,
        amountYuan: formatFen(answer.amountFen),
        paymentState: answer.paymentState,
        paymentStateLabel: answer.paymentStateLabel!,
        hostStatus: answer.hostStatus,
        outstandingFen: answer.outstandingFen,
        outstandingYuan: formatFen(answer.outstandingFen),
        appliedFen: answer.appliedFen,
        appliedYuan: formatFen(answer.appliedFen),
        openToOffsetsFen: answer.openToOffsetsFen,
        openToOffsetsYuan: formatFen(answer.openToOffsetsFen),
        offsets: [],
      };
      out.set(answer.billId, bill);
    }
    for (const verdict of answer.offsets) {
      const offset = byId.get(verdict.offsetId);
      if (!verdict.allowed || !offset) continue;
      const mayApplyFen = Math.min(offset.remainingFen, answer.openToOffsetsFen);
      bill.offsets.push({
        offsetId: offset.id,
        complaintId: offset.complaintId,
        complaintCode: offset.complaintCode,
        reason: offset.reason,
        expiresOn: offset.expiresOn,
        remainingFen: offset.remainingFen,
        remainingYuan: formatFen(offset.remainingFen),
        mayApplyFen,
        mayApplyYuan: formatFen(mayApplyFen),
      });
    }
  }
  // In the gateway's order (latest period first); a bill deleted between the two reads is left out, one
  // paid meanwhile is shown as paid, with no offsets.
  const ordered = bills.flatMap((b) => out.get(b.id) ?? []);
  for (const bill of ordered) bill.offsets.sort((a, b) => a.offsetId - b.offsetId);
  return { unit, bills: ordered, more: listed.length > limit, warnings };
}

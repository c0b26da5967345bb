// Reconciliation proves the money path from the rows themselves, and lists what does not add up; it never
// corrects anything (a mismatch means a row was changed outside the plugin, or a bug):
// - every offset: approved = applied − reversed + remaining + revoked;
// - every bill that took offsets: its ledger row equals the sum of its applications not reversed, and
//   that sum is not above the bill's amount as the host has it now.
// An actor limited to some communities sees only their offsets and bills; the billing API and the CLI
// see everything.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity } from '../auth/permissions.js';
import type { PluginContext } from '../common/context.js';
import { chunked } from './model.js';
import { wholeLedger } from './store/billLedger.js';
import { appliedByBillAndCommunity, offsetSums } from './store/reconciliation.js';

export interface OffsetMismatch {
  offsetId: number;
  complaintId: number;
  status: string;
  approvedFen: number;
  appliedFen: number;
  reversedFen: number;
  remainingFen: number;
  revokedFen: number;
  /** approved − (applied − reversed + remaining + revoked): positive means money unaccounted for. */
  differenceFen: number;
}

export interface BillMismatch {
  billId: string;
  /** The bill's ledger row (null: no row although applications exist). */
  ledgerFen: number | null;
  /** Sum of the bill's applications not reversed. */
  appliedFen: number;
  /** The bill's amount at the host now (null: the bill is gone from the host or outside the mapping). */
  billAmountFen: number | null;
  problem: 'ledger_differs' | 'over_bill';
}

export interface ReconcileReport {
  ok: boolean;
  offsetsChecked: number;
  billsChecked: number;
  totals: { approvedFen: number; appliedFen: number; reversedFen: number; remainingFen: number; revokedFen: number };
  mismatches: OffsetMismatch[];
  billMismatches: BillMismatch[];
  /** Bills with offsets applied that the host no longer shows (deleted, or outside the mapping now): not a mismatch, but worth a look. */
  billsNotFound: string[];
}

/** Grouped queries over all offsets and all ledger rows (store/reconciliation.ts), checked here. */
export async function reconcileOffsets(ctx: PluginContext, actor?: Actor): Promise<ReconcileReport> {
  const visible = (r: { communityId: string | null }) => !actor || canSeeCommunity(actor, r.communityId);
  const rows = (await offsetSums(ctx.db, ctx.tables)).filter(visible);
  const totals = { approvedFen: 0, appliedFen: 0, reversedFen: 0, remainingFen: 0, revokedFen: 0 };
  const mismatches: OffsetMismatch[] = [];
  for (const r of rows) {
    const { offsetId, complaintId, status, approvedFen, appliedFen, reversedFen, remainingFen, revokedFen } = r;
    totals.approvedFen += approvedFen;
    totals.appliedFen += appliedFen;
    totals.reversedFen += reversedFen;
    totals.remainingFen += remainingFen;
    totals.revokedFen += revokedFen;
    const differenceFen = approvedFen - (appliedFen - reversedFen + remainingFen + revokedFen);
    if (differenceFen !== 0) mismatches.push({ offsetId, complaintId, status, approvedFen, appliedFen, reversedFen, remainingFen, revokedFen, differenceFen });
  }

  // Per bill: what its applications add up to (with the communities they came from), beside its ledger row.
  const applied = new Map<string, number>();
  const billVisible = new Map<string, boolean>();
  for (const r of await appliedByBillAndCommunity(ctx.db, ctx.tables)) {
    applied.set(r.billId, (applied.get(r.billId) ?? 0) + r.appliedFen);
    billVisible.set(r.billId, (billVisible.get(r.billId) ?? false) || visible(r));
  }
  const ledger = await wholeLedger(ctx.db, ctx.tables);
  // A ledger row without any application is seen only by those who see everything.
  const billIds = [...new Set([...applied.keys(), ...ledger.keys()])].filter((id) => billVisible.get(id) ?? (!actor || actor.communityIds === null)).sort();
  const hostBills = new Map<string, number>();
  for (const chunk of chunked(billIds)) for (const [id, bill] of await ctx.host.getBills(chunk)) hostBills.set(id, bill.amountFen);
  const billMismatches: BillMismatch[] = [];
  const billsNotFound: string[] = [];
  for (const billId of billIds) {
    const appliedFen = applied.get(billId) ?? 0;
    const ledgerFen = ledger.get(billId) ?? null;
    const billAmountFen = hostBills.get(billId) ?? null;
    const base = { billId, ledgerFen, appliedFen, billAmountFen };
    if ((ledgerFen ?? 0) !== appliedFen) billMismatches.push({ ...base, problem: 'ledger_differs' });
    else if (billAmountFen === null && appliedFen > 0) billsNotFound.push(billId);
    else if (billAmountFen !== null && appliedFen > billAmountFen) billMismatches.push({ ...base, problem: 'over_bill' });
  }
  return {
    ok: mismatches.length === 0 && billMismatches.length === 0,
    offsetsChecked: rows.length,
    billsChecked: billIds.length,
    totals,
    mismatches,
    billMismatches,
    billsNotFound,
  };
}

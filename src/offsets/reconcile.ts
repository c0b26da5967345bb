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

type Row = Record<string, unknown>;
const community = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Grouped queries over all offsets and all ledger rows; SUM comes back as DECIMAL text on MySQL, hence Number(). */
export async function reconcileOffsets(ctx: PluginContext, actor?: Actor): Promise<ReconcileReport> {
  const { offsets, offsetApplications, offsetBillLedger, complaints } = ctx.tables;
  const visible = (r: Row) => !actor || canSeeCommunity(actor, community(r.community_id));
  const rows = ((await ctx
    .db(`${offsets} as o`)
    .join(`${complaints} as c`, 'c.id', 'o.complaint_id')
    .leftJoin(`${offsetApplications} as a`, 'a.offset_id', 'o.id')
    .select('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen', 'o.revoked_fen', 'c.community_id')
    .select(ctx.db.raw('COALESCE(SUM(a.amount_fen), 0) AS applied_fen'))
    .select(ctx.db.raw("COALESCE(SUM(CASE WHEN a.state = 'reversed' THEN a.amount_fen ELSE 0 END), 0) AS reversed_fen"))
    .groupBy('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen', 'o.revoked_fen', 'c.community_id')
    .orderBy('o.id')) as Row[]).filter(visible);
  const totals = { approvedFen: 0, appliedFen: 0, reversedFen: 0, remainingFen: 0, revokedFen: 0 };
  const mismatches: OffsetMismatch[] = [];
  for (const r of rows) {
    const approvedFen = Number(r.approved_fen ?? 0);
    const appliedFen = Number(r.applied_fen);
    const reversedFen = Number(r.reversed_fen);
    const remainingFen = Number(r.remaining_fen);
    const revokedFen = Number(r.revoked_fen);
    totals.approvedFen += approvedFen;
    totals.appliedFen += appliedFen;
    totals.reversedFen += reversedFen;
    totals.remainingFen += remainingFen;
    totals.revokedFen += revokedFen;
    const differenceFen = approvedFen - (appliedFen - reversedFen + remainingFen + revokedFen);
    if (differenceFen !== 0) {
      mismatches.push({ offsetId: Number(r.id), complaintId: Number(r.complaint_id), status: String(r.status), approvedFen, appliedFen, reversedFen, remainingFen, revokedFen, differenceFen });
    }
  }

  // Per bill: what its applications add up to (with the communities they came from), beside its ledger row.
  const byBill = (await ctx
    .db(`${offsetApplications} as a`)
    .join(`${offsets} as o`, 'o.id', 'a.offset_id')
    .join(`${complaints} as c`, 'c.id', 'o.complaint_id')
    .select('a.bill_id', 'c.community_id')
    .select(ctx.db.raw("COALESCE(SUM(CASE WHEN a.state = 'applied' THEN a.amount_fen ELSE 0 END), 0) AS applied_fen"))
    .groupBy('a.bill_id', 'c.community_id')) as Row[];
  const applied = new Map<string, number>();
  const billVisible = new Map<string, boolean>();
  for (const r of byBill) {
    const id = String(r.bill_id);
    applied.set(id, (applied.get(id) ?? 0) + Number(r.applied_fen));
    billVisible.set(id, (billVisible.get(id) ?? false) || visible(r));
  }
  const ledger = new Map(((await ctx.db(offsetBillLedger).select('bill_id', 'applied_fen')) as Row[]).map((r) => [String(r.bill_id), Number(r.applied_fen)]));
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

// Reconciliation proves the money path from the rows themselves: for every offset,
// approved = applied − reversed + remaining. Any other outcome means a row was changed outside the
// plugin (or a bug): it is listed, never corrected automatically.
import type { PluginContext } from '../plugin/context.js';

export interface OffsetMismatch {
  offsetId: number;
  complaintId: number;
  status: string;
  approvedFen: number;
  appliedFen: number;
  reversedFen: number;
  remainingFen: number;
  /** approved − (applied − reversed + remaining): positive means money unaccounted for. */
  differenceFen: number;
}

export interface ReconcileReport {
  ok: boolean;
  offsetsChecked: number;
  totals: { approvedFen: number; appliedFen: number; reversedFen: number; remainingFen: number };
  mismatches: OffsetMismatch[];
}

/** One grouped query over all offsets; SUM comes back as DECIMAL text on MySQL, hence Number(). */
export async function reconcileOffsets(ctx: PluginContext): Promise<ReconcileReport> {
  const { offsets, offsetApplications } = ctx.tables;
  const rows = (await ctx
    .db(`${offsets} as o`)
    .leftJoin(`${offsetApplications} as a`, 'a.offset_id', 'o.id')
    .select('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen')
    .select(ctx.db.raw('COALESCE(SUM(a.amount_fen), 0) AS applied_fen'))
    .select(ctx.db.raw("COALESCE(SUM(CASE WHEN a.state = 'reversed' THEN a.amount_fen ELSE 0 END), 0) AS reversed_fen"))
    .groupBy('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen')
    .orderBy('o.id')) as Array<Record<string, unknown>>;
  const totals = { approvedFen: 0, appliedFen: 0, reversedFen: 0, remainingFen: 0 };
  const mismatches: OffsetMismatch[] = [];
  for (const r of rows) {
    const approvedFen = Number(r.approved_fen ?? 0);
    const appliedFen = Number(r.applied_fen);
    const reversedFen = Number(r.reversed_fen);
    const remainingFen = Number(r.remaining_fen);
    totals.approvedFen += approvedFen;
    totals.appliedFen += appliedFen;
    totals.reversedFen += reversedFen;
    totals.remainingFen += remainingFen;
    const differenceFen = approvedFen - (appliedFen - reversedFen + remainingFen);
    if (differenceFen !== 0) {
      mismatches.push({ offsetId: Number(r.id), complaintId: Number(r.complaint_id), status: String(r.status), approvedFen, appliedFen, reversedFen, remainingFen, differenceFen });
    }
  }
  return { ok: mismatches.length === 0, offsetsChecked: rows.length, totals, mismatches };
}

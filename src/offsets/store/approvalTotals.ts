// What each approver and each role has approved on one complaint (cmp_offset_approval_totals). An
// approval limit bounds these totals, so splitting a large offset into small requests changes nothing.
// Like the bill ledger, the cap is checked by the conditional UPDATE of a row every approver of the
// complaint changes: two approvals racing on one complaint cannot both pass, on any engine.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';

export type ApprovalScope = 'approver' | 'role';

interface TotalRow {
  scope: ApprovalScope;
  scope_id: string;
  approved_fen: number | string;
}

export interface ApprovalTotals {
  /** Approver id → fen approved by them on the complaint. */
  byApprover: Map<string, number>;
  /** Role → fen approved under that role on the complaint. */
  byRole: Map<string, number>;
}

export async function readApprovalTotals(db: Knex | Knex.Transaction, tables: TableNames, complaintId: number): Promise<ApprovalTotals> {
  const rows = (await db(tables.offsetApprovalTotals).select('scope', 'scope_id', 'approved_fen').where({ complaint_id: complaintId })) as TotalRow[];
  const totals: ApprovalTotals = { byApprover: new Map(), byRole: new Map() };
  for (const r of rows) (r.scope === 'approver' ? totals.byApprover : totals.byRole).set(String(r.scope_id), Number(r.approved_fen));
  return totals;
}

/** Adds an approval to one total if it stays within `limitFen` (null: no limit); false when it would not. */
export async function addToApprovalTotal(
  trx: Knex.Transaction,
  tables: TableNames,
  complaintId: number,
  scope: ApprovalScope,
  scopeId: string,
  amountFen: number,
  limitFen: number | null,
): Promise<boolean> {
  if (limitFen !== null && amountFen > limitFen) return false;
  const key = { complaint_id: complaintId, scope, scope_id: scopeId };
  await trx(tables.offsetApprovalTotals)
    .insert({ ...key, approved_fen: 0 })
    .onConflict(['complaint_id', 'scope', 'scope_id'])
    .merge(['scope_id']);
  const qb = trx(tables.offsetApprovalTotals).where(key);
  if (limitFen !== null) qb.andWhereRaw('?? + ? <= ?', ['approved_fen', amountFen, limitFen]);
  return (await qb.update({ approved_fen: trx.raw('?? + ?', ['approved_fen', amountFen]) })) === 1;
}

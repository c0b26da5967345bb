// The grouped queries reconciliation reads: every offset beside the sum of its applications, every bill's
// applications beside its ledger row. SUM comes back as DECIMAL text on MySQL, hence Number().
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { str } from './rows.js';

type Db = Knex | Knex.Transaction;

export interface OffsetSums {
  offsetId: number;
  complaintId: number;
  status: string;
  communityId: string | null;
  approvedFen: number;
  remainingFen: number;
  revokedFen: number;
  /** Every application ever made, reversed ones included. */
  appliedFen: number;
  reversedFen: number;
}

export async function offsetSums(db: Db, tables: TableNames): Promise<OffsetSums[]> {
  const rows = (await db(`${tables.offsets} as o`)
    .join(`${tables.complaints} as c`, 'c.id', 'o.complaint_id')
    .leftJoin(`${tables.offsetApplications} as a`, 'a.offset_id', 'o.id')
    .select('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen', 'o.revoked_fen', 'c.community_id')
    .select(db.raw('COALESCE(SUM(a.amount_fen), 0) AS applied_fen'))
    .select(db.raw("COALESCE(SUM(CASE WHEN a.state = 'reversed' THEN a.amount_fen ELSE 0 END), 0) AS reversed_fen"))
    .groupBy('o.id', 'o.complaint_id', 'o.status', 'o.approved_fen', 'o.remaining_fen', 'o.revoked_fen', 'c.community_id')
    .orderBy('o.id')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    offsetId: Number(r.id),
    complaintId: Number(r.complaint_id),
    status: String(r.status),
    communityId: str(r.community_id),
    approvedFen: Number(r.approved_fen ?? 0),
    remainingFen: Number(r.remaining_fen),
    revokedFen: Number(r.revoked_fen),
    appliedFen: Number(r.applied_fen),
    reversedFen: Number(r.reversed_fen),
  }));
}

/** Fen still applied per bill and complaint community (a bill's offsets may come from several complaints). */
export async function appliedByBillAndCommunity(
  db: Db,
  tables: TableNames,
): Promise<Array<{ billId: string; communityId: string | null; appliedFen: number }>> {
  const rows = (await db(`${tables.offsetApplications} as a`)
    .join(`${tables.offsets} as o`, 'o.id', 'a.offset_id')
    .join(`${tables.complaints} as c`, 'c.id', 'o.complaint_id')
    .select('a.bill_id', 'c.community_id')
    .select(db.raw("COALESCE(SUM(CASE WHEN a.state = 'applied' THEN a.amount_fen ELSE 0 END), 0) AS applied_fen"))
    .groupBy('a.bill_id', 'c.community_id')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({ billId: String(r.bill_id), communityId: str(r.community_id), appliedFen: Number(r.applied_fen) }));
}

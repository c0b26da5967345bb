// Every query of the offsets table and its bill limits. Money moves only by conditional UPDATEs whose
// affected-row counts decide (never a read): what an application takes, what a revocation withdraws and
// what a reversal gives back. Lock order everywhere: the bill's ledger row (billLedger.ts) first, then the
// offset row. Each function takes the connection or transaction to run on.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { isMysql } from '../../db/connection.js';
import { toDbTime } from '../../db/time.js';
import { chunked, type Offset, type OffsetStatus, type OffsetWithLimits } from '../model.js';
import { offsetFromRow, type OffsetBillRow, type OffsetRow } from './rows.js';
import { refreshReportFacts, refreshReportFactsOfOffset } from '../../reports/summaryStore.js';

type Db = Knex | Knex.Transaction;

/** `lock: 'share'`: a locking read that sees the latest committed row and holds it until the end. */
export async function findOffset(db: Db, tables: TableNames, id: number, options: { lock?: 'share' } = {}): Promise<Offset | null> {
  const qb = db<OffsetRow>(tables.offsets).where({ id }).first();
  if (options.lock === 'share') qb.forShare();
  const row = (await qb) as OffsetRow | undefined;
  return row ? offsetFromRow(row) : null;
}

/** The offset a person already raised with this idempotency key, with the hash of what they sent. */
export async function findOffsetByRequestKey(
  db: Db,
  tables: TableNames,
  requestedBy: string,
  key: string,
): Promise<{ offset: Offset; hash: string | null } | null> {
  const row = (await db<OffsetRow>(tables.offsets).where({ requested_by: requestedBy, request_key: key }).first()) as OffsetRow | undefined;
  return row ? { offset: offsetFromRow(row), hash: row.request_hash } : null;
}

export type NewOffsetRow = Omit<
  OffsetRow,
  'id' | 'revoked_fen' | 'decided_by' | 'decided_by_name' | 'decided_role' | 'decided_at' | 'decision_note' | 'revoked_by' | 'revoked_at' | 'revoke_note'
>;

/** Inserts a request and the bills it is limited to; returns it as stored. */
export async function insertOffset(trx: Knex.Transaction, tables: TableNames, row: NewOffsetRow, billIds: string[]): Promise<Offset> {
  const [id] = (await trx<OffsetRow>(tables.offsets).insert(row)) as number[];
  const offsetId = Number(id);
  if (billIds.length) await trx<OffsetBillRow>(tables.offsetBills).insert(billIds.map((billId) => ({ offset_id: offsetId, bill_id: billId })));
  await refreshReportFacts(trx, tables, [Number(row.complaint_id)]); // the report's summary row, in this transaction
  return (await findOffset(trx, tables, offsetId))!;
}

/** Columns an approver's decision sets; `withdrawRemainder` moves what is left to revoked_fen. */
export type OffsetDecision = Partial<
  Pick<
    OffsetRow,
    'status' | 'approved_fen' | 'remaining_fen' | 'decided_by' | 'decided_by_name' | 'decided_role' | 'decision_note' | 'revoked_by' | 'revoke_note'
  >
> & {
  decided_at?: string;
  revoked_at?: string;
  updated_at: string;
  withdrawRemainder?: boolean;
};

function decisionColumns(trx: Knex.Transaction, decision: OffsetDecision): Record<string, unknown> {
  const { withdrawRemainder, ...columns } = decision;
  // revoked_fen is assigned before remaining_fen: MySQL assigns left to right with updated values, SQLite
  // with old ones; in this order both move the old remainder.
  return withdrawRemainder ? { revoked_fen: trx.raw('?? + ??', ['revoked_fen', 'remaining_fen']), ...columns, remaining_fen: 0 } : columns;
}

/**
 * Writes a decision only if the row is still at the status and version the decider saw (bumping the
 * version); returns whether it did and the row as it is now.
 */
export async function decideIfUnchanged(
  trx: Knex.Transaction,
  tables: TableNames,
  seen: Pick<Offset, 'id' | 'status' | 'version'>,
  decision: OffsetDecision,
): Promise<{ decided: boolean; offset: Offset }> {
  const updated = await trx<OffsetRow>(tables.offsets)
    .where({ id: seen.id, status: seen.status, version: seen.version })
    .update({ ...decisionColumns(trx, decision), version: seen.version + 1 });
  if (updated === 1) await refreshReportFactsOfOffset(trx, tables, seen.id); // the report's summary row, in this transaction
  // A locking read: the row as it now is, even in a transaction whose snapshot is older (a decision made
  // inside a caller's transaction that read the offset before a concurrent decision committed).
  return { decided: updated === 1, offset: (await findOffset(trx, tables, seen.id, { lock: 'share' }))! };
}

/** Ids of a complaint's offsets in these statuses, oldest first. */
export async function offsetIdsOfComplaint(
  trx: Knex.Transaction,
  tables: TableNames,
  complaintId: number,
  statuses: readonly OffsetStatus[],
): Promise<number[]> {
  const rows = await trx<OffsetRow>(tables.offsets).select('id').where({ complaint_id: complaintId }).whereIn('status', statuses).orderBy('id');
  return rows.map((r) => Number(r.id));
}

/**
 * Moves a request awaiting approval to another complaint (a merge), only if it is still the request that
 * was read (same complaint, still requested, same version). Returns whether it moved.
 */
export async function moveRequestIfUnchanged(trx: Knex.Transaction, tables: TableNames, seen: Offset, toComplaintId: number, at: Date): Promise<boolean> {
  const moved = await trx(tables.offsets)
    .where({ id: seen.id, complaint_id: seen.complaintId, status: 'requested', version: seen.version })
    .update({ complaint_id: toComplaintId, version: seen.version + 1, updated_at: toDbTime(at) });
  if (moved === 1) await refreshReportFacts(trx, tables, [seen.complaintId, toComplaintId]); // both summary rows, in this transaction
  return moved === 1;
}

/**
 * Withdraws an offset if it is still in one of `statuses` (whatever its version): an application racing
 * with us either came first or is refused. Returns whether it did.
 */
export async function withdrawIfStill(
  trx: Knex.Transaction,
  tables: TableNames,
  id: number,
  statuses: readonly OffsetStatus[],
  decision: OffsetDecision,
): Promise<boolean> {
  const updated = await trx<OffsetRow>(tables.offsets)
    .where({ id })
    .whereIn('status', statuses)
    .update({ ...decisionColumns(trx, decision), version: trx.raw('?? + 1', ['version']) });
  if (updated === 1) await refreshReportFactsOfOffset(trx, tables, id); // the report's summary row, in this transaction
  return updated === 1;
}

/**
 * Takes `amountFen` from an approved, unexpired offset if that much is left. Answers what the offset has
 * left after it (its status follows: 'exhausted' at 0, else still 'approved'), or null when the row did not
 * qualify (the caller reads why). Applications do not bump the version: they never make a decision stale.
 * The amount left comes back with the UPDATE itself, not from a read after it (which would hold the hot
 * row one more round trip): on MySQL as LAST_INSERT_ID(expr), which the server returns in the OK packet
 * (insertId); elsewhere (SQLite) with RETURNING.
 */
export async function consumeRemaining(
  trx: Knex.Transaction,
  tables: TableNames,
  offsetId: number,
  amountFen: number,
  today: string,
  at: Date,
): Promise<number | null> {
  const mysql = isMysql(trx as unknown as Knex);
  // `status` is set before `remaining_fen`: MySQL evaluates SET left to right with updated values,
  // SQLite with old ones; in this order both see the old remaining amount.
  const remaining = mysql ? 'LAST_INSERT_ID(`remaining_fen` - ?)' : '`remaining_fen` - ?';
  const sql =
    `UPDATE \`${tables.offsets}\` SET \`status\` = CASE WHEN \`remaining_fen\` = ? THEN 'exhausted' ELSE \`status\` END,` +
    ` \`remaining_fen\` = ${remaining}, \`updated_at\` = ?` +
    ` WHERE \`id\` = ? AND \`status\` = 'approved' AND \`remaining_fen\` >= ? AND (\`expires_on\` IS NULL OR \`expires_on\` >= ?)` +
    (mysql ? '' : ' RETURNING `remaining_fen`');
  const result = (await trx.raw(sql, [amountFen, amountFen, toDbTime(at), offsetId, amountFen, today])) as unknown;
  if (mysql) {
    const [header] = result as [{ affectedRows: number; insertId: number | string }];
    return header.affectedRows === 1 ? Number(header.insertId) : null;
  }
  const [row] = result as Array<{ remaining_fen: number | string }>;
  return row ? Number(row.remaining_fen) : null;
}

/**
 * Gives a reversed application's amount back: to what the approval has left, or, on a revoked offset (a
 * withdrawn remainder, a cancelled complaint), to what was withdrawn, never usable again. A used-up offset
 * becomes usable again. The CASEs read only `status`, which is assigned last (MySQL assigns left to right).
 */
export async function giveBackToOffset(trx: Knex.Transaction, tables: TableNames, offsetId: number, amountFen: number, at: Date): Promise<Offset> {
  await trx<OffsetRow>(tables.offsets)
    .where({ id: offsetId })
    .update({
      revoked_fen: trx.raw("CASE WHEN status = 'revoked' THEN revoked_fen + ? ELSE revoked_fen END", [amountFen]),
      remaining_fen: trx.raw("CASE WHEN status = 'revoked' THEN remaining_fen ELSE remaining_fen + ? END", [amountFen]),
      status: trx.raw("CASE WHEN status = 'exhausted' THEN 'approved' ELSE status END"),
      updated_at: toDbTime(at),
    });
  return (await findOffset(trx, tables, offsetId))!;
}

/** Offsets by id with their bill limits: one LEFT JOIN query per thousand ids. */
export async function offsetsWithLimits(db: Db, tables: TableNames, ids: number[]): Promise<Map<number, OffsetWithLimits>> {
  const out = new Map<number, OffsetWithLimits>();
  for (const chunk of chunked([...new Set(ids)])) {
    const rows = (await db(`${tables.offsets} as o`)
      .leftJoin(`${tables.offsetBills} as ob`, 'ob.offset_id', 'o.id')
      .select('o.*', 'ob.bill_id as limit_bill_id')
      .whereIn('o.id', chunk)) as Array<OffsetRow & { limit_bill_id: string | number | null }>;
    for (const row of rows) {
      const id = Number(row.id);
      let entry = out.get(id);
      if (!entry) {
        entry = { offset: offsetFromRow(row), billLimits: null };
        out.set(id, entry);
      }
      if (row.limit_bill_id !== null && row.limit_bill_id !== undefined) (entry.billLimits ??= new Set()).add(String(row.limit_bill_id));
    }
  }
  return out;
}

/** Ids of a unit's approved offsets with something left. */
export async function usableOffsetIdsOfUnit(db: Db, tables: TableNames, unitId: string): Promise<number[]> {
  const rows = await db<OffsetRow>(tables.offsets).select('id').where({ unit_id: unitId, status: 'approved' }).andWhere('remaining_fen', '>', 0);
  return rows.map((r) => Number(r.id));
}

/** The bills an offset is limited to, in order. */
export async function billLimitsOf(db: Db, tables: TableNames, offsetId: number): Promise<string[]> {
  const rows = await db<OffsetBillRow>(tables.offsetBills).select('bill_id').where({ offset_id: offsetId }).orderBy('bill_id');
  return rows.map((r) => String(r.bill_id));
}

/** The community of the complaint an offset belongs to (undefined when the offset does not exist). */
export async function communityOfOffset(db: Db, tables: TableNames, offsetId: number): Promise<string | null | undefined> {
  const row = (await db(`${tables.offsets} as o`)
    .join(`${tables.complaints} as c`, 'c.id', 'o.complaint_id')
    .select('c.community_id')
    .where('o.id', offsetId)
    .first()) as { community_id: string | number | null } | undefined;
  if (!row) return undefined;
  return row.community_id === null ? null : String(row.community_id);
}

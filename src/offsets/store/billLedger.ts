// The per-bill ledger (cmp_offset_bill_ledger): the fen applied to each host bill, changed by every
// application and reversal. The cap lives in the row every writer of the bill changes, never in a read:
// InnoDB makes writers of one bill queue on it, and a multi-primary cluster (Galera), which certifies
// only rows that really change, makes the later of two concurrent writers on different nodes fail and
// retry. Lock order everywhere: the bill's ledger row first, then the offset row.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';

type Db = Knex | Knex.Transaction;

interface LedgerRow {
  bill_id: string | number;
  applied_fen: number | string;
}

/**
 * Adds `amountFen` to the bill's applied total if it stays within `billAmountFen`; false when it would not.
 * The row is made on the bill's first application by an upsert that changes nothing when it exists (it
 * takes the record's lock, not a gap lock, so first applications to different bills never deadlock).
 */
export async function takeFromBill(
  trx: Knex.Transaction,
  tables: TableNames,
  billId: string,
  amountFen: number,
  billAmountFen: number,
  options: { upsert?: boolean } = { upsert: true },
): Promise<boolean> {
  if (amountFen > billAmountFen) return false;
  // Without the upsert (the caller made the row beforehand, see ensureBillLedger) a missing row also
  // answers false: the caller tells the two apart.
  if (options.upsert !== false) await trx(tables.offsetBillLedger).insert({ bill_id: billId, applied_fen: 0 }).onConflict('bill_id').merge(['bill_id']);
  const updated = await trx(tables.offsetBillLedger)
    .where({ bill_id: billId })
    .andWhereRaw('?? + ? <= ?', ['applied_fen', amountFen, billAmountFen])
    .update({ applied_fen: trx.raw('?? + ?', ['applied_fen', amountFen]) });
  return updated === 1;
}

/**
 * Makes the bill's ledger row (nothing applied) if it is missing, as a statement of its own that commits
 * at once. Made inside an application's transaction, a first application that was refused rolled the new
 * row back, and the calls queued on it inherited gap locks on which they deadlocked one another, past
 * every retry (30 cashiers on a new bill).
 */
export async function ensureBillLedger(db: Db, tables: TableNames, billId: string): Promise<void> {
  await db(tables.offsetBillLedger).insert({ bill_id: billId, applied_fen: 0 }).onConflict('bill_id').merge(['bill_id']);
}

/** Holds the bill's ledger row until the transaction ends (a no-op on SQLite, which has one writer). */
export async function lockBillLedger(trx: Knex.Transaction, tables: TableNames, billId: string): Promise<void> {
  await trx(tables.offsetBillLedger).select('bill_id').where({ bill_id: billId }).forUpdate();
}

/** Takes a reversed application's amount off the bill's total; the row must hold at least that much. */
export async function giveBackToBill(trx: Knex.Transaction, tables: TableNames, billId: string, amountFen: number): Promise<void> {
  const updated = await trx(tables.offsetBillLedger)
    .where({ bill_id: billId })
    .andWhere('applied_fen', '>=', amountFen)
    .update({ applied_fen: trx.raw('?? - ?', ['applied_fen', amountFen]) });
  // Only a row changed outside the plugin can get here; refuse rather than record money that is not there.
  if (updated !== 1) throw new Error(`Offset ledger of bill ${billId} holds less than the ${amountFen} fen being reversed; run offsets reconcile`);
}

/** Fen applied per bill now (bills never offset are absent). */
export async function appliedOnBills(db: Db, tables: TableNames, billIds: string[]): Promise<Map<string, number>> {
  if (!billIds.length) return new Map();
  const rows = (await db(tables.offsetBillLedger).select('bill_id', 'applied_fen').whereIn('bill_id', billIds)) as LedgerRow[];
  return new Map(rows.map((r) => [String(r.bill_id), Number(r.applied_fen)]));
}

/** Every ledger row: bill → fen applied. */
export async function wholeLedger(db: Db, tables: TableNames): Promise<Map<string, number>> {
  const rows = (await db(tables.offsetBillLedger).select('bill_id', 'applied_fen')) as LedgerRow[];
  return new Map(rows.map((r) => [String(r.bill_id), Number(r.applied_fen)]));
}

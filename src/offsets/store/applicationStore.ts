// Every query of the applications table: one row per host payment that used an offset, keyed UNIQUE by
// the host's payment id (idempotency_key) and, once reversed, by the voiding id (reversal_key).
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { toDbTime } from '../../db/time.js';
import type { OffsetApplication } from '../model.js';
import { applicationFromRow, type ApplicationRow } from './rows.js';
import { countApplicationInReportFacts } from '../../reports/summaryStore.js';

type Db = Knex | Knex.Transaction;

/**
 * Finds an application by one of its keys. `lock` makes it a locking read, which sees the latest
 * committed row even inside a REPEATABLE READ transaction whose snapshot is older.
 */
export async function findApplication(
  db: Db,
  tables: TableNames,
  column: 'idempotency_key' | 'reversal_key',
  key: string,
  lock = false,
): Promise<OffsetApplication | null> {
  const qb = db<ApplicationRow>(tables.offsetApplications).where(column, key).first();
  if (lock) qb.forShare();
  const row = (await qb) as ApplicationRow | undefined;
  return row ? applicationFromRow(row) : null;
}

/**
 * Records an application (of an offset of complaint `complaintId`); its idempotency key's UNIQUE index
 * refuses a second one. Returns its id.
 */
export async function insertApplication(trx: Knex.Transaction, tables: TableNames, a: Omit<OffsetApplication, 'id'>, complaintId: number): Promise<number> {
  const [id] = (await trx<ApplicationRow>(tables.offsetApplications).insert({
    offset_id: a.offsetId,
    bill_id: a.billId,
    amount_fen: a.amountFen,
    idempotency_key: a.idempotencyKey,
    params_hash: a.paramsHash,
    state: a.state,
    remaining_after_fen: a.remainingAfterFen,
    applied_at: toDbTime(a.appliedAt),
    applied_by: a.appliedBy,
    applied_by_name: a.appliedByName,
  })) as number[];
  await countApplicationInReportFacts(trx, tables, { complaintId, amountFen: a.amountFen }, 'applied'); // the report's summary row, in this transaction
  return Number(id);
}

/** Marks an application reversed if it still is applied; false when another call got there first. */
export async function markReversed(
  trx: Knex.Transaction,
  tables: TableNames,
  application: Pick<OffsetApplication, 'id' | 'offsetId' | 'amountFen'>,
  reversal: { key: string; at: Date; by: string; byName: string },
): Promise<boolean> {
  const { id } = application;
  const marked = await trx<ApplicationRow>(tables.offsetApplications)
    .where({ id, state: 'applied' })
    .update({ state: 'reversed', reversal_key: reversal.key, reversed_at: toDbTime(reversal.at), reversed_by: reversal.by, reversed_by_name: reversal.byName });
  if (marked === 1) await countApplicationInReportFacts(trx, tables, { offsetId: application.offsetId, amountFen: application.amountFen }, 'reversed'); // the report's summary row, in this transaction
  return marked === 1;
}

/** What the offset had left right after the reversal (a replay of the reversal answers with it). */
export async function recordReversalRemaining(trx: Knex.Transaction, tables: TableNames, id: number, remainingFen: number): Promise<void> {
  await trx<ApplicationRow>(tables.offsetApplications).where({ id }).update({ reversal_remaining_fen: remainingFen });
}

export async function applicationsByKeys(db: Db, tables: TableNames, keys: string[]): Promise<OffsetApplication[]> {
  const rows = await db<ApplicationRow>(tables.offsetApplications).whereIn('idempotency_key', keys);
  return rows.map((r) => applicationFromRow(r as ApplicationRow));
}

export async function applicationsOfOffset(db: Db, tables: TableNames, offsetId: number): Promise<OffsetApplication[]> {
  const rows = await db<ApplicationRow>(tables.offsetApplications).where({ offset_id: offsetId }).orderBy('id');
  return rows.map((r) => applicationFromRow(r as ApplicationRow));
}

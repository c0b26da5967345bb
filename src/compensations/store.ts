// Rows ↔ Compensation objects: the insert, the lookup of an earlier submit by its idempotency key, and a
// complaint's records. Rules live in service.ts.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { toDbTime } from '../db/time.js';
import { compensationFromRow, type Compensation } from './model.js';

type Row = Record<string, unknown>;

/** A record to insert, with the idempotency key (and the hash of what was asked) when the form sent one. */
export type NewCompensation = Omit<Compensation, 'id'> & { request: { key: string; hash: string } | null };

/** Inserts one record; returns it with its new id. */
export async function insertCompensation(trx: Knex.Transaction, tables: TableNames, c: NewCompensation): Promise<Compensation> {
  const [id] = (await trx(tables.compensations).insert({
    complaint_id: c.complaintId,
    payer: c.payer,
    amount_fen: c.amountFen,
    paid_on: c.paidOn,
    method: c.method,
    reference: c.reference,
    note: c.note,
    recorded_by: c.recordedBy,
    recorded_by_name: c.recordedByName,
    recorded_at: toDbTime(c.recordedAt),
    request_key: c.request?.key ?? null,
    request_hash: c.request?.hash ?? null,
  })) as number[];
  const { request: _request, ...stored } = c;
  return { id: Number(id), ...stored };
}

/** The record this person made with this idempotency key, with the hash of what was asked for. */
export async function findByRequestKey(
  db: Knex | Knex.Transaction,
  tables: TableNames,
  recordedBy: string,
  key: string,
): Promise<{ compensation: Compensation; hash: string | null } | null> {
  const row = (await db(tables.compensations).where({ recorded_by: recordedBy, request_key: key }).first()) as Row | undefined;
  return row
    ? { compensation: compensationFromRow(row), hash: row.request_hash === null || row.request_hash === undefined ? null : String(row.request_hash) }
    : null;
}

/** A complaint's records in the order they were paid (then recorded). */
export async function listForComplaint(db: Knex | Knex.Transaction, tables: TableNames, complaintId: number): Promise<Compensation[]> {
  const rows = (await db(tables.compensations)
    .where({ complaint_id: complaintId })
    .orderBy([{ column: 'paid_on' }, { column: 'id' }])) as Row[];
  return rows.map(compensationFromRow);
}

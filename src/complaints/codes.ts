// Readable complaint codes TS-YYYYMMDD-NNNN, numbered per local day by a counter row. The counter is
// bumped with a conditional UPDATE inside the intake transaction: the row lock (MySQL) or the single
// writer (SQLite) serialises concurrent intakes, and a failed intake rolls its number back (no gaps).
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';

export const CODE_PREFIX = 'TS';

export function formatCode(day: string, seq: number): string {
  return `${CODE_PREFIX}-${day}-${String(seq).padStart(4, '0')}`;
}

export const CODE_PATTERN = /^TS-\d{8}-\d{4,}$/i;

/** Raised inside the transaction when the day has no counter row yet (see ensureDayCounter). */
export class MissingDayCounter extends Error {
  constructor(readonly day: string) {
    super(`No complaint code counter for ${day} yet`);
  }
}

/** Takes the next number of the day; the row stays locked until the transaction ends. */
export async function nextCode(trx: Knex.Transaction, tables: TableNames, day: string): Promise<string> {
  const updated = await trx(tables.complaintCodes).where({ day }).update({ last_seq: trx.raw('last_seq + 1') });
  if (!updated) throw new MissingDayCounter(day);
  const row = (await trx(tables.complaintCodes).where({ day }).first('last_seq')) as { last_seq: number | string };
  return formatCode(day, Number(row.last_seq));
}

/**
 * Creates the day's counter row outside any transaction. Creating it inside the intake transaction
 * would let concurrent first intakes of a day share-lock the new key and deadlock on the update.
 */
export async function ensureDayCounter(db: Knex, tables: TableNames, day: string): Promise<void> {
  await db(tables.complaintCodes).insert({ day, last_seq: 0 }).onConflict('day').ignore();
}

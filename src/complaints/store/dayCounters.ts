// The per-day counter rows behind complaint codes (see codes.ts for why a counter row).
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { MissingDayCounter, formatCode } from '../codes.js';

interface DayCounterRow {
  day: string;
  last_seq: number | string;
}

/** Takes the next number of the day; the row stays locked until the transaction ends. */
export async function nextCode(trx: Knex.Transaction, tables: TableNames, day: string): Promise<string> {
  const updated = await trx<DayCounterRow>(tables.complaintCodes)
    .where({ day })
    .update({ last_seq: trx.raw('last_seq + 1') });
  if (!updated) throw new MissingDayCounter(day);
  const row = (await trx<DayCounterRow>(tables.complaintCodes).where({ day }).first('last_seq'))!;
  return formatCode(day, Number(row.last_seq));
}

/**
 * Creates the day's counter row outside any transaction. Creating it inside the intake transaction
 * would let concurrent first intakes of a day share-lock the new key and deadlock on the update.
 */
export async function ensureDayCounter(db: Knex, tables: TableNames, day: string): Promise<void> {
  await db<DayCounterRow>(tables.complaintCodes).insert({ day, last_seq: 0 }).onConflict('day').ignore();
}

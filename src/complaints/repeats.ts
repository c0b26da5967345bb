// 二次投诉: a new complaint about the same unit and cause category within the repeat window of an
// earlier one (cancelled ones do not count) is flagged and linked to the latest such complaint.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { toDbTime } from '../db/time.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function findRepeatOf(
  trx: Knex | Knex.Transaction,
  tables: TableNames,
  probe: { unitId: string; category: string; receivedAt: Date },
  windowDays: number,
): Promise<{ id: number; code: string } | null> {
  const since = new Date(probe.receivedAt.getTime() - windowDays * DAY_MS);
  // Served by the (unit_id, category, received_at) index.
  const row = (await trx(tables.complaints)
    .where({ unit_id: probe.unitId, category: probe.category })
    .where('received_at', '>=', toDbTime(since))
    .where('received_at', '<=', toDbTime(probe.receivedAt))
    .whereNot('state', 'cancelled')
    .orderBy([
      { column: 'received_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first('id', 'code')) as { id: number; code: string } | undefined;
  return row ? { id: Number(row.id), code: String(row.code) } : null;
}

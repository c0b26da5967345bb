// The batch billing check's input (run.ts and batch-profile.ts): 10,000 seeded bills of the latest months,
// evenly spread, each with up to two approved offsets of its unit.
import type { Knex } from 'knex';
import { tableNames } from '../../src/db/tables.js';
import type { BillCheckInput } from '../../src/offsets/schemas.js';
import { APPLY_FEN, FIXTURE_BILL_PREFIX } from './common.js';

const T = tableNames('cmp_');

export async function batchInputs(db: Knex, want = 10_000): Promise<BillCheckInput[]> {
  const months = ((await db('erp_fee_bill').distinct('fee_month').orderBy('fee_month', 'desc')) as Array<{ fee_month: string }>).map((r) => r.fee_month);
  const units = Number(((await db('erp_room').count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
  const take = months.slice(0, Math.max(1, Math.ceil(want / units)));
  const rows = (await db('erp_fee_bill')
    .select('bill_id', 'room_id')
    .whereIn('fee_month', take)
    .whereNot('bill_id', 'like', `${FIXTURE_BILL_PREFIX}%`)
    .orderBy('bill_id')) as Array<{ bill_id: string; room_id: string }>;
  const step = rows.length / Math.min(want, rows.length);
  const chosen = Array.from({ length: Math.min(want, rows.length) }, (_, i) => rows[Math.floor(i * step)]!);
  const offsets = (await db(T.offsets)
    .select('id', 'unit_id')
    .where({ status: 'approved' })
    .where('remaining_fen', '>=', APPLY_FEN)
    .whereNot('reason', 'like', 'bench fixture%')) as Array<{ id: number; unit_id: string }>;
  const byUnit = new Map<string, number[]>();
  for (const o of offsets) byUnit.set(String(o.unit_id), [...(byUnit.get(String(o.unit_id)) ?? []), Number(o.id)]);
  return chosen.map((b) => ({ billId: b.bill_id, offsets: (byUnit.get(b.room_id) ?? []).slice(0, 2).map((offsetId) => ({ offsetId, amountFen: APPLY_FEN })) }));
}

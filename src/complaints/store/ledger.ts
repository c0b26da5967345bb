// The complaint ledger (投诉台账) read in batches: the list's filters over the whole result, walked by id
// (keyset, so batch 100 costs what batch 1 costs), with each batch's money and latest follow-up read in
// one grouped query apiece. Only one batch is in memory at a time, so an export of 100,000 complaints
// holds 500 of them at once.
import type { Knex } from 'knex';
import type { Actor } from '../../auth/actor.js';
import type { TableNames } from '../../db/tables.js';
import { requireDbTime } from '../../db/time.js';
import type { Complaint, ListQuery } from '../types.js';
import { rowToComplaint } from './complaints.js';
import { filteredComplaints } from './listing.js';

export interface LedgerMoney {
  /** Offsets requested, approved, and applied net of reversals (fen). */
  requestedFen: number;
  approvedFen: number;
  appliedFen: number;
  /** Compensation paid (fen). */
  compensationFen: number;
}

export interface LedgerEntry {
  complaint: Complaint;
  money: LedgerMoney;
  /** The latest follow-up visit, if any. */
  lastFollowUp: { visitedAt: Date; satisfied: boolean } | null;
}

export const LEDGER_BATCH = 500;

const sumOf = (rows: Array<Record<string, unknown>>, key: string) => new Map(rows.map((r) => [Number(r.complaint_id), Number(r[key] ?? 0)]));

export async function* ledgerBatches(
  db: Knex,
  tables: TableNames,
  actor: Actor,
  filter: ListQuery,
  now: Date,
  timeZone: string,
  batchSize = LEDGER_BATCH,
): AsyncGenerator<LedgerEntry[]> {
  // The ledger keeps the list's meaning of the filters.
  const { query: base } = filteredComplaints(db, tables, actor, filter, now, timeZone);
  for (let afterId = 0; ;) {
    const rows = (await base.clone().select('*').where('id', '>', afterId).orderBy('id').limit(batchSize)) as Array<Record<string, unknown>>;
    if (rows.length === 0) return;
    const complaints = rows.map(rowToComplaint);
    const ids = complaints.map((c) => c.id);
    const [offsets, applied, compensations, visits] = await Promise.all([
      db(tables.offsets)
        .whereIn('complaint_id', ids)
        .groupBy('complaint_id')
        .select('complaint_id', db.raw('SUM(requested_fen) AS requested'), db.raw('SUM(COALESCE(approved_fen, 0)) AS approved')) as Promise<
        Array<Record<string, unknown>>
      >,
      db(`${tables.offsetApplications} as a`)
        .join(`${tables.offsets} as o`, 'o.id', 'a.offset_id')
        .whereIn('o.complaint_id', ids)
        .where('a.state', 'applied')
        .groupBy('o.complaint_id')
        .select('o.complaint_id as complaint_id', db.raw('SUM(a.amount_fen) AS applied')) as Promise<Array<Record<string, unknown>>>,
      db(tables.compensations).whereIn('complaint_id', ids).groupBy('complaint_id').select('complaint_id', db.raw('SUM(amount_fen) AS paid')) as Promise<
        Array<Record<string, unknown>>
      >,
      db(tables.followUps).whereIn('complaint_id', ids).orderBy('id').select('complaint_id', 'visited_at', 'satisfied') as Promise<
        Array<Record<string, unknown>>
      >,
    ]);
    const requested = sumOf(offsets, 'requested');
    const approved = sumOf(offsets, 'approved');
    const appliedNet = sumOf(applied, 'applied');
    const paid = sumOf(compensations, 'paid');
    const lastVisit = new Map<number, { visitedAt: Date; satisfied: boolean }>();
    for (const v of visits)
      lastVisit.set(Number(v.complaint_id), { visitedAt: requireDbTime(v.visited_at as string), satisfied: Boolean(Number(v.satisfied)) });
    yield complaints.map((complaint) => ({
      complaint,
      money: {
        requestedFen: requested.get(complaint.id) ?? 0,
        approvedFen: approved.get(complaint.id) ?? 0,
        appliedFen: appliedNet.get(complaint.id) ?? 0,
        compensationFen: paid.get(complaint.id) ?? 0,
      },
      lastFollowUp: lastVisit.get(complaint.id) ?? null,
    }));
    afterId = ids[ids.length - 1]!;
    if (rows.length < batchSize) return;
  }
}

// Which complaints are due for retention: ended (closed, closed after an unsatisfied visit, or
// cancelled) before a cutoff. Read in key order, so a dry run and the run that follows list alike.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime, toDbTime } from '../../db/time.js';
import { ANONYMISED } from './erasers.js';

/** States in which a complaint has ended; its retention counts from closed_at (cancelled_at when cancelled). */
export const ENDED_STATES = ['closed', 'closed_unsatisfied', 'cancelled'] as const;

export interface RetentionCandidate {
  id: number;
  code: string;
  endedAt: Date;
}

function endedBefore(db: Knex, tables: TableNames, cutoff: Date): Knex.QueryBuilder {
  const at = toDbTime(cutoff);
  return db(tables.complaints)
    .select('id', 'code', 'closed_at', 'cancelled_at')
    .whereIn('state', [...ENDED_STATES])
    .where((b) =>
      b.where((w) => w.whereNotNull('closed_at').where('closed_at', '<', at)).orWhere((w) => w.whereNull('closed_at').where('cancelled_at', '<', at)),
    )
    .orderBy('id');
}

function candidates(rows: Array<Record<string, unknown>>): RetentionCandidate[] {
  return rows.map((r) => ({
    id: Number(r.id),
    code: String(r.code),
    endedAt: (fromDbTime(r.closed_at as string | null) ?? fromDbTime(r.cancelled_at as string | null))!,
  }));
}

/** Ended before the cutoff and still holding personal data. */
export async function personalCandidates(db: Knex, tables: TableNames, cutoff: Date): Promise<RetentionCandidate[]> {
  return candidates(await endedBefore(db, tables, cutoff).whereNull('anonymised_at'));
}

/** Ended before the (accounting) cutoff with an offset or compensation record still holding free text. */
export async function accountingCandidates(db: Knex, tables: TableNames, cutoff: Date): Promise<RetentionCandidate[]> {
  const c = tables.complaints;
  const heldIn = (table: string, columns: string[]) => (sub: Knex.QueryBuilder) =>
    sub
      .select(db.raw('1'))
      .from(table)
      .whereRaw('?? = ??', [`${table}.complaint_id`, `${c}.id`])
      .where((b) => {
        for (const col of columns) b.orWhere((w) => w.whereNotNull(`${table}.${col}`).whereNot(`${table}.${col}`, ANONYMISED));
      });
  return candidates(
    await endedBefore(db, tables, cutoff).where((b) =>
      b.whereExists(heldIn(tables.offsets, ['reason', 'decision_note', 'revoke_note'])).orWhereExists(heldIn(tables.compensations, ['note'])),
    ),
  );
}

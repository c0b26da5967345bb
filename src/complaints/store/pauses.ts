// The complaint_pauses table: one row per pause of a complaint's clock (挂起), opened by `pause` and closed
// by `resume` in the transaction of the complaint's own change.
import type { Knex } from 'knex';
import type { Actor } from '../../auth/actor.js';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime, requireDbTime, toDbTime } from '../../db/time.js';

export interface Pause {
  id: number;
  complaintId: number;
  startedAt: Date;
  endedAt: Date | null;
  reason: string;
  party: string;
  startedByName: string;
  endedByName: string | null;
  /** Service time the pause stopped (working hours when the complaint's clock counts them); null while open. */
  serviceMs: number | null;
  calendarMs: number | null;
}

type Db = Knex | Knex.Transaction;

function rowToPause(r: Record<string, unknown>): Pause {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    complaintId: Number(r.complaint_id),
    startedAt: requireDbTime(r.started_at as string),
    endedAt: fromDbTime(r.ended_at as string | null),
    reason: String(r.reason),
    party: String(r.party),
    startedByName: String(r.started_by_name),
    endedByName: (r.ended_by_name as string | null) ?? null,
    serviceMs: n(r.service_ms),
    calendarMs: n(r.calendar_ms),
  };
}

export async function openPause(
  trx: Knex.Transaction,
  tables: TableNames,
  complaintId: number,
  p: { at: Date; reason: string; party: string; actor: Actor },
): Promise<void> {
  await trx(tables.complaintPauses).insert({
    complaint_id: complaintId,
    started_at: toDbTime(p.at),
    reason: p.reason,
    party: p.party,
    started_by: p.actor.id,
    started_by_name: p.actor.name.slice(0, 100),
  });
}

/** Closes the complaint's open pause (the one started at `startedAt`); returns whether there was one. */
export async function closePause(
  trx: Knex.Transaction,
  tables: TableNames,
  complaintId: number,
  startedAt: Date,
  p: { at: Date; actor: Actor; serviceMs: number; calendarMs: number },
): Promise<boolean> {
  const updated = await trx(tables.complaintPauses)
    .where({ complaint_id: complaintId, started_at: toDbTime(startedAt) })
    .whereNull('ended_at')
    .update({
      ended_at: toDbTime(p.at),
      ended_by: p.actor.id,
      ended_by_name: p.actor.name.slice(0, 100),
      service_ms: p.serviceMs,
      calendar_ms: p.calendarMs,
    });
  return updated > 0;
}

export async function pausesOf(db: Db, tables: TableNames, complaintId: number): Promise<Pause[]> {
  const rows = (await db(tables.complaintPauses).where({ complaint_id: complaintId }).orderBy('started_at').orderBy('id')) as Array<Record<string, unknown>>;
  return rows.map(rowToPause);
}

/** When the complaint's current plan was made (its latest plan event), or null. */
export async function lastPlannedAt(db: Db, tables: TableNames, complaintId: number): Promise<Date | null> {
  const row = (await db(tables.events).where({ complaint_id: complaintId, entity_type: 'complaint', action: 'plan' }).max({ at: 'at' }).first()) as
    { at: string | Date | null } | undefined;
  return fromDbTime(row?.at ?? null);
}

// The audit trail: every state change and every money decision writes one event in the same
// transaction as the change. The table is append-only (triggers refuse UPDATE and DELETE).
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import type { TableNames } from '../db/tables.js';
import { toDbTime, requireDbTime } from '../db/time.js';
import { NOTE_DEFAULT_VISIBILITY, isVisibility, type Visibility } from '../complaints/visibility.js';
import { ACKNOWLEDGING_ACTIONS, refreshReportFacts } from '../reports/summaryStore.js';

export type EntityType = 'complaint' | 'offset' | 'compensation' | 'settings' | 'install' | 'privacy' | 'attachment' | 'incident' | 'improvement' | 'report';

export interface NewEvent {
  entityType: EntityType;
  entityId: number;
  complaintId?: number | null;
  action: string;
  fromState?: string | null;
  toState?: string | null;
  actor: Actor;
  at: Date;
  /** Field → [before, after]. */
  changes?: Record<string, [unknown, unknown]> | null;
  note?: string | null;
  /** Who may read the note: set on every event with a note (internal unless chosen otherwise). */
  visibility?: Visibility | null;
}

export interface AuditEvent {
  id: number;
  entityType: EntityType;
  entityId: number;
  complaintId: number | null;
  action: string;
  fromState: string | null;
  toState: string | null;
  actorId: string;
  actorName: string;
  at: Date;
  changes: Record<string, [unknown, unknown]> | null;
  note: string | null;
  /** owner_visible or internal for an event with a note (NULL before the column existed reads as internal); null without a note. */
  visibility: Visibility | null;
}

export async function recordEvent(trx: Knex | Knex.Transaction, tables: TableNames, event: NewEvent): Promise<void> {
  await trx(tables.events).insert({
    entity_type: event.entityType,
    entity_id: event.entityId,
    complaint_id: event.complaintId ?? null,
    action: event.action,
    from_state: event.fromState ?? null,
    to_state: event.toState ?? null,
    actor_id: event.actor.id,
    actor_name: event.actor.name,
    at: toDbTime(event.at),
    changes: event.changes ? JSON.stringify(event.changes) : null,
    note: event.note ?? null,
    visibility: event.note ? (event.visibility ?? NOTE_DEFAULT_VISIBILITY) : null,
  });
  // The report's "time to acknowledge" starts from the first of these events (summary row, same transaction).
  if (event.entityType === 'complaint' && (ACKNOWLEDGING_ACTIONS as readonly string[]).includes(event.action)) {
    await refreshReportFacts(trx, tables, [event.complaintId ?? event.entityId]);
  }
}

export function eventFromRow(row: Record<string, unknown>): AuditEvent {
  return {
    id: Number(row.id),
    entityType: row.entity_type as EntityType,
    entityId: Number(row.entity_id),
    complaintId: row.complaint_id === null ? null : Number(row.complaint_id),
    action: String(row.action),
    fromState: (row.from_state as string | null) ?? null,
    toState: (row.to_state as string | null) ?? null,
    actorId: String(row.actor_id),
    actorName: String(row.actor_name),
    at: requireDbTime(row.at as string),
    changes: row.changes ? (JSON.parse(String(row.changes)) as Record<string, [unknown, unknown]>) : null,
    note: (row.note as string | null) ?? null,
    visibility: row.note === null || row.note === undefined ? null : isVisibility(row.visibility) ? row.visibility : NOTE_DEFAULT_VISIBILITY,
  };
}

export async function listEvents(db: Knex, tables: TableNames, entityType: EntityType, entityId: number): Promise<AuditEvent[]> {
  const rows = await db(tables.events).where({ entity_type: entityType, entity_id: entityId }).orderBy('id');
  return rows.map(eventFromRow);
}

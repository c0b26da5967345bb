// The one way an existing complaint changes: a versioned UPDATE and its audit event in the caller's
// transaction. A stale version is refused with a conflict naming who changed the complaint last.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { ConflictError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import type { TableNames } from '../db/tables.js';
import { diff, findComplaint, updateIfVersion } from './store/complaints.js';
import type { Complaint } from './types.js';
import { formatZoned } from '../calendar/zoned.js';
import type { Visibility } from './visibility.js';

export function staleVersionError(current: Complaint, timeZone: string): ConflictError {
  const when = formatZoned(current.updatedAt, timeZone);
  return new ConflictError(
    'stale_version',
    msg(
      `该投诉已被 ${current.updatedByName} 于 ${when} 修改，请刷新后再操作`,
      `This complaint was changed by ${current.updatedByName} at ${when} (${timeZone}); reload it and try again`,
    ),
    { currentVersion: current.version, updatedBy: { id: current.updatedBy, name: current.updatedByName }, updatedAt: current.updatedAt.toISOString() },
  );
}

export function assertVersion(current: Complaint, version: number, timeZone: string): void {
  if (current.version !== version) throw staleVersionError(current, timeZone);
}

export interface ChangeMeta {
  action: string;
  actor: Actor;
  now: Date;
  note?: string | null;
  /** Who may read the note (internal by default). */
  noteVisibility?: Visibility;
  timeZone: string;
}

/** Writes the patch if `current` is still the latest version, plus one event; returns the new complaint. */
export async function applyChange(
  trx: Knex.Transaction,
  tables: TableNames,
  current: Complaint,
  patch: Partial<Complaint>,
  meta: ChangeMeta,
): Promise<Complaint> {
  const stamped: Partial<Complaint> = { ...patch, updatedAt: meta.now, updatedBy: meta.actor.id, updatedByName: meta.actor.name };
  if (!(await updateIfVersion(trx, tables, current.id, current.version, stamped))) {
    // Someone committed in between our read and our write: name them.
    const latest = await findComplaint(trx, tables, current.id, { lock: true });
    throw staleVersionError(latest ?? current, meta.timeZone);
  }
  await recordEvent(trx, tables, {
    entityType: 'complaint',
    entityId: current.id,
    complaintId: current.id,
    action: meta.action,
    fromState: current.state,
    toState: stamped.state ?? current.state,
    actor: meta.actor,
    at: meta.now,
    changes: diff(current, stamped),
    note: meta.note ?? null,
    visibility: meta.noteVisibility ?? null,
  });
  return { ...current, ...stamped, version: current.version + 1 };
}

// Registering a complaint row: the day's code, the repeat link, the insert and its "create" event, all in
// the caller's transaction. Used by intake and by the follow-up that reopens an unsatisfied complaint.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import type { TableNames } from '../db/tables.js';
import { MissingDayCounter } from './codes.js';
import { ensureDayCounter, nextCode } from './store/dayCounters.js';
import { findRepeatOf } from './store/complaints.js';
import { insertComplaint } from './store/complaints.js';
import type { Complaint } from './types.js';
import { newNonce } from '../owner/links.js';
import { saveLink } from '../owner/store.js';

export type Draft = Omit<Complaint, 'id' | 'code' | 'repeatOfId'>;

/** Everything a new complaint has not been given yet. */
export const UNSET = {
  disputeType: null,
  thirdParty: null,
  responsibilityExplained: null,
  nature: null,
  severity: null,
  findings: null,
  department: null,
  assigneeId: null,
  assigneeName: null,
  planMeasures: null,
  planDeadline: null,
  resolutionReply: null,
  resolutionBasis: null,
  resolvedAt: null,
  resolvedBy: null,
  followUpDueAt: null,
  closedAt: null,
  cancelKind: null,
  cancelReason: null,
  cancelledAt: null,
  parentId: null,
  escalatedAt: null,
  escalationReason: null,
} satisfies Partial<Draft>;

/** Host text copied into our columns is cut to the column width (in characters, not UTF-16 units). */
export function clip(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join('') : text;
}

export interface RegisterOptions {
  day: string;
  actor: Actor;
  now: Date;
  /** Look for an earlier complaint to flag this one as a repeat (null: do not). */
  repeatWindowDays: number | null;
  idempotency?: { key: string; hash: string } | null;
  note?: string | null;
}

export async function registerComplaint(trx: Knex.Transaction, tables: TableNames, draft: Draft, options: RegisterOptions): Promise<Complaint> {
  const code = await nextCode(trx, tables, options.day);
  const repeat = options.repeatWindowDays ? await findRepeatOf(trx, tables, draft, options.repeatWindowDays) : null;
  const complaint: Omit<Complaint, 'id'> = { ...draft, code, repeatOfId: repeat?.id ?? null };
  const id = await insertComplaint(trx, tables, complaint, options.idempotency ?? null);
  const notes = [options.note, repeat ? `二次投诉，关联 ${repeat.code} / Repeat of ${repeat.code}` : null].filter(Boolean);
  await recordEvent(trx, tables, {
    entityType: 'complaint',
    entityId: id,
    complaintId: id,
    action: 'create',
    toState: draft.state,
    actor: options.actor,
    at: options.now,
    changes: repeat ? { repeatOfId: [null, repeat.id] } : null,
    note: notes.length ? notes.join('；') : null,
  });
  // The owner's status link (QR code on the slip, owner notices) exists from the first moment.
  await saveLink(trx, tables, id, newNonce(), options.actor.id, options.now);
  return { ...complaint, id };
}

/**
 * Runs a transaction that takes a complaint code; if the day's counter row is missing it is created
 * outside the transaction (or in the host's, when joining one) and the work runs once more.
 */
export async function withDayCounter<T>(db: Knex, tables: TableNames, run: () => Promise<T>, hostTrx?: Knex.Transaction): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof MissingDayCounter)) throw err;
    await ensureDayCounter(hostTrx ?? db, tables, err.day);
    return run();
  }
}

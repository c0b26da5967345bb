// The outbox: a notification is a row written in the same transaction as the change it announces, so
// it exists exactly when the change does; the deliverer sends it later, outside any transaction.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { fromDbTime, requireDbTime, toDbTime } from '../db/time.js';

export const TOPICS = [
  'assigned',
  'deadline_near',
  'overdue',
  'escalated',
  'follow_up_due',
  'offset_awaiting_approval',
  'offset_decided',
  'daily_digest',
  // Offset money events for the host's own record of deductions (src/offsets/events.ts).
  'offset_applied',
  'offset_reversed',
  'offset_revoked',
  'offset_expired',
  'offset_withdrawn',
  // The owner's side (src/owner): a message for the host to send the owner by SMS or WeChat, and a low
  // owner rating for the supervisor.
  'owner.notice',
  'owner_rating_low',
] as const;
export type Topic = (typeof TOPICS)[number];

export interface EnqueueOptions {
  /**
   * A notice that must go out once whatever reruns the code (one overdue notice per complaint and
   * deadline): a second enqueue with the same key is ignored and returns false.
   */
  dedupeKey?: string;
}

export interface OutboxMessage {
  id: number;
  topic: Topic;
  payload: Record<string, unknown>;
  dedupeKey: string | null;
  /** The complaint the notice is about (payload.complaintId), if any. */
  complaintId: number | null;
  createdAt: Date;
  availableAt: Date;
  attempts: number;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** Writes one notification inside the caller's transaction; returns false when dedupeKey was already used. */
export async function enqueue(
  trx: Knex | Knex.Transaction,
  tables: TableNames,
  topic: Topic,
  payload: Record<string, unknown>,
  now: Date,
  options: EnqueueOptions = {},
): Promise<boolean> {
  if (!TOPICS.includes(topic)) throw new Error(`Unknown notification topic "${topic}"`);
  const complaintId = payload.complaintId;
  const row = {
    topic,
    payload: JSON.stringify(payload),
    dedupe_key: options.dedupeKey ?? null,
    // Lets the purge keep a keyed notice while its complaint is open (see src/jobs/purge.ts).
    complaint_id: typeof complaintId === 'number' && Number.isSafeInteger(complaintId) && complaintId > 0 ? complaintId : null,
    created_at: toDbTime(now),
    available_at: toDbTime(now),
    attempts: 0,
  };
  if (!options.dedupeKey) {
    await trx(tables.outbox).insert(row);
    return true;
  }
  // Look first so the usual repeat costs no failed statement; the unique key settles a race.
  if (await trx(tables.outbox).where({ dedupe_key: options.dedupeKey }).first('id')) return false;
  try {
    await trx(tables.outbox).insert(row);
    return true;
  } catch (err) {
    // MySQL and SQLite roll back only the failed statement, so the caller's transaction goes on.
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

export function messageFromRow(row: Record<string, unknown>): OutboxMessage {
  return {
    id: Number(row.id),
    topic: row.topic as Topic,
    payload: JSON.parse(String(row.payload)) as Record<string, unknown>,
    dedupeKey: (row.dedupe_key as string | null) ?? null,
    complaintId: row.complaint_id === null || row.complaint_id === undefined ? null : Number(row.complaint_id),
    createdAt: requireDbTime(row.created_at as string),
    availableAt: requireDbTime(row.available_at as string),
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    deliveredAt: fromDbTime(row.delivered_at as string | null),
  };
}

/** Messages not yet acknowledged by the host, oldest first (for status pages and tests). */
export async function listUndelivered(db: Knex, tables: TableNames, limit = 100): Promise<OutboxMessage[]> {
  const rows = await db(tables.outbox).whereNull('delivered_at').orderBy('id').limit(limit);
  return rows.map(messageFromRow);
}

/** How many notices wait for the host's acknowledgement (readiness and metrics watch this). */
export async function countUndelivered(db: Knex, tables: TableNames): Promise<number> {
  const [row] = (await db(tables.outbox).whereNull('delivered_at').count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0);
}

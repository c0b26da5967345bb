// Offset events for the host's own record of deductions (an ERP with no offset column on its payments
// learns here what was applied, reversed, and what can no longer be used). Each is an outbox row written
// in the transaction of the money change it announces, so the host hears of exactly what committed; the
// deliverer sends it to the webhook later, signed, until acknowledged (src/notifications).
//
// One call per site. Lapses (revoked, expired, withdrawn) are announced only when approved money was
// still usable: a request that was never approved, or an offset already used up, changes nothing the
// host could deduct.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { formatFen } from '../common/money.js';
import type { TableNames } from '../db/tables.js';
import { offsetInComplaint } from './store/listing.js';
import type { Offset } from './model.js';
import { enqueue, type Topic } from '../notifications/outbox.js';

export const OFFSET_EVENTS = ['applied', 'reversed', 'revoked', 'expired', 'withdrawn'] as const;
export type OffsetEventKind = (typeof OFFSET_EVENTS)[number];

/** The outbox topic of each event: `offset_applied`, `offset_reversed`, … */
export const OFFSET_EVENT_TOPICS: Record<OffsetEventKind, Topic> = {
  applied: 'offset_applied',
  reversed: 'offset_reversed',
  revoked: 'offset_revoked',
  expired: 'offset_expired',
  withdrawn: 'offset_withdrawn',
};

export interface OffsetEventFacts {
  offsetId: number;
  /** What the event moved, in fen. Left out for an expiry: whatever was left when the offset lapsed. */
  amountFen?: number;
  /** Applied and reversed: the bill (the host's own key), the payment id, the application. */
  billId?: string;
  paymentKey?: string;
  applicationId?: number;
  /** Reversed: the host's voiding id. */
  reversalKey?: string;
}

/** What the host receives as `payload` (the webhook body is { id, topic, createdAt, payload }). */
export interface OffsetEventPayload {
  event: OffsetEventKind;
  offsetId: number;
  complaintId: number;
  complaintCode: string;
  communityId: string | null;
  unitId: string;
  ownerId: string | null;
  billId: string | null;
  amountFen: number;
  amountYuan: string;
  paymentKey: string | null;
  reversalKey: string | null;
  applicationId: number | null;
  /** The offset as it is after the change. */
  offsetStatus: string;
  remainingFen: number;
  remainingYuan: string;
  /** Reversed: where the amount went back to: what the approval has left, or withdrawn with a revoked offset. */
  restoredTo: 'remaining' | 'revoked' | null;
  operatorId: string;
  operatorName: string;
  occurredAt: string;
}

/** What an event says of the offset and its complaint. */
export interface KnownOffset {
  offset: Pick<Offset, 'complaintId' | 'unitId' | 'ownerId' | 'remainingFen' | 'status'>;
  complaintCode: string;
  communityId: string | null;
}

/** Writes the event's outbox row inside the caller's transaction (after the change, so it reads the result). */
export async function announceOffsetEvent(
  trx: Knex.Transaction,
  tables: TableNames,
  kind: OffsetEventKind,
  facts: OffsetEventFacts,
  actor: Actor,
  at: Date,
  /** The offset as the change left it, when the caller knows it (read or returned in this transaction). */
  known?: KnownOffset,
): Promise<void> {
  // The offset as the change left it, with its complaint's code and community (the store's query).
  const found = known ?? (await offsetInComplaint(trx, tables, facts.offsetId));
  if (!found) throw new Error(`announceOffsetEvent: offset ${facts.offsetId} does not exist`);
  const { offset } = found;
  const remainingFen = offset.remainingFen;
  const amountFen = facts.amountFen ?? remainingFen;
  if (kind !== 'applied' && kind !== 'reversed' && amountFen <= 0) return;
  const status = offset.status;
  const payload: OffsetEventPayload = {
    event: kind,
    offsetId: facts.offsetId,
    complaintId: offset.complaintId,
    complaintCode: found.complaintCode,
    communityId: found.communityId,
    unitId: offset.unitId,
    ownerId: offset.ownerId,
    billId: facts.billId ?? null,
    amountFen,
    amountYuan: formatFen(amountFen),
    paymentKey: facts.paymentKey ?? null,
    reversalKey: facts.reversalKey ?? null,
    applicationId: facts.applicationId ?? null,
    offsetStatus: status,
    remainingFen,
    remainingYuan: formatFen(remainingFen),
    restoredTo: kind === 'reversed' ? (status === 'revoked' ? 'revoked' : 'remaining') : null,
    operatorId: actor.id,
    operatorName: actor.name,
    occurredAt: at.toISOString(),
  };
  await enqueue(trx, tables, OFFSET_EVENT_TOPICS[kind], { ...payload }, at);
}

// Raising an offset request on a complaint: staff enter the amount in yuan (parsed exactly into fen),
// the reason, optionally the bills it is limited to and an expiry date. The fee rule decides which
// complaints may carry one: not cancelled ones, and by default only property disputes.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { enqueue } from '../notifications/outbox.js';
import { MoneyFormatError, parseYuan } from '../common/money.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import type { Settings } from '../settings/settings.js';
import type { ComplaintFacts, Offset } from './model.js';
import { readComplaintFacts } from './store/facts.js';
import { findOffsetByRequestKey, insertOffset } from './store/offsetStore.js';
import { validateRaise, type RaiseOffsetInput } from './schemas.js';
import {
  amountNotPositive,
  billMissing,
  billOfOtherUnit,
  complaintCancelled,
  complaintMerged,
  publicAreaComplaint,
  complaintNotFound,
  disputeUnclassified,
  expiryBeforeToday,
  nonPropertyDispute,
  requestKeyReused,
} from './messages.js';
import { localDate } from '../calendar/zoned.js';

export type { RaiseOffsetInput } from './schemas.js';

/** Why this complaint may not carry an offset now (checked at request and again at approval). */
export function complaintRefusal(complaint: ComplaintFacts, settings: Pick<Settings, 'allowOffsetForNonProperty'>): ConflictError | null {
  if (complaint.state === 'cancelled') {
    return new ConflictError('complaint_cancelled', complaintCancelled(complaint.code));
  }
  if (complaint.state === 'merged') {
    return new ConflictError('complaint_merged', complaintMerged(complaint.code));
  }
  if (complaint.unitId === null) {
    return new ConflictError('public_area', publicAreaComplaint(complaint.code));
  }
  if (complaint.disputeType === null) {
    return new ConflictError('dispute_unclassified', disputeUnclassified(complaint.code));
  }
  if (complaint.disputeType === 'non_property' && !settings.allowOffsetForNonProperty) {
    return new ConflictError('non_property_dispute', nonPropertyDispute());
  }
  return null;
}

/** Parses a typed yuan amount into fen, as a field error when it is not an amount above zero. */
export function amountField(field: string, text: string): number {
  let fen: number;
  try {
    fen = parseYuan(text);
  } catch (err) {
    if (err instanceof MoneyFormatError) throw new ValidationError([{ field, message: err.localized }]);
    throw err;
  }
  if (fen <= 0) throw new ValidationError([amountNotPositive(field)]);
  return fen;
}

/** The complaint, if it exists and the actor may see its community (otherwise not found, so nothing leaks). */
export async function visibleComplaint(ctx: PluginContext, complaintId: number, actor: Actor): Promise<ComplaintFacts> {
  const complaint = await readComplaintFacts(ctx.db, ctx.tables, complaintId);
  if (!complaint || !canSeeCommunity(actor, complaint.communityId)) throw new NotFoundError(complaintNotFound(complaintId));
  return complaint;
}

export interface RaiseResult {
  offset: Offset;
  /** false when the idempotency key had already made this offset (a replay). */
  created: boolean;
}

/** What was asked for, normalised ("120.5" and "120.50" are the same amount; bill order does not matter). */
function requestHash(data: RaiseOffsetInput, requestedFen: number): string {
  const billIds = [...(data.billIds ?? [])].sort();
  return createHash('sha256')
    .update(JSON.stringify([data.complaintId, requestedFen, data.reason, billIds, data.expiresOn ?? null]))
    .digest('hex');
}

/** The offset this person already made with this key, if any; a key reused for other content is refused. */
async function replayRequest(db: Knex, ctx: PluginContext, actor: Actor, key: string, hash: string): Promise<Offset | null> {
  const earlier = await findOffsetByRequestKey(db, ctx.tables, actor.id, key);
  if (!earlier) return null;
  if (earlier.hash !== hash) {
    const id = earlier.offset.id;
    throw new ConflictError('idempotency_key_reused', requestKeyReused(id), { offsetId: id });
  }
  return earlier.offset;
}

/** Raises an offset request; see raiseOffsetOnce for the optional idempotency key. */
export async function raiseOffset(ctx: PluginContext, input: RaiseOffsetInput, actor: Actor): Promise<Offset> {
  return (await raiseOffsetOnce(ctx, input, actor)).offset;
}

/**
 * Raises an offset request. With an idempotency key (the intake form's style), the same person sending
 * the same key and content again gets the same offset back (created: false); other content is refused.
 */
export async function raiseOffsetOnce(ctx: PluginContext, input: RaiseOffsetInput, actor: Actor): Promise<RaiseResult> {
  requirePermission(actor, 'offset.request');
  const data = validateRaise(structuredClone(input));
  const requestedFen = amountField('amount', data.amount);
  const key = data.idempotencyKey ?? null;
  const hash = requestHash(data, requestedFen);
  if (key) {
    const earlier = await replayRequest(ctx.db, ctx, actor, key, hash);
    if (earlier) return { offset: earlier, created: false };
  }
  const settings = await ctx.settings.get();
  const today = localDate(ctx.clock.now(), settings.timezone);
  if (data.expiresOn && data.expiresOn < today) {
    throw new ValidationError([expiryBeforeToday(today)]);
  }
  const complaint = await visibleComplaint(ctx, data.complaintId, actor);
  const refusal = complaintRefusal(complaint, settings);
  if (refusal) throw refusal;

  // Host reads happen before our transaction: on SQLite it holds the only connection. The limits are
  // stored as the host's own keys, however they were typed.
  let billIds: string[] = [];
  if (data.billIds?.length) {
    const bills = await ctx.host.getBills(data.billIds);
    const fields: FieldError[] = [];
    data.billIds.forEach((billId, i) => {
      const bill = bills.get(billId);
      if (!bill) fields.push(billMissing(`billIds.${i}`, billId));
      else if (bill.unitId !== complaint.unitId) fields.push(billOfOtherUnit(`billIds.${i}`, billId));
    });
    if (fields.length) throw new ValidationError(fields);
    billIds = [...new Set(data.billIds.map((billId) => bills.get(billId)!.id))];
  }

  try {
    return { offset: await insertRequest(ctx, data, requestedFen, complaint, billIds, key ? { key, hash } : null, settings, actor), created: true };
  } catch (err) {
    // The same form sent twice at once: the unique key let one through; answer with it.
    const earlier = key && isDuplicateKeyError(err) ? await replayRequest(ctx.db, ctx, actor, key, hash) : null;
    if (earlier) return { offset: earlier, created: false };
    throw err;
  }
}

async function insertRequest(
  ctx: PluginContext,
  data: RaiseOffsetInput,
  requestedFen: number,
  complaint: ComplaintFacts,
  billIds: string[],
  idempotency: { key: string; hash: string } | null,
  settings: Pick<Settings, 'allowOffsetForNonProperty'>,
  actor: Actor,
): Promise<Offset> {
  return inTransaction(ctx.db, async (trx) => {
    // The complaint may have been cancelled since it was read.
    const current = await readComplaintFacts(trx, ctx.tables, complaint.id);
    const late = current && complaintRefusal(current, settings);
    if (late) throw late;
    const now = ctx.clock.now();
    const at = toDbTime(now);
    const offset = await insertOffset(
      trx,
      ctx.tables,
      {
        complaint_id: complaint.id,
        // Never null here: complaintRefusal refused public-area complaints (no unit) above.
        unit_id: complaint.unitId!,
        owner_id: complaint.ownerId,
        requested_fen: requestedFen,
        approved_fen: null,
        remaining_fen: 0,
        status: 'requested',
        reason: data.reason,
        expires_on: data.expiresOn ?? null,
        requested_by: actor.id,
        requested_by_name: actor.name,
        request_key: idempotency?.key ?? null,
        request_hash: idempotency?.hash ?? null,
        version: 1,
        created_at: at,
        updated_at: at,
      },
      billIds,
    );
    const offsetId = offset.id;
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: offsetId,
      complaintId: complaint.id,
      action: 'request',
      toState: 'requested',
      actor,
      at: now,
      changes: {
        requested_fen: [null, requestedFen],
        ...(billIds.length ? { bill_ids: [null, billIds] } : {}),
        ...(data.expiresOn ? { expires_on: [null, data.expiresOn] } : {}),
      },
      note: data.reason,
    });
    // Approvers learn of it through the outbox, delivered after commit.
    await enqueue(
      trx,
      ctx.tables,
      'offset_awaiting_approval',
      {
        offsetId,
        complaintId: complaint.id,
        complaintCode: complaint.code,
        communityId: complaint.communityId,
        requestedFen,
        requestedBy: actor.id,
        requestedByName: actor.name,
      },
      now,
    );
    return offset;
  });
}

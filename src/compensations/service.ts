// Recording compensation (赔付) on a complaint: who paid the owner (the company, an insurer under the
// public liability policy, or a third party such as the neighbour), how much, on which day and how. It is
// money paid separately from fees, so it never touches a bill or an offset.
//
// The rule: any complaint that was not cancelled may carry compensation, open or closed, because insurers
// often pay weeks after the complaint was closed; a cancelled complaint was registered in error or as a
// duplicate, so nothing can be settled on it. The day paid may not be in the future nor before the first
// complaint of its chain was received. Each record writes its audit event (entity 'compensation', action
// 'record') in the same transaction, so it shows on the complaint's timeline; the complaint's row is
// locked meanwhile, so a cancellation and a record cannot cross. Recording does not change the complaint
// itself (no version bump): the other forms on the page stay valid.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { hasPermission, requirePermission } from '../auth/permissions.js';
import { ConflictError, ValidationError, type FieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { MoneyFormatError, parseYuan } from '../common/money.js';
import { findComplaint } from '../complaints/store/complaints.js';
import { visibleOrNotFound } from '../complaints/scope.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import { MAX_COMPENSATION_FEN, type Compensation } from './model.js';
import { findByRequestKey, insertCompensation, listForComplaint } from './store.js';
import { amountNotPositive, amountOverMaximum, complaintCancelled, paidAfterToday, paidBeforeReceived, requestKeyReused } from './messages.js';
import { validateRecord, type RecordCompensationInput } from './schemas.js';
import { localDate } from '../calendar/zoned.js';

export type { RecordCompensationInput } from './schemas.js';

export interface RecordResult {
  compensation: Compensation;
  /** false when the idempotency key had already made this record (a replay). */
  created: boolean;
}

export interface CompensationList {
  items: Compensation[];
  totalFen: number;
}

export interface RecordOptions {
  /** Join the host's transaction instead of opening one. */
  trx?: Knex.Transaction;
}

export interface CompensationService {
  /** Records one payment on the complaint; see RecordCompensationInput for the optional idempotency key. */
  record(complaintId: number, input: RecordCompensationInput, actor: Actor, options?: RecordOptions): Promise<RecordResult>;
  /** The complaint's records (paid first, first) and their total; 404 outside the actor's communities. */
  list(complaintId: number, actor: Actor): Promise<CompensationList>;
}

/** Why this complaint may not carry compensation now (checked before the write and again under the row lock). */
export function compensationRefusal(complaint: { code: string; state: string }): ConflictError | null {
  if (complaint.state === 'cancelled') {
    return new ConflictError('complaint_cancelled', complaintCancelled(complaint.code));
  }
  return null;
}

/** Whether the page offers this person the form on this complaint. */
export function mayRecordCompensation(actor: Actor, complaint: { code: string; state: string }): boolean {
  return hasPermission(actor, 'compensation.record') && compensationRefusal(complaint) === null;
}

/** Parses the typed yuan into fen: more than zero and at most the ceiling; a field error otherwise. */
function amountOf(text: string, errors: FieldError[]): number | null {
  let fen: number;
  try {
    fen = parseYuan(text);
  } catch (err) {
    if (!(err instanceof MoneyFormatError)) throw err;
    errors.push({ field: 'amount', message: err.localized });
    return null;
  }
  if (fen <= 0) errors.push(amountNotPositive());
  else if (fen > MAX_COMPENSATION_FEN) errors.push(amountOverMaximum(MAX_COMPENSATION_FEN));
  else return fen;
  return null;
}

/** Blank optional text is no text. */
function textOrNull(value: string | undefined): string | null {
  const v = value?.trim();
  return v ? v : null;
}

async function replay(db: Knex | Knex.Transaction, ctx: PluginContext, actor: Actor, key: string, hash: string): Promise<Compensation | null> {
  const earlier = await findByRequestKey(db, ctx.tables, actor.id, key);
  if (!earlier) return null;
  if (earlier.hash !== hash) {
    throw new ConflictError('idempotency_key_reused', requestKeyReused(earlier.compensation.id), { compensationId: earlier.compensation.id });
  }
  return earlier.compensation;
}

export async function recordCompensation(
  ctx: PluginContext,
  complaintId: number,
  raw: RecordCompensationInput,
  actor: Actor,
  options: RecordOptions = {},
): Promise<RecordResult> {
  requirePermission(actor, 'compensation.record');
  const settings = await ctx.settings.get();
  const today = localDate(ctx.clock.now(), settings.timezone);
  // Every problem with the input at once: the schema's, then the amount and the day of what passed it.
  const errors: FieldError[] = [];
  let input: RecordCompensationInput | null = null;
  try {
    input = validateRecord(raw);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    errors.push(...err.fields);
  }
  const typed = (raw ?? {}) as Partial<Record<keyof RecordCompensationInput, unknown>>;
  const wrong = new Set(errors.map((f) => f.field));
  const amountFen = typeof typed.amount === 'string' && !wrong.has('amount') ? amountOf(typed.amount, errors) : null;
  if (typeof typed.paidOn === 'string' && !wrong.has('paidOn') && typed.paidOn > today) {
    errors.push(paidAfterToday(today));
  }
  if (errors.length || !input || amountFen === null) throw new ValidationError(errors);
  const reference = textOrNull(input.reference);
  const note = textOrNull(input.note);
  // What was asked for, normalised ("120.5" and "120.50" are the same amount).
  const hash = createHash('sha256')
    .update(JSON.stringify([complaintId, input.payer, amountFen, input.paidOn, input.method, reference, note]))
    .digest('hex');
  const key = input.idempotencyKey ?? null;
  const db = options.trx ?? ctx.db;
  if (key) {
    const earlier = await replay(db, ctx, actor, key, hash);
    if (earlier) return { compensation: earlier, created: false };
  }

  const complaint = visibleOrNotFound(actor, await findComplaint(db, ctx.tables, complaintId));
  const refusal = compensationRefusal(complaint);
  if (refusal) throw refusal;
  const firstDay = localDate(complaint.originalReceivedAt, settings.timezone);
  if (input.paidOn < firstDay) {
    throw new ValidationError([paidBeforeReceived(firstDay)]);
  }

  try {
    const compensation = await inTransaction(
      ctx.db,
      async (trx) => {
        // The complaint may have been cancelled since it was read; the lock keeps it so until we commit.
        const current = await findComplaint(trx, ctx.tables, complaintId, { lock: true });
        const late = current ? compensationRefusal(current) : null;
        if (late) throw late;
        const now = ctx.clock.now();
        const made = await insertCompensation(trx, ctx.tables, {
          complaintId,
          payer: input.payer,
          amountFen,
          paidOn: input.paidOn,
          method: input.method,
          reference,
          note,
          recordedBy: actor.id,
          recordedByName: actor.name,
          recordedAt: now,
          request: key ? { key, hash } : null,
        });
        await recordEvent(trx, ctx.tables, {
          entityType: 'compensation',
          entityId: made.id,
          complaintId,
          action: 'record',
          actor,
          at: now,
          changes: {
            payer: [null, made.payer],
            amount_fen: [null, made.amountFen],
            paid_on: [null, made.paidOn],
            method: [null, made.method],
            ...(reference ? { reference: [null, reference] } : {}),
          },
          note,
        });
        return made;
      },
      { trx: options.trx },
    );
    return { compensation, created: true };
  } catch (err) {
    // The same form sent twice at once: the unique key let one through; answer with it.
    const earlier = key && isDuplicateKeyError(err) ? await replay(db, ctx, actor, key, hash) : null;
    if (earlier) return { compensation: earlier, created: false };
    throw err;
  }
}

export async function listCompensations(ctx: PluginContext, complaintId: number, actor: Actor): Promise<CompensationList> {
  requirePermission(actor, 'complaint.view');
  visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, complaintId));
  const items = await listForComplaint(ctx.db, ctx.tables, complaintId);
  return { items, totalFen: items.reduce((sum, c) => sum + c.amountFen, 0) };
}

export function createCompensationService(ctx: PluginContext): CompensationService {
  return {
    record: (complaintId, input, actor, options) => recordCompensation(ctx, complaintId, input, actor, options),
    list: (complaintId, actor) => listCompensations(ctx, complaintId, actor),
  };
}

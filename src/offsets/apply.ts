// Applying an approved offset at fee collection, and reversing it when the host voids the payment.
//
// Only an approved offset reduces a fee, only against a bill the host still shows as outstanding, and
// never for more than the approval has left or the bill can still take. Both caps are conditional
// UPDATEs of rows every writer changes: the bill's ledger row (billLedger.ts) and the offset row. Their
// affected-row counts decide, never a read, so concurrent cashiers cannot double-spend on one server,
// and on a multi-primary cluster the later of two conflicting commits fails and is retried. Lock order:
// the bill's ledger row, then the offset row (reversals too), so no two calls wait in opposite orders.
// The application row carries the host's payment id as a UNIQUE idempotency key: a retried call replays
// the stored answer with the application's current state; a key reused with other parameters, or the key
// of an application since reversed, is refused.
// A host written in Node passes its own transaction: our work then runs in a savepoint of it and
// commits or rolls back with the fee payment.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, DomainError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { formatYuan } from '../common/money.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction, retryingStatement } from '../db/transaction.js';
import { seeLatestWrites } from '../db/causalReads.js';
import type { HostBill, HostReader } from '../host/reader.js';
import type { PluginContext } from '../common/context.js';
import { billsAndFacts, identityRefusal, needsUnitOwners, ownersLookup } from './billingCheck.js';
import { appliedOnBills, ensureBillLedger, giveBackToBill, lockBillLedger, takeFromBill } from './store/billLedger.js';
import {
  applicationsByKeys,
  findApplication as findApplicationBy,
  insertApplication,
  markReversed,
  recordReversalRemaining,
} from './store/applicationStore.js';
import { communityOfOffset, consumeRemaining, findOffset, giveBackToOffset } from './store/offsetStore.js';
import { effectiveStatus, openToOffsets, type ApplicationState, type OffsetApplication } from './model.js';
import { announceOffsetEvent } from './events.js';
import { alreadyReversedBy, applyKeyReused, noApplicationWithKey, reversalKeyReused } from './messages.js';
import { OffsetRefusedError, type RefusalCode } from './refusals.js';
import { validateApply, validateReverse, type ApplyOffsetInput, type ReverseOffsetInput } from './schemas.js';
import { localDate } from '../calendar/zoned.js';
import { unmappedBills } from '../host/reader.js';

export type { ApplyOffsetInput, ReverseOffsetInput } from './schemas.js';

export interface TrxOption {
  /** The host's own knex transaction: our writes commit or roll back with it. */
  trx?: Knex.Transaction;
}

/** The stored answer of one application; a replay returns exactly this. */
export interface ApplyAnswer {
  applicationId: number;
  offsetId: number;
  /** The host's own key of the bill, as read from its row. */
  billId: string;
  amountFen: number;
  /** The offset's remaining amount right after this application. */
  remainingFen: number;
  appliedAt: string;
  idempotencyKey: string;
  /** The application's state now: a replay answers only while it is still applied. */
  state: ApplicationState;
}

export interface ReversalAnswer {
  applicationId: number;
  offsetId: number;
  billId: string;
  amountFen: number;
  /** The offset's remaining amount right after the reversal. */
  remainingFen: number;
  reversedAt: string;
  idempotencyKey: string;
  reversalKey: string;
  state: ApplicationState;
}

type Db = Knex | Knex.Transaction;

/** What an application was asked for, with the bill as the host's own key: "b1" and "B1 " are one bill. */
export function paramsHash(input: ApplyOffsetInput): string {
  return createHash('sha256')
    .update(JSON.stringify([input.offsetId, String(input.billId), input.amountFen]))
    .digest('hex');
}

function answerOf(a: OffsetApplication): ApplyAnswer {
  return {
    applicationId: a.id,
    offsetId: a.offsetId,
    billId: a.billId,
    amountFen: a.amountFen,
    remainingFen: a.remainingAfterFen,
    appliedAt: a.appliedAt.toISOString(),
    idempotencyKey: a.idempotencyKey,
    state: a.state,
  };
}

function reversalAnswerOf(a: OffsetApplication): ReversalAnswer {
  return {
    applicationId: a.id,
    offsetId: a.offsetId,
    billId: a.billId,
    amountFen: a.amountFen,
    remainingFen: a.reversalRemainingFen ?? 0,
    reversedAt: (a.reversedAt ?? a.appliedAt).toISOString(),
    idempotencyKey: a.idempotencyKey,
    reversalKey: a.reversalKey ?? '',
    state: a.state,
  };
}

/**
 * A replay's answer. A key reused with other parameters is refused, and so is the key of an application
 * since reversed: its payment was voided, and answering "applied" would let the host record a deduction
 * that nothing backs.
 */
function replayOrThrow(stored: OffsetApplication, input: ApplyOffsetInput): ApplyAnswer {
  if (stored.paramsHash !== paramsHash(input)) {
    throw new ConflictError('idempotency_mismatch', applyKeyReused(input.idempotencyKey, stored), {
      idempotencyKey: input.idempotencyKey,
      stored: { offsetId: stored.offsetId, billId: stored.billId, amountFen: stored.amountFen, state: stored.state },
    });
  }
  if (stored.state === 'reversed') {
    throw new OffsetRefusedError('already_reversed', {
      offsetId: stored.offsetId,
      billId: stored.billId,
      amountFen: stored.amountFen,
      reversalKey: stored.reversalKey,
    });
  }
  return answerOf(stored);
}

/**
 * Our own transaction (retried whole on deadlock), or a savepoint inside the host's, so a refused or
 * duplicate application undoes only our part of the host's work.
 */
function runWork<T>(ctx: PluginContext, trx: Knex.Transaction | undefined, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return trx ? trx.transaction(work) : inTransaction(ctx.db, work);
}

/** Inside the host's transaction every read goes through it (see HostReader.within). */
function hostReaderFor(ctx: PluginContext, trx: Knex.Transaction | undefined): HostReader {
  return trx ? ctx.host.within(trx) : ctx.host;
}

async function timeZoneFor(ctx: PluginContext, trx: Knex.Transaction | undefined): Promise<string> {
  return (trx ? await ctx.settings.readWithin(trx) : await ctx.settings.get()).timezone;
}

/** The bill cannot take this amount: says what it was, what was applied and what is still open to offsets. */
async function exceedsBill(db: Db, ctx: PluginContext, input: ApplyOffsetInput, bill: HostBill): Promise<OffsetRefusedError> {
  const appliedFen = (await appliedOnBills(db, ctx.tables, [bill.id])).get(bill.id) ?? 0;
  return new OffsetRefusedError('exceeds_bill', {
    offsetId: input.offsetId,
    billId: bill.id,
    amountFen: input.amountFen,
    billAmountFen: bill.amountFen,
    appliedFen,
    openFen: openToOffsets(bill, appliedFen),
  });
}

/** Why the conditional UPDATE touched nothing, from the row as it is now. */
async function diagnose(trx: Knex.Transaction, ctx: PluginContext, input: ApplyOffsetInput, today: string): Promise<never> {
  const offset = await findOffset(trx, ctx.tables, input.offsetId, { lock: 'share' });
  if (!offset) throw new OffsetRefusedError('not_found', { offsetId: input.offsetId });
  const byStatus: Record<string, RefusalCode | null> = {
    requested: 'not_approved',
    rejected: 'rejected',
    revoked: 'revoked',
    expired: 'expired',
    approved: null,
    exhausted: null,
  };
  const code = byStatus[effectiveStatus(offset, today)] ?? 'exceeds_remaining';
  throw new OffsetRefusedError(code, { offsetId: offset.id, amountFen: input.amountFen, remainingFen: offset.remainingFen, expiresOn: offset.expiresOn });
}

/** Consumes `amountFen` of an approved offset for a host bill, at most once per idempotency key. */
export async function applyOffset(ctx: PluginContext, input: ApplyOffsetInput, actor: Actor, options: TrxOption = {}): Promise<ApplyAnswer> {
  requirePermission(actor, 'offset.apply');
  const asked = validateApply({ ...input });
  const db: Db = options.trx ?? ctx.db;
  await seeLatestWrites(db);

  // A retry of a call that already went through is answered from its stored row. The first call of a key
  // (the usual case) does not look for one up front: any refusal below looks first, and a replay that
  // reaches the transaction is stopped by the key's UNIQUE index and answered the same way.
  let data = asked;
  const refuse = async (error: Error): Promise<ApplyAnswer> => {
    const earlier = await findApplicationBy(db, ctx.tables, 'idempotency_key', data.idempotencyKey, true);
    if (earlier) return replayOrThrow(earlier, data);
    throw error;
  };
  // Whose offset it is and which bills it covers never change after the request, so they are checked
  // before the transaction, as is whether the host still shows the bill as outstanding (read at the
  // moment of the call, through the host's transaction when it passes one). Status, date and the
  // remaining amounts are left to the conditional UPDATEs. The bill, the offset with its limits and its
  // complaint, and the bill's ledger row come back in one statement where the host reader can embed its
  // bill query in ours (billsAndFacts).
  const host = hostReaderFor(ctx, options.trx);
  const { bills, facts } = await billsAndFacts(db, ctx.tables, host, [{ billId: asked.billId, offsetIds: [asked.offsetId] }], {
    complaints: false,
    offsetComplaints: true,
  });
  const bill = bills.get(asked.billId);
  if (!bill) {
    const unmapped = (await unmappedBills(host, [asked.billId])).has(asked.billId);
    return refuse(new OffsetRefusedError(unmapped ? 'bill_not_mapped' : 'bill_not_found', { billId: asked.billId }));
  }
  // From here on the bill is named by the host's own key, in the stored row, the hash and the answer.
  data = { ...asked, billId: bill.id };
  const entry = facts.offsets.get(data.offsetId);
  const owners = needsUnitOwners(entry?.offset, bill) ? await ownersLookup(host)([bill.unitId]) : new Map<string, string[]>();
  const timeZone = await timeZoneFor(ctx, options.trx);
  const today = localDate(ctx.clock.now(), timeZone);
  const refusal = identityRefusal(entry, bill, owners, today);
  const inComplaint = facts.offsetComplaints.get(data.offsetId);
  if (refusal || !entry || !inComplaint) {
    return refuse(
      new OffsetRefusedError(refusal ?? 'not_found', {
        offsetId: data.offsetId,
        billId: bill.id,
        amountFen: data.amountFen,
        remainingFen: entry?.offset.remainingFen,
        expiresOn: entry?.offset.expiresOn,
      }),
    );
  }
  if (!bill.unpaid) return refuse(new OffsetRefusedError('bill_paid', { offsetId: data.offsetId, billId: bill.id, billStatus: bill.status }));
  if (data.amountFen > openToOffsets(bill, 0)) return refuse(await exceedsBill(db, ctx, data, bill));

  // The bill's ledger row is made if missing, as one autocommitted statement (not a transaction of its
  // own: BEGIN, INSERT, COMMIT), only once the call has passed every check above, so a refused call leaves
  // no row; the transaction below then only updates it. In the host's transaction takeFromBill makes it.
  // The read above says whether the row is there (ledger rows are never deleted).
  if (!options.trx && !facts.appliedFen.has(bill.id)) await retryingStatement(ctx.db, () => ensureBillLedger(ctx.db, ctx.tables, bill.id));
  // Ledger rows are never deleted; should one be missing all the same, it is made and the work tried again.
  const offset = entry.offset;
  const work = async (trx: Knex.Transaction) => {
    const at = ctx.clock.now();
    // The date at the moment of the UPDATE, not of the check above: an offset that expires at midnight
    // between the two is refused by the UPDATE (and diagnosed as expired).
    const todayNow = localDate(at, timeZone);
    if (!(await takeFromBill(trx, ctx.tables, bill.id, data.amountFen, bill.amountFen, { upsert: !!options.trx }))) {
      if (!options.trx && !(await appliedOnBills(trx, ctx.tables, [bill.id])).has(bill.id)) throw new LedgerRowMissing();
      throw await exceedsBill(trx, ctx, data, bill);
    }
    // What the offset has left after this UPDATE comes back with it (this transaction holds the row until
    // COMMIT); with the offset's complaint read above, it serves the answer, the audit record and the event.
    const remainingFen = await consumeRemaining(trx, ctx.tables, data.offsetId, data.amountFen, todayNow, at);
    if (remainingFen === null) {
      // A concurrent call with the same key may have taken the last of it: that is a replay, not a
      // refusal. Either way this transaction must not commit: the bill's ledger already took the amount.
      const raced = await findApplicationBy(trx, ctx.tables, 'idempotency_key', data.idempotencyKey, true);
      if (raced) throw new AnsweredByEarlier(raced);
      return diagnose(trx, ctx, data, todayNow);
    }
    const application: Omit<OffsetApplication, 'id'> = {
      offsetId: data.offsetId,
      billId: bill.id,
      amountFen: data.amountFen,
      idempotencyKey: data.idempotencyKey,
      paramsHash: paramsHash(data),
      state: 'applied',
      remainingAfterFen: remainingFen,
      appliedAt: at,
      appliedBy: actor.id,
      appliedByName: actor.name,
      reversalKey: null,
      reversalRemainingFen: null,
      reversedAt: null,
      reversedBy: null,
      reversedByName: null,
    };
    const applicationId = await insertApplication(trx, ctx.tables, application, inComplaint.complaintId);
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: data.offsetId,
      complaintId: inComplaint.complaintId,
      action: 'apply',
      actor,
      at,
      changes: { remaining_fen: [remainingFen + data.amountFen, remainingFen] },
      note: `账单 ${bill.id} · 收款号 ${data.idempotencyKey} · ${formatYuan(data.amountFen)}`,
    });
    await announceOffsetEvent(
      trx,
      ctx.tables,
      'applied',
      { offsetId: data.offsetId, billId: bill.id, amountFen: data.amountFen, paymentKey: data.idempotencyKey, applicationId },
      actor,
      at,
      {
        // consumeRemaining's UPDATE required 'approved' and sets 'exhausted' when nothing is left.
        offset: { ...offset, complaintId: inComplaint.complaintId, remainingFen, status: remainingFen === 0 ? 'exhausted' : 'approved' },
        complaintCode: inComplaint.complaintCode,
        communityId: inComplaint.communityId,
      },
    );
    return answerOf({ ...application, id: applicationId });
  };
  try {
    try {
      return await runWork(ctx, options.trx, work);
    } catch (err) {
      if (!(err instanceof LedgerRowMissing)) throw err;
      await retryingStatement(ctx.db, () => ensureBillLedger(ctx.db, ctx.tables, bill.id));
      return await runWork(ctx, options.trx, work);
    }
  } catch (err) {
    // The key was used before (a retry, or a concurrent call that committed first): our consumption was
    // rolled back; the stored application answers.
    if (err instanceof AnsweredByEarlier) return replayOrThrow(err.application, data);
    if (isDuplicateKeyError(err) || err instanceof OffsetRefusedError) return refuse(err as Error);
    throw err;
  }
}

/** The first application to a bill finds no ledger row: made outside the transaction, then tried again. */
class LedgerRowMissing extends Error {
  constructor() {
    super("the bill's ledger row is not there yet");
  }
}

/** Thrown out of a transaction (so it rolls back) when a call with the same key got there first. */
class AnsweredByEarlier extends Error {
  constructor(readonly application: OffsetApplication) {
    super('answered by an earlier application with the same key');
  }
}

function alreadyReversed(stored: OffsetApplication, reversalKey: string): ConflictError {
  return new ConflictError('already_reversed', alreadyReversedBy(stored.reversalKey ?? ''), {
    idempotencyKey: stored.idempotencyKey,
    reversalKey: stored.reversalKey,
    requestedReversalKey: reversalKey,
  });
}

function replayReversal(stored: OffsetApplication, reversalKey: string): ReversalAnswer {
  if (stored.reversalKey !== reversalKey) throw alreadyReversed(stored, reversalKey);
  return reversalAnswerOf(stored);
}

function applicationNotFound(data: ReverseOffsetInput): DomainError {
  return new DomainError('application_not_found', 404, noApplicationWithKey(data.idempotencyKey, data.billId));
}

/**
 * Is this application one the caller may reverse? It must be on the bill named (when one is), and its
 * complaint in the actor's communities: anything else is answered as not found, so nothing leaks.
 */
async function reversibleBy(ctx: PluginContext, db: Db, host: HostReader, found: OffsetApplication, data: ReverseOffsetInput, actor: Actor): Promise<boolean> {
  if (data.billId !== undefined) {
    const bill = data.billId === found.billId ? { id: found.billId } : await host.getBill(data.billId);
    if (!bill || bill.id !== found.billId) return false;
  }
  if (actor.communityIds === null) return true;
  const community = await communityOfOffset(db, ctx.tables, found.offsetId);
  return community !== undefined && canSeeCommunity(actor, community);
}

/** Restores an application's amount to its offset once (the host voided the payment). */
export async function reverseOffset(ctx: PluginContext, input: ReverseOffsetInput, actor: Actor, options: TrxOption = {}): Promise<ReversalAnswer> {
  requirePermission(actor, 'offset.apply');
  const data = validateReverse({ ...input });
  const db: Db = options.trx ?? ctx.db;
  await seeLatestWrites(db);
  const found = await findApplicationBy(db, ctx.tables, 'idempotency_key', data.idempotencyKey);
  if (!found || !(await reversibleBy(ctx, db, hostReaderFor(ctx, options.trx), found, data, actor))) throw applicationNotFound(data);
  if (found.state === 'reversed') return replayReversal(found, data.reversalKey);

  try {
    return await runWork(ctx, options.trx, async (trx) => {
      const at = ctx.clock.now();
      // The bill's ledger row is locked first, as applications take it: a replay of this key applying at
      // the same moment then queues behind us instead of holding the ledger while waiting for the
      // application row (a deadlock). The lock only orders this server's writers; the ledger UPDATE below
      // is what conflicts across a cluster.
      await lockBillLedger(trx, ctx.tables, found.billId);
      const marked = await markReversed(trx, ctx.tables, found, { key: data.reversalKey, at, by: actor.id, byName: actor.name });
      // Reversed meanwhile by another call: answer from the stored row.
      if (!marked) throw new AnsweredByEarlier((await findApplicationBy(trx, ctx.tables, 'idempotency_key', data.idempotencyKey, true))!);
      await giveBackToBill(trx, ctx.tables, found.billId, found.amountFen);
      const after = await giveBackToOffset(trx, ctx.tables, found.offsetId, found.amountFen, at);
      const remainingFen = after.remainingFen;
      const toRevoked = after.status === 'revoked';
      await recordReversalRemaining(trx, ctx.tables, found.id, remainingFen);
      await recordEvent(trx, ctx.tables, {
        entityType: 'offset',
        entityId: found.offsetId,
        complaintId: after.complaintId,
        action: 'reverse',
        actor,
        at,
        changes: toRevoked
          ? { revoked_fen: [after.revokedFen - found.amountFen, after.revokedFen] }
          : { remaining_fen: [remainingFen - found.amountFen, remainingFen] },
        note: `账单 ${found.billId} · 收款号 ${found.idempotencyKey} · 作废单 ${data.reversalKey} · ${formatYuan(found.amountFen)}`,
      });
      await announceOffsetEvent(
        trx,
        ctx.tables,
        'reversed',
        {
          offsetId: found.offsetId,
          billId: found.billId,
          amountFen: found.amountFen,
          paymentKey: found.idempotencyKey,
          reversalKey: data.reversalKey,
          applicationId: found.id,
        },
        actor,
        at,
      );
      return reversalAnswerOf({
        ...found,
        state: 'reversed',
        reversalKey: data.reversalKey,
        reversalRemainingFen: remainingFen,
        reversedAt: at,
        reversedBy: actor.id,
        reversedByName: actor.name,
      });
    });
  } catch (err) {
    if (err instanceof AnsweredByEarlier) return replayReversal(err.application, data.reversalKey);
    if (isDuplicateKeyError(err)) {
      const other = await findApplicationBy(db, ctx.tables, 'reversal_key', data.reversalKey, true);
      if (other && other.id === found.id) return reversalAnswerOf(other);
      throw new ConflictError('idempotency_mismatch', reversalKeyReused(data.reversalKey), { reversalKey: data.reversalKey });
    }
    throw err;
  }
}

/** Everything applied with the given keys (for the host's reconciliation of its own payments). */
export function findApplications(ctx: PluginContext, keys: string[]): Promise<OffsetApplication[]> {
  return applicationsByKeys(ctx.db, ctx.tables, keys);
}

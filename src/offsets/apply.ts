// Applying an approved offset at fee collection, and reversing it when the host voids the payment.
//
// Consumption is one conditional UPDATE (status approved, not past its date, enough remaining) whose
// affected-row count decides: read-then-write would double-spend under concurrency. The application row
// carries the host's payment id as a UNIQUE idempotency key, so a retried call replays the stored answer
// and a reused key with other parameters is refused. A bill takes offsets only up to its amount, counting
// the applications of earlier payments; applications to one bill queue on the bill's lock row, taken
// before the offset row. Reversals take only the offset row, so no two calls wait for each other in
// opposite orders; and the offset row, which all cashiers using one approval contend for, is held for
// the fewest statements.
// A host written in Node passes its own transaction: our work then runs in a savepoint of it and
// commits or rolls back with the fee payment.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ConflictError, DomainError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { isMysql } from '../db/connection.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { HostGateway } from '../host/gateway.js';
import type { HostReader } from '../host/reader.js';
import { defaultSettings } from '../settings/settings.js';
import type { PluginContext } from '../plugin/context.js';
import { identityRefusal, loadOffsetsWithLimits, needsUnitOwners, ownersLookup } from './billingCheck.js';
import { applicationFromRow, effectiveStatus, offsetFromRow, type OffsetApplication } from './model.js';
import { OffsetRefusedError, type RefusalCode } from './refusals.js';
import { validateApply, validateReverse, type ApplyOffsetInput, type ReverseOffsetInput } from './schemas.js';
import { localDate } from '../complaints/zonedTime.js';

export type { ApplyOffsetInput, ReverseOffsetInput } from './schemas.js';

export interface TrxOption {
  /** The host's own knex transaction: our writes commit or roll back with it. */
  trx?: Knex.Transaction;
}

/** The stored answer of one application; a replay returns exactly this. */
export interface ApplyAnswer {
  applicationId: number;
  offsetId: number;
  billId: string;
  amountFen: number;
  /** The offset's remaining amount right after this application. */
  remainingFen: number;
  appliedAt: string;
  idempotencyKey: string;
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
}

type Db = Knex | Knex.Transaction;

export function paramsHash(input: ApplyOffsetInput): string {
  return createHash('sha256').update(JSON.stringify([input.offsetId, String(input.billId), input.amountFen])).digest('hex');
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
  };
}

/**
 * Finds an application by its key. `lock` makes it a locking read, which sees the latest committed row
 * even inside a REPEATABLE READ transaction whose snapshot is older (the host's, or after a duplicate).
 */
async function findApplication(db: Db, ctx: PluginContext, column: 'idempotency_key' | 'reversal_key', key: string, lock = false): Promise<OffsetApplication | null> {
  const qb = db(ctx.tables.offsetApplications).where(column, key).first();
  if (lock) qb.forShare();
  const row = (await qb) as Record<string, unknown> | undefined;
  return row ? applicationFromRow(row) : null;
}

/** A replay's answer; a key reused with other parameters is refused. */
function replayOrThrow(stored: OffsetApplication, input: ApplyOffsetInput): ApplyAnswer {
  if (stored.paramsHash !== paramsHash(input)) {
    throw new ConflictError(
      'idempotency_mismatch',
      msg(
        `收款号 ${input.idempotencyKey} 已用于另一笔抵扣（抵扣 #${stored.offsetId}，账单 ${stored.billId}，${stored.amountFen} 分），参数不同，拒绝执行`,
        `Key ${input.idempotencyKey} was already used for a different application (offset #${stored.offsetId}, bill ${stored.billId}, ${stored.amountFen} fen); refused`,
      ),
      { idempotencyKey: input.idempotencyKey, stored: { offsetId: stored.offsetId, billId: stored.billId, amountFen: stored.amountFen } },
    );
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

/**
 * Inside the host's transaction every read goes through that transaction: on SQLite the pool has one
 * connection, which the host's transaction holds, and on MySQL it lets us see the host's own new bill.
 */
function hostReaderFor(ctx: PluginContext, trx: Knex.Transaction | undefined): HostReader {
  return trx ? new HostGateway(trx, ctx.mapping) : ctx.host;
}

async function timeZoneFor(ctx: PluginContext, trx: Knex.Transaction | undefined): Promise<string> {
  if (!trx) return (await ctx.settings.get()).timezone;
  const row = (await trx(ctx.tables.settings).where({ key: 'timezone' }).first()) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as string) : defaultSettings().timezone;
}

/**
 * Holds the bill's lock row until the transaction ends, making it on the bill's first application: one
 * INSERT … ON DUPLICATE KEY UPDATE, which takes an exclusive lock on the primary-key record whether it
 * inserts or finds it (no gap lock, no shared lock to upgrade). It runs in the caller's transaction, so a
 * host transaction applying a second line to the same bill finds its own lock. A no-op on SQLite, which
 * has one writer.
 */
async function lockBill(trx: Knex.Transaction, ctx: PluginContext, billId: string): Promise<void> {
  if (isMysql(ctx.db)) await trx(ctx.tables.offsetBillLocks).insert({ bill_id: billId }).onConflict('bill_id').merge(['bill_id']);
}

/**
 * Fen applied (not reversed) to a bill so far, read while holding the bill's lock row, so every earlier
 * application to the bill has committed. In our own transaction this is its first plain read, and the
 * snapshot it opens is taken now, after the lock: it sees them all. A plain read also takes no gap locks:
 * a locking read here shared the index gap of bills without applications yet, and two first applications
 * to two such bills then deadlocked on their INSERTs. Inside a host's transaction, whose snapshot may be
 * older than the lock, the read must lock to see the latest rows.
 */
async function appliedFenOnBill(trx: Knex.Transaction, ctx: PluginContext, billId: string, hostTransaction: boolean): Promise<number> {
  const qb = trx(ctx.tables.offsetApplications).sum({ applied: 'amount_fen' }).where({ bill_id: billId, state: 'applied' }).first();
  if (hostTransaction) qb.forShare();
  const row = (await qb) as Record<string, unknown> | undefined;
  return Number(row?.applied ?? 0);
}

/** Why the conditional UPDATE touched nothing, from the row as it is now. */
async function diagnose(trx: Knex.Transaction, ctx: PluginContext, input: ApplyOffsetInput, today: string): Promise<never> {
  const row = (await trx(ctx.tables.offsets).where({ id: input.offsetId }).forShare().first()) as Record<string, unknown> | undefined;
  if (!row) throw new OffsetRefusedError('not_found', { offsetId: input.offsetId });
  const offset = offsetFromRow(row);
  const byStatus: Record<string, RefusalCode | null> = { requested: 'not_approved', rejected: 'rejected', revoked: 'revoked', expired: 'expired', approved: null, exhausted: null };
  const code = byStatus[effectiveStatus(offset, today)] ?? 'exceeds_remaining';
  throw new OffsetRefusedError(code, { offsetId: offset.id, amountFen: input.amountFen, remainingFen: offset.remainingFen, expiresOn: offset.expiresOn });
}

/** Consumes `amountFen` of an approved offset for a host bill, at most once per idempotency key. */
export async function applyOffset(ctx: PluginContext, input: ApplyOffsetInput, actor: Actor, options: TrxOption = {}): Promise<ApplyAnswer> {
  requirePermission(actor, 'offset.apply');
  const data = validateApply({ ...input });
  const db: Db = options.trx ?? ctx.db;

  // A retry of a call that already went through is answered from its stored row. The first call of a key
  // (the usual case) does not look for one up front: any refusal below looks first, and a replay that
  // reaches the transaction is stopped by the key's UNIQUE index and answered the same way.
  const refuse = async (error: Error): Promise<ApplyAnswer> => {
    const earlier = await findApplication(db, ctx, 'idempotency_key', data.idempotencyKey, true);
    if (earlier) return replayOrThrow(earlier, data);
    throw error;
  };
  // Whose offset it is and which bills it covers never change after the request, so they are checked
  // before the transaction; status, date and remaining amount are left to the conditional UPDATE.
  const host = hostReaderFor(ctx, options.trx);
  const bill = await host.getBill(data.billId);
  if (!bill) return refuse(new OffsetRefusedError('bill_not_found', { billId: data.billId }));
  const entry = (await loadOffsetsWithLimits(db, ctx, [data.offsetId])).get(data.offsetId);
  const owners = needsUnitOwners(entry?.offset, bill) ? await ownersLookup(host)([bill.unitId]) : new Map<string, string[]>();
  const today = localDate(ctx.clock.now(), await timeZoneFor(ctx, options.trx));
  const refusal = identityRefusal(entry, bill, owners, today);
  if (refusal) {
    return refuse(
      new OffsetRefusedError(refusal, { offsetId: data.offsetId, billId: data.billId, amountFen: data.amountFen, remainingFen: entry?.offset.remainingFen, expiresOn: entry?.offset.expiresOn }),
    );
  }
  if (data.amountFen > bill.amountFen) return refuse(new OffsetRefusedError('exceeds_bill', { offsetId: data.offsetId, billId: data.billId, amountFen: data.amountFen, billAmountFen: bill.amountFen }));

  try {
    return await runWork(ctx, options.trx, async (trx) => {
      const at = ctx.clock.now();
      // The bill takes offsets only up to its amount, counting earlier payments' applications. Calls on
      // one bill queue on its lock row; the sum is read after the lock, so it sees every earlier
      // application (appliedFenOnBill).
      await lockBill(trx, ctx, data.billId);
      const onBill = await appliedFenOnBill(trx, ctx, data.billId, options.trx !== undefined);
      if (onBill + data.amountFen > bill.amountFen) {
        throw new OffsetRefusedError('exceeds_bill', { offsetId: data.offsetId, billId: data.billId, amountFen: data.amountFen, billAmountFen: bill.amountFen });
      }
      const consumed = await trx(ctx.tables.offsets)
        .where({ id: data.offsetId, status: 'approved' })
        .andWhere('remaining_fen', '>=', data.amountFen)
        .andWhere((w) => w.whereNull('expires_on').orWhere('expires_on', '>=', today))
        // `status` is set before `remaining_fen`: MySQL evaluates SET left to right with updated values,
        // SQLite with old ones; in this order both see the old remaining amount.
        .update({
          status: trx.raw("CASE WHEN remaining_fen = ? THEN 'exhausted' ELSE status END", [data.amountFen]),
          remaining_fen: trx.raw('remaining_fen - ?', [data.amountFen]),
          updated_at: toDbTime(at),
        });
      if (consumed !== 1) {
        // A concurrent call with the same key may have taken the last of it: that is a replay, not a refusal.
        const raced = await findApplication(trx, ctx, 'idempotency_key', data.idempotencyKey, true);
        if (raced) return replayOrThrow(raced, data);
        return diagnose(trx, ctx, data, today);
      }
      const after = (await trx(ctx.tables.offsets).select('remaining_fen', 'complaint_id').where({ id: data.offsetId }).first()) as Record<string, unknown>;
      const remainingFen = Number(after.remaining_fen);
      const [applicationId] = (await trx(ctx.tables.offsetApplications).insert({
        offset_id: data.offsetId,
        bill_id: data.billId,
        amount_fen: data.amountFen,
        idempotency_key: data.idempotencyKey,
        params_hash: paramsHash(data),
        state: 'applied',
        remaining_after_fen: remainingFen,
        applied_at: toDbTime(at),
        applied_by: actor.id,
        applied_by_name: actor.name,
      })) as number[];
      await recordEvent(trx, ctx.tables, {
        entityType: 'offset',
        entityId: data.offsetId,
        complaintId: Number(after.complaint_id),
        action: 'apply',
        actor,
        at,
        changes: { remaining_fen: [remainingFen + data.amountFen, remainingFen] },
        note: `bill ${data.billId}; key ${data.idempotencyKey}; ${data.amountFen} fen`,
      });
      return answerOf({
        id: Number(applicationId),
        offsetId: data.offsetId,
        billId: String(data.billId),
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
      });
    });
  } catch (err) {
    // The key was used before (a retry, or a concurrent call that committed first): our consumption was
    // rolled back; the stored application answers.
    if (isDuplicateKeyError(err) || err instanceof OffsetRefusedError) return refuse(err as Error);
    throw err;
  }
}

function alreadyReversed(stored: OffsetApplication, reversalKey: string): ConflictError {
  return new ConflictError(
    'already_reversed',
    msg(`该抵扣已由作废单 ${stored.reversalKey ?? ''} 冲回，不能再次冲回`, `This application was already reversed by ${stored.reversalKey ?? ''}; it is restored only once`),
    { idempotencyKey: stored.idempotencyKey, reversalKey: stored.reversalKey, requestedReversalKey: reversalKey },
  );
}

function replayReversal(stored: OffsetApplication, reversalKey: string): ReversalAnswer {
  if (stored.reversalKey !== reversalKey) throw alreadyReversed(stored, reversalKey);
  return reversalAnswerOf(stored);
}

/** Restores an application's amount to its offset once (the host voided the payment). */
export async function reverseOffset(ctx: PluginContext, input: ReverseOffsetInput, actor: Actor, options: TrxOption = {}): Promise<ReversalAnswer> {
  requirePermission(actor, 'offset.apply');
  const data = validateReverse({ ...input });
  const db: Db = options.trx ?? ctx.db;
  const found = await findApplication(db, ctx, 'idempotency_key', data.idempotencyKey);
  if (!found) {
    throw new DomainError('application_not_found', 404, msg(`没有收款号为 ${data.idempotencyKey} 的抵扣记录`, `No offset was applied with key ${data.idempotencyKey}`));
  }
  if (found.state === 'reversed') return replayReversal(found, data.reversalKey);

  try {
    return await runWork(ctx, options.trx, async (trx) => {
      const at = ctx.clock.now();
      // The offset row first, and no bill lock: an application holds its bill's lock before the offset
      // row, so a reversal never waits for a bill while holding what an application waits for. Restoring
      // only ever lowers the bill's applied sum; an application that read it just before is merely cautious.
      await trx(ctx.tables.offsets).where({ id: found.offsetId }).forUpdate().first();
      const marked = await trx(ctx.tables.offsetApplications)
        .where({ id: found.id, state: 'applied' })
        .update({ state: 'reversed', reversal_key: data.reversalKey, reversed_at: toDbTime(at), reversed_by: actor.id, reversed_by_name: actor.name });
      if (marked !== 1) {
        const now = await findApplication(trx, ctx, 'idempotency_key', data.idempotencyKey, true);
        return replayReversal(now!, data.reversalKey);
      }
      // Restoring after a reversal makes a used-up offset usable again; revoked or expired stay so.
      await trx(ctx.tables.offsets)
        .where({ id: found.offsetId })
        .update({
          status: trx.raw("CASE WHEN status = 'exhausted' THEN 'approved' ELSE status END"),
          remaining_fen: trx.raw('remaining_fen + ?', [found.amountFen]),
          updated_at: toDbTime(at),
        });
      const after = (await trx(ctx.tables.offsets).select('remaining_fen', 'complaint_id').where({ id: found.offsetId }).first()) as Record<string, unknown>;
      const remainingFen = Number(after.remaining_fen);
      await trx(ctx.tables.offsetApplications).where({ id: found.id }).update({ reversal_remaining_fen: remainingFen });
      await recordEvent(trx, ctx.tables, {
        entityType: 'offset',
        entityId: found.offsetId,
        complaintId: Number(after.complaint_id),
        action: 'reverse',
        actor,
        at,
        changes: { remaining_fen: [remainingFen - found.amountFen, remainingFen] },
        note: `bill ${found.billId}; key ${found.idempotencyKey}; reversal ${data.reversalKey}; ${found.amountFen} fen`,
      });
      const stored = await findApplication(trx, ctx, 'idempotency_key', data.idempotencyKey);
      return reversalAnswerOf(stored!);
    });
  } catch (err) {
    if (isDuplicateKeyError(err)) {
      const other = await findApplication(db, ctx, 'reversal_key', data.reversalKey, true);
      if (other && other.id === found.id) return reversalAnswerOf(other);
      throw new ConflictError(
        'idempotency_mismatch',
        msg(`作废单号 ${data.reversalKey} 已用于另一笔抵扣的冲回`, `Reversal key ${data.reversalKey} was already used for another application`),
        { reversalKey: data.reversalKey },
      );
    }
    throw err;
  }
}

/** Everything applied with the given keys (for the host's reconciliation of its own payments). */
export async function findApplications(ctx: PluginContext, keys: string[]): Promise<OffsetApplication[]> {
  const rows = (await ctx.db(ctx.tables.offsetApplications).whereIn('idempotency_key', keys)) as Array<Record<string, unknown>>;
  return rows.map(applicationFromRow);
}

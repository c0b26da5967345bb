// One way to run a unit of work: join the caller's transaction when given one (so a Node host can commit
// our writes with its own), otherwise open our own and retry it whole on deadlocks and lock timeouts.
// On a Galera cluster a certification conflict (two nodes really changing one row) is reported to the
// loser as a deadlock (1213), often at COMMIT after every statement succeeded: the same retry covers it.
// Only knex's callback form is used: a manual trx.commit() can report success on a dead connection.
import type { Knex } from 'knex';
import { reportTransactionEvent } from './transactionEvents.js';
import { isRetryableTransactionError } from './errors.js';

/** One failed attempt of a transaction of ours that is either run again or given up. */
export interface TransactionRetry {
  /** 1 for the first attempt. */
  attempt: number;
  /** How many attempts are allowed in all. */
  maxAttempts: number;
  /** The driver's error number (1213 deadlock or certification conflict, 1205 lock wait, 1020 snapshot). */
  errno: number | null;
  code: string | null;
  /** false: the attempts ran out and the error goes up to the caller (an HTTP 503 `retry_later`). */
  willRetry: boolean;
  /** Wait before the next attempt (0 when giving up). */
  delayMs: number;
}

export type TransactionRetryListener = (event: TransactionRetry) => void;

export interface TransactionOptions {
  /** The host's transaction to join; when given we neither retry nor commit. */
  trx?: Knex.Transaction;
  /** Attempts after the first (default 4). */
  retries?: number;
  /** Told of each retried or given-up attempt of this call (besides the listeners of onTransactionRetry). */
  onRetry?: TransactionRetryListener;
}

const listeners = new Set<TransactionRetryListener>();

/**
 * Registers a listener told of every retried or given-up transaction in this process (metrics count
 * retries and conflicts with it); returns the function that removes it. A listener's error is ignored.
 */
export function onTransactionRetry(listener: TransactionRetryListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function tell(event: TransactionRetry, own: TransactionRetryListener | undefined): void {
  for (const listener of own ? [own, ...listeners] : listeners) {
    try {
      listener(event);
    } catch {
      // Counting must never change the outcome of a payment.
    }
  }
}

/** Exponential backoff with full jitter over its upper half: 5–10 ms, 10–20 ms, 20–40 ms, … */
export function retryDelayMs(attempt: number): number {
  const base = 5 * 2 ** (attempt - 1);
  return Math.round(base + Math.random() * base);
}

export async function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  if (options.trx) return work(options.trx);
  return retried(db, () => db.transaction(work), options);
}

/**
 * One autocommitted statement (no BEGIN/COMMIT of its own), run again on a deadlock or lock-wait timeout
 * exactly as a transaction of ours is: same attempts and backoff, and the same retry reports and metrics.
 */
export async function retryingStatement<T>(db: Knex, run: () => Promise<T>, options: Omit<TransactionOptions, 'trx'> = {}): Promise<T> {
  return retried(db, run, options);
}

async function retried<T>(db: Knex, run: () => Promise<T>, options: Omit<TransactionOptions, 'trx'>): Promise<T> {
  const maxAttempts = (options.retries ?? 4) + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isRetryableTransactionError(err)) throw err;
      const willRetry = attempt < maxAttempts;
      const delayMs = willRetry ? retryDelayMs(attempt) : 0;
      const e = err as { errno?: number; code?: string; sql?: string; message?: string };
      tell(
        { attempt, maxAttempts, errno: typeof e.errno === 'number' ? e.errno : null, code: typeof e.code === 'string' ? e.code : null, willRetry, delayMs },
        options.onRetry,
      );
      // For the plugin's metrics: a 1213 at COMMIT is how Galera reports a certification conflict.
      reportTransactionEvent(db, {
        kind: willRetry ? 'retry' : 'gave_up',
        cause: String(e.errno ?? e.code ?? 'unknown'),
        certificationConflict: e.errno === 1213 && /commit/i.test(String(e.sql ?? e.message ?? '')),
        attempt,
      });
      if (!willRetry) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

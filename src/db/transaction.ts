// One way to run a unit of work: join the caller's transaction when given one (so a Node host can commit
// our writes with its own), otherwise open our own and retry it whole on deadlocks and lock timeouts.
// Only knex's callback form is used: a manual trx.commit() can report success on a dead connection.
import type { Knex } from 'knex';
import { isRetryableTransactionError } from './errors.js';

export interface TransactionOptions {
  /** The host's transaction to join; when given we neither retry nor commit. */
  trx?: Knex.Transaction;
  retries?: number;
}

export async function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  if (options.trx) return work(options.trx);
  const retries = options.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (attempt >= retries || !isRetryableTransactionError(err)) throw err;
      const backoff = 5 * 2 ** attempt;
      await new Promise((r) => setTimeout(r, backoff + Math.random() * backoff));
    }
  }
}

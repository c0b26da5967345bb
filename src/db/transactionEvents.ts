// What the transaction retry code reports, for whoever watches (the plugin's metrics). Keyed by the knex
// instance, so several plugins in one process (a host with two databases, the tests) count only their
// own database's retries. The retry code calls reportTransactionEvent; nothing here knows about metrics.
import type { Knex } from 'knex';

export interface TransactionEvent {
  /** retry: the transaction runs again; gave_up: retries ran out and the error goes to the caller. */
  kind: 'retry' | 'gave_up';
  /** The driver's errno or code (1213 deadlock, 1205 lock wait timeout, 1020 snapshot conflict, SQLITE_BUSY…). */
  cause: string;
  /** A Galera certification conflict (reported as 1213 at COMMIT), as the retry code classified it. */
  certificationConflict: boolean;
  /** Which attempt failed (1 = the first run). */
  attempt: number;
}

export type TransactionListener = (event: TransactionEvent) => void;

const listeners = new WeakMap<Knex, Set<TransactionListener>>();

/** Called by the retry code each time a transaction of ours is retried or given up. Never throws. */
export function reportTransactionEvent(db: Knex, event: TransactionEvent): void {
  for (const listener of listeners.get(db) ?? []) {
    try {
      listener(event);
    } catch {
      // A watcher's failure must not change the outcome of a transaction.
    }
  }
}

/** Subscribes to one database's transaction events; returns the unsubscribe function. */
export function onTransactionEvent(db: Knex, listener: TransactionListener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

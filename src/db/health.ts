// The database as operations see it: does it answer, and how busy is the connection pool.
import type { Knex } from 'knex';

/** Resolves when the database answers a trivial query within timeoutMs; rejects with the reason otherwise. */
export async function pingDatabase(db: Knex, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
  });
  try {
    await Promise.race([db.raw('SELECT 1'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface PoolUsage {
  /** Connections lent out to queries now. */
  used: number;
  /** Open connections waiting for work. */
  free: number;
  /** Queries waiting for a connection. */
  pendingAcquires: number;
  /** The pool's size limit. */
  max: number;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max: number;
}

/** The pool's state, or null when the client has none (yet, or any more). */
export function poolUsage(db: Knex): PoolUsage | null {
  const pool = (db.client as { pool?: TarnPool | null }).pool;
  if (!pool || typeof pool.numUsed !== 'function') return null;
  return { used: pool.numUsed(), free: pool.numFree(), pendingAcquires: pool.numPendingAcquires(), max: pool.max };
}

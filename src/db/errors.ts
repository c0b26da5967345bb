// Driver error classification, so callers never test error codes themselves.

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
}

/** A UNIQUE or PRIMARY KEY violation (MySQL 1062, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as DriverError;
  return e?.errno === 1062 || e?.code === 'ER_DUP_ENTRY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * MySQL refused an index as too long: over InnoDB's 3,072 bytes in all (1071), or a column over 767 bytes
 * in an old row format (1709). Our columns copy the host's key types, so this depends on the host.
 */
export function isIndexTooLongError(err: unknown): boolean {
  const e = err as DriverError | undefined;
  return e?.errno === 1071 || e?.errno === 1709;
}

/**
 * A statement named an index that is not there (MySQL 1176 "Key … doesn't exist"; SQLite "no such index"):
 * a DBA dropped or renamed one of ours. Reads that name an index for speed fall back to the database's own
 * plan rather than fail.
 */
export function isMissingIndexError(err: unknown): boolean {
  const e = err as DriverError | undefined;
  return e?.errno === 1176 || (typeof e?.message === 'string' && /no such index/i.test(e.message));
}

/** A CHECK constraint or trigger refusal (MySQL 4025/3819/1644, SQLite CHECK/TRIGGER). */
export function isConstraintRefusal(err: unknown): boolean {
  const e = err as DriverError;
  return e?.errno === 4025 || e?.errno === 3819 || e?.errno === 1644 || e?.code === 'SQLITE_CONSTRAINT_CHECK' || e?.code === 'SQLITE_CONSTRAINT_TRIGGER';
}

/**
 * Errors after which the whole transaction may simply be run again. On a Galera cluster the loser of a
 * certification conflict gets 1213 too, possibly at COMMIT.
 */
export function isRetryableTransactionError(err: unknown): boolean {
  const e = err as DriverError;
  // 1213 deadlock, 1205 lock wait timeout, 1020 MariaDB snapshot conflict; SQLite busy, including
  // SQLITE_BUSY_SNAPSHOT: a transaction that read, then found another process had written, must start over.
  return e?.errno === 1213 || e?.errno === 1205 || e?.errno === 1020 || (typeof e?.code === 'string' && e.code.startsWith('SQLITE_BUSY'));
}

/** The database could not be reached or the connection died: worth a "try again" page, not a 500 trace. */
export function isConnectionError(err: unknown): boolean {
  const e = err as DriverError;
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'EPIPE', 'ER_CON_COUNT_ERROR', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR'];
  if (e?.code && codes.includes(e.code)) return true;
  // 1047: a Galera node that is not (yet, or no longer) part of the primary component refuses queries.
  if (e?.errno === 2013 || e?.errno === 2006 || e?.errno === 1927 || e?.errno === 1053 || e?.errno === 1047) return true;
  const msg = e?.message ?? '';
  return /WSREP has not yet prepared node|Knex: Timeout acquiring a connection|Connection lost|connect ECONNREFUSED|Can't add new command when connection is in closed state/i.test(
    msg,
  );
}

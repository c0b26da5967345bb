// The SQL statements knex sent on a database while `work` ran (BEGIN and COMMIT included), as the bench
// counts round trips: for tests that count or inspect what a call sends.
import type { Knex } from 'knex';

export async function statementsSent(db: Knex, work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (q: { sql: string }) => seen.push(q.sql);
  db.on('query', listener);
  try {
    await work();
  } finally {
    db.removeListener('query', listener);
  }
  return seen;
}

// Reads that must see the latest write on a multi-primary cluster. A Galera node applies other nodes'
// commits a moment after they are certified, so a read on node B right after a commit on node A may see
// the old row: an offset approved on A still "not approved" at B's billing check, a job claim taken on A
// not yet visible to B. `seeLatestWrites(db)` makes the node first apply every write set the cluster had
// committed when it was called (wsrep_sync_wait, one round of the cluster); the reads that follow, on
// this connection or any other of the same node, see them. Elsewhere (one server, SQLite) it does nothing.
//
// The wait is asked for one statement only (`SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1`): a
// `SET SESSION` would stay on the pooled connection and make every later query of whoever gets it wait.
// Inside a transaction call it before the first read: InnoDB takes the transaction's snapshot at that
// read, after the wait. If the node cannot catch up in time (repl.causal_read_timeout), the statement
// fails with a lock wait timeout (1205), which callers already treat as "retry".
import type { Knex } from 'knex';
import { isMysql } from './connection.js';

/** 'auto' (the default): wait only where the server says `wsrep_on` is ON. */
export type CausalReadsMode = 'auto' | 'on' | 'off';

const modes = new WeakMap<object, CausalReadsMode>();
const detected = new WeakMap<object, Promise<boolean>>();

/** The configuration shared by a knex instance and all its transactions. */
function keyOf(db: Knex | Knex.Transaction): object {
  return (db.client as { config: object }).config;
}

/** Sets how a knex instance (and its transactions) treats reads that must see the latest write. */
export function configureCausalReads(db: Knex, mode: CausalReadsMode): void {
  modes.set(keyOf(db), mode);
  detected.delete(keyOf(db));
}

async function detect(db: Knex | Knex.Transaction): Promise<boolean> {
  if (!isMysql(db as Knex)) return false;
  // SHOW answers on MySQL too (no rows there), where @@wsrep_on would be an error.
  const [rows] = (await db.raw("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")) as [Array<{ Value?: string }>];
  return String(rows[0]?.Value ?? '').toUpperCase() === 'ON';
}

/** Whether seeLatestWrites waits on this database (detected once per knex instance in 'auto' mode). */
export function causalReadsEnabled(db: Knex | Knex.Transaction): Promise<boolean> {
  const key = keyOf(db);
  const mode = modes.get(key) ?? 'auto';
  if (mode !== 'auto') return Promise.resolve(mode === 'on');
  let answer = detected.get(key);
  if (!answer) {
    answer = detect(db);
    detected.set(key, answer);
    // A database that did not answer is asked again next time.
    answer.catch(() => detected.delete(key));
  }
  return answer;
}

/** On a Galera cluster: waits until this node has applied every write committed anywhere before now. */
export async function seeLatestWrites(db: Knex | Knex.Transaction): Promise<void> {
  if (await causalReadsEnabled(db)) await db.raw('SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1');
}

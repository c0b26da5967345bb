// What the profiling scripts (report-profile.ts, batch-profile.ts) share: the plugin in this process on a
// bench database, and every SQL statement it sends timed from knex's 'query' event to its 'query-response'.
import type { Knex } from 'knex';
import { createDb } from '../../src/db/connection.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { createComplaintsPlugin, type ComplaintsPlugin } from '../../src/plugin/createPlugin.js';

export interface StatementTiming {
  /** The statement's text, whitespace folded, cut to `width` characters. */
  sql: string;
  ms: number;
}

export function profiledPlugin(
  url: string,
  options: { poolMax: number; width: number; dump?: boolean },
): { db: Knex; plugin: ComplaintsPlugin; take: () => StatementTiming[] } {
  const db = createDb(url, { poolMax: options.poolMax });
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping: loadMappingFile(new URL('../../src/demo/demo-mapping.json', import.meta.url).pathname),
    auth: () => null,
  });
  const started = new Map<string, number>();
  let timings: StatementTiming[] = [];
  db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
  db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string; bindings?: unknown[] }) => {
    if (options.dump) console.log(`${db.raw(q.sql, (q.bindings ?? []) as never).toString()};`);
    timings.push({ sql: q.sql.replace(/\s+/g, ' ').slice(0, options.width), ms: performance.now() - (started.get(q.__knexQueryUid) ?? 0) });
  });
  /** The statements timed since the last call. */
  const take = () => {
    const out = timings;
    timings = [];
    return out;
  };
  return { db, plugin, take };
}

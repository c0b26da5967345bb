// Where the batch billing check's time goes (issue 20): checkBills over the bench's 10,000 bills, each SQL
// statement timed from the knex 'query' event to its 'query-response', beside the call's total.
//   npx tsx bench/batch-profile.ts [mysql://root@127.0.0.1:3306/cmp_bench] [repeat]
import { createDb } from '../src/db/connection.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { createOffsetService } from '../src/offsets/service.js';
import { batchInputs } from './lib/batch.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const repeat = Number(process.argv[3] ?? 5);

const db = createDb(url, { poolMax: 20 });
const plugin = createComplaintsPlugin({
  knex: db,
  mapping: loadMappingFile(new URL('../src/demo/demo-mapping.json', import.meta.url).pathname),
  auth: () => null,
});
const started = new Map<string, number>();
let timings: Array<{ sql: string; ms: number }> = [];
db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
  timings.push({ sql: q.sql.replace(/\s+/g, ' ').slice(0, 60), ms: performance.now() - (started.get(q.__knexQueryUid) ?? 0) });
});
try {
  const service = createOffsetService(plugin.context);
  const batch = await batchInputs(db);
  await service.checkBills(batch);
  for (let i = 0; i < repeat; i++) {
    timings = [];
    const s = performance.now();
    await service.checkBills(batch);
    const total = performance.now() - s;
    const sqlMs = timings.reduce((a, t) => a + t.ms, 0);
    console.log(
      `${batch.length} bills: total ${total.toFixed(1)} ms (${((total * 1000) / batch.length).toFixed(1)} µs per bill); ${timings.length} statements, ${sqlMs.toFixed(1)} ms summed; slowest ${Math.max(...timings.map((t) => t.ms)).toFixed(1)} ms: ${timings.sort((a, b) => b.ms - a.ms)[0]?.sql}`,
    );
  }
} finally {
  await db.destroy();
}

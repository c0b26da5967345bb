// Where the batch billing check's time goes (issue 20): checkBills over the bench's 10,000 bills, each SQL
// statement timed from the knex 'query' event to its 'query-response', beside the call's total.
//   npx tsx bench/batch-profile.ts [mysql://root@127.0.0.1:3306/cmp_bench] [repeat]
import { createOffsetService } from '../src/offsets/service.js';
import { batchInputs } from './lib/batch.js';
import { profiledPlugin } from './lib/profiling.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const repeat = Number(process.argv[3] ?? 5);
const { db, plugin, take } = profiledPlugin(url, { poolMax: 20, width: 60 });
try {
  const service = createOffsetService(plugin.context);
  const batch = await batchInputs(db);
  await service.checkBills(batch);
  for (let i = 0; i < repeat; i++) {
    take();
    const s = performance.now();
    await service.checkBills(batch);
    const total = performance.now() - s;
    const timings = take();
    const sqlMs = timings.reduce((a, t) => a + t.ms, 0);
    console.log(
      `${batch.length} bills: total ${total.toFixed(1)} ms (${((total * 1000) / batch.length).toFixed(1)} µs per bill); ${timings.length} statements, ${sqlMs.toFixed(1)} ms summed; slowest ${Math.max(...timings.map((t) => t.ms)).toFixed(1)} ms: ${timings.sort((a, b) => b.ms - a.ms)[0]?.sql}`,
    );
  }
} finally {
  await db.destroy();
}

// Where the monthly report's time goes (issue 20): each SQL statement buildReport sends, timed from the
// knex 'query' event to its 'query-response', beside the call's total, for every community and community 1.
//   npx tsx bench/report-profile.ts [mysql://root@127.0.0.1:3306/cmp_bench] [repeat]
import { buildReport } from '../src/reports/report.js';
import { REPORT_READER, lastCompleteMonthDays } from './lib/common.js';
import { profiledPlugin } from './lib/profiling.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const repeat = Number(process.argv[3] ?? 5);
const { db, plugin, take } = profiledPlugin(url, { poolMax: 10, width: 90, dump: process.env.DUMP_SQL === '1' });
try {
  const marker = (await db('bench_seed').first('info')) as { info: string };
  const now = new Date((JSON.parse(marker.info) as { now: string }).now);
  const { from, to } = lastCompleteMonthDays(now);
  const query = { from, to, actor: REPORT_READER };
  for (const communityId of [null, '1']) {
    await buildReport(plugin.context, { ...query, communityId });
    for (let i = 0; i < repeat; i++) {
      take();
      const s = performance.now();
      await buildReport(plugin.context, { ...query, communityId });
      const total = performance.now() - s;
      const timings = take();
      console.log(`${communityId ?? 'all'}: total ${total.toFixed(1)} ms; ${timings.map((t) => `${t.ms.toFixed(1)} ms ${t.sql}`).join(' | ')}`);
    }
  }
} finally {
  await db.destroy();
}

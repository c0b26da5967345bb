// Where the monthly report's time goes (issue 20): each SQL statement buildReport sends, timed from the
// knex 'query' event to its 'query-response', beside the call's total, for every community and community 1.
//   npx tsx bench/report-profile.ts [mysql://root@127.0.0.1:3306/cmp_bench] [repeat]
import { createDb } from '../src/db/connection.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { buildReport } from '../src/reports/report.js';
import { REPORT_READER, lastCompleteMonthDays } from './lib/common.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const repeat = Number(process.argv[3] ?? 5);

const db = createDb(url, { poolMax: 10 });
const plugin = createComplaintsPlugin({
  knex: db,
  mapping: loadMappingFile(new URL('../src/demo/demo-mapping.json', import.meta.url).pathname),
  auth: () => null,
});
const started = new Map<string, number>();
let timings: Array<{ sql: string; ms: number }> = [];
db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
const dump = process.env.DUMP_SQL === '1';
db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string; bindings?: unknown[] }) => {
  if (dump) console.log(`${db.raw(q.sql, (q.bindings ?? []) as never).toString()};`);
  timings.push({ sql: q.sql.replace(/\s+/g, ' ').slice(0, 90), ms: performance.now() - (started.get(q.__knexQueryUid) ?? 0) });
});
try {
  const marker = (await db('bench_seed').first('info')) as { info: string };
  const now = new Date((JSON.parse(marker.info) as { now: string }).now);
  const { from, to } = lastCompleteMonthDays(now);
  const query = { from, to, actor: REPORT_READER };
  for (const communityId of [null, '1']) {
    await buildReport(plugin.context, { ...query, communityId });
    for (let i = 0; i < repeat; i++) {
      timings = [];
      const s = performance.now();
      await buildReport(plugin.context, { ...query, communityId });
      const total = performance.now() - s;
      console.log(`${communityId ?? 'all'}: total ${total.toFixed(1)} ms; ${timings.map((t) => `${t.ms.toFixed(1)} ms ${t.sql}`).join(' | ')}`);
    }
  }
} finally {
  await db.destroy();
}

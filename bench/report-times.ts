// The monthly report on its own, as bench/run.ts measures it (issue 20): buildReport for the seeded data's
// last complete month, every community and community 1, against a COUNT(*) over the same received_at
// range; medians of N interleaved rounds, after one warm-up each. Runs against whatever the checkout's code is, so the
// same script times the code before and after a change.
//   npx tsx bench/report-times.ts [mysql://root@127.0.0.1:3306/cmp_bench] [repeat]
import { createDb, isMysql } from '../src/db/connection.js';
import { tableNames } from '../src/db/tables.js';
import { toDbTime } from '../src/db/time.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { buildReport } from '../src/reports/report.js';
import { REPORT_READER, lastCompleteMonthDays } from './lib/common.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const repeat = Number(process.argv[3] ?? 10);
const T = tableNames('cmp_');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const db = createDb(url, { poolMax: 10 });
const plugin = createComplaintsPlugin({
  knex: db,
  mapping: loadMappingFile(new URL('../src/demo/demo-mapping.json', import.meta.url).pathname),
  auth: () => null,
});
try {
  const marker = (await db('bench_seed').first('info')) as { info: string };
  const now = new Date((JSON.parse(marker.info) as { now: string }).now);
  const { from, to, label } = lastCompleteMonthDays(now);
  const query = { from, to, actor: REPORT_READER };
  const all = await buildReport(plugin.context, { ...query, communityId: null });
  const range = [toDbTime(all.period.start), toDbTime(all.period.end)];
  const count = async () => {
    const raw = (await db.raw(`SELECT COUNT(*) AS n FROM ${T.complaints} WHERE received_at >= ? AND received_at < ?`, range)) as unknown;
    const rows = (isMysql(db) ? (raw as [Array<{ n: number }>])[0] : (raw as Array<{ n: number }>)) ?? [];
    return Number(rows[0]?.n);
  };
  const work: Record<string, () => Promise<unknown>> = {
    count,
    all: () => buildReport(plugin.context, { ...query, communityId: null }),
    community: () => buildReport(plugin.context, { ...query, communityId: '1' }),
  };
  // Interleaved (count, all, community in turn, the order alternating), so a busy machine weighs on each
  // alike; the ratios are medians of each round's own ratios, as bench/run.ts takes them.
  for (const run of Object.values(work)) await run();
  const samples: Record<string, number[]> = { count: [], all: [], community: [] };
  const ratios: Record<string, number[]> = { all: [], community: [] };
  for (let i = 0; i < repeat; i++) {
    const round: Record<string, number> = {};
    const names = Object.keys(work);
    for (const name of i % 2 ? names : names.reverse()) {
      const s = performance.now();
      await work[name]!();
      round[name] = performance.now() - s;
      samples[name]!.push(round[name]);
    }
    ratios.all!.push(round.all! / round.count!);
    ratios.community!.push(round.community! / round.count!);
  }
  const times = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const ratio = (k: string) => median(ratios[k]!);
  console.log(
    `${label}: COUNT(*) ${times.count!.toFixed(1)} ms (${await count()} complaints); buildReport all ${times.all!.toFixed(1)} ms (${ratio('all').toFixed(1)}×, ${all.complaints + all.cancelled} complaints); community 1 ${times.community!.toFixed(1)} ms (${ratio('community').toFixed(1)}×)`,
  );
} finally {
  await db.destroy();
}

// Issue 20, step 5: what the connection costs per statement, over loopback TCP against the Unix socket, and
// with a plain query against a prepared statement (mysql2 `execute`). The plugin's hot reads are primary-
// key lookups; this sends the same one (a complaint by id) N times, one after another and then 50 at a
// time, alternating the variants over several rounds, and reports the median wall time and the Node CPU
// per statement. Run against the bench database:
//   npx tsx bench/connection-costs.ts [mysql://root@127.0.0.1:3306/cmp_bench_quick] [--socket /run/mysqld/mysqld.sock]
import mysql from 'mysql2/promise';
import { parseDbUrl } from '../src/db/connection.js';
import { median } from './lib/common.js';

const args = process.argv.slice(2);
const url = args.find((a) => a.startsWith('mysql://')) ?? 'mysql://root@127.0.0.1:3306/cmp_bench_quick';
const socketAt = args.indexOf('--socket');
const socketPath = socketAt >= 0 ? args[socketAt + 1]! : '/run/mysqld/mysqld.sock';
const m = parseDbUrl(url).mysql!;
const N = 4000;
const ROUNDS = 5;

type Variant = { name: string; socket: boolean; prepared: boolean };
const variants: Variant[] = [
  { name: 'TCP, query', socket: false, prepared: false },
  { name: 'TCP, execute (prepared)', socket: false, prepared: true },
  { name: 'socket, query', socket: true, prepared: false },
  { name: 'socket, execute (prepared)', socket: true, prepared: true },
];

async function pool(socket: boolean) {
  return mysql.createPool({
    ...(socket ? { socketPath } : { host: m.host, port: m.port }),
    user: m.user,
    password: m.password,
    database: m.database,
    connectionLimit: 20,
    dateStrings: true,
    supportBigNumbers: true,
  });
}

const pools = { tcp: await pool(false), socket: await pool(true) };
const [[{ n }]] = (await pools.tcp.query('SELECT MAX(id) AS n FROM cmp_complaints')) as unknown as [[{ n: number }]];
const sql = 'SELECT * FROM cmp_complaints WHERE id = ?';

async function run(v: Variant, concurrency: number): Promise<{ wallUs: number; cpuUs: number }> {
  const p = v.socket ? pools.socket : pools.tcp;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < N) {
        next++;
        const id = 1 + Math.floor(Math.random() * Number(n));
        if (v.prepared) await p.execute(sql, [id]);
        else await p.query(sql, [id]);
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: (wall * 1000) / N, cpuUs: (cpu.user + cpu.system) / N };
}

for (const concurrency of [1, 50]) {
  const results = new Map<string, Array<{ wallUs: number; cpuUs: number }>>();
  for (const v of variants) await run(v, concurrency); // warm-up: connections, statement cache
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...variants].reverse() : variants;
    for (const v of order) (results.get(v.name) ?? results.set(v.name, []).get(v.name)!).push(await run(v, concurrency));
  }
  console.log(`\n${N} primary-key SELECTs, ${concurrency} at a time, median of ${ROUNDS} rounds:`);
  console.log('| variant | wall µs per statement | Node CPU µs per statement |');
  console.log('|---|---|---|');
  for (const v of variants) {
    const rs = results.get(v.name)!;
    console.log(`| ${v.name} | ${median(rs.map((x) => x.wallUs)).toFixed(1)} | ${median(rs.map((x) => x.cpuUs)).toFixed(1)} |`);
  }
}
await pools.tcp.end();
await pools.socket.end();

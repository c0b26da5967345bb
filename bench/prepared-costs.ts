// Issue 20: what MariaDB spends on the billing check's one read (the host's bill query embedded three times,
// about 2.6 KB of SQL) sent as a plain statement and as a prepared one (mysql2 `execute`), one after another
// on one connection: wall time, the server's CPU (mysqld's utime + stime from /proc, so run it on the
// database's machine, otherwise quiet: it counts every client's statements) and this process's CPU per
// statement, alternating the order over rounds. src/db/prepared.ts
// sends fee collection's single reads prepared because of what this shows.
//   npx tsx bench/prepared-costs.ts [mysql://root@127.0.0.1:3306/cmp_bench] [statements per round]
import mysql from 'mysql2/promise';
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import { createDb, parseDbUrl } from '../src/db/connection.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { signedHeaderAuth } from '../src/auth/adapter.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { MAPPING_FILE } from './seed.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const N = Number(process.argv[3] ?? 3000);
const ROUNDS = 3;
const db = createDb(url, { poolMax: 2 });
const secret = 'bench-prepared-costs-0123456789abc';
const plugin = createComplaintsPlugin({ knex: db, mapping: loadMappingFile(MAPPING_FILE), auth: signedHeaderAuth(secret), serviceSecret: secret });

type Row = Record<string, string | number>;
const offset = (await db('cmp_offsets').where({ status: 'approved' }).where('remaining_fen', '>', 1000).first()) as Row;
const bill = (await db('erp_fee_bill').where({ room_id: offset.unit_id }).first('bill_id')) as Row;
// The statement a check of this bill with two offset lines sends, as knex announces it.
let captured: { sql: string; bindings: Knex.Value[] } | null = null;
db.on('query', (q: { sql: string; bindings: Knex.Value[] }) => {
  if (q.sql.includes('UNION ALL')) captured = { sql: q.sql, bindings: q.bindings };
});
await plugin.offsets.check({
  billId: String(bill.bill_id),
  offsets: [
    { offsetId: Number(offset.id), amountFen: 100 },
    { offsetId: Number(offset.id), amountFen: 100 },
  ],
});
await db.destroy();
if (!captured) throw new Error('the check sent no combined statement (a host reader that cannot embed its bill query?)');
const statement: { sql: string; bindings: Knex.Value[] } = captured;
// The check binds strings and numbers only.
const values = statement.bindings as Array<string | number>;
console.log(`the check's read: ${statement.sql.length} characters, ${statement.bindings.length} bindings; ${N} statements per variant and round`);

const m = parseDbUrl(url).mysql!;
const conn = await mysql.createConnection({
  host: m.host,
  port: m.port,
  user: m.user,
  password: m.password,
  database: m.database,
  dateStrings: true,
  supportBigNumbers: true,
});
const mysqldPid = Number(readFileSync('/run/mysqld/mysqld.pid', 'utf8'));
/** mysqld's CPU time so far, in ms (clock ticks of 10 ms). */
const serverCpuMs = () => {
  const fields = readFileSync(`/proc/${mysqldPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
for (let round = 1; round <= ROUNDS; round++) {
  for (const prepared of round % 2 ? [false, true] : [true, false]) {
    const server = serverCpuMs();
    const node = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      if (prepared) await conn.execute(statement.sql, values);
      else await conn.query(statement.sql, values);
    }
    const wallUs = ((performance.now() - started) / N) * 1000;
    const nodeUs = (() => {
      const used = process.cpuUsage(node);
      return (used.user + used.system) / N;
    })();
    const serverUs = ((serverCpuMs() - server) / N) * 1000;
    console.log(
      `round ${round} ${prepared ? 'prepared (execute)' : 'plain (query)     '}: wall ${wallUs.toFixed(0)} µs, MariaDB CPU ${serverUs.toFixed(0)} µs, Node CPU ${nodeUs.toFixed(0)} µs per statement`,
    );
  }
}
await conn.end();

// The SQL each route measured by run.ts sends, one request at a time, with its time (and, with
// PLANS=1 on MySQL, the plans of the list queries). For reading where a figure's time goes.
//   npx tsx bench/queries.ts [mysql://root@127.0.0.1:3306/cmp_bench | sqlite:PATH]
import type { Knex } from 'knex';
import { createDb, isMysql } from '../src/db/connection.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { signedHeaderAuth, signUserToken, USER_HEADER } from '../src/auth/adapter.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { createServerApp, listen } from '../src/http/server.js';
import { signServiceRequest } from '../src/http/serviceSignature.js';
import { MAPPING_FILE } from './seed.js';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/cmp_bench';
const db = createDb(url, { poolMax: 5 });
const secret = 'bench-queries-secret-0123456789';
const plugin = createComplaintsPlugin({ knex: db, mapping: loadMappingFile(MAPPING_FILE), auth: signedHeaderAuth(secret), serviceSecret: secret });
// createComplaintsPlugin mounts the billing routes (/api/billing/...) itself.
const app = createServerApp(plugin);
const server = await listen(app, 0);
const seen: string[] = [];
db.on('query', (q: { sql: string }) => seen.push(q.sql));
const token = signUserToken({ id: 'bench', name: 'bench', roles: ['counter_staff', 'supervisor'], communityIds: null }, secret, 3600);

type Row = Record<string, string | number>;
const unit = ((await db('cmp_complaints').where({ state: 'processing' }).first('unit_id')) as Row).unit_id;
const offset = (await db('cmp_offsets').where({ status: 'approved' }).where('remaining_fen', '>', 1000).first()) as Row;
// A seeded bill (run.ts adds FX… fixture bills to some units).
const bill = (await db('erp_fee_bill').where({ room_id: offset.unit_id }).whereNot('bill_id', 'like', 'FX%').first('bill_id')) as Row;

async function show(name: string, path: string, init: RequestInit = {}): Promise<Response> {
  seen.length = 0;
  const t = performance.now();
  const res = await fetch(server.url + path, init);
  const body = await res.text();
  console.log(`\n== ${name}: ${res.status}, ${body.length} bytes, ${(performance.now() - t).toFixed(1)} ms, ${seen.length} statements`);
  for (const sql of seen) console.log(`   ${sql.slice(0, 200)}`);
  return res;
}
function signed(path: string, body: string): RequestInit {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', ...signServiceRequest(secret, { method: 'POST', path, body }) } };
}

const first = await show('intake page, first view (opens a session)', `/complaints/new?unit=${unit}`, { headers: { [USER_HEADER]: token } });
const cookie = first.headers
  .getSetCookie()
  .map((c) => c.split(';')[0])
  .join('; ');
await show('intake page, with the session cookie', `/complaints/new?unit=${unit}`, { headers: { [USER_HEADER]: token, cookie } });
const list = '/complaints/api/complaints?state=closed&state=closed_unsatisfied&sort=-receivedAt&communityId=3';
await show('complaint list page 1', list, { headers: { [USER_HEADER]: token } });
await show('complaint list offset 9980', `${list}&offset=9980`, { headers: { [USER_HEADER]: token } });
const check = JSON.stringify({
  billId: bill.bill_id,
  offsets: [
    { offsetId: offset.id, amountFen: 100 },
    { offsetId: offset.id, amountFen: 100 },
  ],
});
await show('billing check', '/complaints/api/billing/check', signed('/complaints/api/billing/check', check));
const apply = JSON.stringify({ offsetId: offset.id, billId: bill.bill_id, amountFen: 1, idempotencyKey: `bench-queries-${Date.now()}` });
await show('billing apply (1 fen)', '/complaints/api/billing/apply', signed('/complaints/api/billing/apply', apply));

if (process.env.PLANS && isMysql(db)) {
  const where = "state IN ('closed','closed_unsatisfied') AND community_id = 3";
  for (const sql of [
    `EXPLAIN SELECT COUNT(*) FROM (SELECT id FROM cmp_complaints WHERE ${where} LIMIT 10001) c`,
    `EXPLAIN SELECT * FROM cmp_complaints WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT 21`,
  ]) {
    const [rows] = (await db.raw(sql)) as [Array<Record<string, unknown>>];
    console.log(
      `\n${sql}\n   ${rows.map((r) => `${String(r.table)}: ${String(r.type)} key=${String(r.key)} rows≈${String(r.rows)} ${String(r.Extra ?? '')}`).join('\n   ')}`,
    );
  }
}
await server.close();
await (db as Knex).destroy();

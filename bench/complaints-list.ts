// How the complaint list behaves on a large table: seeds N complaints (default 1,000,000) into a fresh
// database and times the list queries the UI makes; PLANS=1 also prints the plan of each SQL statement.
//   npx tsx bench/complaints-list.ts sqlite:/tmp/cmp-bench.sqlite [rows]
//   npx tsx bench/complaints-list.ts mysql://root@127.0.0.1:3306/cmp_bench [rows]   (database must exist)
// An existing complaints table is reused as it is. Never point this at real data.
import type { Knex } from 'knex';
import { createDb, isMysql } from '../src/db/connection.js';
import { migrateLatest } from '../src/db/migrations.js';
import { tableNames } from '../src/db/tables.js';
import { toDbTime } from '../src/db/time.js';
import { listComplaints } from '../src/complaints/store/listing.js';
import { validateList } from '../src/complaints/schemas.js';
import type { Actor } from '../src/auth/actor.js';
import { STATES } from '../src/complaints/states.js';

const url = process.argv[2] ?? 'sqlite:/tmp/cmp-bench.sqlite';
const rows = Number(process.argv[3] ?? 1_000_000);
const tables = tableNames('cmp_');
const NOW = new Date('2026-11-28T01:00:00Z');
const CATEGORIES = ['facilities', 'timeliness', 'fees', 'security', 'cleaning_greening', 'parking', 'neighbour', 'pets', 'other'];

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

async function seed(db: Knex): Promise<void> {
  const key = { sqlType: isMysql(db) ? 'int' : 'INTEGER', kind: 'integer' as const };
  await migrateLatest(db, 'cmp_', { owner: key, unit: key, bill: key, community: key });
  const r = rand(42);
  const batch = isMysql(db) ? 1000 : 500;
  const span = 3 * 365 * 24 * 3600 * 1000;
  let buffer: Array<Record<string, unknown>> = [];
  const flush = async (trx: Knex | Knex.Transaction) => {
    if (buffer.length) await trx(tables.complaints).insert(buffer);
    buffer = [];
  };
  const write = async (trx: Knex | Knex.Transaction) => {
    for (let i = 1; i <= rows; i++) {
      // Received times grow with id, as in a real table; complaints older than a month are mostly closed.
      const received = new Date(NOW.getTime() - span + Math.floor((span * i) / rows));
      const age = (NOW.getTime() - received.getTime()) / (24 * 3600 * 1000);
      const state = age > 30 ? (r() < 0.97 ? 'closed' : STATES[Math.floor(r() * STATES.length)]!) : STATES[Math.floor(r() * 4)]!;
      const unit = 1 + Math.floor(r() * 20000);
      const t = toDbTime(received);
      const open = !['closed', 'cancelled', 'closed_unsatisfied'].includes(state);
      buffer.push({
        code: `TS-${t.slice(0, 10).replace(/-/g, '')}-${String(i).padStart(7, '0')}`,
        version: 1,
        state,
        unit_id: unit,
        unit_label: `${1 + (unit % 30)}-${unit % 4}-${100 + (unit % 40)}`,
        owner_id: unit,
        owner_name: `业主${unit}`,
        community_id: 1 + (unit % 12),
        complainant_name: `业主${unit}`,
        complainant_phone: `13${String(100000000 + unit * 37).slice(0, 9)}`,
        complainant_relation: 'owner',
        channel: 'counter',
        category: CATEGORIES[Math.floor(r() * CATEGORIES.length)],
        description: `第 ${i} 条投诉：楼道灯坏了，电梯异响${i % 97 === 0 ? '，车位被占' : ''}`,
        threatened_withholding: r() < 0.05 ? 1 : 0,
        received_at: t,
        received_by: 'seed',
        received_by_name: 'seed',
        nature: r() < 0.7 ? 'valid' : 'inquiry',
        severity: ['minor', 'important', 'major'][Math.floor(r() * 3)],
        assignee_id: `eng-${Math.floor(r() * 50)}`,
        original_received_at: t,
        due_at: open ? toDbTime(new Date(received.getTime() + 48 * 3600 * 1000)) : null,
        created_at: t,
        created_by: 'seed',
        updated_at: t,
        updated_by: 'seed',
        updated_by_name: 'seed',
      });
      if (buffer.length >= batch) await flush(trx);
    }
    await flush(trx);
  };
  if (isMysql(db)) await write(db);
  else await db.transaction(write);
  await db.raw(isMysql(db) ? `ANALYZE TABLE ${tables.complaints}` : 'ANALYZE');
}

async function explain(db: Knex, sql: string, bindings: readonly unknown[]): Promise<string> {
  if (isMysql(db)) {
    const [out] = (await db.raw(`EXPLAIN ${sql}`, bindings as Knex.RawBinding[])) as [
      Array<{ table: string; key: string | null; rows: number; Extra: string | null }>,
    ];
    return out.map((r) => `${r.table}: key=${r.key} rows≈${r.rows} ${r.Extra ?? ''}`).join(' | ');
  }
  const out = (await db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as Knex.RawBinding[])) as Array<{ detail: string }>;
  return out.map((r) => r.detail).join(' | ');
}

async function main(): Promise<void> {
  const db = createDb(url, { poolMax: 4 });
  if (await db.schema.hasTable(tables.complaints)) {
    console.log(`using the existing ${tables.complaints} table`);
  } else {
    const t0 = Date.now();
    await seed(db);
    console.log(`seeded ${rows} complaints in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const all: Actor = { id: 'b', name: 'b', roles: ['supervisor'], communityIds: null };
  const scoped: Actor = { ...all, communityIds: ['3', '7'] };
  const cases: Array<[string, Actor, Record<string, unknown>]> = [
    ['newest 20, everything', all, {}],
    ['open, two communities (scope)', scoped, { state: ['received', 'investigating', 'processing'] }],
    ['one community, processing', all, { communityId: '5', state: ['processing'] }],
    ['overdue now', all, { overdue: true }],
    ['most urgent first (sort dueAt)', all, { state: ['received', 'investigating'], sort: 'dueAt' }],
    ['all open work by deadline', scoped, { sort: 'dueAt' }],
    ['a unit and a category', all, { unitId: '777', category: ['facilities'] }],
    ['an owner', all, { ownerId: '777' }],
    ['an assignee, processing', all, { assigneeId: 'eng-7', state: ['processing'] }],
    ['severity major, received', all, { severity: ['major'], state: ['received'] }],
    ['phone prefix', all, { q: '1310' }],
    ['code', all, { q: 'TS-20261120-0999000' }],
    ['text, last month', all, { q: '车位', receivedFrom: '2026-10-28', receivedTo: '2026-11-28' }],
    ['text, everything (full scan)', all, { q: '车位' }],
    ['fee threat since Nov 1', all, { threatenedWithholding: true, receivedFrom: '2026-11-01' }],
  ];
  const captured: Array<{ sql: string; bindings: unknown[] }> = [];
  db.on('query', (q: { sql: string; bindings: unknown[] }) => captured.push(q));
  for (const [name, actor, filter] of cases) {
    const query = validateList(filter);
    captured.length = 0;
    const t0 = process.hrtime.bigint();
    const first = await listComplaints(db, tables, actor, query, NOW, 'Asia/Shanghai');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const statements = [...captured];
    let pageMs = 0;
    if (first.nextCursor) {
      const p0 = process.hrtime.bigint();
      await listComplaints(db, tables, actor, { ...query, cursor: first.nextCursor }, NOW, 'Asia/Shanghai');
      pageMs = Number(process.hrtime.bigint() - p0) / 1e6;
    }
    console.log(
      `${name.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  next page ${pageMs.toFixed(1).padStart(7)} ms  total=${first.total}${first.totalCapped ? '+' : ''}`,
    );
    if (process.env.PLANS) for (const s of statements) console.log(`    ${await explain(db, s.sql, s.bindings)}`);
  }
  await db.destroy();
}

await main();

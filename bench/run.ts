// npm run bench [-- --quick] [-- --sqlite PATH]: each figure of issue 7 side by side with its baseline,
// measured in the same run on the same data, as the median of several runs, with the ratio and whether
// the goal is met. The plugin's HTTP service and the baseline routes run in two child processes (their
// memory is read from /proc); load comes from this process with autocannon (50 connections). Results go
// to bench/results/<date>.json and .md.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { createDb, isMysql, parseDbUrl } from '../src/db/connection.js';
import { tableNames } from '../src/db/tables.js';
import { toDbTime } from '../src/db/time.js';
import { signUserToken, USER_HEADER } from '../src/auth/adapter.js';
import { signServiceRequest } from '../src/http/serviceSignature.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { createOffsetService } from '../src/offsets/service.js';
import type { BillCheckInput } from '../src/offsets/schemas.js';
import { ensureSeeded, MAPPING_FILE, type SeedInfo } from './seed.js';
import { DAY, median, parseArgs, SHANGHAI_OFFSET_MS, type BenchOptions } from './lib/common.js';
import { MemorySampler, readMemory, runLoad, type LoadResult, type LoadSpec } from './lib/load.js';
import { compileForNode } from './lib/compile.js';

const T = tableNames('cmp_');
const PREFIX = '/complaints';
const HERE = fileURLToPath(new URL('.', import.meta.url));
const t0 = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);

// ----- setup ---------------------------------------------------------------------------------------

async function mysqlReachable(url: string): Promise<boolean> {
  const m = parseDbUrl(url).mysql!;
  try {
    const conn = await mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, connectTimeout: 3000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

interface Server {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  notes: string[];
}

function startServer(name: string, file: string, env: Record<string, string>, compiled: string | null): Promise<Server> {
  return new Promise((resolve, reject) => {
    const args = compiled ? [join(compiled, 'bench', 'servers', file.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', join(HERE, 'servers', file)];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code} before it was ready`)));
    child.on('message', (m: { type?: string; port?: number; notes?: string[] }) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve({ name, child, pid: child.pid!, url: `http://127.0.0.1:${m.port}`, notes: m.notes ?? [] });
    });
  });
}

function askBusy(s: Server): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.child.off('message', onMessage);
      resolve(0);
    }, 2000);
    const onMessage = (m: { type?: string; busy?: number }) => {
      if (m?.type !== 'busy') return;
      clearTimeout(timer);
      s.child.off('message', onMessage);
      resolve(m.busy ?? 0);
    };
    s.child.on('message', onMessage);
    s.child.send({ type: 'busy' });
  });
}

/**
 * After a load run the server still works through requests queued for a connection (autocannon stops
 * waiting, the server does not): wait until they are done so they do not slow the next run.
 */
async function waitIdle(servers: Server[], maxMs = 20_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < maxMs) {
    const busy = await Promise.all(servers.map(askBusy));
    if (busy.every((b) => b === 0)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      resolve();
    }, 5000);
    s.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    s.child.kill('SIGTERM');
  });
}

interface Fixtures {
  runTag: string;
  /** 50 units, each with two approved offsets (a, b) and its bills. */
  units: Array<{ unitId: string; a: number; b: number; bills: string[] }>;
  hot: { offsetId: number; bills: string[]; approvedFen: number };
  exhaust: { offsetId: number; bills: string[]; approvedFen: number };
  txRows: number[];
  hotTxRow: number;
  intakeUnits: string[];
  maxComplaintId: number;
  communities: string[];
}

const APPLY_FEN = 100;

/**
 * Fresh fixtures for this run, so the data stays valid between runs: approved offsets written like the
 * seed's (with their request and approval events), and the baseline's own two tables.
 */
async function prepareFixtures(db: Knex): Promise<Fixtures> {
  const runTag = `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const candidates = (await db(T.complaints)
    .select('id', 'unit_id', 'owner_id')
    .whereIn('state', ['processing', 'resolved', 'closed'])
    .where({ dispute_type: 'property' })
    .whereNotNull('owner_id')
    .orderBy('id', 'desc')
    .limit(3000)) as Array<{ id: number; unit_id: string; owner_id: string }>;
  const byUnit = new Map<string, { id: number; unit_id: string; owner_id: string }>();
  for (const c of candidates) if (!byUnit.has(String(c.unit_id))) byUnit.set(String(c.unit_id), c);
  const picked = [...byUnit.values()].slice(0, 52);
  if (picked.length < 52) throw new Error(`need 52 units with assessed complaints for the fixtures, found ${picked.length}`);
  const billRows = (await db('erp_fee_bill').select('bill_id', 'room_id').whereIn('room_id', picked.map((p) => p.unit_id)).orderBy('bill_id')) as Array<{ bill_id: string; room_id: string }>;
  const billsOf = new Map<string, string[]>();
  for (const b of billRows) billsOf.set(b.room_id, [...(billsOf.get(b.room_id) ?? []), b.bill_id]);

  const now = new Date();
  const at = toDbTime(now);
  const [{ maxId }] = (await db(T.offsets).max({ maxId: 'id' })) as Array<{ maxId: number | null }> as [{ maxId: number | null }];
  let nextId = Number(maxId ?? 0) + 1;
  const offsets: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const add = (c: { id: number; unit_id: string; owner_id: string }, approvedFen: number): number => {
    const id = nextId++;
    offsets.push({
      id,
      complaint_id: c.id,
      unit_id: c.unit_id,
      owner_id: c.owner_id,
      requested_fen: approvedFen,
      approved_fen: approvedFen,
      remaining_fen: approvedFen,
      status: 'approved',
      reason: `bench fixture ${runTag}`,
      expires_on: null,
      requested_by: 'bench',
      requested_by_name: 'bench',
      decided_by: 'bench-approver',
      decided_by_name: 'bench approver',
      decided_at: at,
      decision_note: 'bench',
      version: 2,
      created_at: at,
      updated_at: at,
    });
    const ev = { entity_type: 'offset', entity_id: id, complaint_id: c.id, actor_id: 'bench', actor_name: 'bench', at, from_state: null, note: runTag };
    events.push({ ...ev, action: 'request', to_state: 'requested', from_state: null, changes: JSON.stringify({ requested_fen: [null, approvedFen] }) });
    events.push({ ...ev, action: 'approve', from_state: 'requested', to_state: 'approved', changes: JSON.stringify({ approved_fen: [null, approvedFen], remaining_fen: [0, approvedFen] }) });
    return id;
  };
  const units = picked.slice(0, 50).map((c) => ({ unitId: String(c.unit_id), a: add(c, 200_000_000), b: add(c, 200_000_000), bills: billsOf.get(String(c.unit_id)) ?? [] }));
  const hotFen = 2_000_000_000;
  const hot = { offsetId: add(picked[50]!, hotFen), bills: billsOf.get(String(picked[50]!.unit_id)) ?? [], approvedFen: hotFen };
  const exhaustFen = 50 * APPLY_FEN;
  const exhaust = { offsetId: add(picked[51]!, exhaustFen), bills: billsOf.get(String(picked[51]!.unit_id)) ?? [], approvedFen: exhaustFen };
  await db.transaction(async (trx) => {
    await trx(T.offsets).insert(offsets);
    await trx(T.events).insert(events);
  });

  // The baseline's rows: 50 rows and one hot row, with an audit table, recreated each run.
  await db.schema.dropTableIfExists('bench_tx_audit');
  await db.schema.dropTableIfExists('bench_tx_row');
  await db.schema.createTable('bench_tx_row', (t) => {
    if (isMysql(db)) t.engine('InnoDB');
    t.integer('id').primary();
    t.bigInteger('remaining').notNullable();
    t.specificType('updated_at', isMysql(db) ? 'DATETIME(3)' : 'TEXT').notNullable();
  });
  await db.schema.createTable('bench_tx_audit', (t) => {
    if (isMysql(db)) t.engine('InnoDB');
    t.increments('id').primary();
    t.integer('row_id').notNullable();
    t.integer('amount').notNullable();
    t.string('note', 200).notNullable();
    t.specificType('at', isMysql(db) ? 'DATETIME(3)' : 'TEXT').notNullable();
    t.index(['row_id'], 'bench_tx_audit_row_idx');
  });
  const txRows = Array.from({ length: 50 }, (_, i) => i + 1);
  const hotTxRow = 1000;
  await db('bench_tx_row').insert([...txRows, hotTxRow].map((id) => ({ id, remaining: 1_000_000_000, updated_at: at })));

  const intakeUnits = ((await db(T.complaints).distinct('unit_id').whereIn('state', ['received', 'investigating', 'processing']).orderBy('unit_id').limit(400)) as Array<{ unit_id: string }>).map((r) => String(r.unit_id));
  const [{ n }] = (await db(T.complaints).max({ n: 'id' })) as Array<{ n: number }> as [{ n: number }];
  const communities = ((await db('erp_community').select('community_id').orderBy('community_id')) as Array<{ community_id: number }>).map((r) => String(r.community_id));
  return { runTag, units, hot, exhaust, txRows, hotTxRow, intakeUnits, maxComplaintId: Number(n), communities };
}

// ----- the measurements ----------------------------------------------------------------------------

interface Side {
  label: string;
  spec: () => LoadSpec;
}

interface Pair {
  id: string;
  figure: Side;
  /** The baseline pair id, when the baseline is shared (measured once per round). */
  baselineId: string;
}

interface SideStats {
  label: string;
  runs: LoadResult[];
  rps: number;
  p99: number;
  peakRssMb?: number;
}

function stats(label: string, runs: LoadResult[]): SideStats {
  return { label, runs, rps: median(runs.map((r) => r.rps)), p99: median(runs.map((r) => r.p99)) };
}

interface Figure {
  what: string;
  figure: string;
  baseline: string;
  figureValue: number;
  baselineValue: number;
  unit: string;
  ratio: number;
  ratioText: string;
  goal: string;
  met: boolean;
  gap?: string;
  note?: string;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

async function versions(db: Knex): Promise<{ mariadb: string | null; sqlite: string; bufferPoolMb: number | null }> {
  const sqlite = (new Database(':memory:').prepare('select sqlite_version() as v').get() as { v: string }).v;
  if (!isMysql(db)) return { mariadb: null, sqlite, bufferPoolMb: null };
  const [rows] = (await db.raw("SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp")) as [Array<{ v: string; bp: number }>];
  return { mariadb: rows[0]!.v, sqlite, bufferPoolMb: Number(rows[0]!.bp) / 1048576 };
}

async function main(): Promise<void> {
  const options: BenchOptions = parseArgs(process.argv.slice(2));
  const quick = options.profile.name === 'quick';
  const notes: string[] = [];
  if (options.url.startsWith('mysql') && !(await mysqlReachable(options.url))) {
    if (!quick || options.explicitDb) throw new Error(`MariaDB is not reachable at ${options.url}; start it, or use --sqlite PATH`);
    const fallback = 'sqlite:/tmp/cmp-bench-quick.sqlite';
    notes.push(`MariaDB was not reachable at ${options.url}: this quick run used ${fallback} instead`);
    log(`WARNING: ${notes[notes.length - 1]}`);
    options.url = fallback;
  }
  const duration = options.duration ?? (quick ? 1 : 10);
  const warmup = quick ? 1 : 3;
  const rounds = options.rounds ?? 3;
  const connections = options.connections;

  const seed: SeedInfo = await ensureSeeded(options, log);
  const db = createDb(options.url, { poolMax: 5 });
  const ver = await versions(db);
  log('preparing fixtures');
  const fx = await prepareFixtures(db);

  const secret = randomBytes(24).toString('hex');
  const env = { BENCH_DB_URL: options.url, BENCH_POOL: String(options.pool), BENCH_SECRET: secret };
  let compiled: string | null = null;
  if (!options.tsx) {
    try {
      compiled = await compileForNode(join(HERE, '..'));
    } catch (err) {
      notes.push(`compiling the servers with esbuild failed (${(err as Error).message.split('\n')[0]}); they ran under tsx`);
      log(`WARNING: ${notes[notes.length - 1]}`);
    }
  }
  log(`starting the plugin server and the baseline server (${compiled ? 'compiled with esbuild, plain node' : 'under tsx'})`);
  const [plugin, baseline] = await Promise.all([startServer('plugin', 'plugin.ts', env, compiled), startServer('baseline', 'baseline.ts', env, compiled)]);
  notes.push(...plugin.notes);
  for (const n of plugin.notes) log(`note: ${n}`);
  const pluginMem = new MemorySampler(plugin.pid);
  const baselineMem = new MemorySampler(baseline.pid);
  await new Promise((r) => setTimeout(r, 1000));
  const idle = { plugin: readMemory(plugin.pid)!, baseline: readMemory(baseline.pid)! };
  log(`idle RSS: plugin ${fmt(idle.plugin.rssMb, 1)} MB, baseline ${fmt(idle.baseline.rssMb, 1)} MB`);

  try {
    // ----- request generators -----
    let seq = 0;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
    const signed = (path: string, body: string) => ({
      path,
      body,
      headers: { 'content-type': 'application/json', ...signServiceRequest(secret, { method: 'POST', path, body }) },
    });
    const counter = { id: 'bench-counter', name: '前台 压测', roles: ['counter_staff'], communityIds: null };
    const supervisor = { id: 'bench-supervisor', name: '主管 压测', roles: ['supervisor'], communityIds: null };
    const counterToken = signUserToken(counter, secret, 6 * 3600);
    const supervisorToken = signUserToken(supervisor, secret, 6 * 3600);
    const applyBody = (offsetId: number, billId: string) =>
      JSON.stringify({ offsetId, billId, amountFen: APPLY_FEN, idempotencyKey: `${fx.runTag}-${++seq}`, operator: { id: 'cashier-bench', name: '收银员 压测' } });

    // Page 500 needs at least 10,000 matches: one community's closed complaints on the full dataset,
    // all closed complaints on the quick one.
    const listFilter = quick ? 'state=closed&state=closed_unsatisfied&sort=-receivedAt' : 'state=closed&state=closed_unsatisfied&sort=-receivedAt&communityId=';
    const listPath = (offset: number) => `${PREFIX}/api/complaints?${listFilter}${quick ? '' : pick(fx.communities)}${offset ? `&offset=${offset}` : ''}`;
    const listHeaders = { [USER_HEADER]: supervisorToken };
    // Page 500 the way the list page reaches it: the cursor of page 499's last row (src/complaints/listing.ts
    // encodes [sort, received_at, id] as base64url JSON), computed here instead of walking 499 pages.
    const cursors = new Map<string, string>();
    for (const community of quick ? [''] : fx.communities) {
      const q = db(T.complaints).select('received_at', 'id').whereIn('state', ['closed', 'closed_unsatisfied']);
      if (community) q.where('community_id', Number(community));
      const row = (await q.orderBy([{ column: 'received_at', order: 'desc' }, { column: 'id', order: 'desc' }]).offset(9979).first()) as { received_at: string; id: number } | undefined;
      if (row) cursors.set(community, Buffer.from(JSON.stringify(['-receivedAt', String(row.received_at).replace('T', ' ').slice(0, 23), Number(row.id)])).toString('base64url'));
    }
    const cursorPath = () => {
      const community = quick ? '' : pick(fx.communities);
      return `${PREFIX}/api/complaints?${listFilter}${community}&cursor=${cursors.get(community) ?? ''}`;
    };
    {
      // The cursor must land where offset 9,980 does.
      const community = quick ? '' : fx.communities[0]!;
      const get = async (q: string) => (await (await fetch(`${plugin.url}${PREFIX}/api/complaints?${listFilter}${community}${q}`, { headers: listHeaders })).json()) as { items?: Array<{ id: number }> };
      const [byCursor, byOffset] = await Promise.all([get(`&cursor=${cursors.get(community) ?? ''}`), get('&offset=9980')]);
      if (byCursor.items?.[0]?.id !== byOffset.items?.[0]?.id) notes.push(`page 500 by cursor starts at complaint ${byCursor.items?.[0]?.id}, by offset at ${byOffset.items?.[0]?.id}: they should agree`);
    }

    // The intake page with a session cookie, as a signed-in browser sends it (without one, every view
    // would open a new session row).
    const intakeUrl = (unit: string) => `${PREFIX}/new?unit=${encodeURIComponent(unit)}`;
    const first = await fetch(`${plugin.url}${intakeUrl(fx.intakeUnits[0]!)}`, { headers: { [USER_HEADER]: counterToken } });
    const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const intakeHeaders = { [USER_HEADER]: counterToken, cookie };
    const realPage = await first.text();
    const fixedPage = await (await fetch(`${baseline.url}/intake-fixed`)).text();
    if (first.status !== 200) throw new Error(`intake page answered ${first.status}: ${realPage.slice(0, 300)}`);
    notes.push(`intake page: ${fmt(Buffer.byteLength(realPage) / 1024, 1)} KB served by the plugin for a unit; the baseline's fixed-data render is ${fmt(Buffer.byteLength(fixedPage) / 1024, 1)} KB`);

    const sides: Record<string, Side> = {
      pk: { label: 'bare Koa: one primary-key SELECT', spec: () => ({ url: baseline.url, path: '/pk/1', setup: () => ({ path: `/pk/${1 + Math.floor(Math.random() * fx.maxComplaintId)}` }) }) },
      check: {
        label: 'POST /api/billing/check (signed), one bill, two offsets',
        spec: () => ({
          url: plugin.url,
          method: 'POST',
          path: `${PREFIX}/api/billing/check`,
          setup: () => {
            const u = pick(fx.units);
            return signed(`${PREFIX}/api/billing/check`, JSON.stringify({ billId: pick(u.bills), offsets: [{ offsetId: u.a, amountFen: APPLY_FEN }, { offsetId: u.b, amountFen: APPLY_FEN }] }));
          },
        }),
      },
      list1: { label: `GET /api/complaints (${listFilter.replace(/&communityId=$/, ', one community')}) page 1`, spec: () => ({ url: plugin.url, path: listPath(0), headers: listHeaders, setup: () => ({ path: listPath(0) }) }) },
      list500: { label: 'the same, page 500 by keyset cursor (as the list page pages)', spec: () => ({ url: plugin.url, path: cursorPath(), headers: listHeaders, setup: () => ({ path: cursorPath() }) }) },
      listoffset: { label: 'the same, page 500 by offset=9980 (JSON API)', spec: () => ({ url: plugin.url, path: listPath(9980), headers: listHeaders, setup: () => ({ path: listPath(9980) }) }) },
      tx50: { label: 'bare Koa: FOR UPDATE + UPDATE + INSERT, 50 rows', spec: () => ({ url: baseline.url, method: 'POST', path: '/tx/1', setup: () => ({ path: `/tx/${pick(fx.txRows)}` }) }) },
      apply50: {
        label: 'POST /api/billing/apply (signed), 50 approvals',
        spec: () => ({
          url: plugin.url,
          method: 'POST',
          path: `${PREFIX}/api/billing/apply`,
          setup: () => {
            const u = fx.units[seq % fx.units.length]!;
            return signed(`${PREFIX}/api/billing/apply`, applyBody(u.a, pick(u.bills)));
          },
        }),
      },
      txhot: { label: 'bare Koa: the same transaction on one hot row', spec: () => ({ url: baseline.url, method: 'POST', path: `/tx/${fx.hotTxRow}` }) },
      applyhot: {
        label: 'POST /api/billing/apply (signed), one approval',
        spec: () => ({ url: plugin.url, method: 'POST', path: `${PREFIX}/api/billing/apply`, setup: () => signed(`${PREFIX}/api/billing/apply`, applyBody(fx.hot.offsetId, pick(fx.hot.bills))) }),
      },
      tmpl: { label: 'bare Koa: intake template with fixed data', spec: () => ({ url: baseline.url, path: '/intake-fixed' }) },
      intake: { label: 'GET /new?unit=… signed in (session cookie)', spec: () => ({ url: plugin.url, path: intakeUrl(fx.intakeUnits[0]!), headers: intakeHeaders, setup: () => ({ path: intakeUrl(pick(fx.intakeUnits)) }) }) },
    };
    // Each figure and the baseline it is compared with; a shared baseline is measured once per round.
    const pairs: Pair[] = [
      { id: 'check', figure: sides.check!, baselineId: 'pk' },
      { id: 'list1', figure: sides.list1!, baselineId: 'pk' },
      { id: 'list500', figure: sides.list500!, baselineId: 'pk' },
      { id: 'listoffset', figure: sides.listoffset!, baselineId: 'pk' },
      { id: 'apply50', figure: sides.apply50!, baselineId: 'tx50' },
      { id: 'applyhot', figure: sides.applyhot!, baselineId: 'txhot' },
      { id: 'intake', figure: sides.intake!, baselineId: 'tmpl' },
    ].filter((p) => !options.only || options.only.includes(p.id));
    const used = new Set(pairs.flatMap((p) => [p.id, p.baselineId]));
    for (const id of Object.keys(sides)) if (!used.has(id)) delete sides[id];

    // Sanity: one request to each side, so a broken route is reported instead of measured.
    const broken = new Map<string, string>();
    for (const [id, side] of Object.entries(sides)) {
      const spec = side.spec();
      const next = spec.setup?.() ?? {};
      const res = await fetch(`${spec.url}${next.path ?? spec.path}`, { method: spec.method ?? 'GET', headers: { ...(spec.headers ?? {}), ...(next.headers ?? {}) }, body: next.body ?? spec.body });
      const text = await res.text();
      if (res.status >= 300) {
        broken.set(id, `${res.status} ${text.slice(0, 200)}`);
        log(`WARNING: ${id} answered ${res.status}: ${text.slice(0, 200)}`);
      }
    }

    const measure = async (id: string, seconds: number): Promise<LoadResult & { peakRssMb: number }> => {
      const mark = Date.now();
      await waitIdle([plugin, baseline]);
      const r = await runLoad(sides[id]!.spec(), seconds, connections);
      return { ...r, peakRssMb: (sides[id]!.spec().url === plugin.url ? pluginMem : baselineMem).peakSince(mark) };
    };

    log(`warm-up (${warmup} s per route)`);
    for (const id of Object.keys(sides)) if (!broken.has(id)) await measure(id, warmup);

    const runs: Record<string, Array<LoadResult & { peakRssMb: number }>> = {};
    const batchRuns: Array<{ batchMs: number; singleMs: number; singles: number; bills: number }> = [];
    const reportRuns: Array<Record<string, number>> = [];

    // In-process figures: the batch check and the monthly report query, from this process.
    const inproc = createComplaintsPlugin({ knex: createDb(options.url, { poolMax: options.pool }), mapping: loadMappingFile(MAPPING_FILE), auth: () => null });
    const offsetsService = createOffsetService(inproc.context);
    const batch = await batchInputs(db, quick);
    const singlesCount = quick ? 1000 : 10_000;
    const month = lastMonthRange(new Date(seed.now));
    const reportCommunity = fx.communities[0]!;

    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}`);
      const order = round % 2 ? pairs : [...pairs].reverse();
      const baselinesDone = new Set<string>();
      for (const pair of order) {
        // Alternate which side goes first, so neither always gets the warmer caches.
        const ids = round % 2 ? [pair.id, pair.baselineId] : [pair.baselineId, pair.id];
        for (const id of ids) {
          if (broken.has(id) || (id === pair.baselineId && baselinesDone.has(id))) continue;
          const r = await measure(id, duration);
          (runs[id] ??= []).push(r);
          if (id === pair.baselineId) baselinesDone.add(id);
          log(`  ${id.padEnd(9)} ${fmt(r.rps).padStart(7)} req/s  p99 ${fmt(r.p99, 1).padStart(7)} ms  non-2xx ${r.non2xx}${r.errors ? `  errors ${r.errors}` : ''}  peak RSS ${fmt(r.peakRssMb, 0)} MB`);
        }
      }
      // Batch check vs single checks, per bill.
      await waitIdle([plugin, baseline]);
      const b0 = performance.now();
      const answers = await offsetsService.checkBills(batch);
      const batchMs = performance.now() - b0;
      if (answers.length !== batch.length) throw new Error('batch check answered a different number of bills');
      const s0 = performance.now();
      for (let i = 0; i < singlesCount; i++) await offsetsService.check(batch[i % batch.length]!);
      const singleMs = performance.now() - s0;
      batchRuns.push({ batchMs, singleMs, singles: singlesCount, bills: batch.length });
      log(`  batch     ${batch.length} bills in ${fmt(batchMs)} ms; ${singlesCount} single checks in ${fmt(singleMs)} ms`);
      // The monthly report: no report module exists in src yet, so a GROUP BY over the month (the
      // figures a monthly report shows) stands in for it; baseline a COUNT(*) over the month's range.
      const rr = await reportTimes(db, month, reportCommunity, quick ? 5 : 10);
      reportRuns.push(rr);
      log(`  report    count ${fmt(rr.count!, 1)} ms; group by, all ${fmt(rr.all!, 1)} ms; one community ${fmt(rr.community!, 1)} ms`);
    }
    await inproc.context.db.destroy();

    // Never over-spent: 50 clients on one approval with room for exactly 50 applications.
    log('over-spend check: 50 clients on one approval worth 50 applications');
    const exhaustSpec: LoadSpec = { url: plugin.url, method: 'POST', path: `${PREFIX}/api/billing/apply`, setup: () => signed(`${PREFIX}/api/billing/apply`, applyBody(fx.exhaust.offsetId, pick(fx.exhaust.bills))) };
    await waitIdle([plugin, baseline]);
    const exhaustRun = await runLoad(exhaustSpec, Math.min(duration, 2), connections);
    await waitIdle([plugin, baseline]);
    const accounting = await offsetAccounting(db, [fx.hot.offsetId, fx.exhaust.offsetId, ...fx.units.map((u) => u.a)]);
    const hotOk = runs.applyhot?.reduce((s, r) => s + r.ok, 0) ?? 0;
    const overSpend = {
      exhaust: {
        successes: exhaustRun.ok,
        refused: exhaustRun.non2xx,
        successFen: exhaustRun.ok * APPLY_FEN,
        ...accounting.get(fx.exhaust.offsetId)!,
      },
      hot: { successes: hotOk, ...accounting.get(fx.hot.offsetId)! },
      allConsistent: [...accounting.values()].every((a) => a.consistent),
    };
    const exhaustOk = overSpend.exhaust.successFen <= fx.exhaust.approvedFen && overSpend.exhaust.remainingFen >= 0 && overSpend.exhaust.consistent && overSpend.exhaust.appliedFen === overSpend.exhaust.successFen;
    // Every HTTP success on the hot approval is an application row (the warm-up's included).
    const neverOverSpent = exhaustOk && overSpend.allConsistent && overSpend.hot.remainingFen >= 0;
    log(`  ${exhaustRun.ok} successes (${overSpend.exhaust.successFen} fen of ${fx.exhaust.approvedFen}), ${exhaustRun.non2xx} refused; remaining ${overSpend.exhaust.remainingFen}; approved = applied + remaining on every fixture offset: ${overSpend.allConsistent}`);

    pluginMem.stop();
    baselineMem.stop();
    const peak = { plugin: Math.max(pluginMem.hwmMb, readMemory(plugin.pid)?.hwmMb ?? 0), baseline: Math.max(baselineMem.hwmMb, readMemory(baseline.pid)?.hwmMb ?? 0) };

    // ----- figures -----
    const figures: Figure[] = [];
    const side = (id: string) => (runs[id]?.length ? stats(sides[id]!.label, runs[id]!) : null);
    /** Median of per-round ratios: each figure run is paired with its baseline run of the same round. */
    const pairedRatio = (fig: string, base: string, key: 'rps' | 'p99') => {
      const f = runs[fig] ?? [];
      const b = runs[base] ?? [];
      return median(f.map((r, i) => r[key] / (b[i]?.[key] ?? NaN)));
    };
    const skipped = (fig: string) => !!options.only && !options.only.includes(fig);
    const throughputFigure = (what: string, fig: string, base: string, goal: number, note?: string) => {
      if (skipped(fig)) return;
      const f = side(fig);
      const b = side(base);
      if (!f || !b) return figures.push(notMeasured(what, fig, base, broken, `≥ ${goal} of its requests/s`));
      const ratio = pairedRatio(fig, base, 'rps');
      const errs = (runs[fig] ?? []).reduce((s, r) => s + r.non2xx + r.errors, 0);
      figures.push({
        what,
        figure: f.label,
        baseline: b.label,
        figureValue: f.rps,
        baselineValue: b.rps,
        unit: 'req/s',
        ratio,
        ratioText: `${fmt(ratio, 2)}×`,
        goal: `≥ ${goal}× req/s`,
        met: ratio >= goal && errs === 0,
        ...(ratio < goal ? { gap: `${fmt(f.rps)} vs ${fmt(b.rps)} req/s: needs ${fmt(goal * b.rps)} req/s (+${fmt(((goal * b.rps) / f.rps - 1) * 100)}%)` } : {}),
        note: [errs ? `${errs} non-2xx/errors in the figure's runs` : '', note ?? ''].filter(Boolean).join('; ') || undefined,
      });
    };
    const p99Figure = (what: string, fig: string, base: string, goal: number) => {
      if (skipped(fig)) return;
      const f = side(fig);
      const b = side(base);
      if (!f || !b) return figures.push(notMeasured(what, fig, base, broken, `p99 ≤ ${goal}× its p99`));
      const ratio = pairedRatio(fig, base, 'p99');
      const errs = (runs[fig] ?? []).reduce((s, r) => s + r.non2xx + r.errors, 0);
      figures.push({
        what,
        figure: f.label,
        baseline: b.label,
        figureValue: f.p99,
        baselineValue: b.p99,
        unit: 'ms p99',
        ratio,
        ratioText: `${fmt(ratio, 2)}×`,
        goal: `p99 ≤ ${goal}×`,
        met: ratio <= goal && errs === 0,
        ...(ratio > goal ? { gap: `p99 ${fmt(f.p99, 1)} ms vs ${fmt(b.p99, 1)} ms: needs ≤ ${fmt(goal * b.p99, 1)} ms` } : {}),
        ...(errs ? { note: `${errs} non-2xx/errors in the figure's runs` } : {}),
      });
    };
    throughputFigure('billing check over HTTP, one bill with two offsets', 'check', 'pk', 0.5);
    p99Figure('billing check over HTTP, p99', 'check', 'pk', 3);
    {
      const perBillBatch = median(batchRuns.map((r) => r.batchMs / r.bills));
      const perBillSingle = median(batchRuns.map((r) => r.singleMs / r.singles));
      const speedup = median(batchRuns.map((r) => r.singleMs / r.singles / (r.batchMs / r.bills)));
      figures.push({
        what: `batch billing check, ${batch.length.toLocaleString('en-US')} bills (in-process)`,
        figure: `checkBills(${batch.length} bills)`,
        baseline: `${singlesCount.toLocaleString('en-US')} single checkOffsets calls, one after another`,
        figureValue: perBillBatch * 1000,
        baselineValue: perBillSingle * 1000,
        unit: 'µs per bill',
        ratio: speedup,
        ratioText: `${fmt(speedup, 1)}× faster`,
        goal: '≥ 20× faster per bill',
        met: speedup >= 20,
        ...(speedup < 20 ? { gap: `${fmt(speedup, 1)}× faster per bill, short of 20×` } : {}),
      });
    }
    throughputFigure('apply offset over HTTP, 50 different approvals', 'apply50', 'tx50', 0.7);
    throughputFigure('apply offset, 50 clients on one approval', 'applyhot', 'txhot', 0.7, neverOverSpent ? 'never over-spent (see overSpend)' : 'OVER-SPENT or inconsistent: see overSpend');
    if (!skipped('applyhot')) {
      const hot = figures[figures.length - 1]!;
      hot.met = hot.met && neverOverSpent;
    }
    throughputFigure('intake form page, signed in, with unit context', 'intake', 'tmpl', 0.7);
    p99Figure('complaint list, filtered and sorted, page 1', 'list1', 'pk', 5);
    p99Figure('complaint list, filtered and sorted, page 500 (keyset cursor)', 'list500', 'pk', 5);
    p99Figure('complaint list, page 500 by offset (JSON API offset=9980)', 'listoffset', 'pk', 5);
    for (const [key, label] of [
      ['all', 'all communities'],
      ['community', 'one community'],
    ] as const) {
      const ratio = median(reportRuns.map((r) => r[key]! / r.count!));
      const f = median(reportRuns.map((r) => r[key]!));
      const b = median(reportRuns.map((r) => r.count!));
      figures.push({
        what: `monthly report, ${label} (stand-in: no report module in src)`,
        figure: `GROUP BY category, severity, state over ${month.label}${key === 'community' ? ` AND community_id = ${reportCommunity}` : ''}`,
        baseline: `SELECT COUNT(*) over ${month.label} (received_at range)`,
        figureValue: f,
        baselineValue: b,
        unit: 'ms',
        ratio,
        ratioText: `${fmt(ratio, 1)}×`,
        goal: '≤ 10× its time',
        met: ratio <= 10,
        ...(ratio > 10 ? { gap: `${fmt(f, 1)} ms vs ${fmt(b, 1)} ms: needs ≤ ${fmt(10 * b, 1)} ms` } : {}),
      });
    }
    figures.push({
      what: 'process memory under the above loads',
      figure: 'plugin server: peak RSS (VmHWM)',
      baseline: 'plugin server idle RSS after start',
      figureValue: peak.plugin,
      baselineValue: idle.plugin.rssMb,
      unit: 'MB',
      ratio: peak.plugin / idle.plugin.rssMb,
      ratioText: `${fmt(peak.plugin / idle.plugin.rssMb, 2)}× idle`,
      goal: 'peak RSS ≤ 300 MB',
      met: peak.plugin <= 300,
      ...(peak.plugin > 300 ? { gap: `peak ${fmt(peak.plugin)} MB > 300 MB` } : {}),
      note: `baseline server: idle ${fmt(idle.baseline.rssMb)} MB, peak ${fmt(peak.baseline)} MB; both ${compiled ? 'compiled with esbuild, on plain node' : 'under tsx'}`,
    });

    const date = new Date().toISOString().slice(0, 10);
    const target = parseDbUrl(options.url);
    const result = {
      date,
      startedAt: new Date(t0).toISOString(),
      seconds: (Date.now() - t0) / 1000,
      profile: options.profile.name,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? null, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, mariadb: ver.mariadb, innodbBufferPoolMb: ver.bufferPoolMb, sqlite: ver.sqlite },
      database: target.client === 'mysql2' ? { client: 'mysql2 (MariaDB)', url: options.url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@') } : { client: 'better-sqlite3', file: target.sqliteFile },
      settings: { connections, secondsPerRun: duration, warmupSeconds: warmup, rounds, pool: options.pool, servers: compiled ? 'compiled with esbuild, plain node' : 'tsx' },
      seed,
      figures,
      overSpend,
      memory: { idle, peak },
      runs,
      batchRuns,
      reportRuns,
      reportMonth: month.label,
      notes,
    };
    // A partial run (--only) is for investigating: it goes to bench/results only when --out says so.
    const outDir = options.out ?? (options.only ? join(tmpdir(), 'cmp-bench-results') : join(HERE, 'results'));
    mkdirSync(outDir, { recursive: true });
    const suffix = quick ? '-quick' : '';
    writeFileSync(join(outDir, `${date}${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown(result);
    writeFileSync(join(outDir, `${date}${suffix}.md`), md);
    console.log(`\n${md}`);
    log(`results: ${join(outDir, `${date}${suffix}.json`)} and .md`);
  } finally {
    await Promise.all([stopServer(plugin), stopServer(baseline)]);
    await db.destroy();
  }
}

function notMeasured(what: string, fig: string, base: string, broken: Map<string, string>, goal: string): Figure {
  const why = [broken.get(fig) ? `${fig}: ${broken.get(fig)}` : '', broken.get(base) ? `${base}: ${broken.get(base)}` : ''].filter(Boolean).join('; ');
  return { what, figure: fig, baseline: base, figureValue: NaN, baselineValue: NaN, unit: '', ratio: NaN, ratioText: 'not measured', goal, met: false, gap: `not measured: ${why || 'no runs'}` };
}

/** 10,000 bills (fewer when the dataset has fewer), spread over the units, each with its unit's approved offsets. */
async function batchInputs(db: Knex, quick: boolean): Promise<BillCheckInput[]> {
  const want = 10_000;
  const months = ((await db('erp_fee_bill').distinct('fee_month').orderBy('fee_month', 'desc')) as Array<{ fee_month: string }>).map((r) => r.fee_month);
  const units = Number(((await db('erp_room').count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
  const take = months.slice(0, Math.max(1, Math.ceil(want / units)));
  const rows = (await db('erp_fee_bill').select('bill_id', 'room_id').whereIn('fee_month', take).orderBy('bill_id')) as Array<{ bill_id: string; room_id: string }>;
  const step = rows.length / Math.min(want, rows.length);
  const chosen = Array.from({ length: Math.min(want, rows.length) }, (_, i) => rows[Math.floor(i * step)]!);
  const offsets = (await db(T.offsets).select('id', 'unit_id').where({ status: 'approved' }).where('remaining_fen', '>=', APPLY_FEN).whereNot('reason', 'like', 'bench fixture%')) as Array<{ id: number; unit_id: string }>;
  const byUnit = new Map<string, number[]>();
  for (const o of offsets) byUnit.set(String(o.unit_id), [...(byUnit.get(String(o.unit_id)) ?? []), Number(o.id)]);
  void quick;
  return chosen.map((b) => ({ billId: b.bill_id, offsets: (byUnit.get(b.room_id) ?? []).slice(0, 2).map((offsetId) => ({ offsetId, amountFen: APPLY_FEN })) }));
}

/** The last complete calendar month in Asia/Shanghai, as a UTC range. */
function lastMonthRange(now: Date): { from: string; to: string; label: string } {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - SHANGHAI_OFFSET_MS;
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - SHANGHAI_OFFSET_MS;
  return { from: toDbTime(new Date(start)), to: toDbTime(new Date(end)), label: new Date(start + SHANGHAI_OFFSET_MS + DAY).toISOString().slice(0, 7) };
}

/** Median time (ms) of each query over `repeat` runs. */
async function reportTimes(db: Knex, month: { from: string; to: string }, community: string, repeat: number): Promise<Record<string, number>> {
  const c = T.complaints;
  const queries: Record<string, [string, Knex.RawBinding[]]> = {
    count: [`SELECT COUNT(*) AS n FROM ${c} WHERE received_at >= ? AND received_at < ?`, [month.from, month.to]],
    all: [`SELECT category, severity, state, COUNT(*) AS n FROM ${c} WHERE received_at >= ? AND received_at < ? GROUP BY category, severity, state`, [month.from, month.to]],
    community: [`SELECT category, severity, state, COUNT(*) AS n FROM ${c} WHERE received_at >= ? AND received_at < ? AND community_id = ? GROUP BY category, severity, state`, [month.from, month.to, Number(community)]],
  };
  const out: Record<string, number> = {};
  for (const [name, [sql, bindings]] of Object.entries(queries)) {
    await db.raw(sql, bindings);
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const s = performance.now();
      await db.raw(sql, bindings);
      times.push(performance.now() - s);
    }
    out[name] = median(times);
  }
  return out;
}

/** approved = applied − reversed + remaining, per offset. */
async function offsetAccounting(db: Knex, ids: number[]): Promise<Map<number, { approvedFen: number; remainingFen: number; appliedFen: number; applications: number; consistent: boolean }>> {
  const offsets = (await db(T.offsets).select('id', 'approved_fen', 'remaining_fen').whereIn('id', ids)) as Array<{ id: number; approved_fen: number; remaining_fen: number }>;
  const sums = (await db(T.offsetApplications).select('offset_id').sum({ fen: 'amount_fen' }).count({ n: '*' }).whereIn('offset_id', ids).where({ state: 'applied' }).groupBy('offset_id')) as Array<{ offset_id: number; fen: number | string; n: number | string }>;
  const byId = new Map(sums.map((s) => [Number(s.offset_id), { fen: Number(s.fen), n: Number(s.n) }]));
  return new Map(
    offsets.map((o) => {
      const applied = byId.get(Number(o.id)) ?? { fen: 0, n: 0 };
      const approvedFen = Number(o.approved_fen);
      const remainingFen = Number(o.remaining_fen);
      return [Number(o.id), { approvedFen, remainingFen, appliedFen: applied.fen, applications: applied.n, consistent: remainingFen >= 0 && approvedFen === applied.fen + remainingFen }];
    }),
  );
}

function markdown(r: {
  date: string;
  profile: string;
  machine: { cores: number; cpu: string | null; node: string; mariadb: string | null; innodbBufferPoolMb: number | null; sqlite: string };
  database: Record<string, unknown>;
  settings: { connections: number; secondsPerRun: number; rounds: number; pool: number };
  seed: SeedInfo;
  figures: Figure[];
  notes: string[];
  seconds: number;
}): string {
  const lines: string[] = [];
  const c = r.seed.counts;
  lines.push(`# Benchmark ${r.date} (${r.profile})`);
  lines.push('');
  lines.push(
    `${r.machine.cores} cores (${r.machine.cpu ?? '?'}), Node ${r.machine.node}, MariaDB ${r.machine.mariadb ?? '— (not used)'}${r.machine.innodbBufferPoolMb ? ` (buffer pool ${fmt(r.machine.innodbBufferPoolMb)} MB)` : ''}, SQLite ${r.machine.sqlite}. ` +
      `Database: ${String(r.database.client)}. Data: ${fmt(c.erp_room ?? NaN)} units, ${fmt(c.erp_fee_bill ?? NaN)} bills, ${fmt(c[T.complaints] ?? NaN)} complaints, ${fmt(c[T.events] ?? NaN)} events, ${fmt(c[T.offsets] ?? NaN)} offsets. ` +
      `Load: autocannon, ${r.settings.connections} connections, ${r.settings.secondsPerRun} s per run, median of ${r.settings.rounds} runs; pool ${r.settings.pool} on both servers. Took ${fmt(r.seconds)} s.`,
  );
  lines.push('');
  lines.push('| what | figure | baseline (same run) | ratio | goal | met |');
  lines.push('|---|---|---|---|---|---|');
  for (const f of r.figures) {
    const v = (x: number) => (f.unit.includes('ms') || f.unit === 'MB' || f.unit.includes('µs') ? fmt(x, 1) : fmt(x));
    lines.push(`| ${f.what} | ${v(f.figureValue)} ${f.unit} | ${v(f.baselineValue)} ${f.unit} | ${f.ratioText} | ${f.goal} | ${f.met ? 'yes' : `**no**${f.gap ? `: ${f.gap}` : ''}`} |`);
  }
  lines.push('');
  lines.push('Figures and baselines:');
  for (const f of r.figures) lines.push(`- ${f.what}: ${f.figure} vs ${f.baseline}${f.note ? ` (${f.note})` : ''}`);
  if (r.notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

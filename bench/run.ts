// npm run bench [-- --quick] [-- --sqlite PATH]: each figure of issue 7 side by side with its baseline,
// measured in the same run on the same data, as the median of several runs, with the ratio and whether
// the goal is met. The plugin's HTTP service and the baseline routes run in two child processes (their
// memory is read from /proc); load comes from this process with autocannon (50 connections). Results go
// to bench/results/<date>.json and .md (<date>-b, -c, … for a day's later full runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
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
import { buildReport } from '../src/reports/report.js';
import { refreshReportFacts } from '../src/reports/summaryStore.js';
import type { PluginContext } from '../src/common/context.js';
import { ensureSeeded, MAPPING_FILE, type SeedInfo } from './seed.js';
import { APPLY_FEN, DAY, FIXTURE_BILL_PREFIX, median, parseArgs, REPORT_READER, SHANGHAI_OFFSET_MS, type BenchOptions } from './lib/common.js';
import { MemorySampler, readCpuMs, readMemory, runLoad, type LoadResult, type LoadSpec } from './lib/load.js';
import { compileForNode } from './lib/compile.js';
import { listPageRenderMs } from './lib/listRender.js';
import { growthMarkdown, growthRows, latestResult } from './lib/growth.js';
import { batchInputs } from './lib/batch.js';

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

/** Every server child started, so a crash or the watchdog can still end them. */
const children = new Set<ChildProcess>();
/** Servers that exited before the runner stopped them: the run then fails (exit code 1). */
const serverDeaths: string[] = [];

function startServer(name: string, file: string, env: Record<string, string>, compiled: string | null, nodeArgs: string[] = []): Promise<Server> {
  return new Promise((resolve, reject) => {
    const args = [
      ...SERVER_NODE_FLAGS,
      ...nodeArgs,
      ...(compiled ? [join(compiled, 'bench', 'servers', file.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', join(HERE, 'servers', file)]),
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(child);
    // A send to a server that died fails here, not as an unhandled 'error' event; the death is reported.
    child.on('error', (err) => serverDeaths.push(`${name} server: ${err.message}`));
    const timer = setTimeout(() => reject(new Error(`${name} server did not start within 60 s`)), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (children.delete(child)) serverDeaths.push(`${name} server exited (${code ?? signal}) while the bench was running`);
      reject(new Error(`${name} server exited with ${code ?? signal} before it was ready`));
    });
    child.on('message', (m: { type?: string; port?: number; notes?: string[] }) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve({ name, child, pid: child.pid!, url: `http://127.0.0.1:${m.port}`, notes: m.notes ?? [] });
    });
  });
}

function askBusy(s: Server): Promise<number> {
  return new Promise((resolve) => {
    if (!s.child.connected) return resolve(0);
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

/** The server's process.memoryUsage() in MB (null when it does not answer). */
function askMemory(s: Server): Promise<Record<string, number> | null> {
  return new Promise((resolve) => {
    if (!s.child.connected) return resolve(null);
    const timer = setTimeout(() => {
      s.child.off('message', onMessage);
      resolve(null);
    }, 2000);
    const onMessage = (m: { type?: string; memory?: Record<string, number> }) => {
      if (m?.type !== 'memory') return;
      clearTimeout(timer);
      s.child.off('message', onMessage);
      resolve(Object.fromEntries(Object.entries(m.memory ?? {}).map(([k, v]) => [k, v / 1024 / 1024])));
    };
    s.child.on('message', onMessage);
    s.child.send({ type: 'memory' });
  });
}

/** How many SQL statements the server has sent so far (BEGIN and COMMIT included). */
function askStatements(s: Server): Promise<number> {
  return new Promise((resolve) => {
    if (!s.child.connected) return resolve(NaN);
    const timer = setTimeout(() => {
      s.child.off('message', onMessage);
      resolve(NaN);
    }, 2000);
    const onMessage = (m: { type?: string; statements?: number }) => {
      if (m?.type !== 'statements') return;
      clearTimeout(timer);
      s.child.off('message', onMessage);
      resolve(m.statements ?? NaN);
    };
    s.child.on('message', onMessage);
    s.child.send({ type: 'statements' });
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
  // Expected from here on: not a death.
  children.delete(s.child);
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
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

/**
 * Node flags both servers run with: what README.md's Deployment section tells deployments to run
 * `complaints serve` with (a 128 MB old-space cap), so the bench measures the service as documented.
 */
const SERVER_NODE_FLAGS = ['--max-old-space-size=128'];

/** A fixture bill's amount is exactly this many applications of APPLY_FEN (¥10.00). */
const APPLICATIONS_PER_BILL = 10;
/**
 * Before every load run on an apply route, its approvals get fixture bills for this many requests per
 * second of the run (several times what the bare-Koa transaction reaches on 2 cores), so a run never
 * runs out of bills; a BillPlan counts what it hands out, so running out would show as `overflow`.
 */
const APPLY_RATE_CEILING = 5000;

/**
 * The bills one fixture approval's applications go to: fixture bills of the approval's unit and owner,
 * each worth exactly `perBill` applications, handed out in order, one per request. However concurrent
 * requests interleave, no bill is ever asked for more than its amount, so the plugin's per-bill check
 * (exceeds_bill) never refuses a request of the load. `cycle` goes round its bills instead: for an
 * approval smaller than each of its bills (the over-spend check), where only the approval can run out.
 */
class BillPlan {
  readonly bills: string[] = [];
  /** Applications asked for so far (the sanity request, warm-up and every run). */
  sent = 0;
  /** Asked for after the bills ran out (sent to the last bill, which refuses them): 0 unless the ceiling was too low. */
  overflow = 0;
  constructor(
    readonly offsetId: number,
    readonly unitId: string,
    readonly ownerId: string,
    readonly perBill: number,
    readonly cycle = false,
  ) {}

  next(): string {
    if (this.cycle) return this.bills[this.sent++ % this.bills.length]!;
    const i = Math.floor(this.sent++ / this.perBill);
    if (i < this.bills.length) return this.bills[i]!;
    this.overflow++;
    return this.bills[this.bills.length - 1]!;
  }

  /** Applications the bills still have room for. */
  spare(): number {
    return this.cycle ? Infinity : this.bills.length * this.perBill - this.sent;
  }
}

/** Writes fixture bills into the host's bill table (unpaid, this run's id prefix, the latest seeded month). */
class FixtureBills {
  private n = 0;
  /** Bills written this run. */
  written = 0;
  readonly prefix: string;

  constructor(
    private readonly db: Knex,
    stamp: string,
    private readonly month: string,
  ) {
    this.prefix = `${FIXTURE_BILL_PREFIX}${stamp}`;
  }

  async add(plan: BillPlan, count: number): Promise<void> {
    await this.write([plan], [count]);
  }

  /** Adds bills until every plan has room for `applications` more. */
  async ensure(plans: BillPlan[], applications: number): Promise<void> {
    await this.write(
      plans,
      plans.map((p) => Math.ceil(Math.max(0, applications - p.spare()) / p.perBill)),
    );
  }

  private async write(plans: BillPlan[], counts: number[]): Promise<void> {
    const rows: Array<Record<string, unknown>> = [];
    const added: Array<[BillPlan, string]> = [];
    plans.forEach((plan, i) => {
      for (let k = 0; k < counts[i]!; k++) {
        const billId = `${this.prefix}${(this.n++).toString(36)}`;
        added.push([plan, billId]);
        rows.push({
          bill_id: billId,
          room_id: plan.unitId,
          payer_owner_id: plan.ownerId,
          fee_month: this.month,
          amount_due: ((plan.perBill * APPLY_FEN) / 100).toFixed(2),
          pay_state: 'unpaid',
        });
      }
    });
    for (let i = 0; i < rows.length; i += 500) await this.db('erp_fee_bill').insert(rows.slice(i, i + 500));
    // Handed out only once written.
    for (const [plan, billId] of added) plan.bills.push(billId);
    this.written += rows.length;
  }
}

interface Fixtures {
  runTag: string;
  /** 50 units, each with two approved offsets (a, b), its seeded bills (for the check) and a's fixture bills. */
  units: Array<{ unitId: string; a: number; b: number; bills: string[]; plan: BillPlan }>;
  hot: { offsetId: number; approvedFen: number; plan: BillPlan };
  exhaust: { offsetId: number; approvedFen: number; plan: BillPlan };
  bills: FixtureBills;
  txRows: number[];
  hotTxRow: number;
  intakeUnits: string[];
  maxComplaintId: number;
  communities: string[];
}

/**
 * Fresh fixtures for this run, so the data stays valid between runs: approved offsets written like the
 * seed's (with their request and approval events), bills for their applications, and the baseline's own
 * two tables. The applications go to new fixture bills, not the seeded ones: the seed's own applications
 * already cover some seeded bills in full (the plugin refuses more with exceeds_bill), and every earlier
 * run's applications stay on the bills they went to. The fixture complaints are outside the report's
 * month, so the report figure reads the seeded data only.
 */
async function prepareFixtures(db: Knex, reportMonth: { from: string; to: string }): Promise<Fixtures> {
  const stamp = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const runTag = `bench-${stamp}`;
  const candidates = (await db(T.complaints)
    .select('id', 'unit_id', 'owner_id')
    .whereIn('state', ['processing', 'resolved', 'closed'])
    .where({ dispute_type: 'property' })
    .whereNotNull('owner_id')
    .where((w) => w.where('received_at', '<', reportMonth.from).orWhere('received_at', '>=', reportMonth.to))
    .orderBy('id', 'desc')
    .limit(3000)) as Array<{ id: number; unit_id: string; owner_id: string }>;
  const byUnit = new Map<string, { id: number; unit_id: string; owner_id: string }>();
  for (const c of candidates) if (!byUnit.has(String(c.unit_id))) byUnit.set(String(c.unit_id), c);
  const picked = [...byUnit.values()].slice(0, 52);
  if (picked.length < 52) throw new Error(`need 52 units with assessed complaints for the fixtures, found ${picked.length}`);
  const billRows = (await db('erp_fee_bill')
    .select('bill_id', 'room_id', 'fee_month')
    .whereIn(
      'room_id',
      picked.map((p) => p.unit_id),
    )
    .whereNot('bill_id', 'like', `${FIXTURE_BILL_PREFIX}%`)
    .orderBy('bill_id')) as Array<{ bill_id: string; room_id: string; fee_month: string }>;
  const billsOf = new Map<string, string[]>();
  for (const b of billRows) billsOf.set(b.room_id, [...(billsOf.get(b.room_id) ?? []), b.bill_id]);
  const latestMonth = billRows.reduce((m, b) => (b.fee_month > m ? b.fee_month : m), '');
  if (!latestMonth) throw new Error('the fixture units have no bills');
  const bills = new FixtureBills(db, stamp, latestMonth);

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
    events.push({
      ...ev,
      action: 'approve',
      from_state: 'requested',
      to_state: 'approved',
      changes: JSON.stringify({ approved_fen: [null, approvedFen], remaining_fen: [0, approvedFen] }),
    });
    return id;
  };
  const plan = (c: { unit_id: string; owner_id: string }, offsetId: number, perBill: number, cycle = false) =>
    new BillPlan(offsetId, String(c.unit_id), String(c.owner_id), perBill, cycle);
  const units = picked.slice(0, 50).map((c) => {
    const a = add(c, 200_000_000);
    return { unitId: String(c.unit_id), a, b: add(c, 200_000_000), bills: billsOf.get(String(c.unit_id)) ?? [], plan: plan(c, a, APPLICATIONS_PER_BILL) };
  });
  // One approval for the 50 clients: ¥20,000,000, far more than any run applies, so it never runs out and
  // every request contends for its row; its applications spread over as many ¥10.00 bills as they need.
  const hotFen = 2_000_000_000;
  const hotId = add(picked[50]!, hotFen);
  const hot = { offsetId: hotId, approvedFen: hotFen, plan: plan(picked[50]!, hotId, APPLICATIONS_PER_BILL) };
  // Room for exactly 50 applications, over five bills each worth the whole approval: only the approval can run out.
  const exhaustFen = 50 * APPLY_FEN;
  const exhaustId = add(picked[51]!, exhaustFen);
  const exhaust = { offsetId: exhaustId, approvedFen: exhaustFen, plan: plan(picked[51]!, exhaustId, exhaustFen / APPLY_FEN, true) };
  await db.transaction(async (trx) => {
    await trx(T.offsets).insert(offsets);
    await trx(T.events).insert(events);
    // Written around the plugin, so the report's summary rows are recounted here as the offset store would
    // have in its own transaction (`complaints reports check` on cmp_bench found them stale otherwise).
    await refreshReportFacts(trx, T, [...new Set(offsets.map((o) => Number(o.complaint_id)))]);
  });
  await bills.add(exhaust.plan, 5);

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

  // Not the fixture units: the intake page lists a unit's unpaid bills, and theirs grow with every run.
  const intakeUnits = (
    (await db(T.complaints)
      .distinct('unit_id')
      .whereIn('state', ['received', 'investigating', 'processing'])
      .whereNotIn(
        'unit_id',
        picked.map((p) => p.unit_id),
      )
      .orderBy('unit_id')
      .limit(400)) as Array<{ unit_id: string }>
  ).map((r) => String(r.unit_id));
  const [{ n }] = (await db(T.complaints).max({ n: 'id' })) as Array<{ n: number }> as [{ n: number }];
  const communities = ((await db('erp_community').select('community_id').orderBy('community_id')) as Array<{ community_id: number }>).map((r) =>
    String(r.community_id),
  );
  return { runTag, units, hot, exhaust, bills, txRows, hotTxRow, intakeUnits, maxComplaintId: Number(n), communities };
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
  /** The route or its baseline was refused before any run: the bench is broken, and the run fails. */
  notMeasured?: true;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

async function versions(db: Knex): Promise<{ mariadb: string | null; sqlite: string; bufferPoolMb: number | null }> {
  const sqlite = (new Database(':memory:').prepare('select sqlite_version() as v').get() as { v: string }).v;
  if (!isMysql(db)) return { mariadb: null, sqlite, bufferPoolMb: null };
  const [rows] = (await db.raw('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp')) as [Array<{ v: string; bp: number }>];
  return { mariadb: rows[0]!.v, sqlite, bufferPoolMb: Number(rows[0]!.bp) / 1048576 };
}

/**
 * Runs the benchmark; the exit code is 1 when something in it broke (see `failures`), 0 otherwise,
 * whether or not the goals are met.
 */
async function main(): Promise<number> {
  const options: BenchOptions = parseArgs(process.argv.slice(2));
  const quick = options.profile.name === 'quick';
  const notes: string[] = [];
  const timeout = options.timeout ?? (quick ? 300 : null);
  if (timeout) {
    setTimeout(() => {
      console.error(`bench: still running after ${timeout} s (--timeout): giving up`);
      for (const child of children) child.kill('SIGKILL');
      process.exit(1);
    }, timeout * 1000).unref();
  }
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
  const dbPid = await localDatabasePid(db);
  log('preparing fixtures');
  const month = lastMonthRange(new Date(seed.now));
  const fx = await prepareFixtures(db, month);

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
  log(`starting the plugin server and the baseline server (${compiled ? 'compiled with esbuild, plain node' : 'under tsx'}, ${SERVER_NODE_FLAGS.join(' ')})`);
  notes.push(
    `both servers ran with node ${SERVER_NODE_FLAGS.join(' ')}, as README.md's Deployment section documents for complaints serve${options.pluginNodeArgs.length ? `; the plugin server also with ${options.pluginNodeArgs.join(' ')}` : ''}`,
  );
  const [plugin, baseline] = await Promise.all([
    startServer('plugin', 'plugin.ts', env, compiled, options.pluginNodeArgs),
    startServer('baseline', 'baseline.ts', env, compiled),
  ]);
  const failures: string[] = [];
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
    let nextUnit = 0;
    const applyBody = (offsetId: number, billId: string) =>
      JSON.stringify({
        offsetId,
        billId,
        amountFen: APPLY_FEN,
        idempotencyKey: `${fx.runTag}-${++seq}`,
        operator: { id: 'cashier-bench', name: '收银员 压测' },
      });

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
      const row = (await q
        .orderBy([
          { column: 'received_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .offset(9979)
        .first()) as { received_at: string; id: number } | undefined;
      if (row)
        cursors.set(
          community,
          Buffer.from(JSON.stringify(['-receivedAt', String(row.received_at).replace('T', ' ').slice(0, 23), Number(row.id)])).toString('base64url'),
        );
    }
    const cursorPath = () => {
      const community = quick ? '' : pick(fx.communities);
      return `${PREFIX}/api/complaints?${listFilter}${community}&cursor=${cursors.get(community) ?? ''}`;
    };
    {
      // The cursor must land where offset 9,980 does.
      const community = quick ? '' : fx.communities[0]!;
      const get = async (q: string) =>
        (await (await fetch(`${plugin.url}${PREFIX}/api/complaints?${listFilter}${community}${q}`, { headers: listHeaders })).json()) as {
          items?: Array<{ id: number }>;
        };
      const [byCursor, byOffset] = await Promise.all([get(`&cursor=${cursors.get(community) ?? ''}`), get('&offset=9980')]);
      if (byCursor.items?.[0]?.id !== byOffset.items?.[0]?.id)
        notes.push(`page 500 by cursor starts at complaint ${byCursor.items?.[0]?.id}, by offset at ${byOffset.items?.[0]?.id}: they should agree`);
    }

    // The intake page with a session cookie, as a signed-in browser sends it (without one, every view
    // would open a new session row).
    const intakeUrl = (unit: string) => `${PREFIX}/new?unit=${encodeURIComponent(unit)}`;
    const first = await fetch(`${plugin.url}${intakeUrl(fx.intakeUnits[0]!)}`, { headers: { [USER_HEADER]: counterToken } });
    const cookie = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const intakeHeaders = { [USER_HEADER]: counterToken, cookie };
    const realPage = await first.text();
    const fixedPage = await (await fetch(`${baseline.url}/intake-fixed`)).text();
    if (first.status !== 200) throw new Error(`intake page answered ${first.status}: ${realPage.slice(0, 300)}`);
    notes.push(
      `intake page: ${fmt(Buffer.byteLength(realPage) / 1024, 1)} KB served by the plugin for a unit; the baseline's fixed-data render is ${fmt(Buffer.byteLength(fixedPage) / 1024, 1)} KB`,
    );

    const sides: Record<string, Side> = {
      pk: {
        label: 'bare Koa: one primary-key SELECT',
        spec: () => ({ url: baseline.url, path: '/pk/1', setup: () => ({ path: `/pk/${1 + Math.floor(Math.random() * fx.maxComplaintId)}` }) }),
      },
      check: {
        label: 'POST /api/billing/check (signed), one bill, two offsets',
        spec: () => ({
          url: plugin.url,
          method: 'POST',
          path: `${PREFIX}/api/billing/check`,
          setup: () => {
            const u = pick(fx.units);
            return signed(
              `${PREFIX}/api/billing/check`,
              JSON.stringify({
                billId: pick(u.bills),
                offsets: [
                  { offsetId: u.a, amountFen: APPLY_FEN },
                  { offsetId: u.b, amountFen: APPLY_FEN },
                ],
              }),
            );
          },
        }),
      },
      list1: {
        label: `GET /api/complaints (${listFilter.replace(/&communityId=$/, ', one community')}) page 1`,
        spec: () => ({ url: plugin.url, path: listPath(0), headers: listHeaders, setup: () => ({ path: listPath(0) }) }),
      },
      list500: {
        label: 'the same, page 500 by keyset cursor (as the list page pages)',
        spec: () => ({ url: plugin.url, path: cursorPath(), headers: listHeaders, setup: () => ({ path: cursorPath() }) }),
      },
      listoffset: {
        label: 'the same, page 500 by offset=9980 (JSON API)',
        spec: () => ({ url: plugin.url, path: listPath(9980), headers: listHeaders, setup: () => ({ path: listPath(9980) }) }),
      },
      tx50: {
        label: 'bare Koa: FOR UPDATE + UPDATE + INSERT, 50 rows',
        spec: () => ({ url: baseline.url, method: 'POST', path: '/tx/1', setup: () => ({ path: `/tx/${pick(fx.txRows)}` }) }),
      },
      apply50: {
        label: 'POST /api/billing/apply (signed), 50 approvals of 50 units, in turn',
        spec: () => ({
          url: plugin.url,
          method: 'POST',
          path: `${PREFIX}/api/billing/apply`,
          setup: () => {
            const u = fx.units[nextUnit++ % fx.units.length]!;
            return signed(`${PREFIX}/api/billing/apply`, applyBody(u.a, u.plan.next()));
          },
        }),
      },
      txhot: { label: 'bare Koa: the same transaction on one hot row', spec: () => ({ url: baseline.url, method: 'POST', path: `/tx/${fx.hotTxRow}` }) },
      applyhot: {
        label: 'POST /api/billing/apply (signed), one approval, its applications over many bills',
        spec: () => ({
          url: plugin.url,
          method: 'POST',
          path: `${PREFIX}/api/billing/apply`,
          setup: () => signed(`${PREFIX}/api/billing/apply`, applyBody(fx.hot.offsetId, fx.hot.plan.next())),
        }),
      },
      tmpl: { label: 'bare Koa: intake template with fixed data', spec: () => ({ url: baseline.url, path: '/intake-fixed' }) },
      tmpldb: {
        label: 'bare Koa: the unit, owners, complaints and bills in one raw SQL round trip, same template',
        spec: () => ({
          url: baseline.url,
          path: `/intake-db/${encodeURIComponent(fx.intakeUnits[0]!)}`,
          setup: () => ({ path: `/intake-db/${encodeURIComponent(pick(fx.intakeUnits))}` }),
        }),
      },
      intake: {
        label: 'GET /new?unit=… signed in (session cookie)',
        spec: () => ({
          url: plugin.url,
          path: intakeUrl(fx.intakeUnits[0]!),
          headers: intakeHeaders,
          setup: () => ({ path: intakeUrl(pick(fx.intakeUnits)) }),
        }),
      },
    };
    // Each figure and the baseline it is compared with; a shared baseline is measured once per round.
    const pairs: Pair[] = [
      { id: 'check', figure: sides.check!, baselineId: 'pk' },
      { id: 'list1', figure: sides.list1!, baselineId: 'pk' },
      { id: 'list500', figure: sides.list500!, baselineId: 'pk' },
      { id: 'listoffset', figure: sides.listoffset!, baselineId: 'pk' },
      { id: 'apply50', figure: sides.apply50!, baselineId: 'tx50' },
      { id: 'applyhot', figure: sides.applyhot!, baselineId: 'txhot' },
      { id: 'intake', figure: sides.intake!, baselineId: 'tmpldb' },
      { id: 'intake', figure: sides.intake!, baselineId: 'tmpl' },
    ].filter((p) => !options.only || options.only.includes(p.id));
    const used = new Set(pairs.flatMap((p) => [p.id, p.baselineId]));
    for (const id of Object.keys(sides)) if (!used.has(id)) delete sides[id];

    // The apply routes' approvals get fixture bills for the requests a run can send, before each run.
    const plansOf: Record<string, BillPlan[]> = { apply50: fx.units.map((u) => u.plan), applyhot: [fx.hot.plan] };
    const ensureBills = async (id: string, seconds: number) => {
      const plans = plansOf[id];
      if (plans && sides[id]) await fx.bills.ensure(plans, Math.ceil((APPLY_RATE_CEILING * seconds) / plans.length) + 1);
    };
    /** 2xx answers per side, over the sanity request, the warm-up and every run: each apply success is an application row. */
    const okCount: Record<string, number> = {};

    // Sanity: one request to each side, so a broken route is reported instead of measured.
    const broken = new Map<string, string>();
    for (const [id, side] of Object.entries(sides)) {
      await ensureBills(id, 1);
      const spec = side.spec();
      const next = spec.setup?.() ?? {};
      const res = await fetch(`${spec.url}${next.path ?? spec.path}`, {
        method: spec.method ?? 'GET',
        headers: { ...(spec.headers ?? {}), ...(next.headers ?? {}) },
        body: next.body ?? spec.body,
      });
      const text = await res.text();
      if (res.status >= 300) {
        broken.set(id, `${res.status} ${text.slice(0, 200)}`);
        log(`WARNING: ${id} answered ${res.status}: ${text.slice(0, 200)}`);
      } else {
        okCount[id] = (okCount[id] ?? 0) + 1;
      }
    }

    // SQL statements per request (round trips: each statement is one), one request per side on idle
    // servers, after the sanity request (so caches are as warm as under load).
    const statementsPerRequest: Record<string, number> = {};
    for (const [id, side] of Object.entries(sides)) {
      if (broken.has(id)) continue;
      await ensureBills(id, 1);
      const spec = side.spec();
      const server = spec.url === plugin.url ? plugin : baseline;
      await waitIdle([plugin, baseline]);
      const before = await askStatements(server);
      const next = spec.setup?.() ?? {};
      const res = await fetch(`${spec.url}${next.path ?? spec.path}`, {
        method: spec.method ?? 'GET',
        headers: { ...(spec.headers ?? {}), ...(next.headers ?? {}) },
        body: next.body ?? spec.body,
      });
      await res.text();
      if (res.status < 300) okCount[id] = (okCount[id] ?? 0) + 1;
      statementsPerRequest[id] = (await askStatements(server)) - before;
    }
    log(
      `SQL statements per request: ${Object.entries(statementsPerRequest)
        .map(([id, n]) => `${id} ${n}`)
        .join(', ')}`,
    );

    const measure = async (
      id: string,
      seconds: number,
    ): Promise<LoadResult & { peakRssMb: number; cpuMsPerRequest: number; dbCpuMsPerRequest: number | null }> => {
      if (serverDeaths.length) throw new Error(`the run cannot go on: ${serverDeaths.join('; ')}`);
      await ensureBills(id, seconds);
      const mark = Date.now();
      await waitIdle([plugin, baseline]);
      const server = sides[id]!.spec().url === plugin.url ? plugin : baseline;
      const cpuBefore = readCpuMs(server.pid) ?? NaN;
      const dbCpuBefore = dbPid === null ? null : readCpuMs(dbPid);
      const r = await runLoad(sides[id]!.spec(), seconds, connections);
      // The server's own CPU (user + system, GC included) per answer; requests still queued when the load
      // stopped are finished first, so their CPU is counted with them. Likewise the database server's
      // (everything it did meanwhile: on a shared machine, other clients' statements too).
      await waitIdle([server]);
      const answers = Math.max(1, r.ok + r.non2xx);
      const cpuMsPerRequest = ((readCpuMs(server.pid) ?? NaN) - cpuBefore) / answers;
      const dbCpuAfter = dbPid === null ? null : readCpuMs(dbPid);
      const dbCpuMsPerRequest = dbCpuBefore === null || dbCpuAfter === null ? null : (dbCpuAfter - dbCpuBefore) / answers;
      okCount[id] = (okCount[id] ?? 0) + r.ok;
      if (sides[id]!.spec().url === plugin.url) {
        const m = await askMemory(plugin);
        if (m)
          log(
            `    plugin after ${id}: rss ${fmt(m.rss!, 0)} MB, heap ${fmt(m.heapUsed!, 0)}/${fmt(m.heapTotal!, 0)} MB, external ${fmt(m.external!, 0)} MB (buffers ${fmt(m.arrayBuffers!, 0)} MB)`,
          );
      }
      return { ...r, cpuMsPerRequest, dbCpuMsPerRequest, peakRssMb: (sides[id]!.spec().url === plugin.url ? pluginMem : baselineMem).peakSince(mark) };
    };

    log(`warm-up (${warmup} s per route)`);
    const warmups: Record<string, LoadResult> = {};
    for (const id of Object.keys(sides)) {
      if (broken.has(id)) continue;
      const r = (warmups[id] = await measure(id, warmup));
      if (r.non2xx || r.errors) log(`  warm-up ${id}: non-2xx ${r.non2xx} (${codesText(r.errorCodes)})${r.errors ? `, errors ${r.errors}` : ''}`);
    }

    const runs: Record<string, Array<LoadResult & { peakRssMb: number; cpuMsPerRequest: number; dbCpuMsPerRequest: number | null }>> = {};
    const batchRuns: Array<{ batchMs: number; coldBatchMs: number; singleMs: number; singles: number; bills: number }> = [];
    const reportRuns: Array<Record<string, number>> = [];
    let reportCounts: ReportCounts | null = null;

    // In-process figures: the batch check and the monthly report, from this process.
    const inproc = createComplaintsPlugin({ knex: createDb(options.url, { poolMax: options.pool }), mapping: loadMappingFile(MAPPING_FILE), auth: () => null });
    const offsetsService = createOffsetService(inproc.context);
    const batch = await batchInputs(db);
    const singlesCount = quick ? 1000 : 10_000;
    const reportCommunity = fx.communities[0]!;

    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}`);
      const order = round % 2 ? pairs : [...pairs].reverse();
      // Each side once per round: a shared baseline, and a figure compared with two baselines (intake).
      const done = new Set<string>();
      for (const pair of order) {
        // Alternate which side goes first, so neither always gets the warmer caches.
        const ids = round % 2 ? [pair.id, pair.baselineId] : [pair.baselineId, pair.id];
        for (const id of ids) {
          if (broken.has(id) || done.has(id)) continue;
          const r = await measure(id, duration);
          (runs[id] ??= []).push(r);
          done.add(id);
          log(
            `  ${id.padEnd(9)} ${fmt(r.rps).padStart(7)} req/s  p99 ${fmt(r.p99, 1).padStart(7)} ms  non-2xx ${r.non2xx}${r.non2xx ? ` (${codesText(r.errorCodes)})` : ''}${r.errors ? `  errors ${r.errors}` : ''}  peak RSS ${fmt(r.peakRssMb, 0)} MB  CPU ${fmt(r.cpuMsPerRequest, 2)} ms/req${r.dbCpuMsPerRequest === null ? '' : `  DB CPU ${fmt(r.dbCpuMsPerRequest, 2)} ms/req`}`,
          );
        }
      }
      // Batch check vs single checks, per bill, on the same cache. Straight after the HTTP loads the batch
      // runs cold (the loads pushed its bills and complaints out of MariaDB's 128 MB buffer pool), and the
      // singles after it ran on the pages it had just brought back: the batch is timed again after the
      // singles, and that warm run is the figure; the cold one is reported beside it.
      await waitIdle([plugin, baseline]);
      const timedBatch = async () => {
        const b0 = performance.now();
        const answers = await offsetsService.checkBills(batch);
        if (answers.length !== batch.length) throw new Error('batch check answered a different number of bills');
        return performance.now() - b0;
      };
      const coldBatchMs = await timedBatch();
      const s0 = performance.now();
      for (let i = 0; i < singlesCount; i++) await offsetsService.check(batch[i % batch.length]!);
      const singleMs = performance.now() - s0;
      const batchMs = await timedBatch();
      batchRuns.push({ batchMs, coldBatchMs, singleMs, singles: singlesCount, bills: batch.length });
      log(
        `  batch     ${batch.length} bills in ${fmt(batchMs)} ms (first, straight after the loads: ${fmt(coldBatchMs)} ms); ${singlesCount} single checks in ${fmt(singleMs)} ms`,
      );
      // The monthly report as the report page builds it (buildReport), for all communities and for one;
      // baseline a COUNT(*) over the same month's received_at range.
      const rr = await reportTimes(db, inproc.context, month, reportCommunity, quick ? 5 : 10);
      reportRuns.push(rr.times);
      reportCounts = rr.counts;
      log(`  report    count ${fmt(rr.times.count!, 1)} ms; buildReport, all ${fmt(rr.times.all!, 1)} ms; one community ${fmt(rr.times.community!, 1)} ms`);
    }
    await inproc.context.db.destroy();
    if (reportCounts && reportCounts.reportAll !== reportCounts.count) {
      notes.push(
        `monthly report: buildReport counted ${reportCounts.reportAll} complaints (cancelled included) in ${month.label}, COUNT(*) ${reportCounts.count}: they should agree`,
      );
    }

    // Never over-spent: 50 clients on one approval with room for exactly 50 applications, on bills that
    // could each take all 50, so only the approval can run out.
    log('over-spend check: 50 clients on one approval worth 50 applications');
    const exhaustSpec: LoadSpec = {
      url: plugin.url,
      method: 'POST',
      path: `${PREFIX}/api/billing/apply`,
      setup: () => signed(`${PREFIX}/api/billing/apply`, applyBody(fx.exhaust.offsetId, fx.exhaust.plan.next())),
    };
    // Until the approval is used up (a loaded machine may need more than one short run), at most 5 runs.
    const exhaustRun = { ok: 0, non2xx: 0, errorCodes: {} as Record<string, number> };
    for (let i = 0; i < 5; i++) {
      await waitIdle([plugin, baseline]);
      const r = await runLoad(exhaustSpec, Math.min(duration, 2), connections);
      exhaustRun.ok += r.ok;
      exhaustRun.non2xx += r.non2xx;
      for (const [code, n] of Object.entries(r.errorCodes)) exhaustRun.errorCodes[code] = (exhaustRun.errorCodes[code] ?? 0) + n;
      await waitIdle([plugin, baseline]);
      const left = (await db(T.offsets).where({ id: fx.exhaust.offsetId }).first('remaining_fen')) as { remaining_fen: number } | undefined;
      if (Number(left?.remaining_fen ?? 0) <= 0) break;
    }
    const fixtureIds = [fx.hot.offsetId, fx.exhaust.offsetId, ...fx.units.map((u) => u.a)];
    const accounting = await offsetAccounting(db, fixtureIds);
    const bills = await fixtureBillAccounting(db, fx.bills.prefix);
    const sum = (ids: number[], key: 'applications' | 'appliedFen') => ids.reduce((s, id) => s + (accounting.get(id)?.[key] ?? 0), 0);
    const overSpend = {
      exhaust: {
        successes: exhaustRun.ok,
        refused: exhaustRun.non2xx,
        refusals: exhaustRun.errorCodes,
        successFen: exhaustRun.ok * APPLY_FEN,
        ...accounting.get(fx.exhaust.offsetId)!,
      },
      hot: { successes: okCount.applyhot ?? 0, billsWritten: fx.hot.plan.bills.length, overflow: fx.hot.plan.overflow, ...accounting.get(fx.hot.offsetId)! },
      apply50: {
        successes: okCount.apply50 ?? 0,
        applications: sum(
          fx.units.map((u) => u.a),
          'applications',
        ),
        appliedFen: sum(
          fx.units.map((u) => u.a),
          'appliedFen',
        ),
        bills: fx.units.reduce((s, u) => s + (accounting.get(u.a)?.bills ?? 0), 0),
        billsWritten: fx.units.reduce((s, u) => s + u.plan.bills.length, 0),
        overflow: fx.units.reduce((s, u) => s + u.plan.overflow, 0),
      },
      /** approved = applied − reversed + remaining and remaining ≥ 0, on every fixture approval. */
      allConsistent: fixtureIds.every((id) => accounting.get(id)?.consistent === true),
      fixtureBills: { written: fx.bills.written, used: bills.used, overCovered: bills.overCovered },
    };
    // Never more than the approval (nor a bill) allows, and every HTTP success is an application row (a
    // request the server finished after autocannon stopped waiting is a row without a counted success).
    const violations: string[] = [];
    for (const id of fixtureIds) {
      const a = accounting.get(id);
      if (!a) violations.push(`fixture approval #${id} is missing`);
      else if (!a.consistent)
        violations.push(`approval #${id}: approved ${a.approvedFen} ≠ applied ${a.appliedFen} − reversed ${a.reversedFen} + remaining ${a.remainingFen}`);
    }
    if (overSpend.exhaust.appliedFen > fx.exhaust.approvedFen || overSpend.exhaust.successFen > fx.exhaust.approvedFen)
      violations.push(`the 50-application approval took ${overSpend.exhaust.appliedFen} fen (${exhaustRun.ok} successes) of ${fx.exhaust.approvedFen}`);
    if (overSpend.hot.applications < overSpend.hot.successes)
      violations.push(`the hot approval answered ${overSpend.hot.successes} successes but holds ${overSpend.hot.applications} applications`);
    if (overSpend.apply50.applications < overSpend.apply50.successes)
      violations.push(`the 50 approvals answered ${overSpend.apply50.successes} successes but hold ${overSpend.apply50.applications} applications`);
    for (const b of bills.overCovered) violations.push(`bill ${b.billId}: ${b.appliedFen} fen applied to a ${b.amountFen} fen bill`);
    const neverOverSpent = violations.length === 0;
    failures.push(...violations.map((v) => `over-spend check: ${v}`));
    log(
      `  ${exhaustRun.ok} successes (${overSpend.exhaust.successFen} fen of ${fx.exhaust.approvedFen}), ${exhaustRun.non2xx} refused${exhaustRun.non2xx ? ` (${codesText(exhaustRun.errorCodes)})` : ''}; remaining ${overSpend.exhaust.remainingFen}`,
    );
    log(
      `  approved = applied − reversed + remaining on every fixture approval: ${overSpend.allConsistent}; ${bills.used} fixture bills used, none over its amount: ${bills.overCovered.length === 0}`,
    );
    if (overSpend.exhaust.appliedFen !== fx.exhaust.approvedFen)
      notes.push(`over-spend check: the 50-application approval was not used up (${overSpend.exhaust.applications} applications) within the run`);
    notes.push(
      `apply fixtures: the 50 approvals took ${fmt(overSpend.apply50.applications)} applications of ¥${fmt(APPLY_FEN / 100, 2)} over ${fmt(overSpend.apply50.bills)} fixture bills of ¥${fmt((APPLICATIONS_PER_BILL * APPLY_FEN) / 100, 2)} (their own units'); ` +
        `the hot approval (¥${fmt(fx.hot.approvedFen / 100, 2)}) took ${fmt(overSpend.hot.applications)} over ${fmt(overSpend.hot.bills)} such bills, remaining ¥${fmt(overSpend.hot.remainingFen / 100, 2)}; ` +
        `each bill takes at most ${APPLICATIONS_PER_BILL} applications, handed out in order, so none is asked for more than its amount`,
    );
    if (overSpend.hot.overflow || overSpend.apply50.overflow)
      notes.push(
        `apply fixtures ran out of bills (${overSpend.hot.overflow + overSpend.apply50.overflow} requests sent to a full bill): raise APPLY_RATE_CEILING in bench/run.ts`,
      );
    for (const death of serverDeaths) failures.push(death);
    const serverErrors = await askErrors(plugin);
    if (serverErrors.length)
      notes.push(
        `the plugin server answered 500 and logged ${serverErrors.length >= 20 ? 'at least 20' : serverErrors.length} errors (warm-ups and the over-spend check included): ${summarizeErrors(serverErrors)}`,
      );

    pluginMem.stop();
    baselineMem.stop();
    const peak = {
      plugin: Math.max(pluginMem.hwmMb, readMemory(plugin.pid)?.hwmMb ?? 0),
      baseline: Math.max(baselineMem.hwmMb, readMemory(baseline.pid)?.hwmMb ?? 0),
    };

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
        ...(ratio < goal
          ? { gap: `${fmt(f.rps)} vs ${fmt(b.rps)} req/s: needs ${fmt(goal * b.rps)} req/s (+${fmt(((goal * b.rps) / f.rps - 1) * 100)}%)` }
          : {}),
        note: [errs ? `${errs} non-2xx/errors in the figure's runs: ${runCodes(runs[fig] ?? [])}` : '', note ?? ''].filter(Boolean).join('; ') || undefined,
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
        ...(ratio > goal
          ? {
              gap: Number.isFinite(f.p99)
                ? `p99 ${fmt(f.p99, 1)} ms vs ${fmt(b.p99, 1)} ms: needs ≤ ${fmt(goal * b.p99, 1)} ms`
                : `no answer within a ${duration} s run in most rounds: needs p99 ≤ ${fmt(goal * b.p99, 1)} ms`,
            }
          : {}),
        ...(errs ? { note: `${errs} non-2xx/errors in the figure's runs: ${runCodes(runs[fig] ?? [])}` } : {}),
      });
    };
    throughputFigure('billing check over HTTP, one bill with two offsets', 'check', 'pk', 0.6);
    p99Figure('billing check over HTTP, p99', 'check', 'pk', 2);
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
        note: `timed after the singles, on the pages they used; the first batch of each round, straight after the HTTP loads: ${fmt(median(batchRuns.map((r) => (r.coldBatchMs / r.bills) * 1000)), 1)} µs per bill (${fmt(median(batchRuns.map((r) => r.singleMs / r.singles / (r.coldBatchMs / r.bills))), 1)}× faster)`,
      });
    }
    throughputFigure('apply offset over HTTP, 50 different approvals', 'apply50', 'tx50', 0.7);
    throughputFigure(
      'apply offset, 50 clients on one approval',
      'applyhot',
      'txhot',
      0.7,
      neverOverSpent
        ? 'never over-spent: approved = applied − reversed + remaining, remaining ≥ 0, no bill over its amount (see overSpend)'
        : `OVER-SPENT or inconsistent: ${violations.join('; ')}`,
    );
    if (!skipped('applyhot')) {
      const hot = figures[figures.length - 1]!;
      hot.met = hot.met && neverOverSpent;
    }
    throughputFigure('intake form page, signed in, with unit context', 'intake', 'tmpldb', 0.7);
    throughputFigure('intake form page against a fixed-data render (kept for continuity)', 'intake', 'tmpl', 0.3);
    p99Figure('complaint list, filtered and sorted, page 1', 'list1', 'pk', 3);
    p99Figure('complaint list, filtered and sorted, page 500 (keyset cursor)', 'list500', 'pk', 3);
    p99Figure('complaint list, page 500 by offset (JSON API offset=9980)', 'listoffset', 'pk', 5);
    for (const [key, label] of [
      ['all', 'all communities'],
      ['community', `one community (#${reportCommunity})`],
    ] as const) {
      const ratio = median(reportRuns.map((r) => r[key]! / r.count!));
      const f = median(reportRuns.map((r) => r[key]!));
      const b = median(reportRuns.map((r) => r.count!));
      const n = key === 'all' ? reportCounts?.reportAll : reportCounts?.reportCommunity;
      figures.push({
        what: `monthly report, ${label}`,
        figure: `buildReport (src/reports/report.ts, in-process, as the report page calls it) for ${month.label}${key === 'community' ? `, communityId ${reportCommunity}` : ', every community'}`,
        baseline: `SELECT COUNT(*) over ${month.label} (received_at range)`,
        figureValue: f,
        baselineValue: b,
        unit: 'ms',
        ratio,
        ratioText: `${fmt(ratio, 1)}×`,
        goal: '≤ 5× its time',
        met: ratio <= 5,
        ...(ratio > 5 ? { gap: `${fmt(f, 1)} ms vs ${fmt(b, 1)} ms: needs ≤ ${fmt(5 * b, 1)} ms` } : {}),
        ...(n !== undefined ? { note: `${fmt(n)} complaints in the report (cancelled included), ${fmt(reportCounts!.count)} in the month in all` } : {}),
      });
    }
    // In-process: the list page from the compiled templates (moved here from the unit suite's timing assert).
    const renderMs = listPageRenderMs(quick ? 100 : 300);
    figures.push({
      what: 'list page render, in-process',
      figure: 'views.render("list") with 20 rows (src/views/engine.ts, compiled once)',
      baseline: 'the 5 ms per render the unit suite used to assert',
      figureValue: renderMs,
      baselineValue: 5,
      unit: 'ms',
      ratio: renderMs / 5,
      ratioText: `${fmt(renderMs, 2)} ms`,
      goal: '< 5 ms per render',
      met: renderMs < 5,
      ...(renderMs >= 5 ? { gap: `${fmt(renderMs, 2)} ms per render` } : {}),
    });
    figures.push({
      what: 'process memory under the above loads',
      figure: 'plugin server: peak RSS (VmHWM)',
      baseline: 'plugin server idle RSS after start',
      figureValue: peak.plugin,
      baselineValue: idle.plugin.rssMb,
      unit: 'MB',
      ratio: peak.plugin / idle.plugin.rssMb,
      ratioText: `${fmt(peak.plugin / idle.plugin.rssMb, 2)}× idle`,
      goal: 'peak RSS ≤ 250 MB',
      met: peak.plugin <= 250,
      ...(peak.plugin > 250 ? { gap: `peak ${fmt(peak.plugin)} MB > 250 MB` } : {}),
      note: `baseline server: idle ${fmt(idle.baseline.rssMb)} MB, peak ${fmt(peak.baseline)} MB; both ${compiled ? 'compiled with esbuild, on plain node' : 'under tsx'}`,
    });

    // A figure that could not be measured at all means the bench itself is broken (a route or fixture
    // refused): that fails the run, as a crash does. Unmet goals do not.
    for (const f of figures) if (f.notMeasured) failures.push(`${f.what}: ${f.gap ?? 'not measured'}`);

    const date = new Date().toISOString().slice(0, 10);
    const target = parseDbUrl(options.url);
    const result = {
      date,
      startedAt: new Date(t0).toISOString(),
      seconds: (Date.now() - t0) / 1000,
      profile: options.profile.name,
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? null,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        mariadb: ver.mariadb,
        innodbBufferPoolMb: ver.bufferPoolMb,
        sqlite: ver.sqlite,
        // The machine is shared: how busy it was at the end (1, 5 and 15 minute load averages).
        loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
      },
      database:
        target.client === 'mysql2'
          ? { client: 'mysql2 (MariaDB)', url: options.url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@') }
          : { client: 'better-sqlite3', file: target.sqliteFile },
      settings: {
        connections,
        secondsPerRun: duration,
        warmupSeconds: warmup,
        rounds,
        pool: options.pool,
        servers: compiled ? 'compiled with esbuild, plain node' : 'tsx',
        serverNodeFlags: SERVER_NODE_FLAGS,
        pluginNodeArgs: options.pluginNodeArgs,
      },
      seed,
      figures,
      overSpend,
      memory: { idle, peak },
      statementsPerRequest,
      runs,
      warmups,
      batchRuns,
      reportRuns,
      reportMonth: month.label,
      notes,
      failures,
    };
    // A partial run (--only) is for investigating: it goes to bench/results only when --out says so.
    const outDir = options.out ?? (options.only ? join(tmpdir(), 'cmp-bench-results') : join(HERE, 'results'));
    mkdirSync(outDir, { recursive: true });
    // A full run never replaces a day's earlier full results (they are committed): it takes the day's next
    // free name, -b, -c, … (growth.ts reads the latest). A quick run keeps one file per day.
    const suffix = quick ? '-quick' : freeSuffix(outDir, date);
    // The growth table: this run beside the latest run of the other profile (bench/results or --out).
    const other = latestResult([outDir, join(HERE, 'results')], quick ? 'full' : 'quick');
    const thisFile = join(outDir, `${date}${suffix}.json`);
    const growth = other
      ? (() => {
          const [q, f] = quick ? [result, other.result] : [other.result, result];
          return { quickFile: quick ? thisFile : other.file, fullFile: quick ? other.file : thisFile, rows: growthRows(q, f) };
        })()
      : null;
    writeFileSync(join(outDir, `${date}${suffix}.json`), `${JSON.stringify({ ...result, growth }, null, 2)}\n`);
    let md = markdown(result);
    md += growth
      ? `\n${growthMarkdown(growth.rows, growth.quickFile.replace(HERE, 'bench/'), growth.fullFile.replace(HERE, 'bench/'), fmt)}\n`
      : `\nNo ${quick ? 'full' : 'quick'} results found in ${outDir} or bench/results for the growth table: run \`npm run bench${quick ? '' : ' -- --quick'}\` too.\n`;
    md += `\nSQL statements per request (one request on idle servers, BEGIN/COMMIT included): ${Object.entries(statementsPerRequest)
      .map(([id, n]) => `${id} ${n}`)
      .join(', ')}.\n`;
    md += `\n${cpuMarkdown(runs, dbPid !== null)}\n`;
    writeFileSync(join(outDir, `${date}${suffix}.md`), md);
    console.log(`\n${md}`);
    log(`results: ${join(outDir, `${date}${suffix}.json`)} and .md`);
    if (failures.length) {
      console.error(`bench: ${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
      return 1;
    }
    log(`done: ${figures.filter((f) => f.met).length} of ${figures.length} goals met (unmet goals do not fail the run)`);
    return 0;
  } finally {
    await Promise.all([stopServer(plugin), stopServer(baseline)]);
    await db.destroy();
    if (compiled) rmSync(compiled, { recursive: true, force: true });
  }
}

/** `409 exceeds_bill × 98, 500 internal × 2` */
function codesText(codes: Record<string, number>): string {
  const entries = Object.entries(codes).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([code, n]) => `${code} × ${n}`).join(', ') : 'no answer (connection errors or timeouts)';
}

function runCodes(list: LoadResult[]): string {
  const all: Record<string, number> = {};
  for (const r of list) for (const [code, n] of Object.entries(r.errorCodes)) all[code] = (all[code] ?? 0) + n;
  return codesText(all);
}

/** `Deadlock found … (insert into cmp_offset_applications) × 6`: the logged errors, grouped. */
function summarizeErrors(errors: string[]): string {
  const groups = new Map<string, number>();
  for (const e of errors) {
    const first = e.split('\n')[0]!;
    const sql = /^(?:\w*Error: )?(insert into|update|delete from|select .*? from) `?(\w+)`?/i.exec(first);
    const message = first.includes(' - ') ? first.slice(first.lastIndexOf(' - ') + 3) : first.slice(0, 160);
    const key = sql ? `${message} (${sql[1]!.split(' ')[0]!.toLowerCase()} ${sql[2]})` : message;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => `${k} × ${n}`).join('; ');
}

/** The errors the plugin server logged (500s: its apiErrorMiddleware's log), at most 20. */
function askErrors(s: Server): Promise<string[]> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || !s.child.connected) return resolve([]);
    const timer = setTimeout(() => {
      s.child.off('message', onMessage);
      resolve([]);
    }, 2000);
    const onMessage = (m: { type?: string; errors?: string[] }) => {
      if (m?.type !== 'errors') return;
      clearTimeout(timer);
      s.child.off('message', onMessage);
      resolve(m.errors ?? []);
    };
    s.child.on('message', onMessage);
    s.child.send({ type: 'errors' });
  });
}

function notMeasured(what: string, fig: string, base: string, broken: Map<string, string>, goal: string): Figure {
  const why = [broken.get(fig) ? `${fig}: ${broken.get(fig)}` : '', broken.get(base) ? `${base}: ${broken.get(base)}` : ''].filter(Boolean).join('; ');
  return {
    what,
    figure: fig,
    baseline: base,
    figureValue: NaN,
    baselineValue: NaN,
    unit: '',
    ratio: NaN,
    ratioText: 'not measured',
    goal,
    met: false,
    gap: `not measured: ${why || 'no runs'}`,
    notMeasured: true,
  };
}

/** '' when `dir` holds no full results for `date` yet, else the first free '-b', '-c', … */
function freeSuffix(dir: string, date: string): string {
  for (const suffix of ['', ...'bcdefghijklmnopqrstuvwxyz'.split('').map((c) => `-${c}`)]) {
    if (!existsSync(join(dir, `${date}${suffix}.json`)) && !existsSync(join(dir, `${date}${suffix}.md`))) return suffix;
  }
  throw new Error(`bench: ${dir} already holds 26 full results for ${date}`);
}

/** The last complete calendar month in Asia/Shanghai, as a UTC range. */
function lastMonthRange(now: Date): { from: string; to: string; label: string } {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - SHANGHAI_OFFSET_MS;
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - SHANGHAI_OFFSET_MS;
  return { from: toDbTime(new Date(start)), to: toDbTime(new Date(end)), label: new Date(start + SHANGHAI_OFFSET_MS + DAY).toISOString().slice(0, 7) };
}

interface ReportCounts {
  /** COUNT(*) of the month's received_at range. */
  count: number;
  /** Complaints in buildReport's answer (complaints + cancelled), every community and one. */
  reportAll: number;
  reportCommunity: number;
}

/**
 * Median time (ms) over `repeat` calls of: the report page's buildReport for the month, for every
 * community and for one, and the baseline COUNT(*) over the same received_at range (the report's own
 * period, so both read the same rows).
 */
async function reportTimes(
  db: Knex,
  ctx: PluginContext,
  month: { label: string },
  community: string,
  repeat: number,
): Promise<{ times: Record<string, number>; counts: ReportCounts }> {
  const [y, m] = month.label.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const query = { from: `${month.label}-01`, to: `${month.label}-${String(lastDay).padStart(2, '0')}`, actor: REPORT_READER };
  const all = await buildReport(ctx, { ...query, communityId: null });
  const one = await buildReport(ctx, { ...query, communityId: community });
  const countSql = `SELECT COUNT(*) AS n FROM ${T.complaints} WHERE received_at >= ? AND received_at < ?`;
  const range = [toDbTime(all.period.start), toDbTime(all.period.end)];
  const countOf = async () => {
    const raw = (await db.raw(countSql, range)) as unknown;
    const rows = (isMysql(db) ? (raw as [Array<{ n: number }>])[0] : (raw as Array<{ n: number }>)) ?? [];
    return Number(rows[0]?.n ?? NaN);
  };
  const counts: ReportCounts = { count: await countOf(), reportAll: all.complaints + all.cancelled, reportCommunity: one.complaints + one.cancelled };
  const work: Record<string, () => Promise<unknown>> = {
    count: countOf,
    all: () => buildReport(ctx, { ...query, communityId: null }),
    community: () => buildReport(ctx, { ...query, communityId: community }),
  };
  const times: Record<string, number> = {};
  for (const [name, run] of Object.entries(work)) {
    const samples: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const s = performance.now();
      await run();
      samples.push(performance.now() - s);
    }
    times[name] = median(samples);
  }
  return { times, counts };
}

interface OffsetBooks {
  approvedFen: number;
  remainingFen: number;
  /** Every application ever made (reversed ones included). */
  appliedFen: number;
  reversedFen: number;
  applications: number;
  /** Bills it was applied to. */
  bills: number;
  /** approved = applied − reversed + remaining, and remaining ≥ 0. */
  consistent: boolean;
}

/** Each offset's books from its own rows. */
async function offsetAccounting(db: Knex, ids: number[]): Promise<Map<number, OffsetBooks>> {
  const offsets = (await db(T.offsets).select('id', 'approved_fen', 'remaining_fen').whereIn('id', ids)) as Array<{
    id: number;
    approved_fen: number;
    remaining_fen: number;
  }>;
  const sums = (await db(T.offsetApplications)
    .select('offset_id')
    .sum({ fen: 'amount_fen' })
    .select(db.raw("SUM(CASE WHEN state = 'reversed' THEN amount_fen ELSE 0 END) AS reversed"))
    .count({ n: '*' })
    .countDistinct({ bills: 'bill_id' })
    .whereIn('offset_id', ids)
    .groupBy('offset_id')) as Array<{ offset_id: number; fen: number | string; reversed: number | string; n: number | string; bills: number | string }>;
  const byId = new Map(sums.map((s) => [Number(s.offset_id), { fen: Number(s.fen), reversed: Number(s.reversed), n: Number(s.n), bills: Number(s.bills) }]));
  return new Map(
    offsets.map((o) => {
      const applied = byId.get(Number(o.id)) ?? { fen: 0, reversed: 0, n: 0, bills: 0 };
      const approvedFen = Number(o.approved_fen);
      const remainingFen = Number(o.remaining_fen);
      return [
        Number(o.id),
        {
          approvedFen,
          remainingFen,
          appliedFen: applied.fen,
          reversedFen: applied.reversed,
          applications: applied.n,
          bills: applied.bills,
          consistent: remainingFen >= 0 && approvedFen === applied.fen - applied.reversed + remainingFen,
        },
      ];
    }),
  );
}

/** This run's fixture bills that took applications, and any whose applications add up to more than its amount. */
async function fixtureBillAccounting(
  db: Knex,
  prefix: string,
): Promise<{ used: number; overCovered: Array<{ billId: string; amountFen: number; appliedFen: number }> }> {
  const rows = (await db(`${T.offsetApplications} as a`)
    .join('erp_fee_bill as b', 'b.bill_id', 'a.bill_id')
    .select('a.bill_id', 'b.amount_due')
    .sum({ fen: 'a.amount_fen' })
    .where('a.bill_id', 'like', `${prefix}%`)
    .where('a.state', 'applied')
    .groupBy('a.bill_id', 'b.amount_due')) as Array<{ bill_id: string; amount_due: string | number; fen: string | number }>;
  const overCovered = rows
    .map((r) => ({ billId: r.bill_id, amountFen: Math.round(Number(r.amount_due) * 100), appliedFen: Number(r.fen) }))
    .filter((b) => b.appliedFen > b.amountFen);
  return { used: rows.length, overCovered };
}

function markdown(r: {
  date: string;
  profile: string;
  machine: {
    cores: number;
    cpu: string | null;
    node: string;
    mariadb: string | null;
    innodbBufferPoolMb: number | null;
    sqlite: string;
    loadAverage?: number[];
  };
  database: Record<string, unknown>;
  settings: { connections: number; secondsPerRun: number; rounds: number; pool: number };
  seed: SeedInfo;
  figures: Figure[];
  notes: string[];
  failures: string[];
  seconds: number;
}): string {
  const lines: string[] = [];
  const c = r.seed.counts;
  lines.push(`# Benchmark ${r.date} (${r.profile})`);
  lines.push('');
  lines.push(
    `${r.machine.cores} cores (${r.machine.cpu ?? '?'}), Node ${r.machine.node}, MariaDB ${r.machine.mariadb ?? '— (not used)'}${r.machine.innodbBufferPoolMb ? ` (buffer pool ${fmt(r.machine.innodbBufferPoolMb)} MB)` : ''}, SQLite ${r.machine.sqlite}${r.machine.loadAverage ? `; load average ${r.machine.loadAverage.join(', ')} at the end (shared machine)` : ''}. ` +
      `Database: ${String(r.database.client)}. Data: ${fmt(c.erp_room ?? NaN)} units, ${fmt(c.erp_fee_bill ?? NaN)} bills, ${fmt(c[T.complaints] ?? NaN)} complaints, ${fmt(c[T.events] ?? NaN)} events, ${fmt(c[T.offsets] ?? NaN)} offsets. ` +
      `Load: autocannon, ${r.settings.connections} connections, ${r.settings.secondsPerRun} s per run, median of ${r.settings.rounds} runs; pool ${r.settings.pool} on both servers. Took ${fmt(r.seconds)} s.`,
  );
  lines.push('');
  lines.push('| what | figure | baseline (same run) | ratio | goal | met |');
  lines.push('|---|---|---|---|---|---|');
  for (const f of r.figures) {
    const v = (x: number) => (f.unit.includes('ms') || f.unit === 'MB' || f.unit.includes('µs') ? fmt(x, 1) : fmt(x));
    lines.push(
      `| ${f.what} | ${v(f.figureValue)} ${f.unit} | ${v(f.baselineValue)} ${f.unit} | ${f.ratioText} | ${f.goal} | ${f.met ? 'yes' : `**no**${f.gap ? `: ${f.gap}` : ''}`} |`,
    );
  }
  lines.push('');
  lines.push('Figures and baselines:');
  for (const f of r.figures) lines.push(`- ${f.what}: ${f.figure} vs ${f.baseline}${f.note ? ` (${f.note})` : ''}`);
  if (r.notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  if (r.failures.length) {
    lines.push('');
    lines.push('**Failures** (the run exited with 1):');
    for (const f of r.failures) lines.push(`- ${f}`);
  }
  lines.push('');
  return lines.join('\n');
}

// Exit explicitly: 1 when the run failed or crashed (a leftover pool or timer must not keep a crashed
// run alive), any server still running is ended first.
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  },
);

/**
 * The database server's pid when it runs on this machine (its pid file readable and the process there), so
 * each run can count its CPU per request beside the web server's; null for a remote database or SQLite.
 */
async function localDatabasePid(db: Knex): Promise<number | null> {
  if (!isMysql(db)) return null;
  try {
    const [rows] = (await db.raw('SELECT @@pid_file AS f')) as [Array<{ f: string | null }>];
    const file = rows[0]?.f;
    if (!file || !existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && readCpuMs(pid) !== null ? pid : null;
  } catch {
    return null;
  }
}

/** Median CPU per answer of each route's runs: its web server's, and the database server's when local. */
function cpuMarkdown(runs: Record<string, Array<{ cpuMsPerRequest: number; dbCpuMsPerRequest: number | null }>>, withDb: boolean): string {
  const cell = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
  const parts = Object.entries(runs).map(([id, list]) => {
    const web = median(list.map((r) => r.cpuMsPerRequest));
    const dbValues = list.map((r) => r.dbCpuMsPerRequest).filter((v): v is number => v !== null);
    return withDb && dbValues.length ? `${id} ${cell(web)} + ${cell(median(dbValues))}` : `${id} ${cell(web)}`;
  });
  return withDb
    ? `CPU per answer, ms (medians; web server + database server, the database's including whatever else it served meanwhile): ${parts.join(', ')}.`
    : `Web server CPU per answer, ms (medians): ${parts.join(', ')}.`;
}

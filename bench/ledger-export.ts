// The ledger export's memory with 100,000 complaints (issue 19): seeds a SQLite database (the simpleHost
// fixture, the plugin installed, 100,000 complaint rows written directly in our column format, with an
// offset request and a follow-up on every tenth), then exports the whole ledger as XLSX (and CSV) in a
// child process of its own, so the peak resident set measured (VmHWM, and VmRSS sampled every 50 ms) is
// the export's and not the seeding's. Prints the figures and exits 1 when the peak is above the goal.
//
//   npx tsx bench/ledger-export.ts [--rows 100000] [--goal-mb 250] [--keep] [--db FILE] [--only xlsx|csv]
//
// --keep leaves the seeded database (its path is printed); --db exports from such a file instead of
// seeding again (its row count is whatever it holds); --only runs one of the two formats.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import knexFactory, { type Knex } from 'knex';
import { createComplaintsPlugin } from '../src/plugin/createPlugin.js';
import { inProcessAuth } from '../src/auth/adapter.js';
import { validateMapping } from '../src/host/mapping.js';
import { ledgerCsvStream, writeLedgerXlsx } from '../src/reports/ledger.js';
import { toDbTime } from '../src/db/time.js';
import { simpleHost } from '../test/fixtures/hosts.js';
import type { Actor } from '../src/auth/actor.js';

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROWS = Number(opt('rows', '100000'));
const GOAL_MB = Number(opt('goal-mb', '250'));
/**
 * The export child's V8 old-space cap (MB): an export whose memory grew with its rows (100,000 rows are
 * some 200 MB as objects) would die of it, so finishing under the cap shows the memory is bounded; the
 * peak RSS says what the process really took.
 */
const HEAP_CAP_MB = Number(opt('heap-cap-mb', '128'));
const manager: Actor = { id: 'bench-manager', name: '经理', roles: ['manager'], communityIds: null };

function open(file: string): Knex {
  return knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
}

function plugin(db: Knex) {
  return createComplaintsPlugin({ knex: db, mapping: validateMapping(simpleHost.mapping), auth: inProcessAuth(() => manager) });
}

async function seed(file: string): Promise<void> {
  const db = open(file);
  await simpleHost.create(db);
  const p = plugin(db);
  await p.install();
  const received = new Date('2026-11-01T01:00:00Z');
  const template = (i: number) => {
    const at = toDbTime(new Date(received.getTime() + i * 20_000));
    const closed = i % 3 === 0;
    return {
      code: `TS-20261101-${String(i).padStart(6, '0')}`,
      version: 3,
      state: closed ? 'closed' : 'processing',
      unit_id: 101 + (i % 3),
      unit_label: `${1 + (i % 30)}号楼${100 + (i % 400)}`,
      owner_id: 1,
      owner_name: '张伟',
      community_id: 1,
      complainant_name: i % 7 === 0 ? '=HYPERLINK("x")' : '张伟',
      complainant_phone: `138${String(i).padStart(8, '0')}`,
      complainant_relation: 'owner',
      channel: 'phone',
      category: i % 5 === 0 ? 'building_quality' : 'facilities',
      description: '3号楼电梯本周第三次停运，老人被困二十分钟，要求尽快修复并书面说明原因以及后续的维保安排',
      expectation: '尽快修好并给个说法',
      threatened_withholding: i % 11 === 0 ? 1 : 0,
      received_at: at,
      received_by: 'bench',
      received_by_name: '前台',
      dispute_type: 'property',
      nature: 'valid',
      severity: 'important',
      findings: '现场核实属实，曳引机制动器磨损',
      department: 'engineering',
      assignee_id: 'eng-7',
      assignee_name: '工程部刘师傅',
      plan_measures: '更换曳引机制动器并全面检修',
      plan_deadline: at,
      resolution_reply: closed ? '电梯已修复并通过检测' : null,
      resolution_basis: closed ? '维保单位检测报告 WB-2026-118' : null,
      resolved_at: closed ? at : null,
      closed_at: closed ? at : null,
      original_received_at: at,
      reply_due_at: at,
      due_at: closed ? null : at,
      created_at: at,
      created_by: 'bench',
      updated_at: at,
      updated_by: 'bench',
      updated_by_name: '前台',
    };
  };
  const started = Date.now();
  for (let from = 0; from < ROWS; from += 1000) {
    await db.transaction(async (trx) => {
      const rows = Array.from({ length: Math.min(1000, ROWS - from) }, (_, k) => template(from + k));
      await trx.batchInsert('cmp_complaints', rows, 200);
      const ids = (await trx('cmp_complaints').where('code', '>=', rows[0]!.code).orderBy('id').limit(rows.length).select('id')) as Array<{ id: number }>;
      const tenth = ids.filter((_, k) => (from + k) % 10 === 0);
      const now = toDbTime(new Date());
      if (tenth.length) {
        await trx.batchInsert(
          'cmp_offsets',
          tenth.map(({ id }) => ({
            complaint_id: id,
            unit_id: 101,
            owner_id: 1,
            requested_fen: 12050,
            remaining_fen: 0,
            status: 'requested',
            reason: '漏水损失',
            requested_by: 'bench',
            requested_by_name: '前台',
            created_at: now,
            updated_at: now,
          })),
          200,
        );
        await trx.batchInsert(
          'cmp_follow_ups',
          tenth.map(({ id }) => ({
            complaint_id: id,
            method: 'phone',
            visitor_id: 'bench',
            visitor_name: '主管',
            visited_at: now,
            satisfied: 1,
            created_at: now,
          })),
          200,
        );
      }
    });
  }
  console.log(`seeded ${ROWS} complaints in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await db.destroy();
}

function vm(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Runs in the child: one export, its peak memory as JSON on stdout. */
async function exportOnce(file: string, format: 'xlsx' | 'csv'): Promise<void> {
  const db = open(file);
  const p = plugin(db);
  const baseline = vm('VmRSS');
  let peak = baseline;
  let heapPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, vm('VmRSS'));
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed / 1048576);
  }, 50);
  const started = Date.now();
  const ledger = await p.complaints.ledger({ sort: '-receivedAt' }, manager);
  const x = { locale: 'zh-CN' as const, settings: ledger.settings, communityNames: ledger.communityNames };
  const target = join(tmpdir(), `ledger-bench-${process.pid}.${format}`);
  const out = createWriteStream(target);
  let rows = 0;
  const counted = (async function* () {
    for await (const batch of ledger.batches) {
      rows += batch.length;
      yield batch;
    }
  })();
  if (format === 'xlsx') await writeLedgerXlsx(counted, x, out);
  else ledgerCsvStream(counted, x).pipe(out);
  await finished(out);
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const size = statSync(target).size;
  rmSync(target);
  await db.destroy();
  process.stdout.write(
    JSON.stringify({
      format,
      rows,
      seconds,
      bytes: size,
      baselineMb: baseline,
      heapPeakMb: heapPeak,
      sampledPeakMb: Math.max(peak, vm('VmRSS')),
      hwmMb: vm('VmHWM'),
    }) + '\n',
  );
}

function child(file: string, format: 'xlsx' | 'csv'): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, ...process.execArgv, SELF, '--child', file, format], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number | string>) : reject(new Error(`export child exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const c = args.indexOf('--child');
  if (c >= 0) return exportOnce(args[c + 1]!, args[c + 2] as 'xlsx' | 'csv');
  const given = opt('db', '');
  const file = given || join(tmpdir(), `ledger-bench-${Date.now()}.sqlite`);
  const only = opt('only', '');
  try {
    if (!given) await seed(file);
    if (!given && args.includes('--keep')) console.log(`seeded database kept at ${file}`);
    let over = false;
    for (const format of (['xlsx', 'csv'] as const).filter((f) => !only || f === only)) {
      const r = await child(file, format);
      const peak = Math.max(Number(r.sampledPeakMb), Number(r.hwmMb));
      over ||= peak > GOAL_MB;
      console.log(
        `${format.toUpperCase()} ledger: ${r.rows} rows in ${Number(r.seconds).toFixed(1)} s, ${(Number(r.bytes) / 1048576).toFixed(1)} MB file; ` +
          `peak RSS ${peak.toFixed(0)} MB (process at start ${Number(r.baselineMb).toFixed(0)} MB; goal ≤ ${GOAL_MB} MB), ` +
          `peak JS heap ${Number(r.heapPeakMb).toFixed(0)} MB under a ${HEAP_CAP_MB} MB old-space cap`,
      );
    }
    if (over) process.exitCode = 1;
  } finally {
    if (!given && !args.includes('--keep')) rmSync(file, { force: true });
  }
}

await main();

// Seeds the benchmark database: a host ERP at scale (the demo ERP's schema: 20 communities, units with
// one or two owners, a year of monthly bills), the plugin installed through the normal installer, then
// two years of complaints across every state, category and severity with their audit events and
// follow-up visits, and offsets (requested, approved with remaining, used up, rejected, revoked,
// expired) with their applications, bill limits and events. Rows are written directly in our tables'
// column format (see migrations/ and src/complaints/repository.ts), in multi-row INSERTs of up to 1,000
// rows, one transaction per batch.
//
//   npx tsx bench/seed.ts                 full profile into mysql://root@127.0.0.1:3306/cmp_bench
//   npx tsx bench/seed.ts --quick         2,000 units, 20,000 complaints (cmp_bench_quick)
//   npx tsx bench/seed.ts --sqlite /tmp/cmp-bench.sqlite [--quick]
//   … --reseed                            drop the bench database and seed again
//
// A marker table (bench_seed) records what was seeded; a later run with the same profile skips the work.
// Never point this at real data: it drops the database it seeds when asked to reseed.
import knexFactory, { type Knex } from 'knex';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import mysql from 'mysql2/promise';
import { isMysql, knexConfig, parseDbUrl } from '../src/db/connection.js';
import { tableNames } from '../src/db/tables.js';
import { install } from '../src/install/installer.js';
import { loadMappingFile } from '../src/host/mapping.js';
import { defaultSettings } from '../src/settings/settings.js';
import { paramsHash } from '../src/offsets/apply.js';
import { COMMUNITY_NAMES, createHostSchema } from './lib/hostErp.js';
import { DAY, HOUR, MARKER_TABLE, parseArgs, prng, shanghaiDate, shanghaiDayKey, unitCount, utc, type BenchOptions, type Profile } from './lib/common.js';
import { rebuildReportFacts } from '../src/reports/summaryStore.js';
import { rebuildReportRollup } from '../src/reports/rollupStore.js';

const T = tableNames('cmp_');
/** The demo ERP's mapping, reused as is: our host schema is the demo's, scaled up. */
export const MAPPING_FILE = fileURLToPath(new URL('../src/demo/demo-mapping.json', import.meta.url));

export interface SeedInfo {
  profile: string;
  /** The seed's "now" (UTC ISO): complaints end here. */
  now: string;
  seededAt: string;
  seconds: number;
  counts: Record<string, number>;
}

type Row = Record<string, unknown>;

// ----- connection ------------------------------------------------------------------------------------

/** One connection (bulk loading is sequential), with checks that only slow a bulk load turned off. */
function seedDb(url: string): Knex {
  const config = knexConfig(parseDbUrl(url), { poolMax: 1 });
  const pool = config.pool as Knex.PoolConfig & { afterCreate: (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void };
  const inner = pool.afterCreate;
  const mysqlClient = config.client === 'mysql2';
  return knexFactory({
    ...config,
    pool: {
      ...pool,
      max: 1,
      afterCreate: (
        conn: { query?: (sql: string, cb: (err: Error | null) => void) => void; pragma?: (sql: string) => unknown },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        inner(conn, (err) => {
          if (err) return done(err, conn);
          if (mysqlClient) {
            // Session-only: the generator writes unique codes and valid references itself.
            conn.query!('SET SESSION foreign_key_checks = 0, unique_checks = 0', (e) => done(e, conn));
          } else {
            try {
              conn.pragma!('synchronous = OFF');
              done(null, conn);
            } catch (e) {
              done(e as Error, conn);
            }
          }
        });
      },
    },
  });
}

/** Creates the MySQL database if missing; with `drop`, drops it first. */
async function prepareMysqlDatabase(url: string, drop: boolean): Promise<void> {
  const target = parseDbUrl(url).mysql!;
  const conn = await mysql.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password });
  try {
    const name = target.database.replace(/`/g, '``');
    if (drop) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

async function listTables(db: Knex): Promise<string[]> {
  if (isMysql(db)) {
    const [rows] = (await db.raw('SHOW TABLES')) as [Array<Record<string, string>>];
    return rows.map((r) => Object.values(r)[0]!);
  }
  const rows = (await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

export async function readMarker(db: Knex, profile: string): Promise<SeedInfo | null> {
  if (!(await db.schema.hasTable(MARKER_TABLE))) return null;
  const row = (await db(MARKER_TABLE).where({ profile, finished: 1 }).first()) as { info: string } | undefined;
  return row ? (JSON.parse(row.info) as SeedInfo) : null;
}

// ----- batched writer ------------------------------------------------------------------------------

/**
 * Buffers rows per table; flush() writes them in one transaction as multi-row INSERTs (1,000 rows on
 * MySQL; on SQLite at most 500, the compound-SELECT limit, and fewer when a row has many columns, to stay under the 32,766 bound parameters). The
 * next batch is generated while the previous one is being written.
 */
class BatchWriter {
  private buffers = new Map<string, Row[]>();
  private pending: Promise<void> = Promise.resolve();
  written = 0;
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly db: Knex,
    private readonly order: string[],
  ) {}

  add(table: string, row: Row): void {
    let b = this.buffers.get(table);
    if (!b) this.buffers.set(table, (b = []));
    b.push(row);
  }

  size(table: string): number {
    return this.buffers.get(table)?.length ?? 0;
  }

  private rowsPerStatement(row: Row): number {
    if (isMysql(this.db)) return 1000;
    // knex writes a SQLite multi-row INSERT as a compound SELECT, limited to 500 terms.
    return Math.max(1, Math.min(500, Math.floor(32000 / Object.keys(row).length)));
  }

  async flush(): Promise<void> {
    const batch = this.buffers;
    this.buffers = new Map();
    const previous = this.pending;
    this.pending = (async () => {
      await previous;
      await this.db.transaction(async (trx) => {
        for (const table of this.order) {
          const rows = batch.get(table);
          if (!rows?.length) continue;
          const n = this.rowsPerStatement(rows[0]!);
          for (let i = 0; i < rows.length; i += n) await trx(table).insert(rows.slice(i, i + n));
        }
      });
      for (const [table, rows] of batch) {
        this.written += rows.length;
        this.counts[table] = (this.counts[table] ?? 0) + rows.length;
      }
    })();
    // Keep at most one batch in flight; surface its error at the next flush or at done().
    await previous;
  }

  async done(): Promise<void> {
    await this.flush();
    await this.pending;
  }
}

function progressBar(label: string, total: number, started: number, writer: { written: number }): { update(v: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(11)} [{bar}] {percentage}% | {value}/{total} | {rows} rows | {rate} rows/s | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const base = writer.written;
  bar.start(total, 0, { rows: 0, rate: 0 });
  return {
    update(v: number) {
      const rows = writer.written - base;
      const secs = (Date.now() - started) / 1000;
      bar.update(v, { rows, rate: secs > 0 ? Math.round(rows / secs) : 0 });
    },
    stop() {
      this.update(total);
      bar.stop();
    },
  };
}

// ----- the host ERP ----------------------------------------------------------------------------------

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split(
    '',
  );
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍建红梅鑫波斌宇浩凯俊帆晨阳欣怡涵萱远桐琪'.split('');

/** What the complaint generator needs to know of the host, kept in compact arrays. */
interface HostModel {
  units: number;
  roomIds: string[];
  labels: string[];
  communityOf: Int32Array;
  /** Monthly fee of each unit in fen. */
  billFen: Int32Array;
  /** Index of the unit's first active owner (the bills' payer). */
  firstOwner: Int32Array;
  ownerIds: string[];
  ownerNames: string[];
  ownerPhones: string[];
  months: string[];
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function monthsEndingBefore(nowMs: number, count: number): string[] {
  const now = new Date(nowMs + 8 * HOUR);
  const out: string[] = [];
  for (let i = count; i >= 1; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}`);
  }
  return out;
}

async function seedHost(db: Knex, p: Profile, nowMs: number): Promise<{ model: HostModel; counts: Record<string, number> }> {
  const rand = prng(20261128);
  const name = () =>
    SURNAMES[Math.floor(rand() * SURNAMES.length)]! +
    GIVEN[Math.floor(rand() * GIVEN.length)]! +
    (rand() < 0.6 ? GIVEN[Math.floor(rand() * GIVEN.length)]! : '');
  const phone = () => `1${'3456789'[Math.floor(rand() * 7)]}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`;
  const units = unitCount(p);
  const model: HostModel = {
    units,
    roomIds: new Array<string>(units),
    labels: new Array<string>(units),
    communityOf: new Int32Array(units),
    billFen: new Int32Array(units),
    firstOwner: new Int32Array(units),
    ownerIds: [],
    ownerNames: [],
    ownerPhones: [],
    months: monthsEndingBefore(nowMs, p.months),
  };
  await createHostSchema(db);
  const writer = new BatchWriter(db, ['erp_community', 'erp_building', 'erp_owner', 'erp_room', 'erp_room_owner', 'erp_fee_bill']);
  const started = Date.now();
  const bar = progressBar('host ERP', units, started, writer);
  let u = 0;
  for (let c = 1; c <= p.communities; c++) {
    const cname = COMMUNITY_NAMES[(c - 1) % COMMUNITY_NAMES.length]! + (c > COMMUNITY_NAMES.length ? String(Math.ceil(c / COMMUNITY_NAMES.length)) : '');
    writer.add('erp_community', { community_id: c, community_name: cname, address: `${cname}路${80 + c}号` });
    for (let b = 1; b <= p.buildingsPerCommunity; b++) {
      const buildingId = c * 1000 + b;
      writer.add('erp_building', { building_id: buildingId, community_id: c, building_name: `${b}栋` });
      for (let f = 1; f <= p.floors; f++) {
        for (let r = 1; r <= p.roomsPerFloor; r++) {
          const roomId = `R${pad2(c)}${pad2(b)}${pad2(f)}${pad2(r)}`;
          const label = `${cname}${b}栋${f}${pad2(r)}室`;
          const areaCents = 7000 + Math.floor(rand() * 8000);
          const fen = Math.round(areaCents * 2.8);
          model.roomIds[u] = roomId;
          model.labels[u] = label;
          model.communityOf[u] = c;
          model.billFen[u] = fen;
          writer.add('erp_room', {
            room_id: roomId,
            community_id: c,
            building_id: buildingId,
            room_label: label,
            area_m2: (areaCents / 100).toFixed(2),
            is_deleted: 0,
          });
          const ownerCount = rand() < 0.2 ? 2 : 1;
          for (let o = 0; o < ownerCount; o++) {
            const idx = model.ownerIds.length;
            const ownerId = `OW${String(idx + 1).padStart(7, '0')}`;
            model.ownerIds.push(ownerId);
            model.ownerNames.push(name());
            model.ownerPhones.push(phone());
            if (o === 0) model.firstOwner[u] = idx;
            writer.add('erp_owner', { owner_id: ownerId, owner_name: model.ownerNames[idx], mobile: model.ownerPhones[idx], is_deleted: 0 });
            writer.add('erp_room_owner', { room_id: roomId, owner_id: ownerId, status: 'active' });
          }
          if (rand() < 0.05) {
            // A former owner who sold the flat: the ERP keeps the relation, ended, and the owner soft-deleted.
            const idx = model.ownerIds.length;
            const ownerId = `OW${String(idx + 1).padStart(7, '0')}`;
            model.ownerIds.push(ownerId);
            model.ownerNames.push(name());
            model.ownerPhones.push(phone());
            writer.add('erp_owner', { owner_id: ownerId, owner_name: model.ownerNames[idx], mobile: model.ownerPhones[idx], is_deleted: 1 });
            writer.add('erp_room_owner', { room_id: roomId, owner_id: ownerId, status: 'ended' });
          }
          const payer = model.ownerIds[model.firstOwner[u]!];
          model.months.forEach((month, mi) => {
            const recent = mi >= model.months.length - 2;
            const state = recent ? (rand() < 0.6 ? 'unpaid' : 'paid') : rand() < 0.04 ? 'unpaid' : 'paid';
            writer.add('erp_fee_bill', {
              bill_id: `B${month.replace('-', '')}${roomId}`,
              room_id: roomId,
              payer_owner_id: payer,
              fee_month: month,
              amount_due: (fen / 100).toFixed(2),
              pay_state: state,
            });
          });
          u++;
          if (writer.size('erp_fee_bill') >= 1000) {
            await writer.flush();
            bar.update(u);
          }
        }
      }
    }
  }
  await writer.done();
  bar.stop();
  return { model, counts: writer.counts };
}

// ----- complaints ----------------------------------------------------------------------------------

const CATEGORY_TEXT: Record<string, string[]> = {
  service_attitude: ['前台客服接待态度生硬，问题没说完就挂电话', '保安说话不客气，业主要求道歉', '管家微信消息多日不回'],
  timeliness: ['报修三天无人上门', '电梯停运两天仍未修复', '投诉一周没有任何回复'],
  service_quality: ['维修后水管仍然漏水', '楼道灯换了又坏', '门禁卡补办后仍不能使用'],
  fees: ['物业费账单金额与合同不符', '公摊电费突然上涨，要求公示明细', '停车费重复收取'],
  community_culture: ['中秋活动通知太晚，老人没报上名', '小区广场舞噪音影响休息', '儿童游乐区活动安排不合理'],
  facilities: ['电梯异响，乘坐时有明显晃动', '单元门禁损坏，陌生人随意进出', '地下室排水泵故障，雨天积水', '楼顶水箱漏水渗到顶楼'],
  security: ['夜间巡逻不到位，电动车被盗', '外卖员随意进入楼栋', '监控摄像头长期不亮'],
  cleaning_greening: ['垃圾桶满了两天没清运', '楼道长期没有打扫，有异味', '绿化带杂草丛生，蚊虫多'],
  renovation: ['楼上装修周末一早就开始电钻', '装修垃圾堆放在楼道', '邻居装修破坏了承重墙，要求物业制止'],
  parking: ['车位被外来车辆长期占用', '地库出入口道闸经常抬不起来', '消防通道有车辆违停'],
  neighbour: ['楼上漏水到我家卫生间，邻居不处理', '邻居在公共走廊堆放杂物', '隔壁空调外机噪音大'],
  pets: ['邻居狗不拴绳，吓到小孩', '楼道里有宠物粪便没人清理', '楼上养狗夜间吠叫'],
  other: ['快递柜经常满，包裹放在门口丢失', '小区公告栏信息过时', '业主群里有人发广告'],
};
const PLACES = ['1单元', '2单元', '地下车库', '东门', '西门', '楼道', '电梯厅', '中心花园', '顶楼', '架空层'];
const EXPECTATIONS = ['尽快处理并回复', '要求书面答复', '要求赔偿损失', '希望物业加强管理', null, null];
const REPLIES = [
  '已安排维修人员上门处理完毕，业主确认',
  '已与相关责任人沟通并整改',
  '已向业主解释收费依据并出示合同条款',
  '已联系第三方单位协调处理',
  '已加强巡查并安排专人跟进',
];
const FINDINGS = ['现场核实情况属实', '经查为设备老化所致', '经查与业主描述基本一致', '属于第三方责任，已说明'];
const MEASURES = ['更换损坏部件并复查', '安排专项清洁与巡查', '约谈责任人并整改', '协调施工方返工'];

interface Staff {
  id: string;
  name: string;
}

function staffList(prefix: string, count: number, title: string, rand: () => number): Staff[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${pad2(i + 1)}`,
    name: `${title} ${SURNAMES[Math.floor(rand() * SURNAMES.length)]}${GIVEN[Math.floor(rand() * GIVEN.length)]}`,
  }));
}

type State = 'received' | 'investigating' | 'processing' | 'resolved' | 'closed' | 'closed_unsatisfied' | 'cancelled';

/** The final state wanted for a complaint of this age; older complaints are mostly closed. */
function targetState(ageDays: number, r: number): State {
  const table: Array<[State, number]> =
    ageDays > 30
      ? [
          ['closed', 0.83],
          ['closed_unsatisfied', 0.05],
          ['cancelled', 0.05],
          ['resolved', 0.03],
          ['processing', 0.02],
          ['investigating', 0.01],
          ['received', 0.01],
        ]
      : ageDays > 7
        ? [
            ['closed', 0.45],
            ['closed_unsatisfied', 0.03],
            ['cancelled', 0.05],
            ['resolved', 0.2],
            ['processing', 0.17],
            ['investigating', 0.05],
            ['received', 0.05],
          ]
        : [
            ['received', 0.3],
            ['investigating', 0.25],
            ['processing', 0.2],
            ['resolved', 0.15],
            ['cancelled', 0.05],
            ['closed', 0.05],
          ];
  let acc = 0;
  for (const [s, w] of table) {
    acc += w;
    if (r < acc) return s;
  }
  return table[0]![0];
}

interface EligibleComplaint {
  id: number;
  unit: number;
  ownerIdx: number;
  receivedMs: number;
}

interface ComplaintGen {
  nowMs: number;
  settings: ReturnType<typeof defaultSettings>;
  host: HostModel;
  rand: () => number;
  counter: Staff[];
  engineers: Staff[];
  supervisors: Staff[];
  codes: Map<string, number>;
  lastOfUnit: Map<number, { id: number; category: string; at: number }>;
  eligible: EligibleComplaint[];
  writer: BatchWriter;
}

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const between = (rand: () => number, lo: number, hi: number) => lo + rand() * (hi - lo);

function nextCodeFor(g: ComplaintGen, ms: number): string {
  const day = shanghaiDayKey(ms);
  const seq = (g.codes.get(day) ?? 0) + 1;
  g.codes.set(day, seq);
  return `TS-${day}-${String(seq).padStart(4, '0')}`;
}

/**
 * Generates complaint `id` received at `receivedMs` and everything it leads to (events, follow-up, and
 * for an unsatisfied follow-up the continuation complaint, id + 1). Returns how many complaint ids it used.
 */
function generateComplaint(
  g: ComplaintGen,
  id: number,
  unit: number,
  receivedMs: number,
  parent: { id: number; code: string; category: string; originalMs: number; severity: string } | null,
): number {
  const { rand, settings, host } = g;
  const now = g.nowMs;
  const ownerIdx = host.firstOwner[unit]!;
  const last = g.lastOfUnit.get(unit);
  const repeat = !parent && last && receivedMs - last.at < settings.repeatWindowDays * DAY && rand() < 0.3 ? last : null;
  const categories = settings.categories.map((c) => c.code);
  const category = parent?.category ?? repeat?.category ?? pick(rand, categories);
  const nature = pick(rand, ['valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'help', 'inquiry', 'inquiry', 'venting'] as const);
  const communicative = nature !== 'valid';
  const nonProperty = rand() < 0.1;
  let severity: string = parent
    ? parent.severity === 'major'
      ? 'major'
      : 'important'
    : pick(rand, ['minor', 'minor', 'minor', 'minor', 'important', 'important', 'important', 'major'] as const);
  let target = targetState((now - receivedMs) / DAY, rand());
  if (parent && target === 'closed_unsatisfied') target = 'closed';
  if (target === 'processing' && communicative) target = 'investigating';

  const recorder = pick(rand, g.counter);
  const engineer = pick(rand, g.engineers);
  const supervisor = pick(rand, g.supervisors);
  const department = pick(rand, settings.departments).code;

  // The timeline of the path to the target; steps later than now are not taken.
  type Step = { action: string; at: number; actor: Staff; to: State; patch: Row; changes: Record<string, [unknown, unknown]>; note: string | null };
  const steps: Step[] = [];
  const startInv = receivedMs + between(rand, 0.5, 6) * HOUR;
  const assessAt = startInv + between(rand, 2, 48) * HOUR;
  const planAt = assessAt + between(rand, 1, 24) * HOUR;
  const planDeadline = Math.round((planAt + between(rand, 2, 10) * DAY) / HOUR) * HOUR;
  const resolveAt = communicative ? assessAt + between(rand, 1, 24) * HOUR : planAt + between(rand, 1, 8) * DAY;
  const followAt = resolveAt + between(rand, 4, 72) * HOUR;
  const thirdParty = nonProperty ? pick(rand, ['neighbour', 'developer', 'contractor', 'utility', 'government', 'other']) : null;

  if (target === 'cancelled') {
    const viaInvestigation = rand() < 0.5;
    if (viaInvestigation)
      steps.push({
        action: 'start-investigation',
        at: startInv,
        actor: supervisor,
        to: 'investigating',
        patch: { department, assignee_id: engineer.id, assignee_name: engineer.name },
        changes: { state: ['received', 'investigating'], assigneeId: [null, engineer.id] },
        note: null,
      });
    const kind = rand() < 0.6 ? 'duplicate' : 'registered_in_error';
    steps.push({
      action: 'cancel',
      at: (viaInvestigation ? startInv : receivedMs) + between(rand, 1, 48) * HOUR,
      actor: supervisor,
      to: 'cancelled',
      patch: { cancel_kind: kind, cancel_reason: kind === 'duplicate' ? '与已登记投诉重复' : '登记错误，业主并非投诉', cancelled_at: null },
      changes: { state: ['received', 'cancelled'], cancelKind: [null, kind] },
      note: null,
    });
  } else if (target !== 'received') {
    const order: State[] = ['investigating', 'processing', 'resolved', 'closed'];
    const depth = target === 'closed_unsatisfied' ? 4 : order.indexOf(target) + 1;
    const assessPatch = {
      dispute_type: nonProperty ? 'non_property' : 'property',
      third_party: thirdParty,
      responsibility_explained: nonProperty ? 1 : null,
      nature,
      severity,
      findings: pick(rand, FINDINGS),
    };
    const assessChanges: Record<string, [unknown, unknown]> = {
      nature: [null, nature],
      severity: [null, severity],
      disputeType: [null, assessPatch.dispute_type],
    };
    if (communicative) {
      // Answered straight after the assessment; no plan.
      steps.push({
        action: 'assess',
        at: assessAt,
        actor: supervisor,
        to: 'investigating',
        patch: assessPatch,
        changes: { state: ['received', 'investigating'], ...assessChanges },
        note: null,
      });
    } else {
      steps.push({
        action: 'start-investigation',
        at: startInv,
        actor: supervisor,
        to: 'investigating',
        patch: { department, assignee_id: engineer.id, assignee_name: engineer.name },
        changes: { state: ['received', 'investigating'], assigneeId: [null, engineer.id] },
        note: null,
      });
      if (depth >= 2) {
        steps.push({ action: 'assess', at: assessAt, actor: supervisor, to: 'investigating', patch: assessPatch, changes: assessChanges, note: null });
        steps.push({
          action: 'plan',
          at: planAt,
          actor: supervisor,
          to: 'processing',
          patch: { department, assignee_id: engineer.id, assignee_name: engineer.name, plan_measures: pick(rand, MEASURES), plan_deadline: utc(planDeadline) },
          changes: { state: ['investigating', 'processing'], planDeadline: [null, new Date(planDeadline).toISOString()] },
          note: null,
        });
      }
    }
    if (depth >= 2 && !communicative && rand() < 0.03 && severity !== 'major') {
      const escalateAt = planAt + between(rand, 1, 24) * HOUR;
      steps.push({
        action: 'escalate',
        at: escalateAt,
        actor: supervisor,
        to: 'processing',
        patch: { severity: 'major', escalated_at: utc(escalateAt), escalation_reason: '业主多次投诉未果，升级处理' },
        changes: { severity: [severity, 'major'] },
        note: null,
      });
      severity = 'major';
    }
    if (depth >= 3) {
      const followDue = resolveAt + settings.followUpHours * HOUR;
      steps.push({
        action: 'resolve',
        at: resolveAt,
        actor: engineer,
        to: 'resolved',
        patch: {
          resolution_reply: pick(rand, REPLIES),
          resolution_basis: '《物业服务合同》及相关管理规约',
          resolved_at: utc(resolveAt),
          resolved_by: engineer.id,
          follow_up_due_at: utc(followDue),
        },
        changes: { state: [communicative ? 'investigating' : 'processing', 'resolved'] },
        note: null,
      });
    }
    if (depth >= 4) {
      const satisfied = target !== 'closed_unsatisfied';
      steps.push({
        action: 'follow-up',
        at: followAt,
        actor: recorder,
        to: satisfied ? 'closed' : 'closed_unsatisfied',
        patch: { closed_at: utc(followAt) },
        changes: { state: ['resolved', satisfied ? 'closed' : 'closed_unsatisfied'] },
        note: satisfied ? '回访满意' : '回访不满意',
      });
    }
  }
  // Only what has happened by now.
  while (steps.length && steps[steps.length - 1]!.at > now - 60_000) steps.pop();
  // A continuation needs its follow-up in the past and room for one more id.
  const finalState: State = steps.length ? steps[steps.length - 1]!.to : 'received';

  const owner = { id: host.ownerIds[ownerIdx]!, name: host.ownerNames[ownerIdx]!, phone: host.ownerPhones[ownerIdx]! };
  const relation = parent ? 'owner' : rand() < 0.75 ? 'owner' : pick(rand, ['tenant', 'family', 'other']);
  const complainant =
    relation === 'owner'
      ? { name: owner.name, phone: owner.phone }
      : {
          name: `${pick(rand, SURNAMES)}${pick(rand, GIVEN)}${pick(rand, GIVEN)}`,
          phone: `1${pick(rand, ['3', '5', '7', '8', '9'])}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`,
        };
  const code = nextCodeFor(g, receivedMs);
  const text = parent
    ? `回访不满意：${parent.code} / Unsatisfied at follow-up of ${parent.code}`
    : `${pick(rand, PLACES)}${pick(rand, CATEGORY_TEXT[category] ?? CATEGORY_TEXT.other!)}`;

  const row: Row = {
    id,
    code,
    version: 1 + steps.length,
    state: finalState,
    unit_id: host.roomIds[unit],
    unit_label: host.labels[unit],
    owner_id: owner.id,
    owner_name: owner.name,
    community_id: host.communityOf[unit],
    complainant_name: complainant.name,
    complainant_phone: complainant.phone,
    complainant_relation: relation,
    channel: pick(rand, ['phone', 'phone', 'counter', 'counter', 'online', 'app', 'patrol', 'email', 'other']),
    category,
    description: text,
    expectation: pick(rand, EXPECTATIONS),
    threatened_withholding: rand() < 0.05 ? 1 : 0,
    received_at: utc(receivedMs),
    received_by: recorder.id,
    received_by_name: recorder.name,
    dispute_type: null,
    third_party: null,
    responsibility_explained: null,
    nature: null,
    // Set at intake for a third of the complaints; the assessment sets it for the rest.
    severity: parent || rand() < 0.33 ? severity : null,
    findings: null,
    department: null,
    assignee_id: null,
    assignee_name: null,
    plan_measures: null,
    plan_deadline: null,
    resolution_reply: null,
    resolution_basis: null,
    resolved_at: null,
    resolved_by: null,
    follow_up_due_at: null,
    closed_at: null,
    cancel_kind: null,
    cancel_reason: null,
    cancelled_at: null,
    parent_id: parent?.id ?? null,
    repeat_of_id: repeat?.id ?? null,
    escalated_at: null,
    escalation_reason: null,
    original_received_at: utc(parent?.originalMs ?? receivedMs),
    // The promise printed on the slip, stored at intake as the product stores it (deadlinesFor: no
    // deadline policies in the seeded settings, so receipt + replyPromiseHours on the calendar clock).
    reply_due_at: utc(receivedMs + settings.replyPromiseHours * HOUR),
    due_at: null,
    idempotency_key: null,
    idempotency_hash: null,
    created_at: utc(receivedMs),
    created_by: recorder.id,
    updated_at: utc(receivedMs),
    updated_by: recorder.id,
    updated_by_name: recorder.name,
  };
  const events: Row[] = [
    {
      entity_type: 'complaint',
      entity_id: id,
      complaint_id: id,
      action: 'create',
      from_state: null,
      to_state: 'received',
      actor_id: recorder.id,
      actor_name: recorder.name,
      at: utc(receivedMs),
      changes: repeat ? JSON.stringify({ repeatOfId: [null, repeat.id] }) : null,
      note: parent ? `回访不满意，延续 ${parent.code} / Continues ${parent.code} after an unsatisfied follow-up` : repeat ? `二次投诉 / Repeat` : null,
    },
  ];
  let state: State = 'received';
  for (const s of steps) {
    Object.assign(row, s.patch);
    if (s.action === 'cancel') row.cancelled_at = utc(s.at);
    events.push({
      entity_type: 'complaint',
      entity_id: id,
      complaint_id: id,
      action: s.action,
      from_state: state,
      to_state: s.to,
      actor_id: s.actor.id,
      actor_name: s.actor.name,
      at: utc(s.at),
      changes: JSON.stringify(s.changes),
      note: s.note,
    });
    state = s.to;
    row.updated_at = utc(s.at);
    row.updated_by = s.actor.id;
    row.updated_by_name = s.actor.name;
  }
  if (row.state === 'resolved' && row.severity === null) row.severity = 'minor';
  // due_at as stageDueAt (src/complaints/transitions.ts) keeps it.
  switch (finalState) {
    case 'received':
    case 'investigating':
      row.due_at = utc(receivedMs + settings.replyPromiseHours * HOUR);
      break;
    case 'processing':
      row.due_at = row.plan_deadline;
      break;
    case 'resolved':
      row.due_at = row.follow_up_due_at;
      break;
    default:
      row.due_at = null;
  }

  g.writer.add(T.complaints, row);
  for (const e of events) g.writer.add(T.events, e);
  g.lastOfUnit.set(unit, { id, category, at: receivedMs });
  if (['processing', 'resolved', 'closed', 'closed_unsatisfied'].includes(finalState) && row.nature === 'valid' && row.dispute_type === 'property') {
    g.eligible.push({ id, unit, ownerIdx, receivedMs });
  }

  let used = 1;
  if (finalState === 'closed' || finalState === 'closed_unsatisfied') {
    const satisfied = finalState === 'closed';
    const childId = satisfied ? null : id + 1;
    g.writer.add(T.followUps, {
      complaint_id: id,
      method: pick(rand, ['phone', 'phone', 'visit', 'sms', 'wechat']),
      visitor_id: recorder.id,
      visitor_name: recorder.name,
      visited_at: utc(followAt),
      satisfied: satisfied ? 1 : 0,
      complainant_words: satisfied ? (rand() < 0.5 ? '处理及时，满意' : null) : '问题没有根本解决',
      owner_rating: rand() < 0.4 ? (satisfied ? 4 + Math.floor(rand() * 2) : 1 + Math.floor(rand() * 2)) : null,
      note: null,
      continuation_id: childId,
      created_at: utc(followAt),
    });
    if (childId !== null) {
      used += generateComplaint(g, childId, unit, followAt, {
        id,
        code,
        category,
        originalMs: parent?.originalMs ?? receivedMs,
        severity: String(row.severity ?? 'important'),
      });
    }
  }
  return used;
}

async function seedComplaints(
  db: Knex,
  p: Profile,
  nowMs: number,
  host: HostModel,
): Promise<{ eligible: EligibleComplaint[]; counts: Record<string, number>; codes: Map<string, number> }> {
  const rand = prng(42);
  const writer = new BatchWriter(db, [T.complaints, T.followUps, T.events]);
  const g: ComplaintGen = {
    nowMs,
    settings: defaultSettings(),
    host,
    rand,
    counter: staffList('staff', 12, '前台', rand),
    engineers: staffList('eng', 50, '工程', rand),
    supervisors: staffList('sup', 6, '主管', rand),
    codes: new Map(),
    lastOfUnit: new Map(),
    eligible: [],
    writer,
  };
  const span = p.days * DAY;
  const start = nowMs - span;
  const started = Date.now();
  const bar = progressBar('complaints', p.complaints, started, writer);
  let id = 1;
  while (id <= p.complaints) {
    // Some units complain much more than others: a skewed draw, scattered over the estate.
    const raw = Math.floor(host.units * rand() * rand());
    const unit = (raw * 7919 + 13) % host.units;
    const receivedMs = start + Math.floor((span * (id - 1)) / p.complaints) + Math.floor(rand() * 600_000);
    id += generateComplaint(g, id, unit, receivedMs, null);
    if (writer.size(T.complaints) >= 1000) {
      await writer.flush();
      bar.update(Math.min(id - 1, p.complaints));
    }
  }
  await writer.done();
  bar.stop();
  return { eligible: g.eligible, counts: writer.counts, codes: g.codes };
}

// ----- offsets -------------------------------------------------------------------------------------

async function seedOffsets(db: Knex, p: Profile, nowMs: number, host: HostModel, eligible: EligibleComplaint[]): Promise<Record<string, number>> {
  const rand = prng(7);
  const writer = new BatchWriter(db, [T.offsets, T.offsetBills, T.offsetApplications, T.events]);
  // What offsets already took from each bill: the seed keeps the per-bill cap apply keeps (several
  // complaints of one unit may offset the same month's bill).
  const billTaken = new Map<string, number>();
  const staff = staffList('staff', 12, '前台', prng(1));
  const approvers = staffList('sup', 6, '主管', prng(2));
  const cashiers = staffList('cashier', 8, '收银员', prng(3));
  const today = shanghaiDate(nowMs);
  const started = Date.now();
  const bar = progressBar('offsets', p.offsets, started, writer);
  const count = Math.min(p.offsets, eligible.length);
  const stride = eligible.length / count;
  const ev = (
    offsetId: number,
    complaintId: number,
    action: string,
    from: string | null,
    to: string | null,
    actor: Staff,
    at: number,
    changes: Row | null,
    note: string | null,
  ) =>
    writer.add(T.events, {
      entity_type: 'offset',
      entity_id: offsetId,
      complaint_id: complaintId,
      action,
      from_state: from,
      to_state: to,
      actor_id: actor.id,
      actor_name: actor.name,
      at: utc(at),
      changes: changes ? JSON.stringify(changes) : null,
      note,
    });

  for (let i = 0; i < count; i++) {
    const c = eligible[Math.floor(i * stride + rand() * stride * 0.5) % eligible.length]!;
    const id = i + 1;
    const createdMs = Math.min(c.receivedMs + between(rand, 2, 20) * DAY, nowMs - between(rand, 1, 48) * HOUR);
    const ageDays = (nowMs - createdMs) / DAY;
    const requestedFen = 100 * (50 + Math.floor(rand() * 1950));
    const approvedFen = rand() < 0.7 ? requestedFen : Math.max(100, Math.round((requestedFen * between(rand, 0.5, 1)) / 100) * 100);
    const decidedMs = Math.min(createdMs + between(rand, 1, 72) * HOUR, nowMs - 60_000);
    const r = rand();
    let status: string;
    if (ageDays < 3) status = r < 0.6 ? 'requested' : r < 0.9 ? 'approved' : 'rejected';
    else if (ageDays < 40) status = r < 0.1 ? 'requested' : r < 0.6 ? 'approved' : r < 0.75 ? 'exhausted' : r < 0.92 ? 'rejected' : 'revoked';
    else status = r < 0.3 ? 'approved' : r < 0.5 ? 'exhausted' : r < 0.65 ? 'rejected' : r < 0.7 ? 'revoked' : 'expired';
    const requester = pick(rand, staff);
    const approver = pick(rand, approvers);
    const futureExpiry = rand() < 0.3 ? null : shanghaiDate(nowMs + between(rand, 30, 365) * DAY);
    const row: Row = {
      id,
      complaint_id: c.id,
      unit_id: host.roomIds[c.unit],
      owner_id: host.ownerIds[c.ownerIdx],
      requested_fen: requestedFen,
      approved_fen: null,
      remaining_fen: 0,
      status,
      reason: pick(rand, ['阳台漏水一个月未修复，家具受损', '电梯停运期间老人无法出行', '维修拖延造成损失', '停车位被占一个月']),
      expires_on: status === 'requested' ? futureExpiry : null,
      requested_by: requester.id,
      requested_by_name: requester.name,
      decided_by: null,
      decided_by_name: null,
      decided_at: null,
      decision_note: null,
      revoked_by: null,
      revoked_at: null,
      revoke_note: null,
      version: 1,
      created_at: utc(createdMs),
      updated_at: utc(createdMs),
    };
    ev(id, c.id, 'request', null, 'requested', requester, createdMs, { requested_fen: [null, requestedFen] }, String(row.reason));
    // Limited to the last two months' bills for a fifth of them.
    const limited = rand() < 0.2;
    const monthsUsable = limited ? host.months.slice(-2) : host.months;
    if (limited) for (const m of monthsUsable) writer.add(T.offsetBills, { offset_id: id, bill_id: `B${m.replace('-', '')}${host.roomIds[c.unit]}` });

    if (status !== 'requested') {
      const approved = status !== 'rejected';
      Object.assign(row, {
        decided_by: approver.id,
        decided_by_name: approver.name,
        decided_at: utc(decidedMs),
        decision_note: approved ? '情况属实，同意抵扣' : '不属于物业责任，驳回',
        version: 2,
        updated_at: utc(decidedMs),
      });
      ev(
        id,
        c.id,
        approved ? 'approve' : 'reject',
        'requested',
        approved ? 'approved' : 'rejected',
        approver,
        decidedMs,
        approved ? { approved_fen: [null, approvedFen], remaining_fen: [0, approvedFen] } : null,
        String(row.decision_note),
      );
      if (approved) {
        row.approved_fen = approvedFen;
        let remaining = approvedFen;
        let useTo = 0;
        if (status === 'exhausted') useTo = approvedFen;
        else if ((status === 'approved' && rand() < 0.5) || (status === 'expired' && rand() < 0.3))
          useTo = Math.max(100, Math.round((approvedFen * between(rand, 0.1, 0.9)) / 100) * 100);
        if (status === 'expired') row.expires_on = shanghaiDate(Math.max(decidedMs + 30 * DAY, nowMs - between(rand, 2, 200) * DAY));
        else if (status === 'exhausted') row.expires_on = rand() < 0.3 ? null : shanghaiDate(decidedMs + 180 * DAY);
        else row.expires_on = futureExpiry;
        // Applications, oldest first, each at most the bill; a few reversed right after.
        let at = decidedMs;
        let k = 0;
        let used = 0;
        const billFen = host.billFen[c.unit]!;
        // Full bills are passed over; when every usable month's bill is full, the rest stays unused.
        let fullInARow = 0;
        while (used < useTo && fullInARow < monthsUsable.length) {
          const month = monthsUsable[k % monthsUsable.length]!;
          const billId = `B${month.replace('-', '')}${host.roomIds[c.unit]}`;
          const room = billFen - (billTaken.get(billId) ?? 0);
          if (room <= 0) {
            k++;
            fullInARow++;
            continue;
          }
          fullInARow = 0;
          const amount = Math.min(useTo - used, room);
          at = Math.min(at + between(rand, 1, 20) * DAY, nowMs - 60_000);
          k++;
          const key = `PAY-${id}-${k}`;
          remaining -= amount;
          const reversed = rand() < 0.03;
          const cashier = pick(rand, cashiers);
          const reversedAt = Math.min(at + HOUR, nowMs - 1000);
          writer.add(T.offsetApplications, {
            offset_id: id,
            bill_id: billId,
            amount_fen: amount,
            idempotency_key: key,
            params_hash: paramsHash({ offsetId: id, billId, amountFen: amount, idempotencyKey: key }),
            state: reversed ? 'reversed' : 'applied',
            remaining_after_fen: remaining,
            applied_at: utc(at),
            applied_by: cashier.id,
            applied_by_name: cashier.name,
            reversal_key: reversed ? `VOID-${id}-${k}` : null,
            reversal_remaining_fen: reversed ? remaining + amount : null,
            reversed_at: reversed ? utc(reversedAt) : null,
            reversed_by: reversed ? cashier.id : null,
            reversed_by_name: reversed ? cashier.name : null,
          });
          ev(id, c.id, 'apply', null, null, cashier, at, { remaining_fen: [remaining + amount, remaining] }, `bill ${billId}; key ${key}; ${amount} fen`);
          if (reversed) {
            remaining += amount;
            ev(
              id,
              c.id,
              'reverse',
              null,
              null,
              cashier,
              reversedAt,
              { remaining_fen: [remaining - amount, remaining] },
              `bill ${billId}; key ${key}; reversal VOID-${id}-${k}; ${amount} fen`,
            );
          } else {
            used += amount;
            billTaken.set(billId, (billTaken.get(billId) ?? 0) + amount);
          }
        }
        row.remaining_fen = remaining;
        row.updated_at = utc(Math.max(decidedMs, at));
        if (status === 'exhausted' && remaining > 0) status = 'approved';
        if (status === 'approved' && remaining === 0) status = 'exhausted';
        row.status = status;
        if (status === 'revoked') {
          const revokedMs = Math.min(decidedMs + between(rand, 1, 10) * DAY, nowMs - 1000);
          Object.assign(row, { revoked_by: approver.id, revoked_at: utc(revokedMs), revoke_note: '业主改选现金赔付', version: 3, updated_at: utc(revokedMs) });
          ev(id, c.id, 'revoke', 'approved', 'revoked', approver, revokedMs, null, '业主改选现金赔付');
        }
        if (status === 'expired') {
          const expiredMs = Date.parse(`${String(row.expires_on)}T16:05:00Z`);
          Object.assign(row, { version: 3, updated_at: utc(Math.min(expiredMs, nowMs - 1000)) });
          ev(
            id,
            c.id,
            'expire',
            'approved',
            'expired',
            { id: 'system', name: '系统 / System' },
            Math.min(expiredMs, nowMs - 1000),
            null,
            `expires_on ${String(row.expires_on)} < ${today}; remaining_fen ${remaining}`,
          );
        }
      }
    }
    writer.add(T.offsets, row);
    if (writer.size(T.offsets) >= 1000) {
      await writer.flush();
      bar.update(i + 1);
    }
  }
  await writer.done();
  bar.stop();
  // Each bill's ledger row, as apply keeps it (src/offsets/store/billLedger.ts): the cap every later
  // application is checked against, and what `complaints offsets reconcile` compares with the applications.
  await fillBillLedger(db);
  return writer.counts;
}

/** The ledger rows of bills the seed applied offsets to (applied, not reversed); bills already there are left alone. */
export async function fillBillLedger(db: Knex): Promise<void> {
  await db.raw(
    `INSERT INTO ?? (bill_id, applied_fen)
     SELECT a.bill_id, SUM(CASE WHEN a.state = 'applied' THEN a.amount_fen ELSE 0 END) FROM ?? a
     WHERE NOT EXISTS (SELECT 1 FROM ?? l WHERE l.bill_id = a.bill_id) GROUP BY a.bill_id`,
    [T.offsetBillLedger, T.offsetApplications, T.offsetBillLedger],
  );
}

// ----- the whole seed ------------------------------------------------------------------------------

async function analyze(db: Knex): Promise<void> {
  if (isMysql(db)) {
    const tables = await listTables(db);
    await db.raw(`ANALYZE TABLE ${tables.map((t) => `\`${t}\``).join(', ')}`);
  } else {
    await db.raw('ANALYZE');
  }
}

/** Seeds when the marker for this profile is missing (or `reseed`); returns what the database holds. */
export async function ensureSeeded(
  options: Pick<BenchOptions, 'profile' | 'url' | 'reseed' | 'reset'>,
  log: (line: string) => void = console.log,
): Promise<SeedInfo> {
  const { profile: p, url } = options;
  const target = parseDbUrl(url);
  if (target.client === 'mysql2') await prepareMysqlDatabase(url, false);
  let db = seedDb(url);
  try {
    const existing = await readMarker(db, p.name);
    if (existing && !options.reseed) {
      log(`seed: ${p.name} dataset already present (seeded ${existing.seededAt}, ${existing.counts[T.complaints] ?? '?'} complaints); skipping`);
      // The code may have migrations the dataset predates: upgrade, as an administrator would.
      const upgraded = await install(db, loadMappingFile(MAPPING_FILE));
      if (upgraded.applied.length) log(`seed: upgraded the dataset (${upgraded.applied.join(', ')})`);
      return existing;
    }
    const tables = await listTables(db);
    if (tables.length) {
      if (!tables.includes(MARKER_TABLE) && !options.reset) {
        throw new Error(`seed: ${url} has tables but no ${MARKER_TABLE} marker: not a bench database. Use an empty database, or --reset to drop it.`);
      }
      // Another profile's finished dataset (the full million) is not dropped for this one by a mistyped
      // --db: only when asked to reseed.
      const other = tables.includes(MARKER_TABLE)
        ? ((await db(MARKER_TABLE).whereNot({ profile: p.name }).where({ finished: 1 }).first('profile')) as { profile: string } | undefined)
        : undefined;
      if (other && !options.reseed) {
        throw new Error(
          `seed: ${url} holds the ${other.profile} dataset; the ${p.name} profile would drop it. Point --db at the ${p.name} profile's database, or add --reseed to replace it.`,
        );
      }
      log(`seed: dropping the previous bench data in ${url}`);
      await db.destroy();
      if (target.client === 'mysql2') await prepareMysqlDatabase(url, true);
      else for (const suffix of ['', '-wal', '-shm']) if (existsSync(target.sqliteFile + suffix)) rmSync(target.sqliteFile + suffix);
      db = seedDb(url);
    }

    const t0 = Date.now();
    // Whole seconds; complaints end a minute before.
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    await db.schema.createTable(MARKER_TABLE, (t) => {
      t.string('profile', 16).primary();
      t.integer('finished').notNullable();
      t.text('info').notNullable();
    });
    await db(MARKER_TABLE).insert({ profile: p.name, finished: 0, info: '{}' });
    log(`seed: ${p.name} profile into ${url}: ${unitCount(p)} units, ${unitCount(p) * p.months} bills, ${p.complaints} complaints, ${p.offsets} offsets`);
    const host = await seedHost(db, p, nowMs);
    const mapping = loadMappingFile(MAPPING_FILE);
    const installed = await install(db, mapping);
    log(`seed: plugin installed through the installer (${installed.applied.length} migrations)`);
    const complaints = await seedComplaints(db, p, nowMs, host.model);
    const offsets = await seedOffsets(db, p, nowMs, host.model, complaints.eligible);
    // The day counters: each day's last number, so a new intake on a seeded day continues the series.
    const codeRows = [...complaints.codes].map(([day, last]) => ({ day, last_seq: last }));
    for (let i = 0; i < codeRows.length; i += 500) await db(T.complaintCodes).insert(codeRows.slice(i, i + 500));
    // The rows above were written around the stores: recount the report's summary from them, and sum its
    // monthly rollup (issue 20).
    await rebuildReportFacts(db, T);
    await rebuildReportRollup(db, T, defaultSettings().timezone);
    log('seed: analyzing tables');
    await analyze(db);
    const counts: Record<string, number> = {};
    for (const source of [host.counts, complaints.counts, offsets]) for (const [k, v] of Object.entries(source)) counts[k] = (counts[k] ?? 0) + v;
    counts[T.complaintCodes] = codeRows.length;
    const seconds = (Date.now() - t0) / 1000;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const info: SeedInfo = { profile: p.name, now: new Date(nowMs).toISOString(), seededAt: new Date().toISOString(), seconds, counts };
    await db(MARKER_TABLE)
      .where({ profile: p.name })
      .update({ finished: 1, info: JSON.stringify(info) });
    log(
      `seed: ${total} rows in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} rows/s): ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    return info;
  } finally {
    await db.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await ensureSeeded(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error((err as Error).message ?? err);
    process.exitCode = 1;
  }
}

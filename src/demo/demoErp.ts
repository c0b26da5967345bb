// A realistic little property ERP for the demo: its own schema (not ours), Chinese names, rooms with
// one or two owners through a relation table, soft-deleted rows, and twelve months of bills.
// The plugin then installs onto it through the same mapping path a real ERP uses (demo-mapping.json).
import type { Knex } from 'knex';

/** Deterministic pseudo-random numbers, so every demo database looks the same. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split(
    '',
  );
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍建华红梅鑫波斌宇浩凯俊帆晨阳欣怡子涵梓萱思远雨桐佳琪'.split('');
const COMMUNITIES = ['阳光花园', '翠湖苑', '金色家园'];

export const DEMO_HOST_TABLES = ['erp_community', 'erp_building', 'erp_owner', 'erp_room', 'erp_room_owner', 'erp_fee_bill', 'erp_staff'];

export interface DemoSize {
  buildingsPerCommunity: number;
  floors: number;
  roomsPerFloor: number;
  months: number;
}

export const DEFAULT_DEMO_SIZE: DemoSize = { buildingsPerCommunity: 4, floors: 8, roomsPerFloor: 4, months: 12 };

export async function demoErpExists(db: Knex): Promise<boolean> {
  return db.schema.hasTable('erp_fee_bill');
}

/** The demo ERP's staff; the ids of the demo's sign-in users are among them (src/demo/demoUsers.ts). */
export const DEMO_STAFF = [
  { staff_id: 'demo-supervisor', staff_name: '客服主管 李敏', mobile: '13600000001', dept_name: '客服中心', community_ids: null, is_deleted: 0 },
  { staff_id: 'demo-manager', staff_name: '项目经理 张强', mobile: '13600000002', dept_name: '项目部', community_ids: null, is_deleted: 0 },
  { staff_id: 'demo-handler', staff_name: '工程部 张师傅', mobile: '13600000003', dept_name: '工程部', community_ids: null, is_deleted: 0 },
  { staff_id: 'demo-handler-c1', staff_name: '阳光花园工程 刘师傅', mobile: '13600000004', dept_name: '工程部', community_ids: '1', is_deleted: 0 },
  { staff_id: 'E2001', staff_name: '秩序部 赵队长', mobile: '13600000005', dept_name: '秩序部', community_ids: '2,3', is_deleted: 0 },
  { staff_id: 'E2002', staff_name: '环境部 孙阿姨', mobile: '13600000006', dept_name: '环境部', community_ids: '1,2,3', is_deleted: 0 },
  { staff_id: 'eng-01', staff_name: '工程部 刘师傅', mobile: '13600000011', dept_name: '工程部', community_ids: null, is_deleted: 0 },
  { staff_id: 'eng-02', staff_name: '工程部 王师傅', mobile: '13600000012', dept_name: '工程部', community_ids: null, is_deleted: 0 },
  { staff_id: 'sec-01', staff_name: '秩序部 陈队长', mobile: '13600000013', dept_name: '秩序部', community_ids: null, is_deleted: 0 },
  { staff_id: 'E9999', staff_name: '已离职 钱师傅', mobile: '13600000009', dept_name: '工程部', community_ids: null, is_deleted: 1 },
];

/** The demo ERP's own tables (the bench scales up the same schema). */
export async function createDemoErpSchema(db: Knex): Promise<void> {
  await db.schema.createTable('erp_community', (t) => {
    t.integer('community_id').primary();
    t.string('community_name', 60).notNullable();
    t.string('address', 200);
  });
  await db.schema.createTable('erp_building', (t) => {
    t.integer('building_id').primary();
    t.integer('community_id').notNullable();
    t.string('building_name', 40).notNullable();
  });
  await db.schema.createTable('erp_owner', (t) => {
    t.string('owner_id', 20).primary();
    t.string('owner_name', 40).notNullable();
    t.string('mobile', 20);
    t.integer('is_deleted').notNullable().defaultTo(0);
  });
  await db.schema.createTable('erp_room', (t) => {
    t.string('room_id', 20).primary();
    t.integer('community_id').notNullable();
    t.integer('building_id').notNullable();
    t.string('room_label', 40).notNullable();
    t.decimal('area_m2', 8, 2);
    t.integer('is_deleted').notNullable().defaultTo(0);
  });
  await db.schema.createTable('erp_room_owner', (t) => {
    t.increments('rel_id');
    t.string('room_id', 20).notNullable().index();
    t.string('owner_id', 20).notNullable().index();
    t.string('status', 10).notNullable();
  });
  // The ERP's staff (its user table): the directory complaints are dispatched from. community_ids lists
  // the communities a person works in (comma-separated; empty: all of them).
  await db.schema.createTable('erp_staff', (t) => {
    t.string('staff_id', 32).primary();
    t.string('staff_name', 40).notNullable();
    t.string('mobile', 20);
    t.string('dept_name', 40);
    t.string('community_ids', 200);
    t.integer('is_deleted').notNullable().defaultTo(0);
  });
  await db.schema.createTable('erp_fee_bill', (t) => {
    t.string('bill_id', 24).primary();
    t.string('room_id', 20).notNullable().index();
    t.string('payer_owner_id', 20);
    t.string('fee_month', 7).notNullable();
    t.decimal('amount_due', 10, 2).notNullable();
    t.string('pay_state', 10).notNullable();
  });
}

function phone(rand: () => number): string {
  const second = '3456789'[Math.floor(rand() * 7)]!;
  let rest = '';
  for (let i = 0; i < 9; i++) rest += Math.floor(rand() * 10);
  return `1${second}${rest}`;
}

function personName(rand: () => number): string {
  const surname = SURNAMES[Math.floor(rand() * SURNAMES.length)]!;
  const given = GIVEN[Math.floor(rand() * GIVEN.length)]! + (rand() < 0.6 ? GIVEN[Math.floor(rand() * GIVEN.length)]! : '');
  return surname + given;
}

/** Months ending with the one before `today`, as 'YYYY-MM'. */
function recentMonths(today: Date, count: number): string[] {
  const out: string[] = [];
  for (let i = count; i >= 1; i--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - i + 1, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return out;
}

async function insertChunked(trx: Knex.Transaction, table: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await trx(table).insert(rows.slice(i, i + 200));
}

/** Creates and fills the demo ERP's tables; returns how many rooms, owners (former ones among them) and bills it made. */
export async function createDemoErp(
  db: Knex,
  today: Date,
  size: DemoSize = DEFAULT_DEMO_SIZE,
): Promise<{ rooms: number; owners: number; formerOwners: number; bills: number }> {
  const rand = prng(20261128);
  await createDemoErpSchema(db);
  const communities: object[] = [];
  const buildings: object[] = [];
  const owners: Array<{ owner_id: string; owner_name: string; mobile: string; is_deleted: number }> = [];
  const rooms: Array<{ room_id: string; community_id: number; building_id: number; room_label: string; area_m2: string; is_deleted: number }> = [];
  const rels: object[] = [];
  const bills: object[] = [];
  const months = recentMonths(today, size.months);
  let ownerSeq = 0;
  COMMUNITIES.forEach((name, ci) => {
    const communityId = ci + 1;
    communities.push({ community_id: communityId, community_name: name, address: `${name}路${88 + ci}号` });
    for (let b = 1; b <= size.buildingsPerCommunity; b++) {
      const buildingId = communityId * 100 + b;
      buildings.push({ building_id: buildingId, community_id: communityId, building_name: `${b}栋` });
      for (let f = 1; f <= size.floors; f++) {
        for (let r = 1; r <= size.roomsPerFloor; r++) {
          const roomId = `R${communityId}${String(b).padStart(2, '0')}${String(f).padStart(2, '0')}${String(r).padStart(2, '0')}`;
          const area = (70 + Math.floor(rand() * 80) + Math.floor(rand() * 100) / 100).toFixed(2);
          rooms.push({
            room_id: roomId,
            community_id: communityId,
            building_id: buildingId,
            room_label: `${name}${b}栋${f}${String(r).padStart(2, '0')}室`,
            area_m2: area,
            is_deleted: 0,
          });
          const ownerCount = rand() < 0.2 ? 2 : 1;
          const roomOwners: string[] = [];
          for (let o = 0; o < ownerCount; o++) {
            ownerSeq++;
            const ownerId = `OW${String(ownerSeq).padStart(6, '0')}`;
            owners.push({ owner_id: ownerId, owner_name: personName(rand), mobile: phone(rand), is_deleted: 0 });
            rels.push({ room_id: roomId, owner_id: ownerId, status: 'active' });
            roomOwners.push(ownerId);
          }
          // A former owner who sold the flat: the relation is kept by the ERP but no longer active.
          if (rand() < 0.05) {
            ownerSeq++;
            const formerId = `OW${String(ownerSeq).padStart(6, '0')}`;
            owners.push({ owner_id: formerId, owner_name: personName(rand), mobile: phone(rand), is_deleted: 1 });
            rels.push({ room_id: roomId, owner_id: formerId, status: 'ended' });
          }
          const monthly = (Number(area) * 2.8).toFixed(2);
          months.forEach((month, mi) => {
            const recent = mi >= months.length - 2;
            const state = recent ? (rand() < 0.6 ? 'unpaid' : 'paid') : rand() < 0.04 ? 'unpaid' : 'paid';
            bills.push({
              bill_id: `B${month.replace('-', '')}${roomId}`,
              room_id: roomId,
              payer_owner_id: roomOwners[0],
              fee_month: month,
              amount_due: monthly,
              pay_state: state,
            });
          });
        }
      }
    }
  });
  await db.transaction(async (trx) => {
    await insertChunked(trx, 'erp_community', communities);
    await insertChunked(trx, 'erp_building', buildings);
    await insertChunked(trx, 'erp_owner', owners);
    await insertChunked(trx, 'erp_room', rooms);
    await insertChunked(trx, 'erp_room_owner', rels);
    await insertChunked(trx, 'erp_fee_bill', bills);
    await insertChunked(trx, 'erp_staff', DEMO_STAFF);
  });
  // owners counts every owner row, former owners included (they sold their flats; the ERP keeps them marked
  // deleted): the mapping check counts live rows only, so it reports owners − formerOwners.
  return { rooms: rooms.length, owners: owners.length, formerOwners: owners.filter((o) => o.is_deleted === 1).length, bills: bills.length };
}

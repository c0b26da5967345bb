// The baselines, in their own process: bare Koa routes over the same database through the same knex
// factory and pool size as the plugin server, so each ratio measures what the plugin adds.
//   GET  /pk/:id        one primary-key SELECT of a complaint row
//   POST /tx/:id        SELECT … FOR UPDATE + UPDATE + INSERT audit row, in one transaction
//   GET  /intake-fixed  the plugin's intake template (same engine, layout and partials) with fixed data
//   GET  /intake-db/:unit  the same template with what the plugin's page reads for a unit (the unit, its
//                       owners, open and recent complaints, unpaid bills), read in ONE raw SQL round trip
//   env: BENCH_DB_URL, BENCH_POOL
import Koa from 'koa';
import Router from '@koa/router';
import { createDb } from '../../src/db/connection.js';
import { listen } from '../../src/http/server.js';
import { tableNames } from '../../src/db/tables.js';
import { toDbTime } from '../../src/db/time.js';
import { createViewEngine } from '../../src/views/engine.js';
import { fixedIntakeData, intakeViewData } from '../lib/fixedIntake.js';
import { isMysql } from '../../src/db/connection.js';
import { OPEN_STATES } from '../../src/complaints/states.js';
import { rowToComplaint, type ComplaintRow } from '../../src/complaints/store/complaints.js';
import { maskMobile } from '../../src/privacy/mask.js';

const url = process.env.BENCH_DB_URL!;
const pool = Number(process.env.BENCH_POOL ?? 20);
const db = createDb(url, { poolMax: pool });
const tables = tableNames('cmp_');
const views = createViewEngine();
const intake = fixedIntakeData();

// The intake page's reads as one statement: the unit with its live owners and the unpaid bills as JSON
// columns, joined to the unit's open (20) and recent (10) complaints as rows. Hand-written for the demo
// ERP's tables (the bench's host schema), MariaDB or SQLite. No temporary table holds a TEXT value:
// MariaDB writes such a table to disk, on every request. The complaint rows in the UNION's branches, the
// JSON in a derived table and a JSON_ARRAYAGG over the unit's four-table join made three per request (the
// plugin's own page made two until 2026-12-07, see test/integration/temp-tables.test.ts); now the two
// ranges pick ids and the rows are joined on after, and the owners are aggregated over their own join.
const mysql = isMysql(db);
const json = mysql ? { arr: 'JSON_ARRAYAGG', obj: 'JSON_OBJECT' } : { arr: 'json_group_array', obj: 'json_object' };
const openMarks = OPEN_STATES.map(() => '?').join(', ');
const paren = (sql: string) => (mysql ? `(${sql})` : `SELECT * FROM (${sql})`);
const intakeSql = `SELECT
  (SELECT ${json.obj}('id', r.room_id, 'label', r.room_label, 'community', (SELECT c.community_name FROM erp_community c WHERE c.community_id = r.community_id))
     FROM erp_room r WHERE r.room_id = ? AND r.is_deleted = 0) AS unit_json,
  (SELECT ${json.arr}(${json.obj}('id', o.owner_id, 'name', o.owner_name, 'phone', o.mobile))
     FROM erp_room_owner ro JOIN erp_owner o ON o.owner_id = ro.owner_id AND o.is_deleted = 0
     WHERE ro.room_id = ? AND ro.status = 'active') AS owners_json,
  (SELECT ${json.arr}(${json.obj}('id', b.bill_id, 'period', b.fee_month, 'amount', b.amount_due, 'status', b.pay_state))
     FROM (SELECT bill_id, fee_month, amount_due, pay_state FROM erp_fee_bill WHERE room_id = ? AND pay_state IN ('unpaid', 'partial')
           ORDER BY fee_month DESC, bill_id DESC LIMIT 12) b) AS bills_json,
  p.part, x.*
FROM (SELECT 1 AS one) one
LEFT JOIN (
  ${paren(`SELECT 'open' AS part, c.id FROM ${tables.complaints} c WHERE c.unit_id = ? AND c.state IN (${openMarks}) ORDER BY c.received_at DESC, c.id DESC LIMIT 20`)}
  UNION ALL
  ${paren(`SELECT 'recent' AS part, c.id FROM ${tables.complaints} c WHERE c.unit_id = ? ORDER BY c.received_at DESC, c.id DESC LIMIT 10`)}
) p ON 1 = 1
LEFT JOIN ${tables.complaints} x ON x.id = p.id`;

type IntakeRow = ComplaintRow & { unit_json: unknown; owners_json: unknown; bills_json: unknown; part: string | null; id: number | null };
/** mysql2 hands JSON columns over parsed; SQLite as text. */
const jsonOf = (v: unknown): unknown[] => (v === null || v === undefined ? [] : typeof v === 'string' ? (JSON.parse(v) as unknown[]) : (v as unknown[]));
const objectOf = (v: unknown): Record<string, string | null> | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as Record<string, string | null>) : (v as Record<string, string | null>);
async function intakeFromDb(unitId: string): Promise<Record<string, unknown> | null> {
  const result = (await db.raw(intakeSql, [unitId, unitId, unitId, unitId, ...OPEN_STATES, unitId])) as unknown;
  const rows = (mysql ? (result as [IntakeRow[]])[0] : result) as IntakeRow[];
  const head = rows[0];
  const unit = objectOf(head?.unit_json);
  if (!head || !unit) return null;
  const owners = (jsonOf(head.owners_json) as Array<Record<string, string | number | null>>)
    .map((r) => ({ id: String(r.id), name: String(r.name ?? ''), phone: r.phone ? String(r.phone) : null }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const bills = (jsonOf(head.bills_json) as Array<Record<string, string | number>>)
    .map((b) => ({ id: String(b.id), period: String(b.period), amountFen: Math.round(Number(b.amount) * 100), status: String(b.status) }))
    .sort((a, b) => (a.period === b.period ? (a.id < b.id ? 1 : -1) : a.period < b.period ? 1 : -1));
  const complaints = rows.filter((r) => r.id !== null);
  const newest = (a: { receivedAt: Date; id: number }, b: { receivedAt: Date; id: number }) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.id - a.id;
  const open = complaints
    .filter((r) => r.part === 'open')
    .map((r) => rowToComplaint(r))
    .sort(newest);
  const recent = complaints
    .filter((r) => r.part === 'recent')
    .map((r) => rowToComplaint(r))
    .filter((c) => !OPEN_STATES.includes(c.state))
    .sort(newest);
  const now = new Date();
  const first = owners[0];
  return intakeViewData({
    unit: {
      id: String(unit.id),
      label: String(unit.label ?? ''),
      communityName: unit.community === null || unit.community === undefined ? null : String(unit.community),
    },
    owners: owners.map((o) => ({ ...o, phone: o.phone ? maskMobile(o.phone) : null })),
    open,
    recent,
    bills,
    now,
    values: {
      unitId,
      ownerId: first?.id ?? '',
      complainantName: first?.name ?? '',
      complainantPhone: first?.phone ?? '',
      complainantRelation: 'owner',
      channel: 'counter',
      category: '',
      description: '',
      expectation: '',
      severity: '',
      receivedAt: now.toISOString().slice(0, 16),
      idempotencyKey: 'k3v9Qx2mB7tLwP4sZr8yNc',
    },
  });
}

const router = new Router();
router.get('/pk/:id', async (ctx) => {
  ctx.body = await db(tables.complaints)
    .where({ id: Number(ctx.params.id) })
    .first();
});
router.post('/tx/:id', async (ctx) => {
  const id = Number(ctx.params.id);
  ctx.body = await db.transaction(async (trx) => {
    const row = (await trx('bench_tx_row').select('remaining').where({ id }).forUpdate().first()) as { remaining: number } | undefined;
    if (!row || Number(row.remaining) < 1) throw new Error(`row ${id} is used up`);
    const at = toDbTime(new Date());
    await trx('bench_tx_row')
      .where({ id })
      .update({ remaining: trx.raw('remaining - 1'), updated_at: at });
    await trx('bench_tx_audit').insert({ row_id: id, amount: 1, note: `bench ${id}`, at });
    return { id, remaining: Number(row.remaining) - 1 };
  });
});
router.get('/intake-fixed', (ctx) => {
  ctx.type = 'html';
  ctx.body = views.render('intake', intake);
});

router.get('/intake-db/:unit', async (ctx) => {
  const data = await intakeFromDb(ctx.params.unit!);
  if (!data) ctx.throw(404, 'no such unit');
  ctx.type = 'html';
  ctx.body = views.render('intake', data as Parameters<typeof views.render>[1]);
});

const app = new Koa();
app.use(router.routes());
const running = await listen(app, 0);
process.send?.({ type: 'ready', port: Number(new URL(running.url).port), notes: [] });
/** Requests still holding or waiting for a connection (the runner waits for none between runs). */
function busy(): number {
  const pool = (db.client as { pool?: { numUsed(): number; numPendingAcquires(): number } }).pool;
  return pool ? pool.numUsed() + pool.numPendingAcquires() : 0;
}
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'busy') process.send?.({ type: 'busy', busy: busy() });
  if (m?.type === 'statements') process.send?.({ type: 'statements', statements });
});
/** SQL statements sent so far (BEGIN and COMMIT included): the runner counts them per request. */
let statements = 0;
db.on('query', () => statements++);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 10_000).unref();
  await running.close();
  // A load run that ended leaves requests queued for a connection: let them finish before the pool goes.
  for (let i = 0; i < 100 && busy() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await db.destroy().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
// The runner went away without stopping us (it crashed or was killed): do not outlive it.
process.once('disconnect', () => void stop());

// The baselines, in their own process: bare Koa routes over the same database through the same knex
// factory and pool size as the plugin server, so each ratio measures what the plugin adds.
//   GET  /pk/:id        one primary-key SELECT of a complaint row
//   POST /tx/:id        SELECT … FOR UPDATE + UPDATE + INSERT audit row, in one transaction
//   GET  /intake-fixed  the plugin's intake template (same engine, layout and partials) with fixed data
//   env: BENCH_DB_URL, BENCH_POOL
import Koa from 'koa';
import Router from '@koa/router';
import { createDb } from '../../src/db/connection.js';
import { listen } from '../../src/http/server.js';
import { tableNames } from '../../src/db/tables.js';
import { toDbTime } from '../../src/db/time.js';
import { createViewEngine } from '../../src/views/engine.js';
import { fixedIntakeData } from '../lib/fixedIntake.js';

const url = process.env.BENCH_DB_URL!;
const pool = Number(process.env.BENCH_POOL ?? 20);
const db = createDb(url, { poolMax: pool });
const tables = tableNames('cmp_');
const views = createViewEngine();
const intake = fixedIntakeData();

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
});
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

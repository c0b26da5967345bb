// The plugin's standalone HTTP service, as `complaints serve` builds it (createComplaintsPlugin +
// createServerApp, signed-header auth, the service secret for billing), in its own process so the
// runner can read its memory from /proc. Started by bench/run.ts; tells it the port over IPC.
//   env: BENCH_DB_URL, BENCH_POOL, BENCH_SECRET
import Router from '@koa/router';
import { createDb } from '../../src/db/connection.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { signedHeaderAuth } from '../../src/auth/adapter.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { createServerApp, listen } from '../../src/http/server.js';
import { apiErrorMiddleware } from '../../src/http/apiErrors.js';
import { billingApiRouter } from '../../src/http/api/offsets.js';
import { MAPPING_FILE } from '../seed.js';

const url = process.env.BENCH_DB_URL!;
const secret = process.env.BENCH_SECRET!;
const pool = Number(process.env.BENCH_POOL ?? 20);

const db = createDb(url, { poolMax: pool });
const errors: string[] = [];
const plugin = createComplaintsPlugin({
  knex: db,
  mapping: loadMappingFile(MAPPING_FILE),
  auth: signedHeaderAuth(secret),
  serviceSecret: secret,
  log: (err) => {
    if (errors.length < 20) errors.push(String((err as Error)?.stack ?? err));
  },
});
const app = createServerApp(plugin);
const prefix = plugin.router.opts.prefix ?? '';

/** Does the plugin's router already answer this path (the lead is wiring the API routers)? */
function mounted(path: string): boolean {
  return plugin.router.stack.some((layer) => layer.methods.includes('POST') && layer.match(path));
}

const notes: string[] = [];
if (!mounted(`${prefix}/api/billing/check`)) {
  // Not yet in createPlugin.ts: mount the billing routes the way the plugin mounts its other domain
  // APIs (error middleware around a router that carries its whole /api/... prefix).
  const extra = new Router({ prefix });
  extra.use(apiErrorMiddleware((err) => {
    if (errors.length < 20) errors.push(String((err as Error)?.stack ?? err));
  }));
  const billing = billingApiRouter(plugin.context, { secret });
  extra.use(billing.routes(), billing.allowedMethods());
  app.use(extra.routes());
  notes.push('billing API routes are not mounted by createComplaintsPlugin yet: the bench server mounted billingApiRouter itself');
}

const running = await listen(app, 0);
const port = Number(new URL(running.url).port);
process.send?.({ type: 'ready', port, notes });
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'errors') process.send?.({ type: 'errors', errors });
});
/** Requests still holding or waiting for a connection (the runner waits for none between runs). */
function busy(): number {
  const pool = (db.client as { pool?: { numUsed(): number; numPendingAcquires(): number } }).pool;
  return pool ? pool.numUsed() + pool.numPendingAcquires() : 0;
}
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'busy') process.send?.({ type: 'busy', busy: busy() });
});
const stop = async () => {
  await running.close();
  // A load run that ended leaves requests queued for a connection: let them finish before the pool goes.
  for (let i = 0; i < 100 && busy() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await db.destroy().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

// The plugin's standalone HTTP service, as `complaints serve` builds it (createComplaintsPlugin +
// createServerApp, signed-header auth, the service secret for billing, which createComplaintsPlugin
// mounts under /api/billing), in its own process so the runner can read its memory from /proc. Started
// by bench/run.ts; tells it the port over IPC, and stops when the runner goes (SIGTERM or the IPC channel
// closing, so a crashed runner leaves no server behind).
//   env: BENCH_DB_URL, BENCH_POOL, BENCH_SECRET
import { createDb } from '../../src/db/connection.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { signedHeaderAuth } from '../../src/auth/adapter.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { createServerApp, listen } from '../../src/http/server.js';
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
const notes: string[] = [];

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
  if (m?.type === 'statements') process.send?.({ type: 'statements', statements });
  // What the resident memory is made of (V8 heap, Buffers outside it), for the runner's log.
  if (m?.type === 'memory') process.send?.({ type: 'memory', memory: process.memoryUsage() });
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
process.once('disconnect', () => void stop());

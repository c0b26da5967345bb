// complaints serve: the standalone HTTP service for ERPs not written in Node. The ERP vouches for its
// users with signed tokens and signs its billing calls with the same shared secret.
import { signedHeaderAuth } from '../../auth/adapter.js';
import { createComplaintsPlugin } from '../../plugin/createPlugin.js';
import type { CausalReadsMode } from '../../db/causalReads.js';
import { createServerApp, listen } from '../../http/server.js';
import { CliError, openDb, prefixOf, readMapping, type CommonOptions } from '../options.js';

export async function serveCommand(options: CommonOptions & { port?: string; host?: string; secret?: string; pool?: string }): Promise<number> {
  const secret = options.secret ?? process.env.COMPLAINTS_SECRET;
  if (!secret || secret.length < 16) {
    throw new CliError('serve needs a shared secret of at least 16 characters: --secret or COMPLAINTS_SECRET', 2);
  }
  const mapping = readMapping(options);
  const db = openDb(options, Number(options.pool ?? process.env.COMPLAINTS_DB_POOL ?? 20));
  const causalReads = process.env.COMPLAINTS_CAUSAL_READS;
  if (causalReads !== undefined && !['auto', 'on', 'off'].includes(causalReads)) throw new CliError('COMPLAINTS_CAUSAL_READS must be auto, on or off', 2);
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping,
    prefix: prefixOf(options),
    auth: signedHeaderAuth(secret),
    serviceSecret: secret,
    ...(causalReads ? { causalReads: causalReads as CausalReadsMode } : {}),
  });
  const s = await plugin.status();
  if (!s.installed || s.pending.length) {
    await db.destroy();
    throw new CliError('The plugin is not installed or has pending migrations: run `complaints install` (or `upgrade`) first');
  }
  await plugin.start();
  const running = await listen(createServerApp(plugin, { proxy: true }), Number(options.port ?? process.env.PORT ?? 3000), options.host ?? '127.0.0.1');
  console.log(`complaints service listening on ${running.url}${plugin.router.opts.prefix ?? ''}`);
  await waitForSignal();
  await running.close();
  await plugin.stop();
  await db.destroy();
  return 0;
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

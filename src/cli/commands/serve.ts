// complaints serve: the standalone HTTP service for ERPs not written in Node. The ERP vouches for its
// users with signed tokens and signs its billing calls with the same shared secret. Logs are JSON lines
// on stdout (pino), one logger for the process. On SIGTERM or SIGINT it drains: readyz answers 503, the
// listener closes, requests in flight finish (up to shutdownGraceSeconds), the jobs stop, the pool closes.
import { signedHeaderAuth } from '../../auth/adapter.js';
import { createComplaintsPlugin } from '../../plugin/createPlugin.js';
import type { CausalReadsMode } from '../../db/causalReads.js';
import { createServerApp, listen } from '../../http/server.js';
import { createLogger } from '../../observability/logger.js';
import { CliError, openDb, prefixOf, readMapping, type CommonOptions } from '../options.js';

/** Used when the settings cannot be read at shutdown (the database is gone). */
const DEFAULT_GRACE_SECONDS = 25;

export async function serveCommand(
  options: CommonOptions & { port?: string; host?: string; secret?: string; pool?: string; logLevel?: string; attachmentsDir?: string },
): Promise<number> {
  const secret = options.secret ?? process.env.COMPLAINTS_SECRET;
  if (!secret || secret.length < 16) {
    throw new CliError('serve needs a shared secret of at least 16 characters: --secret or COMPLAINTS_SECRET', 2);
  }
  const mapping = readMapping(options);
  const logger = createLogger({ level: options.logLevel || process.env.COMPLAINTS_LOG_LEVEL || 'info' });
  const db = openDb(options, Number(options.pool ?? process.env.COMPLAINTS_DB_POOL ?? 20));
  const causalReads = process.env.COMPLAINTS_CAUSAL_READS;
  const attachmentsDir = options.attachmentsDir ?? process.env.COMPLAINTS_ATTACHMENTS_DIR;
  if (causalReads !== undefined && !['auto', 'on', 'off'].includes(causalReads)) throw new CliError('COMPLAINTS_CAUSAL_READS must be auto, on or off', 2);
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping,
    prefix: prefixOf(options),
    auth: signedHeaderAuth(secret),
    serviceSecret: secret,
    ownerTokenSecret: secret,
    logger,
    ...(causalReads ? { causalReads: causalReads as CausalReadsMode } : {}),
    ...(attachmentsDir ? { attachmentStore: { directory: attachmentsDir } } : {}),
  });
  const s = await plugin.status();
  if (!s.installed || s.pending.length) {
    await db.destroy();
    throw new CliError('The plugin is not installed or has pending migrations: run `complaints install` (or `upgrade`) first');
  }
  await plugin.start();
  const running = await listen(createServerApp(plugin, { proxy: true }), Number(options.port ?? process.env.PORT ?? 3000), options.host ?? '127.0.0.1');
  const url = `${running.url}${plugin.router.opts.prefix ?? ''}`;
  // The URL is followed by a space: scripts and tests read it with /listening on (\S+)/.
  logger.info({ url, pool: db.client.config?.pool?.max }, `complaints service listening on ${url} (pid ${process.pid})`);
  const signal = await waitForSignal();
  plugin.markDraining();
  const graceSeconds = await plugin.context.settings.get().then(
    (settings) => settings.shutdownGraceSeconds,
    () => DEFAULT_GRACE_SECONDS,
  );
  // close() stops listening at once; the line comes after, so whoever reads it knows the door is shut.
  const closing = running.close({ timeoutMs: graceSeconds * 1000 });
  logger.info({ signal, graceSeconds }, 'stopping: no new connections; finishing requests in flight');
  const { forced } = await closing;
  if (forced) logger.warn({ forced, graceSeconds }, 'requests still running after the grace period were cut off');
  await plugin.stop();
  logger.info('scheduled jobs and outbox delivery stopped');
  await db.destroy();
  logger.info('database pool closed; stopped');
  return 0;
}

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

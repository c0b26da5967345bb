// The one factory a Node/Koa host calls: it returns the router to mount, the billing hooks, the jobs,
// and install/start/stop. The standalone service and the demo use exactly the same factory.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { type AuthAdapter } from '../auth/adapter.js';
import { systemClock, type Clock } from '../clock.js';
import { tableNames, DEFAULT_PREFIX } from '../db/tables.js';
import { HostGateway } from '../host/gateway.js';
import { checkHost, type HostCheckReport } from '../host/check.js';
import { validateMapping, type HostMapping } from '../host/mapping.js';
import { install, status, uninstall, type InstallStatus, type UninstallOptions } from '../install/installer.js';
import { loadManifest } from '../manifest/manifest.js';
import { SettingsStore } from '../settings/settings.js';
import { apiErrorMiddleware } from '../http/apiErrors.js';
import { localeMiddleware } from '../http/locale.js';
import { buildOpenApi, type ApiOperation } from '../http/openapi.js';
import { createViewEngine } from '../views/engine.js';
import type { PluginContext } from './context.js';
import type { Actor } from '../auth/actor.js';

export interface ComplaintsPluginOptions {
  knex: Knex;
  /** The host mapping (already parsed, or any object: it is validated here). */
  mapping: HostMapping | unknown;
  /** Who is signed in; see src/auth/adapter.ts for the three modes. */
  auth: AuthAdapter;
  /** Table prefix for our tables (default cmp_). */
  prefix?: string;
  /** Where the router mounts (default /complaints). */
  routesPrefix?: string;
  clock?: Clock;
  /** Shared secret for service-to-service (billing) requests from ERPs in other languages. */
  serviceSecret?: string;
  /** Extra data for the home page (the demo lists its users). */
  homeExtras?: () => Record<string, unknown>;
  log?: (err: unknown) => void;
}

export interface ComplaintsPlugin {
  context: PluginContext;
  router: Router;
  manifest: ReturnType<typeof loadManifest>;
  install(): Promise<{ applied: string[] }>;
  status(): Promise<InstallStatus>;
  checkHost(): Promise<HostCheckReport>;
  uninstall(options?: UninstallOptions): Promise<{ purged: boolean }>;
  openApi(): Record<string, unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Sets ctx.state.actor from the auth adapter; API routes answer 401 without one. */
function actorMiddleware(auth: AuthAdapter): Middleware {
  return async (ctx, next) => {
    ctx.state.actor = (await auth(ctx)) as Actor | null;
    await next();
  };
}

export function createComplaintsPlugin(options: ComplaintsPluginOptions): ComplaintsPlugin {
  const manifest = loadManifest();
  const mapping = validateMapping(options.mapping);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const routesPrefix = options.routesPrefix ?? manifest.routesPrefix;
  const clock = options.clock ?? systemClock;
  const tables = tableNames(prefix);
  const context: PluginContext = {
    db: options.knex,
    prefix,
    tables,
    mapping,
    host: new HostGateway(options.knex, mapping),
    settings: new SettingsStore(options.knex, tables, clock),
    clock,
  };
  const operations: ApiOperation[] = [];
  const openApi = () =>
    buildOpenApi(operations, { title: manifest.name.en, version: manifest.version, description: manifest.description.en }, routesPrefix);

  const router = new Router({ prefix: routesPrefix });
  router.use(localeMiddleware());
  router.use(actorMiddleware(options.auth));

  const api = new Router({ prefix: '/api' });
  api.use(apiErrorMiddleware(options.log));
  api.use(bodyParser({ jsonLimit: '1mb', enableTypes: ['json'] }));
  api.get('/openapi.json', (ctx) => {
    ctx.body = openApi();
  });
  api.get('/status', async (ctx) => {
    ctx.body = await status(options.knex, mapping, { prefix });
  });
  router.use(api.routes(), api.allowedMethods());

  const views = createViewEngine();
  router.get('/', async (ctx) => {
    const [installStatus, report] = await Promise.all([status(options.knex, mapping, { prefix }), checkHost(options.knex, mapping)]);
    ctx.type = 'html';
    ctx.body = views.render('home', {
      locale: ctx.state.locale,
      base: routesPrefix,
      status: installStatus,
      report,
      ...(options.homeExtras?.() ?? {}),
    });
  });

  return {
    context,
    router,
    manifest,
    install: async () => install(options.knex, mapping, { prefix, clock }),
    status: () => status(options.knex, mapping, { prefix }),
    checkHost: () => checkHost(options.knex, mapping),
    uninstall: (opts = {}) => uninstall(options.knex, mapping, { prefix, ...opts }),
    openApi,
    async start() {},
    async stop() {},
  };
}

// A whole plugin over a real database and a real HTTP server: the host fixture's tables, install(),
// a PluginContext (HostGateway, SettingsStore, ManualClock) and Koa on 127.0.0.1:0 with the same
// middleware the plugin uses (locale, API errors, body parser, signed-header auth). Suites mount the
// complaint API by default and may add their own routers (offsets, …) with `routers`.
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Knex } from 'knex';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { signUserToken, signedHeaderAuth, USER_HEADER } from '../../src/auth/adapter.js';
import { ManualClock } from '../../src/clock.js';
import type { Locale } from '../../src/common/localized.js';
import { tableNames, DEFAULT_PREFIX } from '../../src/db/tables.js';
import { HostGateway } from '../../src/host/gateway.js';
import { validateMapping } from '../../src/host/mapping.js';
import { apiErrorMiddleware } from '../../src/http/apiErrors.js';
import { complaintsApiRouter } from '../../src/http/api/complaints.js';
import { localeMiddleware } from '../../src/http/locale.js';
import { listen } from '../../src/http/server.js';
import { install } from '../../src/install/installer.js';
import type { PluginContext } from '../../src/common/context.js';
import { SettingsStore, type Settings } from '../../src/settings/settings.js';
import type { HostFixture } from '../fixtures/hosts.js';
import type { DatabaseKind, TestDatabase } from './databases.js';

export const ROUTES_PREFIX = '/complaints';
const SECRET = 'test-secret-for-signed-user-headers';

export interface HarnessOptions {
  /** Start of the manual clock (default 2026-11-28 09:00 Asia/Shanghai). */
  now?: string;
  settings?: Partial<Settings>;
  /** More routers to mount under the routes prefix, built over the same context. */
  routers?: (ctx: PluginContext) => Router[];
  /** Leave out the complaint API (a suite testing only its own routers). */
  withoutComplaints?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  as?: Actor | null;
  body?: unknown;
  headers?: Record<string, string>;
  lang?: Locale;
}

export interface PluginHarness {
  kind: TestDatabase['kind'];
  fixture: HostFixture;
  database: TestDatabase;
  db: Knex;
  ctx: PluginContext;
  clock: ManualClock;
  /** http://127.0.0.1:<port>/complaints */
  baseUrl: string;
  tokenFor(actor: Actor): string;
  /** `path` is relative to the routes prefix, e.g. `/api/complaints`. */
  api<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Errors the API answered with 500: a test that expects none can assert this stays empty. */
  unexpectedErrors: unknown[];
  close(): Promise<void>;
}

/** People for tests, one per role; `scopedTo` limits a person to some communities. */
export function person(role: string, id = role, name = `${role}·测试`, communityIds: string[] | null = null): Actor {
  return { id, name, roles: [role], communityIds };
}

export const people = {
  counter: person('counter_staff', 'counter-1', '前台小李'),
  counter2: person('counter_staff', 'counter-2', '前台小王'),
  supervisor: person('supervisor', 'sup-1', '客服主管陈敏'),
  manager: person('manager', 'mgr-1', '项目经理周强'),
  director: person('director', 'dir-1', '总经理吴刚'),
  cashier: person('cashier', 'cash-1', '收银员赵静'),
  administrator: person('administrator', 'admin-1', '管理员'),
};

export async function startPluginHarness(kind: DatabaseKind, fixture: HostFixture, options: HarnessOptions = {}): Promise<PluginHarness> {
  const database = await kind.create();
  try {
    await fixture.create(database.db);
    const mapping = validateMapping(fixture.mapping);
    const clock = new ManualClock(options.now ?? '2026-11-28T01:00:00.000Z');
    await install(database.db, mapping, { clock });
    const tables = tableNames(DEFAULT_PREFIX);
    const ctx: PluginContext = {
      db: database.db,
      prefix: DEFAULT_PREFIX,
      tables,
      mapping,
      host: new HostGateway(database.db, mapping),
      settings: new SettingsStore(database.db, tables, clock),
      clock,
    };
    if (options.settings) await ctx.settings.update(options.settings, SYSTEM_ACTOR);

    const unexpectedErrors: unknown[] = [];
    const auth = signedHeaderAuth(SECRET);
    const app = new Koa();
    app.use(localeMiddleware());
    app.use(apiErrorMiddleware((err) => unexpectedErrors.push(err)));
    app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
    app.use(async (k, next) => {
      k.state.actor = await auth(k);
      await next();
    });
    const root = new Router({ prefix: ROUTES_PREFIX });
    const routers = [...(options.withoutComplaints ? [] : [complaintsApiRouter(ctx)]), ...(options.routers?.(ctx) ?? [])];
    for (const r of routers) root.use(r.routes(), r.allowedMethods());
    app.use(root.routes());
    app.use(root.allowedMethods());
    const server = await listen(app, 0, '127.0.0.1');
    const baseUrl = `${server.url}${ROUTES_PREFIX}`;
    const tokenFor = (actor: Actor) => signUserToken(actor, SECRET, 3600);

    return {
      kind: database.kind,
      fixture,
      database,
      db: database.db,
      ctx,
      clock,
      baseUrl,
      tokenFor,
      unexpectedErrors,
      async api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
        const headers: Record<string, string> = { ...opts.headers };
        if (opts.as) headers[USER_HEADER] = tokenFor(opts.as);
        if (opts.lang) headers['accept-language'] = opts.lang;
        if (opts.body !== undefined) headers['content-type'] = 'application/json';
        const res = await fetch(`${baseUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
      },
      async close() {
        await server.close();
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

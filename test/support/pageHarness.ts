// The whole plugin as a host or the demo runs it (createComplaintsPlugin + the standalone server with
// helmet) over a real database, and a small browser-like client for the pages: a cookie jar, redirects
// not followed, the CSRF token picked from the last page, Origin sent like a browser sends it.
import type { Knex } from 'knex';
import type { Actor } from '../../src/auth/actor.js';
import { firstOf, signedHeaderAuth, signUserToken, USER_HEADER, type AuthAdapter } from '../../src/auth/adapter.js';
import { ManualClock } from '../../src/clock.js';
import { validateMapping } from '../../src/host/mapping.js';
import { createServerApp, listen, type RunningServer } from '../../src/http/server.js';
import { createComplaintsPlugin, type ComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import type { CsrfOptions } from '../../src/http/csrf.js';
import type { Logger } from '../../src/observability/logger.js';
import type { HostFixture } from '../fixtures/hosts.js';
import type { DatabaseKind, TestDatabase } from './databases.js';

export const PAGE_SECRET = 'page-test-secret-0123456789';

/** One person per role, plus a counter clerk limited to community 1. */
export const staff = {
  counter: { id: 'pg-counter', name: '前台王芳', roles: ['counter_staff'], communityIds: null } as Actor,
  counter2: { id: 'pg-counter-2', name: '前台刘明', roles: ['counter_staff'], communityIds: null } as Actor,
  supervisor: { id: 'pg-supervisor', name: '主管李敏', roles: ['supervisor'], communityIds: null } as Actor,
  manager: { id: 'pg-manager', name: '经理张强', roles: ['manager'], communityIds: null } as Actor,
  director: { id: 'pg-director', name: '总经理陈刚', roles: ['director'], communityIds: null } as Actor,
  cashier: { id: 'pg-cashier', name: '收银员赵丽', roles: ['cashier'], communityIds: null } as Actor,
  admin: { id: 'pg-admin', name: '管理员孙伟', roles: ['administrator'], communityIds: null } as Actor,
  scoped: { id: 'pg-scoped', name: '阳光花园前台周杰', roles: ['counter_staff'], communityIds: ['1'] } as Actor,
  scoped2: { id: 'pg-scoped-2', name: '翠湖苑主管', roles: ['supervisor'], communityIds: ['2'] } as Actor,
};

export interface PageHarnessOptions {
  now?: string;
  /** Auth for the plugin (default: signed header, plus the sign-in page with `staff`). */
  auth?: AuthAdapter;
  signIn?: boolean;
  /** More people on the sign-in page besides `staff` (a handler of the host's staff table, say). */
  users?: Actor[];
  /** The plugin's `csrf` option (e.g. trusted origins of a reverse proxy). */
  csrf?: CsrfOptions;
  log?: (err: unknown) => void;
  /** The plugin's logger (a test reads its request lines). */
  logger?: Logger;
}

export interface PageHarness {
  kind: TestDatabase['kind'];
  db: Knex;
  plugin: ComplaintsPlugin;
  clock: ManualClock;
  origin: string;
  base: string;
  errors: unknown[];
  client(): PageClient;
  close(): Promise<void>;
}

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

/** The intake form as the counter fills it for unit 101 of the simple host; pass what the test is about. */
export function intakeForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    unitId: '101',
    ownerId: '1',
    complainantName: '张伟',
    complainantPhone: '13800138001',
    complainantRelation: 'owner',
    channel: 'counter',
    category: 'facilities',
    description: '2号楼电梯一周内第三次停运，老人上下楼困难。',
    expectation: '尽快修好并说明原因',
    idempotencyKey: crypto.randomUUID(),
    ...overrides,
  };
}

/** Decodes the few HTML entities Handlebars writes, for reading values back out of pages. */
export function unescapeHtml(text: string): string {
  return text
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export class PageClient {
  readonly cookies = new Map<string, string>();
  lastPage = '';
  /** Sent on every request (e.g. the signed user header of mode b). */
  headers: Record<string, string> = {};

  constructor(
    readonly origin: string,
    readonly base: string,
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(
    method: string,
    path: string,
    init: { form?: Record<string, string | string[]>; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<PageResponse> {
    const url = path.startsWith('http') ? path : `${this.origin}${path.startsWith(this.base) ? '' : this.base}${path}`;
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
      body = params.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (init.raw !== undefined) {
      body = init.raw;
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.keep(res);
    const text = await res.text();
    if ((res.headers.get('content-type') ?? '').includes('html') && (res.status < 300 || res.status >= 400)) this.lastPage = text;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(path: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request('GET', path, { headers });
  }

  /** The CSRF token of the last page read. */
  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.lastPage);
    if (!m) throw new Error('No CSRF token on the last page');
    return m[1]!;
  }

  /** A form post as a browser makes it: same-origin Origin header and the page's CSRF token (unless given). */
  post(
    path: string,
    form: Record<string, string | string[]>,
    options: { csrf?: string | null; origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<PageResponse> {
    const fields: Record<string, string | string[]> = { ...form };
    const token = options.csrf === undefined ? this.csrf() : options.csrf;
    if (token !== null) fields._csrf = token;
    const headers: Record<string, string> = { ...options.headers };
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    return this.request('POST', path, { form: fields, headers });
  }

  /** Signs in at the sign-in page (mode c). */
  async signIn(actor: Actor): Promise<void> {
    await this.get('/sign-in');
    const res = await this.post('/sign-in', { userId: actor.id, next: `${this.base}/` });
    if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  }

  /** Follows a redirect and returns the page. */
  async follow(res: PageResponse): Promise<PageResponse> {
    if (!res.location) throw new Error(`Expected a redirect, got ${res.status}`);
    return this.get(res.location);
  }

  /** The value of an input or hidden field named `name` on the last page (the first one). */
  field(name: string, page = this.lastPage): string | null {
    const re = new RegExp(`<input[^>]*name="${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>`);
    const tag = re.exec(page)?.[0];
    if (!tag) return null;
    const v = /value="([^"]*)"/.exec(tag);
    return v ? unescapeHtml(v[1]!) : '';
  }
}

export async function startPageHarness(kind: DatabaseKind, fixture: HostFixture, options: PageHarnessOptions = {}): Promise<PageHarness> {
  const database = await kind.create();
  let running: RunningServer | null = null;
  try {
    await fixture.create(database.db);
    const clock = new ManualClock(options.now ?? '2026-11-28T01:00:00.000Z');
    const errors: unknown[] = [];
    const plugin = createComplaintsPlugin({
      knex: database.db,
      mapping: validateMapping(fixture.mapping),
      auth: options.auth ?? firstOf(signedHeaderAuth(PAGE_SECRET, () => clock.now().getTime())),
      clock,
      // The owner app's tokens (X-Complaints-Owner) are signed with the same shared secret as the user's.
      ownerTokenSecret: PAGE_SECRET,
      ...(options.signIn === false ? {} : { signIn: { users: [...Object.values(staff), ...(options.users ?? [])] } }),
      ...(options.csrf ? { csrf: options.csrf } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      log: (err) => {
        errors.push(err);
        options.log?.(err);
      },
    });
    await plugin.install();
    running = await listen(createServerApp(plugin), 0, '127.0.0.1');
    const origin = running.url;
    const base = plugin.router.opts.prefix ?? '';
    const server = running;
    return {
      kind: database.kind,
      db: database.db,
      plugin,
      clock,
      origin,
      base,
      errors,
      client: () => new PageClient(origin, base),
      async close() {
        await server.close();
        await database.drop();
      },
    };
  } catch (err) {
    if (running) await running.close();
    await database.drop();
    throw err;
  }
}

export function userHeader(actor: Actor, clock: ManualClock): Record<string, string> {
  return { [USER_HEADER]: signUserToken(actor, PAGE_SECRET, 3600, clock.now().getTime()) };
}

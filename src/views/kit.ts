// What every page handler shares: the middleware stack of a page request (error pages, security
// headers, session, who acts, form body, CSRF), rendering with the layout's data, PRG redirects, and
// permission checks that answer with the 403 page.
import type { Context, Middleware } from 'koa';
import type { Actor } from '../auth/actor.js';
import { recordSignedIn } from '../staff/directory.js';
import { hasPermission, ROLE_LABELS, type Permission } from '../auth/permissions.js';
import { ForbiddenError, UnauthenticatedError } from '../common/errors.js';
import { msg, type Locale } from '../common/localized.js';
import { checkRequestSource, csrfProtection, type CsrfOptions } from '../http/csrf.js';
import { pageErrorMiddleware, type ErrorPage } from '../http/pageErrors.js';
import { sessionMiddleware, type SessionHandle } from '../http/session.js';
import type { SessionStore } from '../auth/sessionStore.js';
import { translate, type MessageKey } from '../i18n/index.js';
import type { PluginContext } from '../common/context.js';
import type { ViewEngine } from './engine.js';
import { formBody, formBodyWithFiles } from './forms.js';

export interface NavItem {
  href: string;
  label: MessageKey;
  current: boolean;
}

const NAV: Array<{ path: string; label: MessageKey; permission: Permission | null; section: string }> = [
  { path: '/', label: 'nav.workbench', permission: 'complaint.view', section: 'workbench' },
  { path: '/mine', label: 'nav.mine', permission: 'complaint.handle', section: 'mine' },
  { path: '/new', label: 'nav.intake', permission: 'complaint.create', section: 'intake' },
  { path: '/list', label: 'nav.list', permission: 'complaint.view', section: 'list' },
  { path: '/incidents', label: 'nav.incidents', permission: 'complaint.assess', section: 'incidents' },
  { path: '/offsets', label: 'nav.offsets', permission: 'offset.approve', section: 'offsets' },
  { path: '/cashier', label: 'nav.cashier', permission: 'offset.apply', section: 'cashier' },
  { path: '/report', label: 'nav.report', permission: 'report.view', section: 'report' },
  { path: '/admin', label: 'nav.admin', permission: 'admin.manage', section: 'admin' },
];

/** Flash messages a redirect may name (?ok=…); anything else is ignored. */
export const FLASH_KEYS = [
  'created',
  'assessed',
  'planned',
  'resolved',
  'followedUp',
  'reopened',
  'escalated',
  'cancelled',
  'noted',
  'investigating',
  'accepted',
  'reassigned',
  'paused',
  'resumed',
  'offsetRequested',
  'offsetApproved',
  'offsetRejected',
  'offsetRevoked',
  'offsetApplied',
  'offsetReversed',
  'compensationRecorded',
  'attachmentRemoved',
  'settingsSaved',
  'signedOut',
  'ownerAdded',
  'ownerRated',
  'ownerLinkChanged',
  'incidentCreated',
  'incidentJoined',
  'incidentClosed',
  'merged',
  'improvementRecorded',
  'improvementUpdated',
] as const;
export type FlashKey = (typeof FLASH_KEYS)[number];

// Pages carry personal data and forms: never cached, never framed, scripts and styles only from us.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export interface PageKitOptions {
  context: PluginContext;
  views: ViewEngine;
  sessions: SessionStore;
  /** The routes prefix ('/complaints'). */
  base: string;
  /** Demo sign-in (mode c): sessions opened at the sign-in page say who acts. */
  signInEnabled: boolean;
  csrf?: CsrfOptions;
  log?: (err: unknown, reference: string, requestId?: string) => void;
}

export class PageKit {
  readonly context: PluginContext;
  readonly views: ViewEngine;
  readonly base: string;
  readonly signInEnabled: boolean;
  /** Middleware of every page request (GET and POST alike), in order. */
  readonly stack: Middleware[];
  /** The same for the forms that carry files: multipart/form-data accepted, within the attachment limits. */
  readonly uploadStack: Middleware[];
  /** The owner's status page forms that carry photos: no sign-in (the link is the key), our own pages only. */
  readonly ownerUploadStack: Middleware[];

  constructor(options: PageKitOptions) {
    this.context = options.context;
    this.views = options.views;
    this.base = options.base;
    this.signInEnabled = options.signInEnabled;
    this.stack = [
      securityHeaders(),
      pageErrorMiddleware((ctx, page) => this.renderErrorPage(ctx, page), options.log),
      this.signInRedirect(),
      languageCookie(this.base),
      sessionMiddleware(options.sessions, { path: this.base || '/' }),
      this.resolveActor(),
      formBody(),
      csrfProtection(options.csrf),
    ];
    const limits = async () => {
      const s = await this.context.settings.get();
      return { maxBytes: s.attachmentMaxBytes, maxFiles: s.attachmentMaxFiles };
    };
    // Before reading an upload at all: someone must be signed in and the post must come from our own pages
    // (the CSRF token itself is in the body, checked after it is read, as for every form).
    const beforeUpload: Middleware = async (ctx, next) => {
      if (ctx.method === 'POST') {
        if (!ctx.state.actor) throw new UnauthenticatedError();
        checkRequestSource(ctx, options.csrf);
      }
      await next();
    };
    const bodyIndex = this.stack.length - 2;
    this.uploadStack = [...this.stack.slice(0, bodyIndex), beforeUpload, formBodyWithFiles(limits), ...this.stack.slice(bodyIndex + 1)];
    const fromOurPages: Middleware = async (ctx, next) => {
      if (ctx.method === 'POST') checkRequestSource(ctx, options.csrf);
      await next();
    };
    this.ownerUploadStack = [...this.stack.slice(0, bodyIndex), fromOurPages, formBodyWithFiles(limits), ...this.stack.slice(bodyIndex + 1)];
  }

  /** Nobody signed in: a GET goes to the demo sign-in page (and comes back); otherwise the 401 page. */
  private signInRedirect(): Middleware {
    return async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        if (err instanceof UnauthenticatedError && this.signInEnabled && ctx.method === 'GET') {
          ctx.redirect(`${this.url('/sign-in')}?next=${encodeURIComponent(ctx.originalUrl)}`);
          return;
        }
        throw err;
      }
    };
  }

  private resolveActor(): Middleware {
    return async (ctx, next) => {
      const session = (ctx.state.session as SessionHandle).current;
      if (!ctx.state.actor && this.signInEnabled && session?.kind === 'signed_in' && session.actor) ctx.state.actor = session.actor;
      const actor = ctx.state.actor as Actor | null | undefined;
      // The staff directory without a host staff table is the people seen signing in. Remembering them
      // is best effort: a page must not fail because of it.
      if (actor) await recordSignedIn(this.context, actor).catch(() => undefined);
      await next();
    };
  }

  locale(ctx: Context): Locale {
    return (ctx.state.locale as Locale | undefined) ?? 'zh-CN';
  }

  /** A UI string in the reader's language. */
  t(ctx: Context, key: MessageKey): string {
    return translate(this.locale(ctx), key);
  }

  /** The signed-in actor, or UnauthenticatedError. */
  actor(ctx: Context): Actor {
    const actor = ctx.state.actor as Actor | null | undefined;
    if (!actor) throw new UnauthenticatedError();
    return actor;
  }

  /** The actor if they hold the permission; the 403 page otherwise. */
  require(ctx: Context, permission: Permission): Actor {
    const actor = this.actor(ctx);
    if (!hasPermission(actor, permission)) {
      throw new ForbiddenError(
        msg('您的角色没有权限使用此页面或执行此操作，未做任何修改。', 'Your role may not use this page or take this action; nothing was changed.'),
      );
    }
    return actor;
  }

  can(ctx: Context, permission: Permission): boolean {
    const actor = ctx.state.actor as Actor | null | undefined;
    return !!actor && hasPermission(actor, permission);
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** The layout's data: who, navigation, language switch, CSRF token (when a session exists). */
  private common(ctx: Context, section: string | null, csrf: string | null, selfPath?: string): Record<string, unknown> & { locale: Locale } {
    const locale = this.locale(ctx);
    const actor = (ctx.state.actor as Actor | null | undefined) ?? null;
    const session = (ctx.state.session as SessionHandle | undefined)?.current ?? null;
    // The language link reloads the page being read; after a refused POST, the page the form belongs to.
    const self = ctx.method === 'GET' ? `${ctx.path}?${ctx.querystring}` : (selfPath ?? this.url('/'));
    const [selfPathOnly = '', selfQuery = ''] = self.split('?', 2);
    const query = new URLSearchParams(selfQuery);
    query.delete('ok');
    query.set('lang', locale === 'en' ? 'zh-CN' : 'en');
    const ok = typeof ctx.query.ok === 'string' && (FLASH_KEYS as readonly string[]).includes(ctx.query.ok) ? `flash.${ctx.query.ok}` : null;
    return {
      locale,
      otherLocale: locale === 'en' ? 'zh-CN' : 'en',
      base: this.base,
      actor: actor ? { name: actor.name, roles: actor.roles.map((r) => ROLE_LABELS[r]?.[locale] ?? r).join('、') } : null,
      nav: actor
        ? NAV.filter((n) => n.permission === null || hasPermission(actor, n.permission)).map((n) => ({
            href: this.url(n.path),
            label: n.label,
            current: n.section === section,
          }))
        : [],
      canSignOut: this.signInEnabled && session?.kind === 'signed_in',
      csrf,
      langUrl: `${selfPathOnly}?${query.toString()}`,
      flash: ok,
      timezone: (ctx.state.timezone as string | undefined) ?? 'Asia/Shanghai',
    };
  }

  /** Renders a page inside the layout; opens a CSRF session when the reader has none. */
  async render(
    ctx: Context,
    page: string,
    data: Record<string, unknown> & { title: string; section?: string; selfPath?: string },
    status = 200,
  ): Promise<void> {
    const actor = (ctx.state.actor as Actor | null | undefined) ?? null;
    const session = await (ctx.state.session as SessionHandle).ensure(actor);
    if (!ctx.state.timezone) ctx.state.timezone = (await this.context.settings.get()).timezone;
    const html = this.views.render(page, { ...this.common(ctx, data.section ?? null, session.csrfToken, data.selfPath), ...data });
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = html;
  }

  /** Post/redirect/get: 303 to a page of ours, optionally naming a flash message. */
  redirect(ctx: Context, path: string, flash?: FlashKey): void {
    const url = this.url(path);
    const sep = url.includes('?') ? '&' : '?';
    ctx.status = 303;
    ctx.redirect(flash ? `${url}${sep}ok=${flash}` : url);
  }

  /** The error page: rendered without touching the database (it may be the thing that failed). */
  renderErrorPage(ctx: Context, page: ErrorPage): string {
    const locale = this.locale(ctx);
    const session = (ctx.state.session as SessionHandle | undefined)?.current ?? null;
    return this.views.render('error', {
      ...this.common(ctx, null, session?.csrfToken ?? null),
      title: page.title[locale],
      status: page.status,
      message: page.message[locale],
      details: (page.details ?? []).map((d) => d[locale]),
      reference: page.reference ?? null,
      signInUrl: page.status === 401 && this.signInEnabled ? `${this.url('/sign-in')}?next=${encodeURIComponent(ctx.originalUrl)}` : null,
      homeUrl: this.url('/'),
    });
  }
}

function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.path.includes('/assets/')) return;
    // An attachment's bytes carry their own stricter headers (src/http/attachmentResponse.ts).
    if (ctx.state.attachmentResponse) return;
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
  };
}

/** ?lang=en|zh-CN is remembered in a cookie so the choice survives the next link. */
function languageCookie(base: string): Middleware {
  return async (ctx, next) => {
    const lang = ctx.query.lang;
    if (lang === 'en' || lang === 'zh-CN') {
      ctx.cookies.set('lang', lang, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: base || '/', maxAge: 365 * 24 * 3600_000, overwrite: true });
    }
    await next();
  };
}

// CSRF protection for the page forms (koa-csrf and csurf are deprecated; Koa 3 has no maintained one):
//  1. unsafe methods from another site are refused by the browser's own Fetch Metadata (Sec-Fetch-Site)
//     and by Origin (or, when a browser sends no Origin, Referer) not matching ours;
//  2. the form must carry the session's CSRF token in the hidden field `_csrf`, compared in constant time;
//  3. the session cookie is SameSite=Lax (see session.ts).
// Any failure is a 403 that changes nothing.
import type { Middleware, Context } from 'koa';
import { timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import type { SessionHandle } from './session.js';

export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class CsrfError extends ForbiddenError {
  constructor(readonly reason: 'cross_site' | 'foreign_origin' | 'missing_token' | 'bad_token' | 'no_session') {
    super(
      reason === 'missing_token' || reason === 'bad_token' || reason === 'no_session'
        ? msg(
            '表单已过期或来源无法确认，未做任何修改。请刷新页面后重新提交。',
            'The form has expired or its origin could not be confirmed; nothing was changed. Reload the page and submit again.',
          )
        : msg('拒绝来自其他网站的请求，未做任何修改。', 'Requests from another site are refused; nothing was changed.'),
    );
    this.name = 'CsrfError';
  }
}

export function tokensEqual(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export interface CsrfOptions {
  /** Origins allowed besides our own (e.g. the ERP that proxies the pages under its own host name). */
  trustedOrigins?: string[];
}

/** Checks where an unsafe request comes from; throws CsrfError. Exported for the sign-in form too. */
export function checkRequestSource(ctx: Context, options: CsrfOptions = {}): void {
  const site = ctx.get('sec-fetch-site');
  // 'none' is a person typing or a bookmark; 'same-site' is a sibling sub-domain, which we do not trust.
  if (site && site !== 'same-origin' && site !== 'none') throw new CsrfError('cross_site');
  // Our own origin as the browser sees it (Koa 3's ctx.origin is the request's Origin header, not ours).
  const ours = `${ctx.protocol}://${ctx.host}`;
  const allowed = new Set([ours, ...(options.trustedOrigins ?? [])]);
  const origin = ctx.get('origin');
  if (origin) {
    if (!allowed.has(origin)) throw new CsrfError('foreign_origin');
    return;
  }
  const referer = ctx.get('referer');
  if (referer) {
    const from = originOf(referer);
    if (!from || !allowed.has(from)) throw new CsrfError('foreign_origin');
  }
}

/**
 * Must run after the body parser and the session middleware. Safe methods pass untouched (they change
 * nothing by construction of the page handlers).
 */
export function csrfProtection(options: CsrfOptions = {}): Middleware {
  return async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    checkRequestSource(ctx, options);
    const session = (ctx.state.session as SessionHandle | undefined)?.current;
    if (!session) throw new CsrfError('no_session');
    const body = (ctx.request as { body?: unknown }).body as Record<string, unknown> | undefined;
    const given = body?.[CSRF_FIELD];
    if (given === undefined || given === '') throw new CsrfError('missing_token');
    if (!tokensEqual(session.csrfToken, given)) throw new CsrfError('bad_token');
    await next();
  };
}

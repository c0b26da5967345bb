// Picks the reader's language: ?lang=, then the `lang` cookie, then Accept-Language; zh-CN by default.
import type { Middleware } from 'koa';
import { pickLocale, type Locale } from '../common/localized.js';

export function localeMiddleware(): Middleware {
  return async (ctx, next) => {
    const query = typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined;
    const chosen = query ?? ctx.cookies.get('lang') ?? ctx.get('accept-language').split(',')[0];
    ctx.state.locale = pickLocale(chosen) satisfies Locale;
    await next();
  };
}

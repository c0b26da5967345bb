// JSON API error shape: { error: { code, message, fields: [{ field, message }] , ...details } } in the
// reader's locale. Unexpected errors are logged and answered without internals.
import type { Middleware } from 'koa';
import { DomainError } from '../common/errors.js';
import { isConnectionError, isRetryableTransactionError } from '../db/errors.js';
import { msg, type Locale } from '../common/localized.js';

/**
 * Our transaction kept conflicting with concurrent writers (a deadlock, a lock wait, or on a Galera cluster
 * a certification conflict) and its retries ran out. Nothing was written: the caller may send the same
 * request again, and with the same idempotency key (payment id, reversal id) that is always safe.
 */
export const RETRY_LATER = {
  code: 'retry_later',
  retryAfterSeconds: 1,
  message: msg(
    '数据正被同时修改，本次请求未生效，请稍后重试（用同一收款号或作废单号重试是安全的）',
    'The data was being changed concurrently and nothing was saved; please retry shortly (retrying with the same payment or reversal id is safe)',
  ),
} as const;

/** Logs an error no rule here answers; `requestId` is the request's (requestContextMiddleware), if any. */
export type UnexpectedErrorLog = (err: unknown, requestId?: string) => void;

export function apiErrorMiddleware(log: UnexpectedErrorLog = (err) => console.error(err)): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const locale = (ctx.state.locale as Locale | undefined) ?? 'zh-CN';
      if (err instanceof DomainError) {
        ctx.status = err.status;
        ctx.body = {
          // Details first, so no detail can overwrite the code, message or fields.
          error: {
            ...err.details,
            code: err.code,
            message: err.localized[locale],
            fields: err.fields.map((f) => ({ field: f.field, message: f.message[locale] })),
          },
        };
        return;
      }
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status >= 400 && status < 500) {
        // koa/bodyparser errors: malformed JSON (400), body too large (413), wrong content type (415).
        ctx.status = status;
        const en = status === 413 ? 'Request body too large' : status === 415 ? 'Unsupported content type' : 'Malformed request body';
        const zh = status === 413 ? '请求内容过大' : status === 415 ? '不支持的内容类型' : '请求格式错误';
        ctx.body = { error: { code: `http_${status}`, message: locale === 'en' ? en : zh, fields: [] } };
        return;
      }
      if (isRetryableTransactionError(err)) {
        ctx.status = 503;
        ctx.set('Retry-After', String(RETRY_LATER.retryAfterSeconds));
        ctx.body = { error: { code: RETRY_LATER.code, message: RETRY_LATER.message[locale], retryable: true, fields: [] } };
        return;
      }
      if (isConnectionError(err)) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = {
          error: {
            code: 'database_unavailable',
            message: locale === 'en' ? 'The database is unavailable; please try again shortly' : '数据库暂时不可用，请稍后重试',
            retryable: true,
            fields: [],
          },
        };
        return;
      }
      log(err, ctx.state.requestId as string | undefined);
      ctx.status = 500;
      ctx.body = { error: { code: 'internal', message: locale === 'en' ? 'Internal error' : '系统内部错误', fields: [] } };
    }
  };
}

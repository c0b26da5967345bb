// Service-to-service requests from ERPs in other languages are signed with the shared secret:
//   X-Complaints-Timestamp: epoch seconds
//   X-Complaints-Signature: hex HMAC-SHA256(secret, `${timestamp}\n${METHOD}\n${path}\n${hex sha256(body)}`)
// where path is the request path as sent (no query string) and body the exact bytes sent ('' if none).
// Requests more than five minutes away from our clock are refused; within that window a replay can only
// repeat an idempotent call (apply and reverse are keyed by the host's ids; checks are read-only).
import { createHash, createHmac } from 'node:crypto';
import type { Middleware } from 'koa';
import { DomainError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import { safeEqual } from '../auth/signedToken.js';

export const TIMESTAMP_HEADER = 'X-Complaints-Timestamp';
export const SIGNATURE_HEADER = 'X-Complaints-Signature';
export const MAX_SKEW_MS = 5 * 60 * 1000;

export function sha256Hex(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function serviceSignature(secret: string, timestamp: string, method: string, path: string, body: string | Buffer): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}\n${method.toUpperCase()}\n${path}\n${sha256Hex(body)}`)
    .digest('hex');
}

/** The two headers an ERP (or a test) sends with a request. */
export function signServiceRequest(
  secret: string,
  request: { method: string; path: string; body?: string | Buffer },
  nowMs: number = Date.now(),
): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: serviceSignature(secret, timestamp, request.method, request.path, request.body ?? '') };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'bad_signature' };

export function verifyServiceSignature(
  secret: string,
  request: { method: string; path: string; body: string | Buffer; timestamp: string | undefined; signature: string | undefined },
  nowMs: number,
): SignatureCheck {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-fA-F]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };
  // The signature is checked before the clock so a forged request learns nothing about our time.
  const expected = Buffer.from(serviceSignature(secret, timestamp, request.method, request.path, request.body), 'hex');
  if (!safeEqual(Buffer.from(signature.toLowerCase(), 'hex'), expected)) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(nowMs - Number(timestamp) * 1000) > MAX_SKEW_MS) return { ok: false, reason: 'expired' };
  return { ok: true };
}

const REFUSALS = {
  missing: msg(
    '缺少服务签名（X-Complaints-Timestamp 与 X-Complaints-Signature）',
    'Missing service signature (X-Complaints-Timestamp and X-Complaints-Signature)',
  ),
  malformed: msg('服务签名格式不正确', 'Malformed service signature'),
  expired: msg(
    '请求时间与服务器相差超过 5 分钟，请校准时钟后重新签名',
    'The request time is more than 5 minutes away from the server clock; check the clock and sign again',
  ),
  bad_signature: msg('服务签名不正确（密钥、路径或请求内容不一致）', 'Invalid service signature (secret, path or body differ)'),
};

/**
 * Refuses unsigned, tampered or stale requests with 401. Runs after a body parser that keeps the raw
 * body (ctx.request.rawBody, as @koa/bodyparser does).
 */
export function serviceSignatureMiddleware(secret: string | undefined, now: () => number = Date.now): Middleware {
  return async (ctx, next) => {
    if (!secret) {
      throw new DomainError(
        'service_not_configured',
        503,
        msg('未配置服务密钥，收费接口不可用', 'No service secret is configured; the billing API is disabled'),
      );
    }
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    const check = verifyServiceSignature(
      secret,
      {
        method: ctx.method,
        path: ctx.originalUrl.split('?')[0]!,
        body: raw,
        timestamp: ctx.get(TIMESTAMP_HEADER) || undefined,
        signature: ctx.get(SIGNATURE_HEADER) || undefined,
      },
      now(),
    );
    if (!check.ok) throw new DomainError(`signature_${check.reason === 'bad_signature' ? 'invalid' : check.reason}`, 401, REFUSALS[check.reason]);
    await next();
  };
}

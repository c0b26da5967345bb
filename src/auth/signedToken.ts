// Signed, expiring tokens with a shared secret (HMAC-SHA256), for two uses: an ERP vouching for its
// signed-in user (X-Complaints-User) and service-to-service request signatures. Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `base64url(json).base64url(hmac)`; the payload must carry `exp` (epoch seconds). */
export function signToken(payload: Record<string, unknown> & { exp: number }, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${hmac(secret, body).toString('base64url')}`;
}

export type TokenCheck<T> = { ok: true; payload: T } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyToken<T extends { exp: number }>(token: string, secret: string, nowMs: number): TokenCheck<T> {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  if (!safeEqual(Buffer.from(signature, 'base64url'), hmac(secret, body))) return { ok: false, reason: 'bad_signature' };
  let payload: T;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}

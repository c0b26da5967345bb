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

/** Clock difference tolerated between the signer (the ERP) and us. */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * The time-window checks every signed token gets after its signature and claims: no lifetime longer than
 * the cap (counted from now and from iat), not issued in the future, not used before nbf.
 */
export function timeWindowRefusal(
  p: { exp: number; iat?: number; nbf?: number },
  nowMs: number,
  maxLifetimeSeconds: number,
): 'lifetime_too_long' | 'not_yet_valid' | null {
  const now = Math.floor(nowMs / 1000);
  if (p.exp - now > maxLifetimeSeconds + CLOCK_SKEW_SECONDS) return 'lifetime_too_long';
  if (p.iat !== undefined && (p.iat > now + CLOCK_SKEW_SECONDS || p.exp - p.iat > maxLifetimeSeconds + CLOCK_SKEW_SECONDS)) return 'lifetime_too_long';
  if (p.nbf !== undefined && p.nbf > now + CLOCK_SKEW_SECONDS) return 'not_yet_valid';
  return null;
}

/** Why a signed token was refused (for logs and tests); the request is simply not signed in. */
export type ClaimsRefusal = 'malformed' | 'bad_signature' | 'expired' | 'invalid_claims' | 'lifetime_too_long' | 'not_yet_valid';

/**
 * The one order every token of ours is checked in: signature, then every claim against its schema
 * (`hasClaims`), then the time window.
 */
export function verifyClaims<T extends { exp: number; iat?: number; nbf?: number }>(
  token: string,
  secret: string,
  nowMs: number,
  maxLifetimeSeconds: number,
  hasClaims: (payload: unknown) => payload is T,
): { ok: true; payload: T } | { ok: false; reason: ClaimsRefusal } {
  const check = verifyToken<T>(token, secret, nowMs);
  if (!check.ok) return check;
  if (!hasClaims(check.payload)) return { ok: false, reason: 'invalid_claims' };
  const late = timeWindowRefusal(check.payload, nowMs, maxLifetimeSeconds);
  return late ? { ok: false, reason: late } : check;
}

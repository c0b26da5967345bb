// The owner app's embedded pages (issue 17 item 6). A WeChat mini program's web-view or an H5 page cannot
// set the X-Complaints-Owner header, so the app opens `<prefix>/owner/app?token=<owner token>` once: the
// token is verified exactly as the header is (same HMAC scheme, claims and time window), and exchanged for
// a short-lived owner-session cookie, after which the pages are reached without the token in the address.
//
// The cookie is stateless: `base64url(JSON).base64url(HMAC)` as every signed token here, but signed with a
// key derived from the shared secret for this one use (so neither an owner token nor a user token is a
// valid session, nor the reverse) and typed `owner-app`. It lives at most OWNER_APP_SESSION_SECONDS and is
// never renewed; it cannot be withdrawn before then, which is why it is short.
import { createHmac } from 'node:crypto';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, type UserTokenRefusal } from '../auth/adapter.js';
import { verifyOwnerToken } from '../auth/ownerToken.js';
import { signToken, verifyToken } from '../auth/signedToken.js';
import type { OwnerIdentity } from './service.js';

/** Absolute lifetime of the owner-app session (enough to write a complaint and choose photos). */
export const OWNER_APP_SESSION_SECONDS = 30 * 60;
/** Browsers keep cookies up to ~4 KB; an owner with very many units is refused in words instead. */
export const OWNER_APP_COOKIE_MAX_CHARS = 3800;

interface SessionPayload {
  typ: 'owner-app';
  sub: string;
  units: string[];
  exp: number;
}

function sessionKey(secret: string): string {
  return createHmac('sha256', secret).update('owner-app-session:v1').digest('base64url');
}

export type AppSessionOpening =
  { ok: true; cookie: string; owner: OwnerIdentity; expiresAt: Date } | { ok: false; reason: UserTokenRefusal | 'too_many_units' };

/** Verifies the owner token the app put in the address and makes the session cookie's value. */
export function openAppSession(token: string, secret: string, nowMs: number, maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS): AppSessionOpening {
  const check = verifyOwnerToken(token, secret, nowMs, maxLifetimeSeconds);
  if (!check.ok) return check;
  const exp = Math.floor(nowMs / 1000) + OWNER_APP_SESSION_SECONDS;
  const payload: SessionPayload = { typ: 'owner-app', sub: check.owner.ownerId, units: check.owner.unitIds, exp };
  const cookie = signToken({ ...payload }, sessionKey(secret));
  if (cookie.length > OWNER_APP_COOKIE_MAX_CHARS) return { ok: false, reason: 'too_many_units' };
  return { ok: true, cookie, owner: { ownerId: payload.sub, unitIds: payload.units }, expiresAt: new Date(exp * 1000) };
}

/** The owner a session cookie names, or null when it is missing, forged, of another kind or expired. */
export function readAppSession(cookie: string | undefined, secret: string, nowMs: number): OwnerIdentity | null {
  if (!cookie || cookie.length > OWNER_APP_COOKIE_MAX_CHARS) return null;
  const check = verifyToken<SessionPayload>(cookie, sessionKey(secret), nowMs);
  if (!check.ok) return null;
  const p = check.payload;
  if (p.typ !== 'owner-app' || typeof p.sub !== 'string' || !Array.isArray(p.units) || !p.units.every((u) => typeof u === 'string')) return null;
  // Never longer than it was made for, whatever a clock did in between.
  if (p.exp * 1000 - nowMs > OWNER_APP_SESSION_SECONDS * 1000 + 60_000) return null;
  return { ownerId: p.sub, unitIds: p.units };
}

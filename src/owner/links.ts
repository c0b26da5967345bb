// The owner's status link: `<nonce><mac>`, 32 URL-safe characters. The nonce (12 random bytes) names the
// link row; the mac is HMAC-SHA256(secret, "owner-link:v1:<complaint id>:<nonce>") cut to 12 bytes, so
// a link is bound to its complaint, cannot be guessed (2^96 nonces) nor forged without the secret, and
// staff revoke it by withdrawing the row (a re-issue gives a new nonce, so the old link stays dead).
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../auth/signedToken.js';

const NONCE_CHARS = 16;
const TOKEN = /^[A-Za-z0-9_-]{32}$/;

export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

function mac(secret: string, complaintId: number, nonce: string): string {
  return createHmac('sha256', secret).update(`owner-link:v1:${complaintId}:${nonce}`).digest().subarray(0, 12).toString('base64url');
}

export function linkToken(secret: string, complaintId: number, nonce: string): string {
  return `${nonce}${mac(secret, complaintId, nonce)}`;
}

/** The nonce of a well-formed token (to find its row), or null. */
export function nonceOf(token: string): string | null {
  return TOKEN.test(token) ? token.slice(0, NONCE_CHARS) : null;
}

/** Whether the token's mac is the one for this complaint and nonce (constant time). */
export function tokenMatches(secret: string, token: string, complaintId: number, nonce: string): boolean {
  const given = token.slice(NONCE_CHARS);
  return safeEqual(Buffer.from(given), Buffer.from(mac(secret, complaintId, nonce)));
}

/** The page address: the public base when set, otherwise the routes prefix (a path). */
export function statusUrl(base: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/s/${token}`;
}

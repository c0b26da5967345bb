// The owner token (X-Complaints-Owner) an ERP's owner app (WeChat mini program, H5) signs for its
// signed-in owner: `base64url(JSON).base64url(HMAC-SHA256)` with the same shared secret and scheme as the
// user token. Claims: `sub` (the owner's id in the ERP), `units` (their unit ids, 1–200), `exp`, and
// optionally `iat`, `nbf`, `jti`, `iss`, `aud`, `name`. Anything else, or a lifetime above the user
// token's cap, is refused.
import { ajv } from '../common/validation.js';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, type UserTokenRefusal } from './adapter.js';
import { signToken, verifyClaims } from './signedToken.js';

export const OWNER_HEADER = 'x-complaints-owner';

const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\p{Cc}]+$' } as const;
const ownerTokenSchema = {
  type: 'object',
  required: ['sub', 'units', 'exp'],
  additionalProperties: false,
  properties: {
    sub: id,
    units: { type: 'array', items: id, minItems: 1, maxItems: 200, uniqueItems: true },
    name: { type: 'string', maxLength: 100 },
    exp: { type: 'integer', minimum: 0 },
    iat: { type: 'integer', minimum: 0 },
    nbf: { type: 'integer', minimum: 0 },
    jti: { type: 'string', maxLength: 128 },
    iss: { type: 'string', maxLength: 200 },
    aud: { type: 'string', maxLength: 200 },
  },
} as const;

interface OwnerTokenPayload {
  sub: string;
  units: string[];
  exp: number;
  iat?: number;
  nbf?: number;
}

const isOwnerToken = ajv.compile<OwnerTokenPayload>(ownerTokenSchema);

export interface OwnerClaims {
  ownerId: string;
  unitIds: string[];
  expiresAt: Date;
}

export function verifyOwnerToken(
  token: string,
  secret: string,
  nowMs: number,
  maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
): { ok: true; owner: OwnerClaims } | { ok: false; reason: UserTokenRefusal } {
  const check = verifyClaims(token, secret, nowMs, maxLifetimeSeconds, isOwnerToken);
  if (!check.ok) return check;
  const p = check.payload;
  return { ok: true, owner: { ownerId: p.sub, unitIds: [...p.units], expiresAt: new Date(p.exp * 1000) } };
}

/** What the ERP's owner app back end does to vouch for its owner (and what tests do). */
export function signOwnerToken(owner: { ownerId: string; unitIds: string[] }, secret: string, ttlSeconds = 300, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  return signToken({ sub: owner.ownerId, units: owner.unitIds, iat, exp: iat + ttlSeconds }, secret);
}

// How the plugin learns who is signed in. Three modes: in-process (the host's function), a signed
// header from an ERP in front of the standalone service, and the demo's own sign-in (src/views).
// Whatever the mode, an actor is only accepted when every field has the shape it must have: a community
// list that is not a list must never read as "all communities" (fail closed, never open).
import type { Context } from 'koa';
import { ajv } from '../common/validation.js';
import type { Actor } from './actor.js';
import { LRUCache } from 'lru-cache';
import { signToken, timeWindowRefusal, verifyClaims, type ClaimsRefusal } from './signedToken.js';

/** What the plugin tells an adapter of its settings; adapters written by a host may ignore it. */
export interface AuthLimits {
  /** The longest lifetime a signed user token may claim (exp − now), in seconds. */
  maxTokenLifetimeSeconds: number;
}

export type AuthAdapter = (ctx: Context, limits?: AuthLimits) => Promise<Actor | null> | Actor | null;

/** Without settings (a host calling an adapter itself): the settings' default, 12 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;
/** Clocks of the ERP and this service may differ by this much. */

const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\p{Cc}]+$' } as const;
const roleName = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' } as const;
const roles = { type: 'array', items: roleName, maxItems: 20, uniqueItems: true } as const;
const communities = { anyOf: [{ type: 'array', items: id, maxItems: 5000, uniqueItems: true }, { type: 'null' }] } as const;

const actorSchema = {
  type: 'object',
  required: ['id', 'name', 'roles', 'communityIds'],
  additionalProperties: true,
  properties: { id, name: { type: 'string', minLength: 1, maxLength: 100 }, roles, communityIds: communities },
} as const;

/**
 * The user token's claims. `communities` must be present: a list, or null for "all communities" said out
 * loud. Only the registered JWT-style claims may come besides; anything else is refused.
 */
const userTokenSchema = {
  type: 'object',
  required: ['sub', 'name', 'roles', 'communities', 'exp'],
  additionalProperties: false,
  properties: {
    sub: id,
    name: { type: 'string', minLength: 1, maxLength: 100 },
    roles,
    communities,
    exp: { type: 'integer', minimum: 0 },
    iat: { type: 'integer', minimum: 0 },
    nbf: { type: 'integer', minimum: 0 },
    jti: { type: 'string', maxLength: 128 },
    iss: { type: 'string', maxLength: 200 },
    aud: { type: 'string', maxLength: 200 },
  },
} as const;

interface UserTokenPayload {
  sub: string;
  name: string;
  roles: string[];
  communities: string[] | null;
  exp: number;
  iat?: number;
  nbf?: number;
}

const isActor = ajv.compile<Actor>(actorSchema);
const isUserToken = ajv.compile<UserTokenPayload>(userTokenSchema);

/** The actor if every field has its shape (a host's in-process function, a stored session); null otherwise. */
export function checkedActor(value: unknown): Actor | null {
  if (value === null || value === undefined) return null;
  return isActor(value)
    ? { id: value.id, name: value.name, roles: [...value.roles], communityIds: value.communityIds === null ? null : [...value.communityIds] }
    : null;
}

/** (a) In-process: the host passes a function returning its current user (or null). */
export function inProcessAuth(currentUser: (ctx: Context) => Promise<Actor | null> | Actor | null): AuthAdapter {
  return async (ctx) => checkedActor(await currentUser(ctx));
}

export const USER_HEADER = 'x-complaints-user';

/** Why a user token was refused (for logs and tests); the request is simply not signed in. */
export type UserTokenRefusal = ClaimsRefusal;

/** Verifies a user token: signature, then every claim against its schema, then its time window. */
export function verifyUserToken(
  token: string,
  secret: string,
  nowMs: number,
  maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
): { ok: true; actor: Actor } | { ok: false; reason: UserTokenRefusal } {
  const check = verifyClaims(token, secret, nowMs, maxLifetimeSeconds, isUserToken);
  if (!check.ok) return check;
  return { ok: true, actor: actorOfPayload(check.payload) };
}

function actorOfPayload(p: UserTokenPayload): Actor {
  return { id: p.sub, name: p.name, roles: [...p.roles], communityIds: p.communities === null ? null : [...p.communities] };
}

/** Tokens remembered by signedHeaderAuth (by count, and by text length so large community lists stay bounded). */
const VERIFIED_TOKENS_MAX = 1000;
const VERIFIED_TOKENS_MAX_CHARS = 2_000_000;

/** (b) Standalone behind the ERP: the ERP signs the user into a short-lived token header. */
export function signedHeaderAuth(secret: string, now: () => number = Date.now): AuthAdapter {
  // The ERP sends one token on every request of its lifetime. Its signature and claims are a function of
  // its exact text and the secret, so a token that passed them is remembered by its text and skips the
  // HMAC, the JSON and the schema next time; expiry and the lifetime cap depend on the clock and the
  // settings and are checked on every request, as verifyUserToken checks them.
  const verified = new LRUCache<string, UserTokenPayload>({
    max: VERIFIED_TOKENS_MAX,
    maxSize: VERIFIED_TOKENS_MAX_CHARS,
    sizeCalculation: (_payload, token) => token.length,
  });
  return (ctx, limits) => {
    const token = ctx.get(USER_HEADER);
    if (!token) return null;
    const nowMs = now();
    const maxLifetimeSeconds = limits?.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    const known = verified.get(token);
    if (known) {
      if (known.exp * 1000 <= nowMs || timeWindowRefusal(known, nowMs, maxLifetimeSeconds)) return null;
      return actorOfPayload(known);
    }
    const check = verifyClaims(token, secret, nowMs, maxLifetimeSeconds, isUserToken);
    if (!check.ok) return null;
    if (token.length <= VERIFIED_TOKENS_MAX_CHARS / 100) verified.set(token, check.payload);
    return actorOfPayload(check.payload);
  };
}

/** What an ERP (or a test) does to vouch for a user. */
export function signUserToken(actor: Actor, secret: string, ttlSeconds = 300, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  return signToken({ sub: actor.id, name: actor.name, roles: actor.roles, communities: actor.communityIds, iat, exp: iat + ttlSeconds }, secret);
}

/** Tries each adapter in turn (e.g. session first, then the signed header). */
export function firstOf(...adapters: AuthAdapter[]): AuthAdapter {
  return async (ctx, limits) => {
    for (const adapter of adapters) {
      const actor = await adapter(ctx, limits);
      if (actor) return actor;
    }
    return null;
  };
}

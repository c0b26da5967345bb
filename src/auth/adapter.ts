// How the plugin learns who is signed in. Three modes: in-process (the host's function), a signed
// header from an ERP in front of the standalone service, and the demo's own sign-in (src/views).
import type { Context } from 'koa';
import type { Actor } from './actor.js';
import { verifyToken, signToken } from './signedToken.js';

export type AuthAdapter = (ctx: Context) => Promise<Actor | null> | Actor | null;

/** (a) In-process: the host passes a function returning its current user (or null). */
export function inProcessAuth(currentUser: (ctx: Context) => Promise<Actor | null> | Actor | null): AuthAdapter {
  return currentUser;
}

export const USER_HEADER = 'x-complaints-user';

interface UserTokenPayload {
  sub: string;
  name: string;
  roles: string[];
  communities: string[] | null;
  exp: number;
}

/** (b) Standalone behind the ERP: the ERP signs the user into a short-lived token header. */
export function signedHeaderAuth(secret: string, now: () => number = Date.now): AuthAdapter {
  return (ctx) => {
    const token = ctx.get(USER_HEADER);
    if (!token) return null;
    const check = verifyToken<UserTokenPayload>(token, secret, now());
    if (!check.ok) return null;
    const p = check.payload;
    if (typeof p.sub !== 'string' || !Array.isArray(p.roles)) return null;
    return { id: p.sub, name: String(p.name ?? p.sub), roles: p.roles.map(String), communityIds: Array.isArray(p.communities) ? p.communities.map(String) : null };
  };
}

/** What an ERP (or a test) does to vouch for a user. */
export function signUserToken(actor: Actor, secret: string, ttlSeconds = 300, nowMs = Date.now()): string {
  return signToken(
    { sub: actor.id, name: actor.name, roles: actor.roles, communities: actor.communityIds, exp: Math.floor(nowMs / 1000) + ttlSeconds },
    secret,
  );
}

/** Tries each adapter in turn (e.g. session first, then the signed header). */
export function firstOf(...adapters: AuthAdapter[]): AuthAdapter {
  return async (ctx) => {
    for (const adapter of adapters) {
      const actor = await adapter(ctx);
      if (actor) return actor;
    }
    return null;
  };
}

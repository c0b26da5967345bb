// Page sessions stored in our own table (cmp_sessions), for the server-rendered forms.
//
// Why not koa-session: its default keeps the whole session in the cookie (cannot be revoked), and with an
// external store it still renews/rolls the expiry and gives no hook to bind a session to the host's user
// or to key rows by a hash of the token. What the pages need is small: a random token in an HttpOnly,
// SameSite=Lax cookie (Secure over HTTPS), its SHA-256 as the row key, an absolute lifetime, a fresh id
// at sign-in, deletion at sign-out, and a per-session CSRF token. That is this file.
import type { Context, Middleware } from 'koa';
import type { Actor } from '../auth/actor.js';
import type { PageSession, SessionStore } from '../auth/sessionStore.js';

/** What the page middleware puts on ctx.state.pageSession. */
export interface SessionHandle {
  current: PageSession | null;
  /** The current session, opening a CSRF-only session bound to `actor` when there is none. */
  ensure(actor: Actor | null): Promise<PageSession>;
  /** Sign-in: drops the current session and opens a new one (new id) that says who acts. */
  signIn(actor: Actor): Promise<PageSession>;
  /** Sign-out: deletes the session row and clears the cookie. */
  signOut(): Promise<void>;
}

export interface SessionMiddlewareOptions {
  cookieName?: string;
  /** Cookie path: the plugin's routes prefix. */
  path: string;
}

export const DEFAULT_SESSION_COOKIE = 'cmp_sid';

function cookieOptions(ctx: Context, path: string) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: ctx.secure, path: path || '/', overwrite: true };
}

/**
 * Loads the session named by the cookie into ctx.state.session (a SessionHandle). A session bound to
 * another actor than the one the host's auth reports is ignored (and replaced when a form needs one), so a
 * token issued to one user never works for another.
 */
export function sessionMiddleware(store: SessionStore, options: SessionMiddlewareOptions): Middleware {
  const name = options.cookieName ?? DEFAULT_SESSION_COOKIE;
  return async (ctx, next) => {
    let current = await store.load(ctx.cookies.get(name));
    const hostActor = (ctx.state.actor as Actor | null | undefined) ?? null;
    if (current && hostActor && current.actorId !== hostActor.id) current = null;
    if (current && !hostActor && current.kind === 'bound' && current.actorId !== null) current = null;
    const setCookie = (token: string) => ctx.cookies.set(name, token, cookieOptions(ctx, options.path));
    const handle: SessionHandle = {
      current,
      async ensure(actor) {
        if (handle.current) return handle.current;
        const { token, session } = await store.create('bound', null, actor?.id ?? null);
        setCookie(token);
        handle.current = session;
        return session;
      },
      async signIn(actor) {
        if (handle.current) await store.revoke(handle.current.id);
        const { token, session } = await store.create('signed_in', actor);
        setCookie(token);
        handle.current = session;
        return session;
      },
      async signOut() {
        if (handle.current) await store.revoke(handle.current.id);
        handle.current = null;
        ctx.cookies.set(name, '', { ...cookieOptions(ctx, options.path), maxAge: 0, expires: new Date(0) });
      },
    };
    ctx.state.session = handle;
    await next();
  };
}

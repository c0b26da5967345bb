// The signed-in person of an API request. The auth middleware upstream sets ctx.state.actor; every API
// route that acts for a person goes through requireActor, so all answer the same 401.
import type { Context, Middleware } from 'koa';
import type { Actor } from '../auth/actor.js';
import { UnauthenticatedError } from '../common/errors.js';

export const requireActor: Middleware = async (ctx, next) => {
  if (!ctx.state.actor) throw new UnauthenticatedError();
  await next();
};

/** The actor of a request that passed requireActor. */
export function actorOf(ctx: Context): Actor {
  return ctx.state.actor as Actor;
}

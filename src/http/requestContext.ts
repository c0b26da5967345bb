// The outermost middleware of the plugin's router: gives each request an id (the caller's X-Request-Id
// when it is a sane token, so a trace crosses the ERP and us; a new UUID otherwise), echoes it in the
// answer and keeps it in ctx.state.requestId for the other lines written about the request (unexpected
// errors, page errors), and writes one line and one metrics sample when the request is answered.
import type { Context, Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { PluginMetrics } from '../observability/metrics.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Letters, digits and . _ : - up to 128 characters: a UUID, a trace id, an ERP's own number. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(incoming: string | undefined): string {
  return incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

interface MatchedLayer {
  path: string | RegExp;
  methods: string[];
}

/** The route template that answered (`/complaints/api/offsets/:id`), so metrics labels stay few. */
function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { matched?: MatchedLayer[] }).matched ?? [];
  // The routers are flattened into one stack in registration order, so the first route (a layer with
  // methods; middleware has none) matching the method is the one that answered; later ones are
  // catch-alls such as the pages' 404.
  const route = matched.find((layer) => layer.methods.includes(ctx.method));
  return route ? String(route.path) : 'unmatched';
}

/** The URL decoded, so the log's masking sees a phone number or a token however it was encoded. */
function readableUrl(url: string): string {
  // A signed owner token in the address (the owner app's one-time /owner/app?token=…) never reaches the log.
  const safe = url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]');
  try {
    return decodeURIComponent(safe.replace(/\+/g, ' '));
  } catch {
    return safe;
  }
}

export function requestContextMiddleware(options: { logger: Logger; metrics: PluginMetrics }): Middleware {
  return async (ctx, next) => {
    const reqId = requestIdOf(ctx.get(REQUEST_ID_HEADER) || undefined);
    ctx.state.requestId = reqId;
    ctx.set(REQUEST_ID_HEADER, reqId);
    const started = process.hrtime.bigint();
    let failure: unknown;
    try {
      await next();
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // An error no inner middleware answered becomes Koa's 500 (or the error's own status).
      const status = failure === undefined ? ctx.status : ((failure as { status?: number }).status ?? 500);
      const route = routeOf(ctx);
      options.metrics.request(route, ctx.method, status, seconds);
      // The line is built only when it will be written (inside an ERP the plugin logs warnings only).
      const failed = status >= 500;
      if (options.logger.isLevelEnabled(failed ? 'error' : 'info')) {
        const line = {
          reqId,
          req: { method: ctx.method, url: readableUrl(ctx.originalUrl), route },
          res: { statusCode: status },
          responseTimeMs: Math.round(seconds * 1000 * 10) / 10,
        };
        if (failed) options.logger.error({ ...line, ...(failure === undefined ? {} : { err: failure }) }, 'request failed');
        else options.logger.info(line, 'request answered');
      }
    }
  };
}

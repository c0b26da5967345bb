// The standalone HTTP service (for ERPs not written in Node, and the demo): security headers, the
// plugin's router, a redirect from / to the plugin, and a graceful stop that finishes in-flight requests.
import Koa from 'koa';
import helmet from 'koa-helmet';
import net, { type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ComplaintsPlugin } from '../plugin/createPlugin.js';

export function createServerApp(plugin: ComplaintsPlugin, options: { proxy?: boolean } = {}): Koa {
  const app = new Koa({ proxy: options.proxy ?? false });
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'default-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
    }),
  );
  const prefix = plugin.router.opts.prefix ?? '/';
  app.use(async (ctx, next) => {
    if (ctx.path === '/' && prefix !== '/') return ctx.redirect(`${prefix}/`);
    await next();
  });
  // Fee collection first: its lane holds only the billing routes; whatever it has no route for goes on.
  app.use(plugin.billingRouter.routes());
  app.use(plugin.router.routes());
  app.use(plugin.router.allowedMethods());
  return app;
}

export interface CloseResult {
  /** Connections still busy when the timeout ran out, closed without their answer. */
  forced: number;
}

export interface RunningServer {
  server: Server;
  url: string;
  /**
   * Stops accepting connections and resolves once every open one has finished its requests and closed;
   * with `timeoutMs`, connections still busy then are destroyed (and counted in `forced`).
   */
  close(options?: { timeoutMs?: number }): Promise<CloseResult>;
}

export async function listen(app: Koa, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  // Every connection with its requests in progress, so close() can tell a keep-alive connection waiting
  // for its next request (closed at once) from one accepted a moment ago whose first request has not been
  // read yet (given a moment): http.Server#close treats both as idle and destroys them, and the client of
  // the second sees its request reset although the server had accepted the connection.
  const connections = new Map<Socket, { active: Set<ServerResponse>; answered: number }>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: new Set(), answered: 0 });
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = connections.get(req.socket);
    if (!state) return;
    state.active.add(res);
    // While stopping, every answer closes its connection, so no client sends another request on it.
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      state.active.delete(res);
      state.answered++;
      if (closing && state.active.size === 0) req.socket.end();
    });
  });
  return {
    server,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}`,
    close: ({ timeoutMs }: { timeoutMs?: number } = {}) =>
      new Promise<CloseResult>((resolve) => {
        closing = true;
        let forced = 0;
        // Stop accepting new connections; resolves once every open one has closed.
        net.Server.prototype.close.call(server, () => {
          clearTimeout(fresh);
          clearTimeout(deadline);
          resolve({ forced });
        });
        for (const [socket, state] of connections) {
          if (state.active.size === 0 && state.answered > 0) socket.end();
          for (const res of state.active) if (!res.headersSent) res.setHeader('Connection', 'close');
        }
        // A connection that has not sent a request yet gets a moment to do so; then it is closed too.
        const fresh = setTimeout(() => {
          for (const [socket, state] of connections) if (state.active.size === 0) socket.destroy();
        }, FIRST_REQUEST_GRACE_MS);
        fresh.unref();
        // Requests that outlast the grace period (a lock never released, a client that never reads) lose
        // their connection, so the process can still stop.
        const deadline =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                for (const [socket, state] of connections) {
                  if (state.active.size > 0) forced++;
                  socket.destroy();
                }
              }, timeoutMs);
        deadline?.unref();
      }),
  };
}

/** How long a connection accepted just before close() may take to send its first request. */
const FIRST_REQUEST_GRACE_MS = 2000;

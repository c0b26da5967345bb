// The standalone HTTP service (for ERPs not written in Node, and the demo): security headers, the
// plugin's router, a redirect from / to the plugin, and a graceful stop that finishes in-flight requests.
import Koa from 'koa';
import helmet from 'koa-helmet';
import type { Server } from 'node:http';
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
  app.use(plugin.router.routes());
  app.use(plugin.router.allowedMethods());
  return app;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Koa, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
        server.closeIdleConnections();
      }),
  };
}

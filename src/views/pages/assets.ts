// The pages' stylesheet and script, from memory (read once at start), with a content hash in the URL
// so browsers may keep them for a year; conditional requests answer 304.
import type Router from '@koa/router';
import type { PageKit } from '../kit.js';

export function registerAssets(router: Router, kit: PageKit): void {
  router.get('/assets/:name', async (ctx) => {
    const asset = kit.views.asset(ctx.params.name ?? '');
    if (!asset) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'Not found';
      return;
    }
    ctx.set('ETag', asset.etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', ctx.query.v === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (ctx.get('if-none-match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  });
}

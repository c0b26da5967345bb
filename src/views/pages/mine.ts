// 我的派单: a handler's own open jobs on a phone-sized page (an engineer on site opens it on their phone),
// most urgent first, each with its next action one tap away: accept, resume, or the form of the next step.
import type Router from '@koa/router';
import { UNRESOLVED_STATES } from '../../complaints/states.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../services.js';
import { jobEntry } from './jobs.js';

export function registerMine(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/mine', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.handle');
    const settings = await kit.context.settings.get();
    const now = kit.context.clock.now();
    const locale = kit.locale(ctx);
    const [open, resolved] = await Promise.all([
      services.complaints.listJobs({ state: [...UNRESOLVED_STATES], assigneeId: actor.id, sort: 'dueAt', limit: 100 }, actor),
      services.complaints.listJobs({ state: ['resolved'], assigneeId: actor.id, sort: 'dueAt', limit: 20 }, actor),
    ]);
    // Waiting for acceptance first, then by deadline (a paused clock's deadline is not running: last).
    const items = [...open.items].sort((a, b) => {
      const rank = (c: (typeof open.items)[number]) => (c.assigneeId === actor.id && !c.acceptedAt ? 0 : c.pausedAt ? 2 : 1);
      return rank(a) - rank(b) || (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity);
    });
    const url = (path: string) => kit.url(path);
    await kit.render(ctx, 'mine', {
      title: kit.t(ctx, 'mine.title'),
      section: 'mine',
      returnTo: '/mine',
      entries: items.map((c) => jobEntry(c, actor, settings, now, locale, url)),
      followUps: resolved.items.map((c) => jobEntry(c, actor, settings, now, locale, url)),
      more: !!open.nextCursor,
    });
  });
}

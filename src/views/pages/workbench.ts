// 工作台: what needs me now. My open complaints, overdue ones, follow-up visits due today, offsets
// waiting for my approval, and counts at a glance. Every number comes from the services' lists.
import type Router from '@koa/router';
import { hasPermission } from '../../auth/permissions.js';
import { OPEN_STATES, UNRESOLVED_STATES } from '../../complaints/states.js';
import { nextDay, startOfZonedDay, localDate } from '../../calendar/zoned.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../router.js';
import { complaintRow, offsetRow } from './viewModels.js';

export function registerWorkbench(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const settings = await kit.context.settings.get();
    const now = kit.context.clock.now();
    const endOfToday = startOfZonedDay(nextDay(localDate(now, settings.timezone)), settings.timezone);
    const { complaints, offsets } = services;
    const [assigned, open, overdue, resolved, recent] = await Promise.all([
      complaints.list({ state: [...OPEN_STATES], assigneeId: actor.id, sort: 'dueAt', limit: 10 }, actor),
      complaints.list({ state: [...OPEN_STATES], limit: 1 }, actor),
      complaints.list({ state: [...UNRESOLVED_STATES, 'resolved'], overdue: true, sort: 'dueAt', limit: 10 }, actor),
      complaints.list({ state: ['resolved'], sort: 'dueAt', limit: 100 }, actor),
      complaints.list({ sort: '-receivedAt', limit: 10 }, actor),
    ]);
    const followUpsDue = resolved.items.filter((c) => c.dueAt && c.dueAt.getTime() < endOfToday.getTime());

    let awaiting: ReturnType<typeof offsetRow>[] = [];
    let limit: number | null | undefined;
    const approver = hasPermission(actor, 'offset.approve');
    if (approver) {
      limit = await offsets.approvalLimitFen(actor);
      const queue = await offsets.list({ status: 'requested', perPage: 50 }, actor);
      awaiting = queue.items
        .filter((o) => o.effectiveStatus === 'requested' && o.requestedBy !== actor.id && limit !== undefined && (limit === null || o.requestedFen <= limit))
        .map(offsetRow);
    }
    const row = (c: Parameters<typeof complaintRow>[0]) => complaintRow(c, settings, now);
    // 1–2 star owner ratings wait on the supervisor's workbench until marked seen (views/partials/ownerLowRatings.hbs).
    const lowRatings = hasPermission(actor, 'complaint.assess') ? await services.owner.lowRatings(actor) : [];
    await kit.render(ctx, 'workbench', {
      title: kit.t(ctx, 'workbench.title'),
      section: 'workbench',
      canCreate: hasPermission(actor, 'complaint.create'),
      approver,
      limitFen: limit ?? null,
      unlimited: limit === null,
      counts: {
        assigned: assigned.total,
        open: open.total,
        openCapped: open.totalCapped,
        overdue: overdue.total,
        followUpsDue: followUpsDue.length,
        awaiting: awaiting.length,
      },
      assigned: assigned.items.map(row),
      overdue: overdue.items.map(row),
      followUpsDue: followUpsDue.slice(0, 10).map(row),
      recent: recent.items.map(row),
      awaiting: awaiting.slice(0, 10),
      lowRatings: lowRatings.map((r) => ({ ...r, starsText: '★'.repeat(r.stars) + '☆'.repeat(5 - r.stars) })),
      listUrls: {
        open: kit.url(`/list?${new URLSearchParams([...OPEN_STATES.map((s) => ['state', s]), ['sort', 'dueAt']]).toString()}`),
        overdue: kit.url('/list?overdue=1&sort=dueAt'),
        followUps: kit.url('/list?state=resolved&sort=dueAt'),
      },
    });
  });
}

// 工作台: what needs me now. My open complaints, overdue ones, follow-up visits due today, offsets
// waiting for my approval, and counts at a glance. Every number comes from the services' lists.
import type Router from '@koa/router';
import { hasPermission } from '../../auth/permissions.js';
import { OPEN_STATES, UNRESOLVED_STATES } from '../../complaints/states.js';
import { nextDay, startOfZonedDay, localDate } from '../../calendar/zoned.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../services.js';
import { complaintRow, offsetRow } from './viewModels.js';
import { jobEntry, type JobEntry } from './jobs.js';
import type { ComplaintJob } from '../../complaints/store/complaints.js';
import type { Action } from '../../complaints/states.js';
import type { MessageKey } from '../../i18n/index.js';

/** One queue of the workbench's lead: what needs this person next, each entry one click from its action. */
interface Queue {
  id: string;
  title: MessageKey;
  hint?: MessageKey;
  entries: JobEntry[];
  more: boolean;
  listUrl?: string;
}

/**
 * The order the queues lead in, by what the role does first: a handler accepts and works their jobs, the
 * counter visits owners back, a supervisor watches dispatches nobody accepted and stopped clocks, an
 * approver approves.
 */
function leadOrder(actor: Parameters<typeof hasPermission>[0]): string[] {
  if (hasPermission(actor, 'complaint.plan')) return ['toAccept', 'waitingAcceptance', 'dueToday', 'paused', 'followUpsToday', 'followUpsTomorrow', 'offsets'];
  if (hasPermission(actor, 'complaint.handle')) return ['toAccept', 'dueToday', 'paused', 'followUpsToday', 'followUpsTomorrow'];
  if (hasPermission(actor, 'complaint.follow_up')) return ['followUpsToday', 'followUpsTomorrow', 'dueToday', 'paused'];
  return ['offsets', 'paused', 'dueToday'];
}

export function registerWorkbench(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const settings = await kit.context.settings.get();
    const now = kit.context.clock.now();
    const endOfToday = startOfZonedDay(nextDay(localDate(now, settings.timezone)), settings.timezone);
    const { complaints, offsets } = services;
    // List rows where a row is all that is shown, jobs where the next action is offered: never whole rows.
    const [assigned, open, overdue, resolved, recent] = await Promise.all([
      complaints.listSummaries({ state: [...OPEN_STATES], assigneeId: actor.id, sort: 'dueAt', limit: 10 }, actor),
      complaints.listSummaries({ state: [...OPEN_STATES], limit: 1 }, actor),
      complaints.listSummaries({ state: [...UNRESOLVED_STATES, 'resolved'], overdue: true, sort: 'dueAt', limit: 10 }, actor),
      complaints.listJobs({ state: ['resolved'], sort: 'dueAt', limit: 100 }, actor),
      complaints.listSummaries({ sort: '-receivedAt', limit: 10 }, actor),
    ]);
    const followUpsDue = resolved.items.filter((c) => c.dueAt && c.dueAt.getTime() < endOfToday.getTime());
    const endOfTomorrow = startOfZonedDay(nextDay(nextDay(localDate(now, settings.timezone))), settings.timezone);
    const locale = kit.locale(ctx);
    const url = (path: string) => kit.url(path);
    const entry = (c: ComplaintJob, prefer?: Action) => jobEntry(c, actor, settings, now, locale, url, prefer);
    // A handler (no planning right) sees their own jobs in the deadline and pause queues; others all they may see.
    const own = hasPermission(actor, 'complaint.plan') ? {} : { assigneeId: actor.id };
    const QUEUE = 20;
    const [toAccept, waiting, unresolved, paused, unassigned] = await Promise.all([
      hasPermission(actor, 'complaint.handle')
        ? complaints.listJobs({ state: ['investigating', 'processing'], assigneeId: actor.id, awaitingAcceptance: true, sort: 'dueAt', limit: QUEUE }, actor)
        : null,
      hasPermission(actor, 'complaint.plan')
        ? complaints.listJobs({ state: ['investigating', 'processing'], awaitingAcceptance: true, sort: 'dueAt', limit: QUEUE }, actor)
        : null,
      complaints.listJobs({ state: [...UNRESOLVED_STATES], paused: false, ...own, sort: 'dueAt', limit: 100 }, actor),
      complaints.listJobs({ state: [...UNRESOLVED_STATES], paused: true, ...own, sort: 'dueAt', limit: QUEUE }, actor),
      hasPermission(actor, 'complaint.plan') ? complaints.listJobs({ state: ['processing'], unassigned: true, sort: 'dueAt', limit: QUEUE }, actor) : null,
    ]);
    const dueToday = unresolved.items.filter((c) => c.dueAt && c.dueAt.getTime() >= now.getTime() && c.dueAt.getTime() < endOfToday.getTime());
    const followUpsTomorrow = resolved.items.filter((c) => c.dueAt && c.dueAt.getTime() >= endOfToday.getTime() && c.dueAt.getTime() < endOfTomorrow.getTime());
    const canFollowUp = hasPermission(actor, 'complaint.follow_up');

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
    const queues: Record<string, Queue | null> = {
      toAccept: toAccept && {
        id: 'toAccept',
        title: 'workbench.toAccept',
        entries: toAccept.items.map((c) => entry(c, 'accept')),
        more: !!toAccept.nextCursor,
      },
      waitingAcceptance: waiting && {
        id: 'waitingAcceptance',
        title: 'workbench.waitingAcceptance',
        hint: 'workbench.waitingAcceptanceHint',
        // Someone else's job waiting: the supervisor's one click is to reassign it.
        entries: waiting.items.filter((c) => c.assigneeId !== actor.id).map((c) => entry(c, 'reassign')),
        more: !!waiting.nextCursor,
      },
      unassigned: unassigned && {
        id: 'unassigned',
        title: 'workbench.unassigned',
        entries: unassigned.items.map((c) => entry(c, 'reassign')),
        more: !!unassigned.nextCursor,
      },
      dueToday: { id: 'dueToday', title: 'workbench.dueToday', entries: dueToday.slice(0, QUEUE).map((c) => entry(c)), more: dueToday.length > QUEUE },
      paused: {
        id: 'paused',
        title: 'workbench.paused',
        entries: paused.items.map((c) => entry(c, 'resume')),
        more: !!paused.nextCursor,
        listUrl: kit.url('/list?paused=1&sort=dueAt'),
      },
      followUpsToday: canFollowUp
        ? {
            id: 'followUpsToday',
            title: 'workbench.followUpsDue',
            entries: followUpsDue.slice(0, QUEUE).map((c) => entry(c, 'follow-up')),
            more: followUpsDue.length > QUEUE,
          }
        : null,
      followUpsTomorrow: canFollowUp
        ? {
            id: 'followUpsTomorrow',
            title: 'workbench.followUpsTomorrow',
            entries: followUpsTomorrow.slice(0, QUEUE).map((c) => entry(c, 'follow-up')),
            more: followUpsTomorrow.length > QUEUE,
          }
        : null,
    };
    const lead = leadOrder(actor).flatMap((id) => (id === 'offsets' ? [] : queues[id] ? [queues[id]] : []));
    await kit.render(ctx, 'workbench', {
      title: kit.t(ctx, 'workbench.title'),
      section: 'workbench',
      canCreate: hasPermission(actor, 'complaint.create'),
      lead,
      returnTo: '/',
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

// Deadline policies (时限标准) and routing rules (派单规则), read from settings. Both are tables keyed by
// category and one other axis with '*' for any; the most specific row wins (both axes named, then the
// category alone, then the other axis alone, then '*' × '*'). Without a deadline policy the promise is
// replyPromiseHours on the service calendar, as before policies existed.
import { addServiceTime, type ServiceCalendar } from '../calendar/calendar.js';
import type { DeadlinePolicy, RoutingRule, Settings } from '../settings/settings.js';
import type { Severity } from './vocabulary.js';

export type DeadlineClock = 'working' | 'calendar';

function mostSpecific<T>(rows: readonly T[], category: string, other: string | null, pick: (row: T) => [string, string]): T | null {
  let best: T | null = null;
  let bestScore = -1;
  for (const row of rows) {
    const [c, o] = pick(row);
    if (c !== '*' && c !== category) continue;
    if (o !== '*' && o !== other) continue;
    const score = (c !== '*' ? 2 : 0) + (o !== '*' ? 1 : 0);
    if (score > bestScore) {
      best = row;
      bestScore = score;
    }
  }
  return best;
}

export function policyFor(settings: Settings, category: string, severity: Severity | null): DeadlinePolicy | null {
  return mostSpecific(settings.deadlinePolicies ?? [], category, severity, (p) => [p.category, p.severity]);
}

export function routeFor(settings: Settings, category: string, communityId: string | null): RoutingRule | null {
  return mostSpecific(settings.routingRules ?? [], category, communityId, (r) => [r.category, r.communityId]);
}

/** The service calendar counted on a given clock (the holidays and hours are the calendar's own). */
export function calendarOn(settings: Settings, clock: DeadlineClock | null | undefined): ServiceCalendar {
  const calendar = settings.serviceCalendar;
  return clock && clock !== calendar.mode ? { ...calendar, mode: clock } : calendar;
}

export interface Deadlines {
  /** The promise printed on the slip. */
  replyDueAt: Date;
  /** What a plan made now should be due by (pre-filled in the plan form). */
  handlingDueAt: Date;
  replyHours: number;
  handlingHours: number | null;
  clock: DeadlineClock;
  /** Whether a policy said so (false: the replyPromiseHours default). */
  fromPolicy: boolean;
}

/** The promise and the handling deadline for a complaint received (or planned) at `from`. */
export function deadlinesFor(settings: Settings, category: string, severity: Severity | null, from: Date): Deadlines {
  const policy = policyFor(settings, category, severity);
  const clock: DeadlineClock = policy?.clock ?? settings.serviceCalendar.mode;
  const calendar = calendarOn(settings, clock);
  const replyHours = policy?.replyHours ?? settings.replyPromiseHours;
  const handlingHours = policy?.handlingHours ?? null;
  return {
    replyDueAt: addServiceTime(from, replyHours, calendar, settings.timezone),
    handlingDueAt: addServiceTime(from, handlingHours ?? replyHours, calendar, settings.timezone),
    replyHours,
    handlingHours,
    clock,
    fromPolicy: policy !== null,
  };
}

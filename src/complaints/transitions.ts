// What each action writes. The state machine (states.ts) decides whether the move is allowed; these
// builders turn a validated input into the fields to change, including the stage deadline (due_at).
// The reply promise and the follow-up window are counted in service time (src/calendar): plain hours in
// 'calendar' mode, working hours on working days in 'working' mode.
import type { Actor } from '../auth/actor.js';
import { addServiceTime, deadlineAfterPause, serviceMsBetween } from '../calendar/calendar.js';
import { calendarOn } from './policies.js';
import type { Settings } from '../settings/settings.js';
import type { Action, ComplaintState } from './states.js';
import type { TransitionInputs } from './schemas.js';
import type { Complaint } from './types.js';
import { NOTE_DEFAULT_VISIBILITY, REPLY_DEFAULT_VISIBILITY, type Visibility } from './visibility.js';

/** The reply promised at receipt: replyPromiseHours of service time after the complaint was received. */
export function replyPromiseDue(receivedAt: Date, settings: Settings): Date {
  return addServiceTime(receivedAt, settings.replyPromiseHours, settings.serviceCalendar, settings.timezone);
}

/** When the follow-up visit (回访) is due: followUpHours of service time after the reply. */
export function followUpDue(resolvedAt: Date, settings: Settings): Date {
  return addServiceTime(resolvedAt, settings.followUpHours, settings.serviceCalendar, settings.timezone);
}

/**
 * The deadline of the stage a complaint is in: reply promise, plan deadline, follow-up due; none once
 * closed. The reply promise stored at receipt wins, so a later change of settings does not move it.
 */
export function stageDueAt(
  c: Pick<Complaint, 'state' | 'receivedAt' | 'planDeadline' | 'followUpDueAt'> & {
    replyDueAt?: Date | null;
    replyDueEffectiveAt?: Date | null;
    planDueEffectiveAt?: Date | null;
  },
  settings: Settings,
): Date | null {
  switch (c.state) {
    case 'received':
    case 'investigating':
      // Moved by pauses, if any; the promise itself (replyDueAt) stays as printed.
      return c.replyDueEffectiveAt ?? c.replyDueAt ?? replyPromiseDue(c.receivedAt, settings);
    case 'processing':
      return c.planDueEffectiveAt ?? c.planDeadline;
    case 'resolved':
      return c.followUpDueAt;
    default:
      return null;
  }
}

export interface BuiltChange {
  patch: Partial<Complaint>;
  note: string | null;
  /** Who may read the note (internal unless the input chose otherwise). */
  noteVisibility: Visibility;
}

export function buildChange<A extends Exclude<Action, 'follow-up'>>(
  action: A,
  current: Complaint,
  input: TransitionInputs[A],
  to: ComplaintState,
  ctx: { now: Date; settings: Settings; actor: Actor; assigneeName?: string; plannedAt?: Date | null },
): BuiltChange {
  const { now, settings, actor } = ctx;
  let patch: Partial<Complaint> = {};
  switch (action) {
    case 'start-investigation': {
      const i = input as TransitionInputs['start-investigation'];
      patch = { department: i.department, assigneeId: i.assigneeId, assigneeName: ctx.assigneeName ?? i.assigneeName };
      if (i.assigneeId && i.assigneeId !== current.assigneeId) patch.acceptedAt = null;
      break;
    }
    case 'assess': {
      const i = input as TransitionInputs['assess'];
      const property = i.disputeType === 'property';
      patch = {
        disputeType: i.disputeType,
        // A property dispute has no third party to blame.
        thirdParty: property ? null : (i.thirdParty ?? current.thirdParty),
        responsibilityExplained: property ? null : (i.responsibilityExplained ?? current.responsibilityExplained),
        nature: i.nature,
        severity: i.severity,
        category: i.category,
        findings: i.findings,
      };
      break;
    }
    case 'plan': {
      const i = input as TransitionInputs['plan'];
      patch = {
        department: i.department,
        // Nobody picked (and no routing rule): whoever was named at the investigation keeps it.
        assigneeId: i.assigneeId ?? current.assigneeId,
        assigneeName: i.assigneeId ? (ctx.assigneeName ?? i.assigneeName ?? null) : current.assigneeName,
        // A new handler accepts anew; the same handler keeps their acceptance.
        acceptedAt: (i.assigneeId ?? current.assigneeId) === current.assigneeId ? current.acceptedAt : null,
        // A new plan deadline: no pause has moved it yet.
        planDueEffectiveAt: null,
        planMeasures: i.measures,
        planDeadline: new Date(i.deadline),
        thirdParty: i.thirdParty,
        responsibilityExplained: i.responsibilityExplained,
      };
      break;
    }
    case 'accept':
      patch = { acceptedAt: now };
      break;
    case 'reassign': {
      const i = input as TransitionInputs['reassign'];
      patch = { assigneeId: i.assigneeId, assigneeName: ctx.assigneeName, department: i.department, acceptedAt: null };
      break;
    }
    case 'pause': {
      const i = input as TransitionInputs['pause'];
      patch = { pausedAt: now, pauseReason: i.reason, pauseParty: i.party };
      break;
    }
    case 'resume':
      patch = resumePatch(current, now, settings, ctx.plannedAt ?? null);
      break;
    case 'resolve': {
      const i = input as TransitionInputs['resolve'];
      patch = {
        resolutionReply: i.reply,
        resolutionBasis: i.basis,
        replyVisibility: i.replyVisibility ?? REPLY_DEFAULT_VISIBILITY,
        resolvedAt: now,
        resolvedBy: actor.id,
        followUpDueAt: followUpDue(now, settings),
        nature: i.nature,
        disputeType: i.disputeType,
        thirdParty: i.thirdParty,
        responsibilityExplained: i.responsibilityExplained,
        // Answered at the counter without an assessment: a communicative complaint is minor.
        severity: current.severity ?? 'minor',
      };
      break;
    }
    case 'cancel': {
      const i = input as TransitionInputs['cancel'];
      patch = { cancelKind: i.cancelKind, cancelReason: i.reason, cancelledAt: now };
      break;
    }
    case 'escalate': {
      const i = input as TransitionInputs['escalate'];
      patch = { severity: i.severity, escalatedAt: now, escalationReason: i.reason };
      break;
    }
    case 'note':
      break;
  }
  const merged = { ...current, ...definedOnly(patch), state: to };
  const reason = action === 'reassign' || action === 'pause' ? (input as { reason: string }).reason : null;
  const typed = (input as { note?: string }).note ?? null;
  return {
    patch: { ...definedOnly(patch), state: to, dueAt: stageDueAt(merged, settings) },
    note: reason && typed ? `${reason}；${typed}` : (reason ?? typed),
    noteVisibility: (input as { noteVisibility?: Visibility }).noteVisibility ?? NOTE_DEFAULT_VISIBILITY,
  };
}

/** What one pause stopped: service time on the complaint's clock and plain time, in ms. */
export function pauseSpan(c: Pick<Complaint, 'deadlineClock'>, pausedAt: Date, resumedAt: Date, settings: Settings): { serviceMs: number; calendarMs: number } {
  const calendar = calendarOn(settings, c.deadlineClock);
  return {
    serviceMs: serviceMsBetween(pausedAt, resumedAt, calendar, settings.timezone),
    calendarMs: Math.max(0, resumedAt.getTime() - pausedAt.getTime()),
  };
}

/**
 * Resuming the clock: the promise and the plan deadline move by the service time the pause stopped
 * (counted on the complaint's own clock: working hours skip holidays and count make-up working days), and
 * escalation age by the plain time, so none of the pause counts against the company. The printed promise
 * (replyDueAt) and the plan's own deadline stay as they were: the moved ones are kept beside them.
 */
function resumePatch(current: Complaint, now: Date, settings: Settings, plannedAt: Date | null): Partial<Complaint> {
  const pausedAt = current.pausedAt!;
  const calendar = calendarOn(settings, current.deadlineClock);
  const tz = settings.timezone;
  const promise = current.replyDueEffectiveAt ?? current.replyDueAt ?? replyPromiseDue(current.receivedAt, settings);
  const plan = current.planDueEffectiveAt ?? current.planDeadline;
  const plainMs = Math.max(0, now.getTime() - pausedAt.getTime());
  const ageFrom = current.escalationFrom ?? current.originalReceivedAt;
  return {
    pausedAt: null,
    pauseReason: null,
    pauseParty: null,
    pausedMs: (current.pausedMs ?? 0) + plainMs,
    escalationFrom: new Date(ageFrom.getTime() + plainMs),
    replyDueEffectiveAt: deadlineAfterPause(promise, pausedAt, now, calendar, tz),
    // A plan made during the pause counts the pause only from when it was made.
    planDueEffectiveAt: plan ? deadlineAfterPause(plan, plannedAt && plannedAt > pausedAt ? plannedAt : pausedAt, now, calendar, tz) : null,
  };
}

function definedOnly(patch: Partial<Complaint>): Partial<Complaint> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<Complaint>;
}

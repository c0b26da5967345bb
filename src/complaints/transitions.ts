// What each action writes. The state machine (states.ts) decides whether the move is allowed; these
// builders turn a validated input into the fields to change, including the stage deadline (due_at).
// The reply promise and the follow-up window are counted in service time (src/calendar): plain hours in
// 'calendar' mode, working hours on working days in 'working' mode.
import type { Actor } from '../auth/actor.js';
import { addServiceTime } from '../calendar/calendar.js';
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
  c: Pick<Complaint, 'state' | 'receivedAt' | 'planDeadline' | 'followUpDueAt'> & { replyDueAt?: Date | null },
  settings: Settings,
): Date | null {
  switch (c.state) {
    case 'received':
    case 'investigating':
      return c.replyDueAt ?? replyPromiseDue(c.receivedAt, settings);
    case 'processing':
      return c.planDeadline;
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
  ctx: { now: Date; settings: Settings; actor: Actor },
): BuiltChange {
  const { now, settings, actor } = ctx;
  let patch: Partial<Complaint> = {};
  switch (action) {
    case 'start-investigation': {
      const i = input as TransitionInputs['start-investigation'];
      patch = { department: i.department, assigneeId: i.assigneeId, assigneeName: i.assigneeName };
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
        assigneeId: i.assigneeId,
        assigneeName: i.assigneeName,
        planMeasures: i.measures,
        planDeadline: new Date(i.deadline),
        thirdParty: i.thirdParty,
        responsibilityExplained: i.responsibilityExplained,
      };
      break;
    }
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
  return {
    patch: { ...definedOnly(patch), state: to, dueAt: stageDueAt(merged, settings) },
    note: (input as { note?: string }).note ?? null,
    noteVisibility: (input as { noteVisibility?: Visibility }).noteVisibility ?? NOTE_DEFAULT_VISIBILITY,
  };
}

function definedOnly(patch: Partial<Complaint>): Partial<Complaint> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<Complaint>;
}

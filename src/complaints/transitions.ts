// What each action writes. The state machine (states.ts) decides whether the move is allowed; these
// builders turn a validated input into the fields to change, including the stage deadline (due_at).
import type { Actor } from '../auth/actor.js';
import type { Settings } from '../settings/settings.js';
import type { Action, ComplaintState } from './states.js';
import type { TransitionInputs } from './schemas.js';
import type { Complaint } from './types.js';

const HOUR_MS = 60 * 60 * 1000;

/** The deadline of the stage a complaint is in: reply promise, plan deadline, follow-up due; none once closed. */
export function stageDueAt(c: Pick<Complaint, 'state' | 'receivedAt' | 'planDeadline' | 'followUpDueAt'>, settings: Settings): Date | null {
  switch (c.state) {
    case 'received':
    case 'investigating':
      return new Date(c.receivedAt.getTime() + settings.replyPromiseHours * HOUR_MS);
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
        resolvedAt: now,
        resolvedBy: actor.id,
        followUpDueAt: new Date(now.getTime() + settings.followUpHours * HOUR_MS),
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
  };
}

function definedOnly(patch: Partial<Complaint>): Partial<Complaint> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<Complaint>;
}

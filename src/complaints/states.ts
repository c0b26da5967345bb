// The closed loop as a table: for each action, the states it may start from, where it leads, the
// permission it needs, and the facts it requires. Everything else is refused, so the table is the rule.
import type { Actor } from '../auth/actor.js';
import { hasPermission, type Permission } from '../auth/permissions.js';
import { ConflictError, NotFoundError, ValidationError, fieldError, type FieldError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { isCommunicative, severityRank, type DisputeType, type Nature, type Severity, type ThirdParty } from './vocabulary.js';

export const STATE_LABELS = {
  received: msg('已受理', 'Received'),
  investigating: msg('调查核实中', 'Investigating'),
  processing: msg('处理中', 'Processing'),
  resolved: msg('已回复', 'Resolved'),
  closed: msg('已关闭', 'Closed'),
  closed_unsatisfied: msg('回访不满意关闭', 'Closed, unsatisfied'),
  cancelled: msg('已撤销', 'Cancelled'),
  merged: msg('已合并', 'Merged'),
} satisfies Record<string, Localized>;
export type ComplaintState = keyof typeof STATE_LABELS;
export const STATES = Object.keys(STATE_LABELS) as ComplaintState[];

/** Not yet answered: escalation counts these. */
export const UNRESOLVED_STATES: readonly ComplaintState[] = ['received', 'investigating', 'processing'];
/** Not closed: anything may still happen to these. */
export const OPEN_STATES: readonly ComplaintState[] = [...UNRESOLVED_STATES, 'resolved'];

export const ACTIONS = [
  'start-investigation',
  'assess',
  'plan',
  'accept',
  'reassign',
  'pause',
  'resume',
  'resolve',
  'cancel',
  'escalate',
  'note',
  'follow-up',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What the rules look at: the complaint's current classification and state. */
export interface Facts {
  state: ComplaintState;
  nature: Nature | null;
  severity: Severity | null;
  disputeType: DisputeType | null;
  thirdParty: ThirdParty | null;
  responsibilityExplained: boolean | null;
  escalatedAt: Date | null;
  /** When the clock was paused (挂起); null or absent while it runs. */
  pausedAt?: Date | null;
  assigneeId?: string | null;
  acceptedAt?: Date | null;
}

/** The parts of any command's input the rules read. */
export interface RuleInput {
  nature?: Nature;
  severity?: Severity;
  disputeType?: DisputeType;
  thirdParty?: ThirdParty;
  responsibilityExplained?: boolean;
  deadline?: string;
  satisfied?: boolean;
}

export interface TransitionRule {
  action: Action;
  label: Localized;
  permission: Permission;
  from: readonly ComplaintState[];
  to(facts: Facts, input: RuleInput): ComplaintState;
  /** A refusal that depends on more than the state (answered 409 like a wrong state). */
  refuse?(facts: Facts, input: RuleInput): Localized | null;
  /** Required facts missing once the input is applied (answered 400, per field). */
  missing?(facts: Facts, input: RuleInput, now: Date): FieldError[];
}

const same = (facts: Facts) => facts.state;

/** A non-property dispute must name the responsible party and record that this was explained up front. */
function nonPropertyFields(facts: Facts, input: RuleInput): FieldError[] {
  const disputeType = input.disputeType ?? facts.disputeType;
  if (disputeType !== 'non_property') return [];
  const errors: FieldError[] = [];
  if (!(input.thirdParty ?? facts.thirdParty)) {
    errors.push(fieldError('thirdParty', '非物业纠纷须注明责任方', 'A non-property dispute must name the responsible third party'));
  }
  if ((input.responsibilityExplained ?? facts.responsibilityExplained) !== true) {
    errors.push(
      fieldError(
        'responsibilityExplained',
        '非物业纠纷须先向业主说明责任归属（丑话说在前）',
        'For a non-property dispute, record that responsibility was explained to the owner first',
      ),
    );
  }
  return errors;
}

export const RULES: Record<Action, TransitionRule> = {
  'start-investigation': {
    action: 'start-investigation',
    label: msg('开始调查', 'Start investigating'),
    permission: 'complaint.assess',
    from: ['received'],
    to: () => 'investigating',
  },
  assess: {
    action: 'assess',
    label: msg('调查定性', 'Assess'),
    permission: 'complaint.assess',
    from: ['received', 'investigating', 'processing'],
    to: (facts) => (facts.state === 'received' ? 'investigating' : facts.state),
    missing: (facts, input) => {
      const errors = nonPropertyFields(facts, input);
      if (facts.escalatedAt && severityRank(input.severity) < severityRank(facts.severity)) {
        errors.push(fieldError('severity', '已升级的投诉不能降低严重程度', 'An escalated complaint cannot be given a lower severity'));
      }
      return errors;
    },
  },
  plan: {
    action: 'plan',
    label: msg('制定处理方案', 'Plan the handling'),
    permission: 'complaint.plan',
    from: ['investigating'],
    to: () => 'processing',
    missing: (facts, input, now) => {
      const errors: FieldError[] = [];
      const unassessed = (name: string) =>
        fieldError(name, '请先完成调查定性（纠纷类型、投诉性质、严重程度）', 'Assess the complaint first (dispute type, nature, severity)');
      if (!facts.disputeType) errors.push(unassessed('disputeType'));
      if (!facts.nature) errors.push(unassessed('nature'));
      if (!facts.severity) errors.push(unassessed('severity'));
      if (input.deadline && new Date(input.deadline).getTime() <= now.getTime()) {
        errors.push(fieldError('deadline', '处理期限必须晚于当前时间', 'The deadline must be in the future'));
      }
      return [...errors, ...nonPropertyFields(facts, input)];
    },
  },
  accept: {
    action: 'accept',
    label: msg('接单', 'Accept the job'),
    permission: 'complaint.handle',
    from: ['investigating', 'processing'],
    to: same,
    refuse: (facts) =>
      !facts.assigneeId
        ? msg('该投诉尚未派给处理人', 'This complaint has not been assigned to anyone')
        : facts.acceptedAt
          ? msg('处理人已接单', 'The handler has already accepted the job')
          : null,
  },
  reassign: {
    action: 'reassign',
    label: msg('改派 / 指派', 'Reassign / assign'),
    permission: 'complaint.plan',
    from: ['investigating', 'processing'],
    to: same,
  },
  pause: {
    action: 'pause',
    label: msg('挂起', 'Pause the clock'),
    permission: 'complaint.handle',
    from: UNRESOLVED_STATES,
    to: same,
    refuse: (facts) => (facts.pausedAt ? msg('该投诉已挂起', 'The clock of this complaint is already paused') : null),
  },
  resume: {
    action: 'resume',
    label: msg('恢复计时', 'Resume the clock'),
    permission: 'complaint.handle',
    from: UNRESOLVED_STATES,
    to: same,
    refuse: (facts) => (!facts.pausedAt ? msg('该投诉没有挂起', 'The clock of this complaint is not paused') : null),
  },
  resolve: {
    action: 'resolve',
    label: msg('回复处理结果', 'Reply with the result'),
    permission: 'complaint.resolve',
    from: ['received', 'investigating', 'processing'],
    to: () => 'resolved',
    refuse: (facts, input) => {
      if (facts.state === 'processing') return null;
      // Before a plan only communicative complaints may be answered at once.
      const nature = input.nature ?? facts.nature;
      return nature && !isCommunicative(nature)
        ? msg('有效投诉须先制定处理方案，处理后再回复', 'A valid complaint needs a handling plan before the reply')
        : null;
    },
    missing: (facts, input) => {
      if (facts.state === 'processing') {
        return input.nature
          ? [fieldError('nature', '处理中的投诉不能在回复时改变性质', 'The nature cannot be changed when replying to a complaint in processing')]
          : [];
      }
      if (!(input.nature ?? facts.nature)) {
        return [
          fieldError(
            'nature',
            '直接回复须注明沟通性投诉的类型（求助、咨询或发泄）',
            'To answer at once, say which communicative kind this is (help, inquiry or venting)',
          ),
        ];
      }
      return nonPropertyFields(facts, input);
    },
  },
  cancel: {
    action: 'cancel',
    label: msg('撤销', 'Cancel'),
    permission: 'complaint.cancel',
    from: OPEN_STATES,
    to: () => 'cancelled',
  },
  escalate: {
    action: 'escalate',
    label: msg('升级', 'Escalate'),
    permission: 'complaint.escalate',
    from: OPEN_STATES,
    to: same,
    missing: (facts, input) =>
      severityRank(input.severity) > severityRank(facts.severity)
        ? []
        : [fieldError('severity', '升级后的严重程度必须高于当前', 'The new severity must be higher than the current one')],
  },
  note: {
    action: 'note',
    label: msg('记录进展', 'Record progress'),
    permission: 'complaint.resolve',
    from: OPEN_STATES,
    to: same,
  },
  'follow-up': {
    action: 'follow-up',
    label: msg('回访', 'Follow-up visit'),
    permission: 'complaint.follow_up',
    from: ['resolved'],
    to: (_facts, input) => (input.satisfied ? 'closed' : 'closed_unsatisfied'),
  },
};

export function ruleFor(action: string): TransitionRule {
  // Own keys only: "constructor" or "__proto__" from a URL must be an unknown action, not Object's members.
  const rule = Object.hasOwn(RULES, action) ? (RULES as Record<string, TransitionRule | undefined>)[action] : undefined;
  if (!rule) throw new NotFoundError(msg(`没有名为“${action}”的操作`, `There is no action "${action}"`));
  return rule;
}

/** Refuses the move (409 for the state, 400 for missing facts) or returns the state it leads to. */
export function checkTransition(rule: TransitionRule, facts: Facts, input: RuleInput, now: Date): ComplaintState {
  const why = !rule.from.includes(facts.state)
    ? msg(
        `当前状态为“${STATE_LABELS[facts.state]['zh-CN']}”，不能执行“${rule.label['zh-CN']}”`,
        `A complaint that is ${STATE_LABELS[facts.state].en.toLowerCase()} cannot take the action "${rule.label.en}"`,
      )
    : rule.refuse?.(facts, input);
  if (why) throw new ConflictError('invalid_transition', why, { state: facts.state, action: rule.action });
  const missing = rule.missing?.(facts, input, now) ?? [];
  if (missing.length) throw new ValidationError(missing);
  return rule.to(facts, input);
}

/** Only the assignee accepts a job. */
export function mayAccept(facts: Facts, actor: Actor): boolean {
  return !!facts.assigneeId && facts.assigneeId === actor.id;
}

/** The actions an actor could take now (for the UI: buttons to show). */
export function allowedActions(facts: Facts, actor: Actor): Action[] {
  return ACTIONS.filter((action) => {
    const rule = RULES[action];
    if (action === 'accept' && !mayAccept(facts, actor)) return false;
    return rule.from.includes(facts.state) && hasPermission(actor, rule.permission) && !rule.refuse?.(facts, {});
  });
}

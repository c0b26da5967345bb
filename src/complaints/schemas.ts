// JSON Schemas of every complaint command. The service validates with them and the OpenAPI document
// shows the same objects. Every string has a maxLength; enums come from the glossary (vocabulary.ts).
import { ajv, toFieldErrors } from '../common/validation.js';
import { ValidationError } from '../common/errors.js';
import { FOLLOW_UP_FIELDS, type FieldContext } from '../common/fieldMessages.js';
import { ACTIONS, STATES, type Action } from './states.js';
import { VISIBILITY } from './visibility.js';
import { CANCEL_KIND, CHANNEL, DISPUTE_TYPE, FOLLOW_UP_METHOD, NATURE, RELATION, SEVERITY, THIRD_PARTY, COMMUNICATIVE_NATURES } from './vocabulary.js';
import type {
  AssessInput,
  CancelInput,
  CreateComplaintInput,
  EscalateInput,
  FollowUpInput,
  ListQuery,
  NoteInput,
  PauseInput,
  PlanInput,
  ReassignInput,
  ResolveInput,
  StartInvestigationInput,
} from './types.js';

/** Mainland China mobile numbers: 11 digits starting 13–19. */
export const MOBILE_PATTERN = '^1[3-9]\\d{9}$';
const NOT_BLANK = '\\S';

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: NOT_BLANK }) as const;
const optionalText = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const hostId = { type: 'string', minLength: 1, maxLength: 64 } as const;
const code = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$', maxLength: 40 } as const;
const enumOf = (values: readonly string[]) => ({ type: 'string', enum: [...values] }) as const;
const dateTime = { type: 'string', format: 'date-time', maxLength: 40 } as const;
const version = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;
const note = optionalText(1000);
const visibility = enumOf(VISIBILITY.values);

function command(required: string[], properties: Record<string, unknown>) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['version', ...required],
    properties: { version, note, noteVisibility: { ...visibility, description: 'Who may read the note (default internal)' }, ...properties },
  };
}

export const createComplaintSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['complainantName', 'complainantPhone', 'channel', 'category', 'description'],
  properties: {
    unitId: hostId,
    communityId: hostId,
    building: optionalText(100),
    location: optionalText(200),
    externalRef: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' },
    hotlineDueAt: dateTime,
    ownerId: hostId,
    complainantName: text(50),
    complainantPhone: { type: 'string', pattern: MOBILE_PATTERN, maxLength: 11 },
    complainantRelation: { ...enumOf(RELATION.values), default: 'owner' },
    channel: enumOf(CHANNEL.values),
    category: code,
    description: text(2000),
    expectation: optionalText(500),
    threatenedWithholding: { type: 'boolean', default: false },
    receivedAt: dateTime,
    severity: enumOf(SEVERITY.values),
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\x21-\\x7e]+$' },
  },
} as const;

const assignee = { department: code, assigneeId: hostId, assigneeName: text(50) };

export const transitionSchemas: Record<Action, Record<string, unknown>> = {
  'start-investigation': command([], assignee),
  assess: command(['disputeType', 'nature', 'severity'], {
    disputeType: enumOf(DISPUTE_TYPE.values),
    thirdParty: enumOf(THIRD_PARTY.values),
    responsibilityExplained: { type: 'boolean' },
    nature: enumOf(NATURE.values),
    severity: enumOf(SEVERITY.values),
    category: code,
    findings: optionalText(2000),
  }),
  plan: command(['department', 'measures', 'deadline'], {
    ...assignee,
    measures: text(2000),
    deadline: dateTime,
    thirdParty: enumOf(THIRD_PARTY.values),
    responsibilityExplained: { type: 'boolean' },
  }),
  resolve: command(['reply', 'basis'], {
    reply: text(2000),
    basis: text(1000),
    replyVisibility: { ...visibility, description: 'Who may read the reply and its basis (default owner_visible)' },
    nature: enumOf(COMMUNICATIVE_NATURES),
    disputeType: enumOf(DISPUTE_TYPE.values),
    thirdParty: enumOf(THIRD_PARTY.values),
    responsibilityExplained: { type: 'boolean' },
  }),
  accept: command([], {}),
  reassign: command(['assigneeId', 'reason'], { assigneeId: hostId, assigneeName: text(50), department: code, reason: text(500) }),
  pause: command(['reason', 'party'], { reason: text(500), party: enumOf(THIRD_PARTY.values) }),
  resume: command([], {}),
  cancel: command(['cancelKind', 'reason'], { cancelKind: enumOf(CANCEL_KIND.values), reason: text(500) }),
  escalate: command(['severity', 'reason'], { severity: enumOf(['important', 'major']), reason: text(500) }),
  note: command(['note'], { note: text(1000) }),
  'follow-up': command(['method', 'satisfied'], {
    method: enumOf(FOLLOW_UP_METHOD.values),
    visitorName: text(50),
    visitedAt: dateTime,
    satisfied: { type: 'boolean' },
    complainantWords: optionalText(1000),
    ownerRating: { type: 'integer', minimum: 1, maximum: 5 },
  }),
};

export const followUpSchema = transitionSchemas['follow-up'];

export const SORT_KEYS = ['receivedAt', '-receivedAt', 'dueAt', '-dueAt'] as const;
export const MAX_LIMIT = 100;
/** Deep offsets scan the skipped rows: past this, page with the cursor. */
export const MAX_OFFSET = 10000;

export const listQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: { type: 'array', items: enumOf(STATES), maxItems: STATES.length },
    severity: { type: 'array', items: enumOf(SEVERITY.values), maxItems: 3 },
    category: { type: 'array', items: code, maxItems: 100 },
    disputeType: enumOf(DISPUTE_TYPE.values),
    nature: { type: 'array', items: enumOf(NATURE.values), maxItems: 4 },
    communityId: hostId,
    unitId: hostId,
    ownerId: hostId,
    assigneeId: hostId,
    overdue: { type: 'boolean' },
    paused: { type: 'boolean' },
    awaitingAcceptance: { type: 'boolean' },
    unassigned: { type: 'boolean' },
    repeat: { type: 'boolean' },
    threatenedWithholding: { type: 'boolean' },
    receivedFrom: { type: 'string', format: 'date', maxLength: 10 },
    receivedTo: { type: 'string', format: 'date', maxLength: 10 },
    q: { type: 'string', minLength: 1, maxLength: 100 },
    sort: {
      ...enumOf(SORT_KEYS),
      default: '-receivedAt',
      description: 'receivedAt: by time received; dueAt: by the current stage deadline, open complaints only. A leading - sorts descending.',
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 20 },
    offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET },
    cursor: { type: 'string', maxLength: 300, pattern: '^[A-Za-z0-9_-]+$' },
  },
} as const;

export type Validator<T> = (data: unknown) => T;

/** Validates a copy (ajv fills defaults in place) and throws ValidationError with per-field messages. */
export function compileCommand<T>(schema: Record<string, unknown>, context?: FieldContext): Validator<T> {
  const validate = ajv.compile(schema);
  return (data: unknown): T => {
    const copy = structuredClone(data ?? {});
    if (validate(copy)) return copy as T;
    // One message per field, worded by the field catalog (src/common/fieldMessages.ts).
    throw new ValidationError(toFieldErrors(validate.errors ?? [], context));
  };
}

export const validateCreate = compileCommand<CreateComplaintInput>(createComplaintSchema);
export const validateList = compileCommand<ListQuery>(listQuerySchema);
export const validateFollowUp = compileCommand<FollowUpInput>(followUpSchema, FOLLOW_UP_FIELDS);

export interface TransitionInputs {
  'start-investigation': StartInvestigationInput;
  assess: AssessInput;
  plan: PlanInput;
  accept: { version: number; note?: string };
  reassign: ReassignInput;
  pause: PauseInput;
  resume: { version: number; note?: string };
  resolve: ResolveInput;
  cancel: CancelInput;
  escalate: EscalateInput;
  note: NoteInput;
  'follow-up': FollowUpInput;
}

export const validateTransition = Object.fromEntries(
  ACTIONS.map((a) => [a, compileCommand(transitionSchemas[a], a === 'follow-up' ? FOLLOW_UP_FIELDS : undefined)]),
) as {
  [A in Action]: Validator<TransitionInputs[A]>;
};

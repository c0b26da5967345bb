// Response shapes of the complaint API, for the OpenAPI document only (responses are not validated).
import { STATES } from '../../complaints/states.js';
import { TOTAL_CAP } from '../../complaints/store/listing.js';
import { CANCEL_KIND, CHANNEL, DISPUTE_TYPE, FOLLOW_UP_METHOD, NATURE, RELATION, SEVERITY, THIRD_PARTY } from '../../complaints/vocabulary.js';

const str = { type: 'string' };
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
const time = { type: 'string', format: 'date-time' };
const enumOf = (values: readonly string[]) => ({ type: 'string', enum: [...values] });

export const complaintResponse = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    code: { type: 'string', examples: ['TS-20261128-0007'] },
    version: { type: 'integer', description: 'Send back as `version` with every change' },
    state: enumOf(STATES),
    unitId: { ...nullable(str), description: 'null for a public-area complaint (公共区域)' },
    unitLabel: { ...str, description: 'The unit, or for a public area: community, building and location' },
    building: nullable(str),
    location: { ...nullable(str), description: 'Public area only: where (大堂, 地下车库 B2 区)' },
    ownerId: nullable(str),
    ownerName: nullable(str),
    communityId: nullable(str),
    complainantName: str,
    complainantPhone: { type: 'string', description: 'Masked (138****8000); POST /api/complaints/{id}/contact reveals it, audited', examples: ['138****8001'] },
    complainantRelation: enumOf(RELATION.values),
    channel: enumOf(CHANNEL.values),
    category: str,
    description: str,
    expectation: nullable(str),
    threatenedWithholding: { type: 'boolean' },
    receivedAt: time,
    receivedBy: str,
    receivedByName: str,
    disputeType: nullable(enumOf(DISPUTE_TYPE.values)),
    thirdParty: nullable(enumOf(THIRD_PARTY.values)),
    responsibilityExplained: nullable({ type: 'boolean' }),
    nature: nullable(enumOf(NATURE.values)),
    severity: nullable(enumOf(SEVERITY.values)),
    findings: nullable(str),
    department: nullable(str),
    assigneeId: nullable(str),
    assigneeName: nullable(str),
    planMeasures: nullable(str),
    planDeadline: nullable(time),
    resolutionReply: nullable(str),
    resolutionBasis: nullable(str),
    replyVisibility: { type: 'string', enum: ['owner_visible', 'internal'], description: 'Who may read the reply and its basis (default owner_visible)' },
    resolvedAt: nullable(time),
    resolvedBy: nullable(str),
    followUpDueAt: nullable(time),
    closedAt: nullable(time),
    cancelKind: nullable(enumOf(CANCEL_KIND.values)),
    cancelReason: nullable(str),
    cancelledAt: nullable(time),
    parentId: nullable({ type: 'integer' }),
    repeatOfId: nullable({ type: 'integer' }),
    externalRef: { ...nullable(str), description: 'Channel hotline_12345: the hotline work-order number (工单编号)' },
    hotlineDueAt: { ...nullable(time), description: 'Channel hotline_12345: the reply deadline the hotline set' },
    mergedIntoId: { ...nullable({ type: 'integer' }), description: 'State merged: the survivor it was merged into' },
    escalatedAt: nullable(time),
    escalationReason: nullable(str),
    originalReceivedAt: time,
    replyDueAt: { ...nullable(time), description: 'The reply promised at receipt, in service time (working hours when the service calendar says so)' },
    replyDueEffectiveAt: { ...nullable(time), description: 'The promise as moved by pauses (paused service time added); null: not moved' },
    planDueEffectiveAt: { ...nullable(time), description: "The plan's deadline as moved by pauses after the plan; null: not moved" },
    deadlineClock: { ...nullable(enumOf(['working', 'calendar'])), description: "The clock of the deadline policy; null: the service calendar's mode" },
    pausedAt: { ...nullable(time), description: 'When the current pause (挂起) began; null while the clock runs' },
    pauseReason: nullable(str),
    pauseParty: nullable(enumOf(THIRD_PARTY.values)),
    pausedMs: { type: 'integer', description: 'Plain time of the closed pauses, in ms' },
    escalationFrom: { ...nullable(time), description: 'Escalation age counts from here: the first receipt plus every closed pause' },
    acceptedAt: { ...nullable(time), description: 'When the handler accepted the job (接单); null while it waits' },
    dueAt: { ...nullable(time), description: 'Deadline of the current stage (moved by pauses); a paused complaint is never overdue' },
    createdAt: time,
    createdBy: str,
    updatedAt: time,
    updatedBy: str,
    updatedByName: str,
  },
};

const link = {
  type: 'object',
  properties: { id: { type: 'integer' }, code: str, state: enumOf(STATES), severity: nullable(enumOf(SEVERITY.values)), receivedAt: time },
};

export const followUpResponse = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    complaintId: { type: 'integer' },
    method: enumOf(FOLLOW_UP_METHOD.values),
    visitorId: str,
    visitorName: str,
    visitedAt: time,
    satisfied: { type: 'boolean' },
    complainantWords: nullable(str),
    ownerRating: nullable({ type: 'integer', minimum: 1, maximum: 5 }),
    note: nullable(str),
    continuationId: nullable({ type: 'integer' }),
    createdAt: time,
  },
};

export const complaintEnvelope = { type: 'object', required: ['complaint'], properties: { complaint: complaintResponse } };

export const detailResponse = {
  type: 'object',
  properties: {
    complaint: complaintResponse,
    chain: { type: 'array', items: link, description: 'The continuation chain, first complaint first' },
    repeatOf: nullable(link),
    repeatedBy: { type: 'array', items: link },
    followUps: { type: 'array', items: followUpResponse },
    allowedActions: { type: 'array', items: str },
  },
};

export const listResponse = {
  type: 'object',
  properties: {
    items: { type: 'array', items: complaintResponse },
    total: {
      type: 'integer',
      description: `Matching complaints, counted up to ${TOTAL_CAP} (a page reached by offset past ${TOTAL_CAP} is not counted again: it proves there are more)`,
    },
    totalCapped: { type: 'boolean', description: `true when there are more than \`total\` (show "${TOTAL_CAP}+" / "超过 ${TOTAL_CAP} 条")` },
    nextCursor: nullable({ type: 'string', description: 'Pass as `cursor` for the next page' }),
  },
};

export const followUpResultResponse = {
  type: 'object',
  properties: { complaint: complaintResponse, followUp: followUpResponse, continuation: nullable(complaintResponse) },
};

export const eventsResponse = {
  type: 'object',
  properties: {
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          action: str,
          fromState: nullable(str),
          toState: nullable(str),
          actorId: str,
          actorName: str,
          at: time,
          changes: nullable({ type: 'object', additionalProperties: { type: 'array', minItems: 2, maxItems: 2 } }),
          note: nullable(str),
          visibility: {
            type: ['string', 'null'],
            enum: ['owner_visible', 'internal', null],
            description: 'Who may read the note (internal unless chosen); null without a note',
          },
        },
      },
    },
  },
};

export const contactResponse = {
  type: 'object',
  required: ['complaintId', 'code', 'phone'],
  properties: { complaintId: { type: 'integer' }, code: str, phone: { type: 'string', description: 'The full number, as registered' } },
};

// JSON Schemas of every offset command and billing call. The services validate with them and the OpenAPI
// document shows the same objects. Amounts people type are yuan text (parsed exactly by parseYuan);
// amounts machines send are integer fen.
import { compileValidator } from '../common/validation.js';
import { OFFSET_FIELDS } from '../common/fieldMessages.js';
import { OFFSET_STATUSES } from './model.js';

const NOT_BLANK = '\\S';
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: NOT_BLANK }) as const;
const hostId = { type: 'string', minLength: 1, maxLength: 64 } as const;
const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;
const version = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;
/** Yuan as typed: "120.50", "¥1,200"; parseYuan decides the rest. */
const yuanText = { type: 'string', minLength: 1, maxLength: 32, examples: ['120.50'] } as const;
/** Whole fen, up to the column's range (INT UNSIGNED). */
const fen = { type: 'integer', minimum: 1, maximum: 4294967295 } as const;
const date = { type: 'string', format: 'date', maxLength: 10 } as const;
/**
 * The host's payment or collection id. Compared byte for byte; no surrounding spaces or control
 * characters, because padded collations would treat "P1" and "P1 " as the same key.
 */
export const idempotencyKey = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s\\p{Cc}](?:[^\\p{Cc}]*[^\\s\\p{Cc}])?$' } as const;
/** Who did it at the host (for the audit trail of service calls). */
const operator = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 }, name: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

export interface RaiseOffsetInput {
  complaintId: number;
  amount: string;
  reason: string;
  billIds?: string[];
  expiresOn?: string | null;
  /**
   * Optional, as on the intake form: the same person sending the same key again gets the offset the
   * first submit made (same content) or a 409 (other content), never a second request.
   */
  idempotencyKey?: string;
}
/** The intake form's key shape: 1–100 visible ASCII characters. */
export const requestKey = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\x21-\\x7e]+$' } as const;
export const raiseOffsetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['complaintId', 'amount', 'reason'],
  properties: {
    complaintId: id,
    amount: yuanText,
    reason: text(1000),
    billIds: { type: 'array', items: hostId, maxItems: 100, uniqueItems: true },
    expiresOn: { anyOf: [date, { type: 'null' }] },
    idempotencyKey: requestKey,
  },
} as const;

export interface ApproveOffsetInput {
  /** Defaults to the requested amount; may be smaller, never larger. */
  amount?: string;
  note?: string;
  version?: number;
}
export const approveOffsetSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { amount: yuanText, note: { type: 'string', maxLength: 1000 }, version },
} as const;

export interface DecisionNoteInput {
  note: string;
  version?: number;
}
/** Reject and revoke say why. */
export const decisionNoteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['note'],
  properties: { note: text(1000), version },
} as const;

export interface ListOffsetsQuery {
  status?: string;
  complaintId?: number;
  unitId?: string;
  page?: number;
  perPage?: number;
}
export const listOffsetsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: OFFSET_STATUSES },
    complaintId: id,
    unitId: hostId,
    page: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
    perPage: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
} as const;

/**
 * A line of the billing check. A zero or negative amount is answered on its line (invalid_amount) rather
 * than failing a whole month-end batch; applying still requires a positive amount.
 */
const offsetLine = {
  type: 'object',
  additionalProperties: false,
  required: ['offsetId', 'amountFen'],
  properties: { offsetId: id, amountFen: { type: 'integer', minimum: -4294967295, maximum: 4294967295 } },
} as const;

export interface BillCheckInput {
  billId: string;
  offsets: Array<{ offsetId: number; amountFen: number }>;
}
export const billCheckSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['billId'],
  properties: { billId: hostId, offsets: { type: 'array', items: offsetLine, maxItems: 20, default: [] } },
} as const;

/** Month-end collection: thousands of bills in one call. */
export const MAX_BATCH_BILLS = 10000;
export const billBatchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['bills'],
  properties: { bills: { type: 'array', items: billCheckSchema, maxItems: MAX_BATCH_BILLS } },
} as const;

export interface ApplyOffsetInput {
  offsetId: number;
  billId: string;
  amountFen: number;
  idempotencyKey: string;
}
export const applyOffsetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['offsetId', 'billId', 'amountFen', 'idempotencyKey'],
  properties: { offsetId: id, billId: hostId, amountFen: fen, idempotencyKey },
} as const;

export interface ReverseOffsetInput {
  /** The key the application was made with. */
  idempotencyKey: string;
  /** The host's voiding id: the same reversal sent twice restores once. */
  reversalKey: string;
  /**
   * The bill the voided payment was for. When given (the cashier page always gives it), a key applied to
   * another bill is answered as not found.
   */
  billId?: string;
}
export const reverseOffsetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['idempotencyKey', 'reversalKey'],
  properties: { idempotencyKey, reversalKey: idempotencyKey, billId: hostId },
} as const;

/** The service routes accept an optional operator next to the same fields. */
export const serviceApplySchema = { ...applyOffsetSchema, properties: { ...applyOffsetSchema.properties, operator } } as const;
export const serviceReverseSchema = { ...reverseOffsetSchema, properties: { ...reverseOffsetSchema.properties, operator } } as const;

export const validateRaise = compileValidator<RaiseOffsetInput>(raiseOffsetSchema, OFFSET_FIELDS);
export const validateApprove = compileValidator<ApproveOffsetInput>(approveOffsetSchema);
export const validateDecisionNote = compileValidator<DecisionNoteInput>(decisionNoteSchema);
export const validateListOffsets = compileValidator<ListOffsetsQuery>(listOffsetsSchema);
export const validateBillCheck = compileValidator<BillCheckInput>(billCheckSchema);
export const validateBillBatch = compileValidator<{ bills: BillCheckInput[] }>(billBatchSchema);
export const validateApply = compileValidator<ApplyOffsetInput>(applyOffsetSchema, OFFSET_FIELDS);
export const validateReverse = compileValidator<ReverseOffsetInput>(reverseOffsetSchema);
export const validateServiceApply = compileValidator<ApplyOffsetInput & { operator?: { id: string; name?: string } }>(serviceApplySchema);
export const validateServiceReverse = compileValidator<ReverseOffsetInput & { operator?: { id: string; name?: string } }>(serviceReverseSchema);

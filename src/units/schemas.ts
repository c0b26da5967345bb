// The queries of the unit lookups an ERP's own screens make (GET /api/units, /api/units/{id}/bills): the
// schemas validate them and document them in OpenAPI.
import type { Actor } from '../auth/actor.js';
import { hasPermission } from '../auth/permissions.js';
import { ForbiddenError, ValidationError, fieldError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import { compileValidator } from '../common/validation.js';

/**
 * Units come with their owners' names and phones: looked up by those who register complaints or collect
 * fees, as on the intake and cashier pages (/units.json).
 */
export function requireUnitLookup(actor: Actor): void {
  if (!hasPermission(actor, 'complaint.create') && !hasPermission(actor, 'offset.apply')) {
    throw new ForbiddenError(
      msg('没有权限查找房屋（需要 complaint.create 或 offset.apply）', 'You may not look up units (requires complaint.create or offset.apply)'),
    );
  }
}

export const SEARCH_TEXT_MAX = 64;
export const UNIT_SEARCH_MAX = 50;
export const UNIT_BILLS_MAX = 60;

export const unitSearchQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['q'],
  properties: {
    q: {
      type: 'string',
      minLength: 1,
      maxLength: SEARCH_TEXT_MAX,
      description: "A room label (or part of it), an owner's name, a phone number or its last four digits",
    },
    limit: { type: 'integer', minimum: 1, maximum: UNIT_SEARCH_MAX, default: 20, description: 'At most this many units (default 20)' },
  },
} as const;

export const unitBillsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: UNIT_BILLS_MAX,
      default: 24,
      description: 'At most this many outstanding bills, latest period first (default 24)',
    },
  },
} as const;

export interface UnitSearchQuery {
  q: string;
  limit?: number;
}

export interface UnitBillsQuery {
  limit?: number;
}

const validateSearch = compileValidator<UnitSearchQuery>(unitSearchQuerySchema);
export const validateUnitBillsQuery = compileValidator<UnitBillsQuery>(unitBillsQuerySchema);

/**
 * The search text, trimmed, with a message in the searcher's words when there is none or too much; the
 * other parameters by the schema.
 */
export function validateUnitSearch(input: Record<string, unknown>): Required<UnitSearchQuery> {
  const q = typeof input.q === 'string' ? input.q.trim() : '';
  if (!q)
    throw new ValidationError([
      fieldError('q', '请输入房号、业主姓名或手机号（可只输后四位）', 'Enter a room number, an owner name or a phone number (its last four digits will do)'),
    ]);
  if (q.length > SEARCH_TEXT_MAX)
    throw new ValidationError([fieldError('q', `搜索内容最多 ${SEARCH_TEXT_MAX} 个字`, `The search text may be at most ${SEARCH_TEXT_MAX} characters`)]);
  const query = validateSearch({ ...input, q });
  return { q, limit: query.limit ?? 20 };
}

// Compensation records as the JSON API answers them (fen for machines, yuan text for people reading the
// JSON), and their shapes for the OpenAPI document (responses are not validated).
import { formatFen } from '../../common/money.js';
import { COMPENSATION_METHODS, COMPENSATION_PAYERS, type Compensation } from '../../compensations/model.js';
import type { CompensationList } from '../../compensations/service.js';

export function compensationJson(c: Compensation): Compensation & { amountYuan: string } {
  return { ...c, amountYuan: formatFen(c.amountFen) };
}

export function compensationListJson(list: CompensationList) {
  return { items: list.items.map(compensationJson), totalFen: list.totalFen, totalYuan: formatFen(list.totalFen) };
}

const str = { type: 'string' };
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

export const compensationResponse = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    complaintId: { type: 'integer' },
    payer: { type: 'string', enum: [...COMPENSATION_PAYERS] },
    amountFen: { type: 'integer', minimum: 1 },
    amountYuan: { type: 'string', examples: ['120.50'] },
    paidOn: { type: 'string', format: 'date' },
    method: { type: 'string', enum: [...COMPENSATION_METHODS] },
    reference: nullable(str),
    note: nullable(str),
    recordedBy: str,
    recordedByName: str,
    recordedAt: { type: 'string', format: 'date-time' },
  },
};

export const compensationEnvelope = { type: 'object', required: ['compensation'], properties: { compensation: compensationResponse } };

export const compensationListResponse = {
  type: 'object',
  properties: {
    items: { type: 'array', items: compensationResponse, description: 'In the order paid, then recorded' },
    totalFen: { type: 'integer' },
    totalYuan: { type: 'string', examples: ['620.50'] },
  },
};

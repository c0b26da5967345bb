// JSON Schema of the compensation command. The service validates with it and the OpenAPI document shows
// the same object. The amount is yuan as people type it ("120.50"), parsed exactly into fen by the
// service (as an offset request's amount is); the payer and the method come from the glossary.
import { COMPENSATION_FIELDS } from '../common/fieldMessages.js';
import { compileCommand } from '../complaints/schemas.js';
import { COMPENSATION_METHODS, COMPENSATION_PAYERS, type CompensationMethod, type CompensationPayer } from './model.js';

export interface RecordCompensationInput {
  payer: CompensationPayer;
  /** Yuan as typed: "120.50", "¥1,200"; more than 0 and at most ¥1,000,000.00. */
  amount: string;
  /** 'YYYY-MM-DD', the local day the money was paid: not in the future, not before the complaint was received. */
  paidOn: string;
  method: CompensationMethod;
  reference?: string;
  note?: string;
  /**
   * Optional, as on the intake and offset forms: the same person sending the same key again gets the
   * record the first submit made (same content) or a 409 (other content), never a second record.
   */
  idempotencyKey?: string;
}

export const recordCompensationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['payer', 'amount', 'paidOn', 'method'],
  properties: {
    payer: { type: 'string', enum: [...COMPENSATION_PAYERS], description: 'company 物业公司, insurer 保险公司（公众责任险）, third_party 第三方' },
    amount: { type: 'string', minLength: 1, maxLength: 32, examples: ['120.50'], description: 'Yuan, at most 2 decimals; more than 0 and at most 1000000.00' },
    paidOn: {
      type: 'string',
      format: 'date',
      maxLength: 10,
      description: 'The local day it was paid; not in the future, not before the complaint was received',
    },
    method: { type: 'string', enum: [...COMPENSATION_METHODS], description: 'transfer 银行转账, cash 现金, mobile 微信/支付宝, other 其他' },
    reference: { type: 'string', maxLength: 100, description: 'E.g. the insurer’s claim number (理赔编号)' },
    note: { type: 'string', maxLength: 1000 },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\x21-\\x7e]+$' },
  },
} as const;

/** The typed input, or ValidationError with one message per field in both languages (src/common/fieldMessages.ts). */
export const validateRecord = compileCommand<RecordCompensationInput>(recordCompensationSchema, COMPENSATION_FIELDS);

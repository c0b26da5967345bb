// JSON Schema of the compensation command. The service validates with it and the OpenAPI document shows
// the same object. The amount is yuan as people type it ("120.50"), parsed exactly into fen by the
// service (as an offset request's amount is); the payer and the method come from the glossary.
import { ValidationError, type FieldError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
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

/** Plainer words than ajv's for the fields people choose or type on the form. */
const FRIENDLY: Record<string, Localized> = {
  payer: msg('请选择赔付方：物业公司、保险公司或第三方', 'Choose who paid: the company, an insurer or a third party'),
  amount: msg('请填写赔付金额（元），如 120.50', 'Enter the amount in yuan, e.g. 120.50'),
  paidOn: msg('请填写支付日期，如 2026-11-28', 'Enter the day it was paid, e.g. 2026-11-28'),
  method: msg('请选择支付方式', 'Choose how it was paid'),
};

const validate = compileCommand<RecordCompensationInput>(recordCompensationSchema);

/** The typed input, or ValidationError with one message per field in both languages. */
export function validateRecord(data: unknown): RecordCompensationInput {
  try {
    return validate(data);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const fields: FieldError[] = [];
    const seen = new Set<string>();
    for (const f of err.fields) {
      const friendly = Object.hasOwn(FRIENDLY, f.field) ? FRIENDLY[f.field]! : null;
      if (friendly && seen.has(f.field)) continue;
      seen.add(f.field);
      fields.push(friendly ? { field: f.field, message: friendly } : f);
    }
    throw new ValidationError(fields);
  }
}

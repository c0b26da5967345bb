// Compensation (赔付) as the domain sees it: money paid to the owner by the company, an insurer (公众责任险)
// or a third party, separately from fees. It is recorded on the complaint it settles and never touches a
// bill or an offset (an offset, 抵扣, is the other thing: a fee reduced by an approved amount). Money is
// integer fen; the day it was paid is a calendar date in the company's time zone.
import { msg, type Localized } from '../common/localized.js';
import { requireDbTime } from '../db/time.js';

export const COMPENSATION_PAYER_LABELS = {
  company: msg('物业公司', 'The company'),
  insurer: msg('保险公司（公众责任险）', 'Insurer (public liability)'),
  third_party: msg('第三方', 'Third party'),
} satisfies Record<string, Localized>;
export type CompensationPayer = keyof typeof COMPENSATION_PAYER_LABELS;
export const COMPENSATION_PAYERS = Object.keys(COMPENSATION_PAYER_LABELS) as CompensationPayer[];

export const COMPENSATION_METHOD_LABELS = {
  transfer: msg('银行转账', 'Bank transfer'),
  cash: msg('现金', 'Cash'),
  mobile: msg('微信/支付宝', 'WeChat Pay / Alipay'),
  other: msg('其他', 'Other'),
} satisfies Record<string, Localized>;
export type CompensationMethod = keyof typeof COMPENSATION_METHOD_LABELS;
export const COMPENSATION_METHODS = Object.keys(COMPENSATION_METHOD_LABELS) as CompensationMethod[];

/** The largest single record, ¥1,000,000.00 (the migration's CHECK says the same). */
export const MAX_COMPENSATION_FEN = 100_000_000;

export interface Compensation {
  id: number;
  complaintId: number;
  payer: CompensationPayer;
  amountFen: number;
  /** 'YYYY-MM-DD' in the company's time zone. */
  paidOn: string;
  method: CompensationMethod;
  /** E.g. the insurer's claim number (理赔编号). */
  reference: string | null;
  note: string | null;
  recordedBy: string;
  recordedByName: string;
  recordedAt: Date;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function compensationFromRow(r: Row): Compensation {
  return {
    id: Number(r.id),
    complaintId: Number(r.complaint_id),
    payer: String(r.payer) as CompensationPayer,
    amountFen: Number(r.amount_fen),
    // mysql2 returns DATE as 'YYYY-MM-DD' (dateStrings); SQLite stores the same text.
    paidOn: String(r.paid_on).slice(0, 10),
    method: String(r.method) as CompensationMethod,
    reference: str(r.reference),
    note: str(r.note),
    recordedBy: String(r.recorded_by),
    recordedByName: String(r.recorded_by_name),
    recordedAt: requireDbTime(r.recorded_at as string),
  };
}

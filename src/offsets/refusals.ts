// Why an offset may not be applied to a bill: one stable code per reason, each with a message in both
// locales. The billing check answers with these codes; applyOffset throws them (and already_reversed,
// for a replayed key whose application was reversed) as OffsetRefusedError.
import { DomainError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { formatYuan } from '../common/money.js';

export const REFUSAL_CODES = [
  'not_found',
  'bill_not_found',
  'bill_not_mapped',
  'bill_paid',
  'invalid_amount',
  'other_unit',
  'other_owner',
  'not_valid_for_bill',
  'not_approved',
  'rejected',
  'revoked',
  'expired',
  'exceeds_remaining',
  'exceeds_bill',
] as const;
/** Refusals of apply alone: the billing check never answers them. */
export const APPLY_ONLY_REFUSAL_CODES = ['already_reversed'] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number] | (typeof APPLY_ONLY_REFUSAL_CODES)[number];

/** Numbers a message may mention. */
export interface RefusalFacts {
  offsetId?: number;
  billId?: string;
  amountFen?: number;
  remainingFen?: number;
  billAmountFen?: number;
  /** Offsets already applied to the bill (not reversed). */
  appliedFen?: number;
  /** What the bill can still take in offsets now (exceeds_bill). */
  openFen?: number;
  /** The host's own status value of a paid bill, as stored. */
  billStatus?: string | null;
  expiresOn?: string | null;
  /** The voiding reference that reversed the application (already_reversed). */
  reversalKey?: string | null;
}

const yuan = (fen: number | undefined) => formatYuan(fen ?? 0);

export function refusalMessage(code: RefusalCode, f: RefusalFacts = {}): Localized {
  switch (code) {
    case 'not_found':
      return msg(`抵扣 #${f.offsetId ?? ''} 不存在`, `Offset #${f.offsetId ?? ''} does not exist`);
    case 'bill_not_found':
      return msg(`账单 ${f.billId ?? ''} 不存在或已删除`, `Bill ${f.billId ?? ''} does not exist or was deleted`);
    case 'bill_not_mapped':
      return msg(
        `账单 ${f.billId ?? ''} 存在，但不在本插件的账单映射范围内（例如不是物业费账单），不能用抵扣减免`,
        `Bill ${f.billId ?? ''} exists but is outside the bills this plugin is mapped to (for example, not a property-fee bill); no offset can reduce it`,
      );
    case 'bill_paid':
      return msg(`账单 ${f.billId ?? ''} 已缴清，不能再用抵扣减免`, `Bill ${f.billId ?? ''} is already paid; no offset can reduce it`);
    case 'invalid_amount':
      return msg('抵扣金额必须是大于 0 的整数分', 'The offset amount must be a whole number of fen above zero');
    case 'other_unit':
      return msg('该抵扣属于其他房屋，不能用于本账单', 'This offset belongs to another unit and cannot be used on this bill');
    case 'other_owner':
      return msg(
        '该抵扣属于其他业主（房屋业主已变更），不能用于本账单',
        'This offset belongs to another owner (the unit changed hands) and cannot be used on this bill',
      );
    case 'not_valid_for_bill':
      return msg('该抵扣仅限指定账单使用，不包括本账单', 'This offset is limited to other bills');
    case 'not_approved':
      return msg('该抵扣尚未批准，不能抵扣物业费', 'This offset has not been approved and cannot reduce the fee');
    case 'rejected':
      return msg('该抵扣申请已被驳回', 'This offset was rejected');
    case 'revoked':
      return msg('该抵扣已被撤回', 'This offset was revoked');
    case 'expired':
      return msg(`该抵扣已于 ${f.expiresOn ?? ''} 过期`, `This offset expired on ${f.expiresOn ?? ''}`);
    case 'exceeds_remaining':
      return msg(
        `抵扣金额 ${yuan(f.amountFen)} 超过剩余可抵扣金额 ${yuan(f.remainingFen)}`,
        `The amount ${yuan(f.amountFen)} exceeds the remaining ${yuan(f.remainingFen)} of this offset`,
      );
    case 'exceeds_bill':
      return msg(
        `抵扣合计超过账单金额 ${yuan(f.billAmountFen)}：已抵扣 ${yuan(f.appliedFen)}，本账单还可抵扣 ${yuan(f.openFen)}`,
        `The offsets would add up to more than the bill amount ${yuan(f.billAmountFen)}: ${yuan(f.appliedFen)} already applied, ${yuan(f.openFen)} still open to offsets`,
      );
    case 'already_reversed':
      return msg(
        `该收款号的抵扣已由作废单 ${f.reversalKey ?? ''} 冲回，不能再次按它收款；请使用新的收款号重新核对`,
        `The offset applied with this payment id was reversed by ${f.reversalKey ?? ''}; it no longer backs a payment. Check again with a new payment id`,
      );
  }
}

/** A refused application: 404 when the offset or bill does not exist, 409 for every other reason. */
export class OffsetRefusedError extends DomainError {
  constructor(
    readonly refusal: RefusalCode,
    facts: RefusalFacts = {},
  ) {
    const status = refusal === 'not_found' || refusal === 'bill_not_found' ? 404 : refusal === 'invalid_amount' ? 400 : 409;
    super(refusal, status, refusalMessage(refusal, facts), [], { refusal, ...facts });
    this.name = 'OffsetRefusedError';
  }
}

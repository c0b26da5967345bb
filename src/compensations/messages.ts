// Every sentence the compensation records say to a person, in both languages (the compiler checks both).
// Payer and method labels live in model.ts.
import { fieldError, type FieldError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { formatYuan } from '../common/money.js';

export const complaintCancelled = (code: string): Localized =>
  msg(`投诉 ${code} 已撤销，不能记录赔付`, `Complaint ${code} was cancelled; no compensation can be recorded on it`);
export const amountNotPositive = (): FieldError => fieldError('amount', '赔付金额必须大于 0', 'The amount must be greater than zero');
export const amountOverMaximum = (maxFen: number): FieldError =>
  fieldError('amount', `单笔赔付不能超过 ${formatYuan(maxFen)}`, `A single record cannot exceed ${formatYuan(maxFen)}`);
export const paidAfterToday = (today: string): FieldError =>
  fieldError('paidOn', `支付日期不能晚于今天（${today}）`, `The day paid cannot be after today (${today})`);
export const paidBeforeReceived = (firstDay: string): FieldError =>
  fieldError('paidOn', `支付日期不能早于投诉受理日期（${firstDay}）`, `The day paid cannot be before the complaint was received (${firstDay})`);
export const requestKeyReused = (compensationId: number): Localized =>
  msg(
    `此幂等键已用于内容不同的另一条赔付记录（#${compensationId}）`,
    `This idempotency key was already used for a different compensation record (#${compensationId})`,
  );

// Every sentence the offset domain says to a person, in both languages (the compiler checks both are
// there), as small functions for the ones that carry values. Refusal codes of the billing check and
// apply have their own catalog (refusals.ts); status labels live in model.ts.
import { fieldError, type FieldError } from '../common/errors.js';
import { msg, type Localized } from '../common/localized.js';
import { formatYuan } from '../common/money.js';

// Looking things up
export const offsetNotFound = (id: number): Localized => msg(`抵扣 #${id} 不存在`, `Offset #${id} does not exist`);
export const complaintNotFound = (id: number): Localized => msg(`投诉 #${id} 不存在`, `Complaint #${id} does not exist`);

// Whether the complaint may carry an offset
export const complaintCancelled = (code: string): Localized =>
  msg(`投诉 ${code} 已撤销，不能抵扣物业费`, `Complaint ${code} was cancelled; no offset can be based on it`);
export const disputeUnclassified = (code: string): Localized =>
  msg(
    `投诉 ${code} 尚未定性为物业或非物业纠纷，请先调查定性`,
    `Complaint ${code} has not been classified as a property or non-property dispute yet; assess it first`,
  );
export const complaintMerged = (code: string): Localized =>
  msg(`投诉 ${code} 已合并到另一投诉，请在合并后的投诉上申请抵扣`, `Complaint ${code} was merged into another; request offsets on that one`);
export const publicAreaComplaint = (code: string): Localized =>
  msg(
    `投诉 ${code} 是公共区域投诉，不对应任何房屋，也就没有可抵扣的物业费；如需补偿业主，请记录赔付`,
    `Complaint ${code} is about a public area, not a unit: there is no unit fee to offset; record a compensation to pay an owner instead`,
  );
export const nonPropertyDispute = (): Localized =>
  msg('非物业纠纷不属于物业公司责任，不能申请抵扣物业费', 'A non-property dispute is not the company’s liability; no fee offset can be requested for it');

// Requesting
export const amountNotPositive = (field: string): FieldError => fieldError(field, '抵扣金额必须大于 0', 'The offset amount must be greater than zero');
export const expiryBeforeToday = (today: string): FieldError =>
  fieldError('expiresOn', `有效期不能早于今天（${today}）`, `The expiry date cannot be before today (${today})`);
export const billMissing = (field: string, billId: string): FieldError => fieldError(field, `账单 ${billId} 不存在`, `Bill ${billId} does not exist`);
export const billOfOtherUnit = (field: string, billId: string): FieldError =>
  fieldError(field, `账单 ${billId} 不属于该投诉的房屋`, `Bill ${billId} is not a bill of the complaint's unit`);
export const requestKeyReused = (offsetId: number): Localized =>
  msg(
    `此幂等键已用于内容不同的另一次抵扣申请（抵扣 #${offsetId}）`,
    `This idempotency key was already used for a different offset request (offset #${offsetId})`,
  );

// Deciding
export const offsetInStatus = (status: Localized, zh: string, en: string): Localized =>
  msg(`抵扣当前为“${status['zh-CN']}”，${zh}`, `The offset is ${status.en.toLowerCase()}; ${en}`);
export const onlyPendingApproved = { zh: '只能审批待审批的申请', en: 'only a request awaiting approval can be approved' } as const;
export const staleOffset = (version: number): Localized =>
  msg(`抵扣已被他人修改（当前版本 ${version}），请刷新后重试`, `The offset was changed by someone else (now version ${version}); reload and try again`);
export const ownRequest = (): Localized => msg('不能审批自己提交的抵扣申请', 'You cannot decide on an offset you requested yourself');
export const requestExpired = (expiresOn: string): Localized =>
  msg(`该申请已于 ${expiresOn} 过期，不能批准`, `This request expired on ${expiresOn} and cannot be approved`);
export const approvedOverRequested = (requestedFen: number): FieldError =>
  fieldError('amount', `批准金额不能超过申请金额 ${formatYuan(requestedFen)}`, `The approved amount cannot exceed the requested ${formatYuan(requestedFen)}`);
export const noApprovalLimit = (): Localized => msg('您的角色没有抵扣审批额度', 'None of your roles may approve offsets');

/** A role that may approve, with its limit (null: no limit), as the over-limit message names it. */
export interface ApproverChoice {
  label: Localized;
  limitFen: number | null;
}
export const approverChoice = ({ label, limitFen }: ApproverChoice): Localized =>
  limitFen === null
    ? msg(`${label['zh-CN']}（不限额）`, `${label.en} (no limit)`)
    : msg(`${label['zh-CN']}（额度 ${formatYuan(limitFen)}）`, `${label.en} (limit ${formatYuan(limitFen)})`);

/** Whose total would pass the limit (the approver's own, or a role's), and who may approve instead. */
export function overApprovalLimit(
  who: { approver: true } | { approver: false; role: Localized | null },
  complaintCode: string,
  fen: { approved: number; amount: number; limit: number },
  others: Localized[],
): Localized {
  const total = fen.approved + fen.amount;
  const zhWho = who.approver ? '您' : `${who.role?.['zh-CN'] ?? ''}角色`;
  const enWho = who.approver ? 'You have' : `The ${who.role?.en ?? ''} role has`;
  const zhOthers = others.length ? `可由${others.map((o) => o['zh-CN']).join('或')}审批` : '没有其他角色的额度足以批准，请调整金额';
  const enOthers = others.length ? `it can be approved by ${others.map((o) => o.en).join(' or ')}` : 'no role has room for it; change the amount';
  return msg(
    `${zhWho}在投诉 ${complaintCode} 上已批准 ${formatYuan(fen.approved)}，加上本次 ${formatYuan(fen.amount)} 共 ${formatYuan(total)}，超过额度 ${formatYuan(fen.limit)}；${zhOthers}`,
    `${enWho} approved ${formatYuan(fen.approved)} on complaint ${complaintCode}; with this ${formatYuan(fen.amount)} that is ${formatYuan(total)}, over the limit of ${formatYuan(fen.limit)}; ${enOthers}`,
  );
}

// Revoking
export const nothingLeftToRevoke = (approvedFen: number): Localized =>
  msg(
    `该抵扣已全部使用（${formatYuan(approvedFen)}），没有可撤回的余额；如需退回，请由收费系统作废相应收款`,
    `All ${formatYuan(approvedFen)} of this offset was used, so nothing is left to revoke; void those payments in billing to restore it`,
  );

// Applying and reversing
export const applyKeyReused = (key: string, stored: { offsetId: number; billId: string; amountFen: number }): Localized =>
  msg(
    `收款号 ${key} 已用于另一笔抵扣（抵扣 #${stored.offsetId}，账单 ${stored.billId}，${formatYuan(stored.amountFen)}），参数不同，拒绝执行`,
    `Key ${key} was already used for a different application (offset #${stored.offsetId}, bill ${stored.billId}, ${formatYuan(stored.amountFen)}); refused`,
  );
export const alreadyReversedBy = (reversalKey: string): Localized =>
  msg(`该抵扣已由作废单 ${reversalKey} 冲回，不能再次冲回`, `This application was already reversed by ${reversalKey}; it is restored only once`);
export const noApplicationWithKey = (key: string, billId?: string): Localized =>
  billId === undefined
    ? msg(`没有收款号为 ${key} 的抵扣记录`, `No offset was applied with key ${key}`)
    : msg(`账单 ${billId} 上没有收款号为 ${key} 的抵扣记录`, `No offset was applied to bill ${billId} with key ${key}`);
export const reversalKeyReused = (reversalKey: string): Localized =>
  msg(`作废单号 ${reversalKey} 已用于另一笔抵扣的冲回`, `Reversal key ${reversalKey} was already used for another application`);

// What the billing check notes beside its answer
export const openComplaintOnUnit = (code: string): Localized =>
  msg(`该房屋有未结投诉 ${code}，可照常收费`, `The unit has an open complaint ${code}; collect the fee as usual`);
export const withholdingThreat = (code: string): Localized =>
  msg(
    `业主在投诉 ${code} 中表示拒交物业费：收费照常进行，仅已批准的抵扣可以使用`,
    `The owner threatened to withhold fees in complaint ${code}: collect as usual; only approved offsets may be used`,
  );
export const allowed = (): Localized => msg('可以抵扣', 'Allowed');

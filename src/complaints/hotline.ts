// 12345 referrals (12345 转办): the reply to paste into the hotline's system, made from what the company
// replied to the owner: the work-order number, 处理结果 (the reply), 办理依据 (its basis), when it was
// replied and whether that was within the hotline's own deadline (the company is scored on it).
import { formatZoned } from '../calendar/zoned.js';
import type { Complaint } from './types.js';

export interface HotlineReply {
  externalRef: string;
  /** 处理结果 */
  result: string;
  /** 办理依据 */
  basis: string;
  repliedAt: Date;
  dueAt: Date | null;
  onTime: boolean | null;
  /** The whole reply, ready to paste. */
  text: string;
}

/** Null when the complaint is no referral or has not been replied to yet. */
export function hotlineReply(c: Complaint, timeZone: string): HotlineReply | null {
  if (c.channel !== 'hotline_12345' || !c.externalRef || !c.resolvedAt || !c.resolutionReply) return null;
  const dueAt = c.hotlineDueAt ?? null;
  const onTime = dueAt ? c.resolvedAt.getTime() <= dueAt.getTime() : null;
  const basis = c.resolutionBasis ?? '';
  const text = [
    `工单编号：${c.externalRef}`,
    `处理结果：${c.resolutionReply}`,
    `办理依据：${basis}`,
    `办结时间：${formatZoned(c.resolvedAt, timeZone)}${dueAt ? `（办理时限 ${formatZoned(dueAt, timeZone)}，${onTime ? '按时办结' : '逾期办结'}）` : ''}`,
    `内部编号：${c.code}`,
  ].join('\n');
  return { externalRef: c.externalRef, result: c.resolutionReply, basis, repliedAt: c.resolvedAt, dueAt, onTime, text };
}

// The glossary's closed vocabularies (shared/domain.md), with their zh-CN/en labels. Schemas, the state
// machine and the UI all take their enums from here so a value exists in exactly one place.
import { msg, type Localized } from '../common/localized.js';

function labelled<T extends string>(labels: Record<T, Localized>): { values: T[]; labels: Record<T, Localized> } {
  return { values: Object.keys(labels) as T[], labels };
}

export const CHANNEL = labelled({
  phone: msg('电话', 'Phone'),
  counter: msg('前台', 'Counter'),
  email: msg('邮件', 'Email'),
  online: msg('线上', 'Online'),
  app: msg('小程序/APP', 'App'),
  patrol: msg('巡查', 'Patrol'),
  hotline_12345: msg('12345热线转办', '12345 hotline referral'),
  other: msg('其他', 'Other'),
});
export type Channel = (typeof CHANNEL.values)[number];

export const RELATION = labelled({
  owner: msg('业主本人', 'Owner'),
  tenant: msg('租户', 'Tenant'),
  family: msg('家属', 'Family member'),
  other: msg('其他', 'Other'),
});
export type ComplainantRelation = (typeof RELATION.values)[number];

export const DISPUTE_TYPE = labelled({
  property: msg('物业纠纷', 'Property dispute'),
  non_property: msg('非物业纠纷', 'Non-property dispute'),
});
export type DisputeType = (typeof DISPUTE_TYPE.values)[number];

/** Who is responsible in a non-property dispute. */
export const THIRD_PARTY = labelled({
  neighbour: msg('邻居', 'Neighbour'),
  developer: msg('开发商', 'Developer'),
  contractor: msg('施工方', 'Contractor'),
  utility: msg('水电燃气单位', 'Utility company'),
  government: msg('政府部门/公安', 'Government / police'),
  other: msg('其他', 'Other'),
});
export type ThirdParty = (typeof THIRD_PARTY.values)[number];

export const NATURE = labelled({
  valid: msg('有效投诉', 'Valid complaint'),
  help: msg('求助型', 'Request for help'),
  inquiry: msg('咨询型', 'Inquiry'),
  venting: msg('发泄型', 'Venting'),
});
export type Nature = (typeof NATURE.values)[number];

/** Communicative complaints may be answered and resolved at the counter. */
export const COMMUNICATIVE_NATURES: readonly Nature[] = ['help', 'inquiry', 'venting'];
export function isCommunicative(nature: Nature | null | undefined): boolean {
  return !!nature && COMMUNICATIVE_NATURES.includes(nature);
}

export const SEVERITY = labelled({
  minor: msg('轻微', 'Minor'),
  important: msg('重要', 'Important'),
  major: msg('重大', 'Major'),
});
export type Severity = (typeof SEVERITY.values)[number];

const SEVERITY_RANK: Record<Severity, number> = { minor: 1, important: 2, major: 3 };
export function severityRank(severity: Severity | null | undefined): number {
  return severity ? SEVERITY_RANK[severity] : 0;
}
export function atLeast(severity: Severity | null | undefined, floor: Severity): Severity {
  return severityRank(severity) >= SEVERITY_RANK[floor] ? severity! : floor;
}

export const FOLLOW_UP_METHOD = labelled({
  phone: msg('电话回访', 'Phone call'),
  visit: msg('上门回访', 'Home visit'),
  sms: msg('短信', 'Text message'),
  wechat: msg('微信', 'WeChat'),
  other: msg('其他', 'Other'),
});
export type FollowUpMethod = (typeof FOLLOW_UP_METHOD.values)[number];

export const CANCEL_KIND = labelled({
  duplicate: msg('重复登记', 'Duplicate'),
  registered_in_error: msg('误登记', 'Registered in error'),
});
export type CancelKind = (typeof CANCEL_KIND.values)[number];

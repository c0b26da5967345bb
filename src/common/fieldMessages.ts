// The one place field errors are worded, for every form page and the JSON API alike. ajv reports what
// failed (keyword, limit); this catalog says which field it was in people's words and how to put it right:
// "请选择投诉类别", "请填写投诉内容（最多 2,000 字）". A message never carries a pattern, a schema path or
// ajv's own wording. Hand-written domain checks (a date in the future, an unknown unit) stay where they are
// decided; they are already plain words.
import type { ErrorObject } from 'ajv';
import { msg, type Localized } from './localized.js';

export interface FieldSpec {
  zh: string;
  en: string;
  /** 'choose': picked from a list (select, radio, checkbox); 'fill': typed. */
  kind: 'choose' | 'fill';
  /** What a right value looks like, added to "enter …" and shape errors ("，如 120.50"). */
  example?: Localized;
  /** Said instead of a generic "not in the right form" when the value's shape is wrong. */
  shape?: Localized;
}

const choose = (zh: string, en: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ zh, en, kind: 'choose', ...extra });
const fill = (zh: string, en: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ zh, en, kind: 'fill', ...extra });

const DATE_TIME = msg('（年-月-日 时:分），如 2026-11-28 09:30', ' (year-month-day hour:minute), e.g. 2026-11-28 09:30');
const DATE = msg('，如 2026-11-28', ', e.g. 2026-11-28');
const REAL_DATES = msg('请按“年-月-日”填写真实存在的日期，如 2026-11-28', 'use real dates as year-month-day, e.g. 2026-11-28');
const KEY_SHAPE = msg('只能用英文字母、数字和符号，不含空格', 'use letters, digits and symbols only, without spaces');
const YUAN = msg('，如 120.50', ', e.g. 120.50');
const CODE_SHAPE = msg(
  '以小写英文字母开头，只用小写字母、数字和下划线，最多 40 个',
  'start with a lower-case letter; lower-case letters, digits and _ only, at most 40',
);

/** Every field of every form and API body, by its name (the last segment of its path). */
export const FIELD_CATALOG: Record<string, FieldSpec> = {
  // Intake
  unitId: choose('房屋', 'the unit'),
  ownerId: choose('业主', 'the owner'),
  complainantName: fill('投诉人姓名', "the complainant's name"),
  complainantPhone: fill('投诉人手机', "the complainant's mobile", {
    shape: msg('请填写 11 位中国大陆手机号码，如 13812345678', 'Enter an 11-digit mainland China mobile number, e.g. 13812345678'),
  }),
  complainantRelation: choose('与业主关系', 'the relation to the owner'),
  channel: choose('受理渠道', 'the channel'),
  category: choose('投诉类别', 'the cause category'),
  description: fill('投诉内容', 'the complaint'),
  expectation: fill('期望解决方式', 'the expected resolution'),
  threatenedWithholding: choose('是否表示要拒交物业费', 'whether the owner threatens to withhold fees'),
  receivedAt: fill('受理时间', 'the time received', { example: DATE_TIME }),
  severity: choose('严重程度', 'the severity'),
  idempotencyKey: fill('单号', 'the reference number', { shape: KEY_SHAPE }),
  // Handling
  version: fill('版本号', 'the version', { shape: msg('页面已过期，请刷新后重试', 'the page is out of date; reload it and try again') }),
  note: fill('说明', 'the note'),
  department: choose('责任部门', 'the department'),
  assigneeId: fill('负责人工号', "the assignee's staff number"),
  assigneeName: fill('负责人', 'the assignee'),
  disputeType: choose('纠纷类型', 'the dispute type'),
  thirdParty: choose('责任方', 'the responsible third party'),
  responsibilityExplained: choose('是否已说明责任归属', 'whether responsibility was explained'),
  nature: choose('投诉性质', 'the nature'),
  findings: fill('调查情况', 'the findings'),
  measures: fill('处理措施', 'the measures'),
  deadline: fill('处理期限', 'the deadline', { example: DATE_TIME }),
  reply: fill('回复内容', 'the reply'),
  basis: fill('处理依据', 'the basis'),
  cancelKind: choose('撤销原因类别', 'the kind of cancellation'),
  reason: fill('原因', 'the reason'),
  method: choose('方式', 'the method'),
  visitorName: fill('回访人', 'the visitor'),
  visitedAt: fill('回访时间', 'the time of the visit', { example: DATE_TIME }),
  satisfied: choose('回访结果（满意或不满意）', 'satisfied or not satisfied'),
  complainantWords: fill('业主原话', "the owner's words"),
  ownerRating: choose('业主自评（1–5 分）', "the owner's rating (1–5)"),
  // Lists and searches
  state: choose('状态', 'the state'),
  communityId: choose('小区', 'the community'),
  overdue: choose('是否逾期', 'overdue or not'),
  repeat: choose('是否二次投诉', 'repeat or not'),
  receivedFrom: fill('开始日期', 'the first day', { example: DATE }),
  receivedTo: fill('结束日期', 'the last day', { example: DATE }),
  q: fill('搜索内容', 'the search text'),
  sort: choose('排序方式', 'the sort order'),
  limit: fill('每页条数', 'the page size'),
  offset: fill('起始位置', 'the starting position'),
  cursor: fill('翻页位置', 'the page position', {
    shape: msg('翻页链接已失效，请从第一页重新查看', 'the page link is no longer valid; start again from the first page'),
  }),
  page: fill('页码', 'the page number'),
  perPage: fill('每页条数', 'the page size'),
  status: choose('状态', 'the status'),
  from: fill('开始日期', 'the first day', { example: DATE }),
  to: fill('结束日期', 'the last day', { example: DATE }),
  community: choose('小区', 'the community'),
  // Offsets and the cashier
  complaintId: choose('投诉', 'the complaint'),
  amount: fill('金额（元）', 'the amount in yuan', { example: YUAN }),
  amountFen: fill('金额（分）', 'the amount in fen'),
  billId: fill('账单号', 'the bill number'),
  billIds: fill('限用账单号', 'the bills it is limited to'),
  bills: fill('账单', 'the bills'),
  offsets: fill('抵扣', 'the offsets'),
  offsetId: choose('抵扣', 'the offset'),
  expiresOn: fill('有效期至', 'the expiry date', { example: DATE }),
  reversalKey: fill('作废单号', 'the voiding number', { shape: KEY_SHAPE }),
  operator: fill('经办人', 'the operator'),
  id: fill('编号', 'the id'),
  name: fill('名称', 'the name'),
  // Compensation
  payer: choose('赔付方（物业公司、保险公司或第三方）', 'who paid (the company, an insurer or a third party)'),
  paidOn: fill('支付日期', 'the day it was paid', { example: DATE }),
  reference: fill('单号（如保险理赔编号）', "the reference (e.g. the insurer's claim number)"),
  // Settings
  categories: fill('投诉类别', 'the cause categories'),
  departments: fill('责任部门', 'the departments'),
  code: fill('代码', 'the code', { shape: CODE_SHAPE }),
  'zh-CN': fill('中文名称', 'the Chinese name'),
  en: fill('英文名称', 'the English name'),
  active: choose('是否启用', 'in use or not'),
  roleApprovalLimitsFen: fill('各角色审批额度', 'the approval limits per role'),
  followUpHours: fill('回访期限（小时）', 'the follow-up window (hours)'),
  replyPromiseHours: fill('承诺答复时限（小时）', 'the reply promise (hours)'),
  repeatWindowDays: fill('二次投诉判定天数', 'the repeat-complaint window (days)'),
  escalationDays: fill('升级天数', 'the escalation period (days)'),
  deadlineWarningHours: fill('到期提醒（小时）', 'the deadline warning (hours)'),
  allowOffsetForNonProperty: choose('非物业纠纷是否可抵扣', 'whether non-property disputes may have offsets'),
  timezone: fill('时区', 'the time zone', { example: msg('，如 Asia/Shanghai', ', e.g. Asia/Shanghai') }),
  serviceCalendar: fill('服务日历', 'the service calendar'),
  mode: choose('计时方式', 'how hours are counted'),
  workdayStart: fill('上班时间', 'the start of the working day', { shape: msg('请按“时:分”填写，如 09:00', 'use hour:minute, e.g. 09:00') }),
  workdayEnd: fill('下班时间', 'the end of the working day', { shape: msg('请按“时:分”填写，如 18:00', 'use hour:minute, e.g. 18:00') }),
  weekendDays: choose('周末', 'the weekend days'),
  years: fill('年份', 'the years', { shape: msg('年份须为 4 位数字，如 2026', 'a year is 4 digits, e.g. 2026') }),
  holidays: fill('节假日', 'the holidays', { shape: REAL_DATES }),
  workdays: fill('调休上班日', 'the make-up working days', { shape: REAL_DATES }),
  webhookUrl: fill('通知地址', 'the webhook address', { shape: msg('请以 http:// 或 https:// 开头', 'start it with http:// or https://') }),
  webhookSecret: fill('通知签名密钥', 'the webhook secret'),
  outboxRetentionDays: fill('通知保留天数', 'days delivered notices are kept'),
  jobRunRetentionDays: fill('任务记录保留天数', 'days job runs are kept'),
  userHeaderMaxLifetimeHours: fill('用户令牌最长有效期（小时）', 'the longest user token lifetime (hours)'),
  readyOutboxBacklogMax: fill('待发通知上限', 'the notice backlog limit'),
  metricsEnabled: choose('是否开放监控指标', 'whether metrics are served'),
  metricsToken: fill('监控令牌', 'the metrics token'),
  shutdownGraceSeconds: fill('停机等待秒数', 'the shutdown grace (seconds)'),
  companyName: fill('公司名称', 'the company name'),
  serviceCentreName: fill('服务中心名称', 'the service centre name'),
  serviceCentrePhone: fill('服务中心电话', 'the service centre phone', {
    shape: msg('只能填数字、空格、+、- 和括号，如 021-12345678', 'use digits, spaces, +, - and parentheses only, e.g. 021-12345678'),
  }),
  // Public areas and 12345 referrals
  building: fill('楼栋', 'the building'),
  kind: choose('事件类型', 'the kind of event'),
  location: fill('具体位置', 'the location', { example: msg('，如 3 号楼电梯厅', ', e.g. the lift lobby of building 3') }),
  externalRef: fill('12345 工单编号', 'the 12345 work-order number'),
  hotlineDueAt: fill('12345 答复期限', 'the 12345 reply deadline'),
  // Dispatch, deadlines and pauses
  paused: choose('是否挂起', 'whether paused'),
  awaitingAcceptance: choose('是否待接单', 'whether awaiting acceptance'),
  unassigned: choose('是否未指定处理人', 'whether no handler is assigned'),
  party: choose('等待的第三方', 'the third party waited on'),
  deadlinePolicies: fill('时限标准', 'the deadline policies'),
  replyHours: fill('答复时限（小时）', 'the reply time (hours)'),
  handlingHours: fill('处理时限（小时）', 'the handling time (hours)'),
  clock: choose('计时方式', 'how hours are counted'),
  routingRules: fill('派单规则', 'the routing rules'),
  handlerId: choose('默认处理人', 'the default handler'),
  pauseAlertHours: fill('挂起提醒时长（小时）', 'the pause alert (hours)'),
  // Visibility and attachments
  noteVisibility: choose('备注是否业主可见', 'who may see the note'),
  replyVisibility: choose('答复是否业主可见', 'who may see the reply'),
  attachmentMaxBytes: fill('单个附件大小上限（字节）', 'the largest attachment (bytes)'),
  attachmentMaxFiles: fill('每步附件数量上限', 'files per step'),
  attachmentTypes: choose('允许的附件类型', 'the kinds of file accepted'),
  // Personal information
  privacy: fill('个人信息设置', 'the personal information settings'),
  personalDataYears: fill('个人信息保存年限', 'years personal data is kept'),
  accountingYears: fill('财务记录保存年限', 'years accounting records are kept'),
  noticeUrl: fill('隐私政策网址', 'the privacy notice address', {
    shape: msg('请填写以 http:// 或 https:// 开头的网址', 'Enter an address starting with http:// or https://'),
  }),
  // The owner's side
  ownerLinkDaysAfterClose: fill('办结后查询链接保留天数', 'days the owner link works after closure'),
  ownerPublicBaseUrl: fill('业主访问地址', 'the address owners reach the pages at', {
    shape: msg(
      '请填写以 http:// 或 https:// 开头的网址，如 https://wy.example.com/complaints',
      'Enter an address starting with http:// or https://, e.g. https://wy.example.com/complaints',
    ),
  }),
  ownerAdditionsPerHour: fill('每个链接每小时可补充次数', 'additions per link per hour'),
  ownerAdditionsPerIpPerHour: fill('每个 IP 每小时可补充次数', 'additions per IP address per hour'),
  ownerNoticeTemplates: fill('业主通知模板', 'the owner notice texts'),
  received: fill('受理通知模板', 'the text sent at receipt'),
  replied: fill('答复通知模板', 'the text sent at the reply'),
  followUp: fill('回访前通知模板', 'the text sent before the follow-up visit'),
  closed: fill('办结通知模板', 'the text sent at closure'),
};

/** Words for a field in one setting where the shared name means something narrower (the payment method). */
export type FieldContext = Record<string, FieldSpec>;
export const COMPENSATION_FIELDS: FieldContext = {
  method: choose('支付方式', 'how it was paid'),
  amount: fill('赔付金额（元）', 'the amount in yuan', { example: YUAN }),
};
export const FOLLOW_UP_FIELDS: FieldContext = { method: choose('回访方式', 'how the owner was visited') };
export const OFFSET_FIELDS: FieldContext = {
  idempotencyKey: fill('收款单号（收据上的号码）', 'the payment (receipt) number', { shape: KEY_SHAPE }),
  amount: fill('抵扣金额（元）', 'the amount in yuan', { example: YUAN }),
};

const zhCount = (n: number) => n.toLocaleString('en-US');

/** The field's name in a path ("bills.0.billId" → billId; "categories.3.zh-CN" → zh-CN). */
export function fieldName(path: string): string {
  const parts = path.split('.').filter((p) => p !== '' && !/^\d+$/.test(p));
  return parts[parts.length - 1] ?? path;
}

function known(path: string, context?: FieldContext): boolean {
  const name = fieldName(path);
  return (!!context && Object.hasOwn(context, name)) || Object.hasOwn(FIELD_CATALOG, name);
}

/** The catalog entry for a path; a field nobody catalogued still reads as a field, never as a schema path. */
export function fieldSpec(path: string, context?: FieldContext): FieldSpec {
  const name = fieldName(path);
  if (context && Object.hasOwn(context, name)) return context[name]!;
  if (Object.hasOwn(FIELD_CATALOG, name)) return FIELD_CATALOG[name]!;
  return fill(`“${name}”`, `"${name}"`);
}

/** Long texts say their limit when asked for ("最多 2,000 字"), so the clerk knows before typing. */
const SAY_LIMIT_FROM = 100;

/** "请选择投诉类别" / "请填写投诉内容（最多 2,000 字）" / "请填写赔付金额（元），如 120.50". */
export function requiredMessage(spec: FieldSpec, maxLength?: number): Localized {
  if (spec.kind === 'choose') return msg(`请选择${spec.zh}`, `Choose ${spec.en}`);
  if (spec.example) return msg(`请填写${spec.zh}${spec.example['zh-CN']}`, `Enter ${spec.en}${spec.example.en}`);
  if (maxLength && maxLength >= SAY_LIMIT_FROM) {
    return msg(`请填写${spec.zh}（最多 ${zhCount(maxLength)} 字）`, `Enter ${spec.en} (at most ${zhCount(maxLength)} characters)`);
  }
  return msg(`请填写${spec.zh}`, `Enter ${spec.en}`);
}

function shapeMessage(spec: FieldSpec): Localized {
  if (spec.shape) return msg(`${spec.zh}：${spec.shape['zh-CN']}`, `${capitalise(spec.en)}: ${spec.shape.en}`);
  if (spec.kind === 'choose' || spec.example) return requiredMessage(spec);
  return msg(`${spec.zh}的格式不对`, `${capitalise(spec.en)} is not in the expected form`);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const isBlank = (data: unknown) => data === undefined || data === null || (typeof data === 'string' && data.trim() === '');

/**
 * One ajv error in people's words. `path` is the field's dotted path; `schema` the failing keyword's
 * subschema when ajv runs verbose (for the field's maxLength in "required" messages).
 */
export function describeError(error: ErrorObject, path: string, context?: FieldContext): Localized {
  const spec = fieldSpec(path, context);
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as { maxLength?: number; minimum?: number; maximum?: number };
  switch (error.keyword) {
    case 'required':
      return requiredMessage(spec, maxLengthOf(error, String(params.missingProperty ?? '')));
    case 'additionalProperties':
      return msg(
        `不认识的字段“${String(params.additionalProperty)}”（不允许的字段）`,
        `Unknown field "${String(params.additionalProperty)}" (field not allowed)`,
      );
    case 'minLength':
    case 'pattern':
    case 'enum':
    case 'const':
    case 'format':
    case 'type':
    case 'anyOf':
    case 'oneOf':
      if (isBlank(error.data)) return requiredMessage(spec, parent.maxLength);
      if (error.keyword === 'type') return typeMessage(spec, String(params.type ?? ''));
      if (error.keyword === 'minLength')
        return msg(`${spec.zh}至少 ${zhCount(Number(params.limit))} 个字`, `${capitalise(spec.en)}: at least ${zhCount(Number(params.limit))} characters`);
      if (error.keyword === 'format' && !spec.shape && !spec.example) {
        const example = params.format === 'date' ? DATE : params.format === 'date-time' ? DATE_TIME : null;
        if (example) return requiredMessage({ ...spec, example });
      }
      if (error.keyword === 'enum' && !known(path, context)) {
        const values = ((params.allowedValues as unknown[]) ?? []).map(String);
        return msg(`${spec.zh}须为以下之一：${values.join('、')}`, `${capitalise(spec.en)} must be one of the allowed values: ${values.join(', ')}`);
      }
      return shapeMessage(spec);
    case 'maxLength':
      if (spec.shape) return shapeMessage(spec);
      return msg(
        `${spec.zh}最多 ${zhCount(Number(params.limit))} 字${typeof error.data === 'string' ? `，现在是 ${zhCount([...error.data].length)} 字` : ''}，请删减`,
        `${capitalise(spec.en)}: at most ${zhCount(Number(params.limit))} characters${typeof error.data === 'string' ? ` (now ${zhCount([...error.data].length)})` : ''}; please shorten it`,
      );
    case 'minimum':
    case 'exclusiveMinimum':
      return msg(`${spec.zh}不能小于 ${String(params.limit)}`, `${capitalise(spec.en)} cannot be less than ${String(params.limit)}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return msg(`${spec.zh}不能大于 ${String(params.limit)}`, `${capitalise(spec.en)} cannot be more than ${String(params.limit)}`);
    case 'minItems':
      return msg(`${spec.zh}至少要有 ${String(params.limit)} 项`, `${capitalise(spec.en)}: at least ${String(params.limit)} needed`);
    case 'maxItems':
    case 'maxProperties':
      return msg(`${spec.zh}最多 ${String(params.limit)} 项`, `${capitalise(spec.en)}: at most ${String(params.limit)}`);
    case 'uniqueItems':
      return msg(`${spec.zh}有重复的项`, `${capitalise(spec.en)} lists something twice`);
    case 'propertyNames':
      return shapeMessage(spec);
    default:
      return shapeMessage(spec);
  }
}

function typeMessage(spec: FieldSpec, type: string): Localized {
  if (type.includes('integer') || type.includes('number')) return msg(`${spec.zh}须为数字`, `${capitalise(spec.en)} must be a number`);
  if (type.includes('boolean')) return msg(`请选择${spec.zh}`, `Choose ${spec.en}`);
  return shapeMessage(spec);
}

/** The maxLength of a missing property, read from the object schema ajv reports (verbose mode). */
function maxLengthOf(error: ErrorObject, property: string): number | undefined {
  const props = (error.parentSchema as { properties?: Record<string, { maxLength?: number }> } | undefined)?.properties;
  return props && Object.hasOwn(props, property) ? props[property]!.maxLength : undefined;
}

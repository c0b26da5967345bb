// The mapping wizard's proposer: from a scanned host schema (and a few bounded looks at code columns'
// values) it proposes a version 2 mapping, one decision at a time, each with the reason for the choice,
// the alternatives, and whether it is sure. A person (or `--yes`) answers the unsure ones; an answer is a
// pin, and the proposal is made again with it, since later decisions depend on earlier ones.
// Clues, strongest first: declared foreign keys and primary keys, Chinese column and table comments
// (业主姓名, 手机号, 房号, 应收金额, 缴费状态 …), then names in English and pinyin (owner_name, mobile,
// room_no, amount_due, yezhu, sjh, fangjian, ysje, jfzt …).
import type { Knex } from 'knex';
import { msg, type Localized } from '../common/localized.js';
import { isSoftDeleteColumn, type HostMapping, type LookupMapping, type PaidByMapping, type WhereFilter, type WhereValue } from './mapping.js';
import { distinctValues, namesOf, valuesFoundIn, type HostSchema, type ScannedColumn, type ScannedTable } from './schemaScan.js';

export interface Alternative {
  value: unknown;
  label: string;
  reason: Localized;
}

export interface Choice {
  /** What is decided, e.g. `owner.columns.phone`. */
  field: string;
  question: Localized;
  value: unknown;
  label: string;
  reason: Localized;
  /** The other candidates, best first. */
  alternatives: Alternative[];
  /** False when the clues do not settle it: the wizard asks (and `--yes` takes the proposal). */
  sure: boolean;
  /** Set when a person's answer (a pin) decided it. */
  pinned?: boolean;
}

export interface Proposal {
  mapping: HostMapping;
  choices: Choice[];
}

export class ProposalError extends Error {
  constructor(readonly problem: Localized) {
    super(problem.en);
  }
}

interface Candidate extends Alternative {
  score: number;
}

// ---------------------------------------------------------------------------------------------------
// Clues

const PREFIXES = new Set(['t', 'tb', 'tbl', 'wy', 'biz', 'sys', 'bs', 'pm', 'erp', 'cm', 'js', 'fm', 'app', 'base']);

function tokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A table's name tokens without the usual module prefix (wy_house → house). */
function stemTokens(name: string): string[] {
  const t = tokens(name);
  return t.length > 1 && PREFIXES.has(t[0]!) ? t.slice(1) : t;
}

function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  return word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

interface Clue {
  /** Matches the whole column name, or one of its tokens when `token`. */
  name?: RegExp;
  comment?: RegExp;
  weight: number;
  why: string;
}

function scoreOf(col: { name: string; comment: string }, clues: Clue[]): { score: number; why: string[] } {
  let score = 0;
  const why: string[] = [];
  for (const c of clues) {
    if (c.comment && col.comment && c.comment.test(col.comment)) {
      score += c.weight * 2;
      why.push(`comment “${col.comment}”`);
    } else if (c.name && c.name.test(col.name)) {
      score += c.weight;
      why.push(c.why);
    }
  }
  return { score, why: [...new Set(why)] };
}

const kindOf = (c: ScannedColumn) =>
  /int/.test(c.dataType)
    ? 'integer'
    : /char|text|clob/.test(c.dataType)
      ? 'string'
      : /decimal|numeric|real|double|float/.test(c.dataType)
        ? 'decimal'
        : /date|time/.test(c.dataType)
          ? 'time'
          : 'other';

const isText = (c: ScannedColumn) => kindOf(c) === 'string';
const isNumber = (c: ScannedColumn) => kindOf(c) === 'integer' || kindOf(c) === 'decimal';

const OWNER_NAME: Clue[] = [
  { comment: /业主(姓名|名称|名字)|^姓名|客户(姓名|名称)|住户姓名|户主/, weight: 5, why: 'owner name' },
  {
    name: /^(owner_?name|real_?name|yezhu_?(name|xm|mc)|yz_?(xm|mc|name)|yzxm|customer_?name|cust_?name|resident_?name|person_?name|full_?name|xm|xingming)$/i,
    weight: 4,
    why: 'named as an owner name',
  },
  { name: /^(name|nick_?name|username|user_?name)$/i, weight: 2, why: 'a name column' },
  { name: /name|xm$/i, weight: 1, why: 'a name-like column' },
];
const PHONE: Clue[] = [
  { comment: /手机|移动电话/, weight: 5, why: 'mobile' },
  { comment: /电话|联系方式/, weight: 4, why: 'phone' },
  {
    name: /^(mobile|mobile_?phone|phone_?number|phonenumber|cellphone|cell_?phone|sjh|shouji|sjhm|shoujihao|yz_?sjh|mobile_?no)$/i,
    weight: 4,
    why: 'named as a mobile number',
  },
  { name: /^(phone|tel|telephone|lxdh|dh|contact_?phone|link_?phone|lianxi_?dianhua|link)$/i, weight: 3, why: 'named as a phone number' },
  { name: /phone|mobile|tel/i, weight: 1, why: 'a phone-like column' },
];
const ROOM: Clue[] = [
  { comment: /房号|房间号|门牌|房屋编号|房屋名称|房间|室号/, weight: 5, why: 'room number' },
  {
    name: /^(room_?no|room_?num(ber)?|house_?no|house_?num(ber)?|room_?code|house_?code|fjh|fh|fangjian_?(hao|no|h)?|fanghao|fwbh|room_?name|house_?name|door_?no|mph)$/i,
    weight: 4,
    why: 'named as a room number',
  },
  { name: /^(room|label|fangjian)$/i, weight: 2, why: 'a room column' },
  { name: /room|house_?n|fangjian|fanghao/i, weight: 1, why: 'a room-like column' },
];
const COMMUNITY_NAME: Clue[] = [
  { comment: /小区(名称|名)?$|小区名称|项目名称|楼盘|社区名称/, weight: 5, why: 'community name' },
  { name: /^(community_?name|estate_?name|xiaoqu_?(name|mc)|xqmc|project_?name|village_?name|court_?name)$/i, weight: 4, why: 'named as a community name' },
  { name: /^(name|title|mc)$/i, weight: 2, why: 'a name column' },
];
const BUILDING_NAME: Clue[] = [
  { comment: /楼栋(名称|名|号)|楼号|楼宇名称|栋/, weight: 5, why: 'building name' },
  { name: /^(building_?name|building_?no|build_?name|ld_?mc|ldmc|lou_?hao|louhao|dong_?hao|tower_?name)$/i, weight: 4, why: 'named as a building name' },
  { name: /^(name|title|mc)$/i, weight: 2, why: 'a name column' },
];
const AMOUNT: Clue[] = [
  { comment: /应收|应缴|应付|账单金额|费用金额|合计金额|^金额/, weight: 5, why: 'amount due' },
  {
    name: /^(amount_?due|receivable|receivable_?amount|ysje|yjje|yingshou(_?je)?|bill_?amount|fee_?amount|total_?amount|should_?pay|amount|money|total|je|fee|price_?total|charge_?amount|amount_?(fen|yuan)|amount_?due_?(fen|yuan))$/i,
    weight: 4,
    why: 'named as the amount due',
  },
  { name: /amount|money|fee|je$|price|total/i, weight: 1, why: 'a money-like column' },
];
const PAID_AMOUNT: Clue[] = [
  { comment: /实收|已收|已缴金额|已付|实缴|收款金额/, weight: 5, why: 'amount paid' },
  {
    name: /^(received|received_?amount|paid_?amount|amount_?paid|ssje|sjje|shishou(_?je)?|paid|pay_?amount|real_?amount|actual_?amount|paid_?money|paid_?(fen|yuan)|received_?(fen|yuan))$/i,
    weight: 4,
    why: 'named as the amount paid',
  },
];
const STATUS: Clue[] = [
  { comment: /缴费状态|支付状态|收费状态|付款状态|账单状态|结清/, weight: 5, why: 'payment status' },
  {
    name: /^(pay_?status|payment_?status|paid_?status|jfzt|zfzt|sfzt|charge_?status|is_?paid|paid_?flag|bill_?status|status|state)$/i,
    weight: 3,
    why: 'named as a status',
  },
];
const FEE_TYPE: Clue[] = [
  { comment: /费用类型|收费项目|费用项目|费项|收费类型|费用名称/, weight: 5, why: 'fee type' },
  {
    name: /^(fee_?type|fee_?item(_?id)?|charge_?type|charge_?item(_?id)?|fylx|sfxm|fee_?code|item_?id|fee_?name|cost_?type)$/i,
    weight: 4,
    why: 'named as a fee type',
  },
];
const YEAR: Clue[] = [
  { comment: /年份|年度|^年$/, weight: 5, why: 'year' },
  { name: /^(year|bill_?year|fee_?year|nian|nf|nd|pay_?year)$/i, weight: 4, why: 'named as a year' },
];
const MONTH: Clue[] = [
  { comment: /^月$|月份/, weight: 5, why: 'month' },
  { name: /^(month|bill_?month|fee_?month|yue|yf|pay_?month)$/i, weight: 4, why: 'named as a month' },
];
const PERIOD: Clue[] = [
  { comment: /账期|所属期|计费周期|费用期间|账单月份|所属月份|期间/, weight: 5, why: 'billing period' },
  { name: /^(period|bill_?period|fee_?period|bill_?month|fee_?month|zq|ssq|billing_?month|charge_?month)$/i, weight: 4, why: 'named as a period' },
];
const RELATION_TYPE: Clue[] = [
  { comment: /关系|身份|类型/, weight: 5, why: 'relation' },
  {
    name: /^(relation_?type|relation|rel_?type|identity|identity_?type|owner_?type|person_?type|role|gx|sf|type)$/i,
    weight: 3,
    why: 'named as a relation type',
  },
];

const TABLE_OWNER = { name: /owner|yezhu|^yz|customer|resident|zhuhu|kehu|member|householder/i, comment: /业主|住户|客户|户主/ };
const TABLE_UNIT = { name: /house|room|unit|fangwu|fangjian|^fw|^fj|apartment|dwelling|property_?info|chanquan/i, comment: /房屋|房间|房产|房源|单元|户/ };
const TABLE_BILL = {
  name: /bill|fee|charge|receivable|zhangdan|^zd|jiaofei|^jf|shoufei|^sf|payment_?manage|arrear|invoice/i,
  comment: /账单|应收|收费|费用|缴费通知|欠费/,
};
const TABLE_PAYMENT = { name: /pay|record|receipt|shoukuan|jiaofei_?(jl|record)|flow|journal|detail|settle/i, comment: /缴费记录|收款|支付|付款|流水|实收/ };
const TABLE_COMMUNITY = { name: /community|estate|xiaoqu|^xq|village|project|court|garden|residential/i, comment: /小区|项目|楼盘|社区/ };
const TABLE_BUILDING = { name: /building|build|loudong|^ld|tower|block|dong/i, comment: /楼栋|楼宇|楼号|栋/ };

function tableScore(t: ScannedTable, clue: { name: RegExp; comment: RegExp }): number {
  let score = 0;
  if (t.comment && clue.comment.test(t.comment)) score += 6;
  if (stemTokens(t.name).some((tok) => clue.name.test(tok)) || clue.name.test(t.name)) score += 4;
  return score;
}

// ---------------------------------------------------------------------------------------------------
// References between tables

interface Ref {
  column: string;
  table: ScannedTable;
  key: string;
  declared: boolean;
  score: number;
}

function keyOf(t: ScannedTable): { key: string; why: Localized; sure: boolean } | null {
  if (t.primaryKey?.length === 1) return { key: t.primaryKey[0]!, why: msg('主键', 'the primary key'), sure: true };
  const unique = t.uniqueKeys.find((k) => k.length === 1);
  if (unique) return { key: unique[0]!, why: msg('唯一索引', 'a single-column unique index'), sure: true };
  const id = t.columns.find((c) => /^id$/i.test(c.name));
  if (id) return { key: id.name, why: msg('名为 id（无主键；视图需检查唯一性）', 'named id (no primary key; check-host tests uniqueness)'), sure: false };
  return null;
}

const refCache = new WeakMap<ScannedTable, Ref[]>();
/** Value probes of a schema (the wizard proposes again after each answer). */
const valueCache = new WeakMap<HostSchema, Map<string, { sampled: number; found: number }>>();

/** The columns of `t` that point at a key of another table: declared foreign keys, then names (house_id → wy_house). */
function refsOf(schema: HostSchema, t: ScannedTable): Ref[] {
  let refs = refCache.get(t);
  if (!refs) {
    refs = findRefs(schema, t);
    refCache.set(t, refs);
  }
  return refs;
}

function findRefs(schema: HostSchema, t: ScannedTable): Ref[] {
  const out: Ref[] = [];
  for (const fk of t.foreignKeys) {
    const target = schema.tables.find((x) => x.name === fk.table);
    if (target) out.push({ column: fk.column, table: target, key: fk.refColumn || (keyOf(target)?.key ?? 'id'), declared: true, score: 100 });
  }
  const own = keyOf(t)?.key;
  for (const col of t.columns) {
    if (out.some((r) => r.column === col.name) || col.name === own) continue;
    const m = /^(.+?)_?id$/i.exec(col.name);
    if (!m || /^id$/i.test(col.name)) continue;
    const stem = singular(tokens(m[1]!).join('_'));
    const stemParts = stem.split('_');
    let best: Ref | null = null;
    for (const target of schema.tables) {
      if (target === t) continue;
      const key = keyOf(target);
      if (!key) continue;
      const keyCol = target.columns.find((c) => c.name === key.key)!;
      if (kindOf(keyCol) !== kindOf(col)) continue;
      const parts = stemTokens(target.name).map(singular);
      let score = 0;
      if (key.key.toLowerCase() === col.name.toLowerCase()) score = 50;
      else if (parts.join('_') === stem) score = 40;
      else if (parts.includes(stemParts.at(-1)!) && stemParts.every((p) => parts.includes(p))) score = 30 - parts.length;
      else if (parts.includes(stemParts.at(-1)!)) score = 20 - parts.length;
      if (score > 0 && (!best || score > best.score)) best = { column: col.name, table: target, key: key.key, declared: false, score };
    }
    if (best) out.push(best);
  }
  return out;
}

const refTo = (schema: HostSchema, from: ScannedTable, to: ScannedTable) => refsOf(schema, from).find((r) => r.table === to);

// ---------------------------------------------------------------------------------------------------
// Decisions

class Decisions {
  readonly choices: Choice[] = [];
  constructor(private readonly pins: Record<string, unknown>) {}

  /** Takes the pinned candidate, else the best; sure when it stands clearly above the next one. */
  decide<T>(field: string, question: Localized, candidates: Candidate[], opts: { sure?: boolean; margin?: number } = {}): T {
    // Best first; a value offered twice (a proposal and the same plain value) is offered once.
    const seen = new Set<string>();
    const ranked = [...candidates]
      .sort((a, b) => b.score - a.score)
      .filter((c) => {
        const key = JSON.stringify(c.value);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    if (ranked.length === 0) throw new ProposalError(question);
    const pin = field in this.pins ? ranked.find((c) => JSON.stringify(c.value) === JSON.stringify(this.pins[field])) : undefined;
    const chosen = pin ?? ranked[0]!;
    const next = ranked.find((c) => c !== ranked[0]);
    const clear = !next || ranked[0]!.score - next.score >= (opts.margin ?? 2);
    this.choices.push({
      field,
      question,
      value: chosen.value,
      label: chosen.label,
      reason: chosen.reason,
      alternatives: ranked.filter((c) => c !== chosen).map(({ value, label, reason }) => ({ value, label, reason })),
      sure: Boolean(pin) || (opts.sure ?? clear),
      ...(pin ? { pinned: true } : {}),
    });
    return chosen.value as T;
  }
}

const because = (zh: string, en: string) => msg(zh, en);
const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const whyText = (why: string[]) => why.join(', ');

function columnCandidates(t: ScannedTable, clues: Clue[], accept: (c: ScannedColumn) => boolean, what: Localized): Candidate[] {
  return t.columns
    .filter(accept)
    .map((c) => ({ c, ...scoreOf(c, clues) }))
    .filter((x) => x.score > 0)
    .map((x) => ({
      value: x.c.name,
      label: `${t.name}.${x.c.name}${x.c.comment ? ` (${x.c.comment})` : ''}`,
      score: x.score,
      reason: because(`${what['zh-CN']}：${x.why.map(zhWhy).join('，')}`, `${what.en}: ${whyText(x.why)}`),
    }));
}

/** A clue's English words in Chinese for the reasons (comments are quoted as they are). */
function zhWhy(why: string): string {
  if (why.startsWith('comment ')) return `注释${why.slice(8)}`;
  if (why.endsWith(' points at the unit')) return `${why.slice(0, -' points at the unit'.length)} 指向房屋表`;
  return (
    {
      'owner name': '业主姓名',
      'named as an owner name': '列名表示业主姓名',
      'a name column': '列名是名称',
      'a name-like column': '列名像名称',
      'named as a mobile number': '列名表示手机号',
      'named as a phone number': '列名表示电话',
      'a phone-like column': '列名像电话',
      'named as a room number': '列名表示房号',
      'a room column': '列名表示房间',
      'a room-like column': '列名像房号',
      'named as a community name': '列名表示小区名称',
      'named as a building name': '列名表示楼栋',
      'named as the amount due': '列名表示应收金额',
      'a money-like column': '列名像金额',
      'named as the amount paid': '列名表示已收金额',
      'named as a status': '列名表示状态',
      'named as a fee type': '列名表示费用类型',
      'named as a year': '列名表示年份',
      'named as a month': '列名表示月份',
      'named as a period': '列名表示账期',
      'named as a relation type': '列名表示关系类型',
      'a name and a phone column': '有姓名列和电话列',
      'a room number column': '有房号列',
      'bills point at it': '账单表指向它',
      'an amount column': '有金额列',
    }[why] ?? why
  );
}

function tableCandidates(
  tables: ScannedTable[],
  clue: { name: RegExp; comment: RegExp },
  extra: (t: ScannedTable) => { score: number; why: string[] } | null,
  what: Localized,
): Candidate[] {
  const out: Candidate[] = [];
  for (const t of tables) {
    const e = extra(t);
    if (!e) continue;
    const named = tableScore(t, clue);
    const why = [...(t.comment && clue.comment.test(t.comment) ? [`comment “${t.comment}”`] : []), ...(named >= 4 ? ['its name'] : []), ...e.why];
    out.push({
      value: t.name,
      label: `${t.name}${t.comment ? ` (${t.comment})` : ''}${t.view ? ' [view]' : ''}`,
      score: named + e.score,
      reason: because(`${what['zh-CN']}：${why.map((w) => (w === 'its name' ? '表名' : zhWhy(w))).join('，')}`, `${what.en}: ${whyText(why)}`),
    });
  }
  return out;
}

/** The soft-delete column of a table and the value of a live row (from its comment, else its type). */
async function liveFilter(db: Knex, t: ScannedTable): Promise<{ where: WhereFilter; reason: Localized } | null> {
  const col = t.columns.find((c) => isSoftDeleteColumn(c.name));
  if (!col) return null;
  if (kindOf(col) === 'time' || /_(at|time|date|on)$/i.test(col.name)) {
    return { where: { [col.name]: null }, reason: because(`${col.name} 为空表示未删除`, `${col.name} is null on live rows`) };
  }
  // RuoYi writes "删除标志（0代表存在 2代表删除）"; read the live value off the comment where it says so.
  const said = /([0-9A-Za-z]+)\s*(?:代表|表示|=|:|：|-)?\s*(?:存在|正常|未删除|有效)/.exec(col.comment);
  const raw = said ? said[1]! : '0';
  const value: WhereValue = kindOf(col) === 'integer' ? Number(raw) : raw;
  const values = await distinctValues(db, t, col.name);
  const seen = values ? ` (${values.map((v) => `${v.value ?? 'null'}: ${v.rows}`).join(', ')})` : '';
  return {
    where: { [col.name]: value },
    reason: because(
      `软删除列 ${col.name}，有效行取 ${JSON.stringify(value)}${said ? `（注释“${col.comment}”）` : ''}${seen}`,
      `soft-delete column ${col.name}: live rows have ${JSON.stringify(value)}${said ? ` (comment “${col.comment}”)` : ''}${seen}`,
    ),
  };
}

async function decideLive(d: Decisions, db: Knex, field: string, t: ScannedTable): Promise<WhereFilter | undefined> {
  const live = await liveFilter(db, t);
  if (!live) return undefined;
  const chosen = d.decide<WhereFilter | null>(field, msg(`${t.name} 的有效行（软删除）条件`, `The live-row (soft delete) filter of ${t.name}`), [
    { value: live.where, label: JSON.stringify(live.where), score: 3, reason: live.reason },
    { value: null, label: '(none / 无)', score: 0, reason: because('读取所有行，包括已删除的', 'read every row, deleted ones too') },
  ]);
  return chosen ?? undefined;
}

const UNPAID_WORDS = /^(unpaid|not_?paid|owing|arrears?|due|open|pending|wait|n|no|false|未缴|未缴费|未付|未支付|欠费|待缴|待缴费|待支付|未结清|未收)$/i;
const PAID_WORDS = /^(paid|settled|done|closed|success|y|yes|true|已缴|已缴费|已付|已支付|已结清|已收|完成)$/i;

/** Which values of a status column mean "not yet paid", from the comment, the words, or 0/1. */
function readStatusValues(col: ScannedColumn, values: Array<{ value: string | null }>): { unpaid: WhereValue[]; sure: boolean; why: Localized } | null {
  const fromComment = new Map<string, 'paid' | 'unpaid'>();
  for (const m of col.comment.matchAll(
    /([0-9A-Za-z]+)\s*(?:代表|表示|=|:|：|-|\s)?\s*(未缴费|未缴|未付|未支付|欠费|待缴费|待缴|待支付|未结清|已缴费|已缴|已付|已支付|已结清|已收|部分缴费)/g,
  )) {
    fromComment.set(m[1]!, /^(未|欠|待)/.test(m[2]!) ? 'unpaid' : 'paid');
  }
  const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
  if (fromComment.size) {
    const unpaid = [...fromComment].filter(([, s]) => s === 'unpaid').map(([v]) => typed(v));
    if (unpaid.length)
      return { unpaid, sure: true, why: because(`注释“${col.comment}”说明了未缴的取值`, `the comment “${col.comment}” says which values are unpaid`) };
  }
  const present = values.flatMap((v) => (v.value === null ? [] : [v.value]));
  const unpaidWords = present.filter((v) => UNPAID_WORDS.test(v));
  if (unpaidWords.length && present.some((v) => PAID_WORDS.test(v)))
    return {
      unpaid: unpaidWords.map(typed),
      sure: true,
      why: because(
        `取值 ${present.join('、')} 中 ${unpaidWords.join('、')} 表示未缴`,
        `of the values ${present.join(', ')}, ${unpaidWords.join(', ')} mean unpaid`,
      ),
    };
  if (present.length && present.every((v) => v === '0' || v === '1'))
    return {
      unpaid: [typed('0')],
      sure: false,
      why: because('取值只有 0 和 1，猜测 0 = 未缴（请确认）', 'the values are 0 and 1 only; 0 is taken as unpaid (please confirm)'),
    };
  return null;
}

// ---------------------------------------------------------------------------------------------------

/**
 * Proposes a version 2 mapping for the scanned host. `pins` are answers already given (field → value
 * of the chosen candidate); every other decision takes the best candidate and says whether it is sure.
 */
export async function proposeMapping(db: Knex, schema: HostSchema, pins: Record<string, unknown> = {}): Promise<Proposal> {
  const d = new Decisions(pins);
  const byName = (name: string) => schema.tables.find((t) => t.name === name)!;
  const tables = schema.tables;
  const hasScore = (t: ScannedTable, clues: Clue[], accept: (c: ScannedColumn) => boolean) =>
    Math.max(0, ...t.columns.filter(accept).map((c) => scoreOf(c, clues).score));

  // Owners: a table with a name and a phone.
  const owner = byName(
    d.decide<string>(
      'owner.table',
      msg('哪张表是业主表？', 'Which table holds the owners?'),
      tableCandidates(
        tables,
        TABLE_OWNER,
        (t) => {
          const name = hasScore(t, OWNER_NAME, isText);
          const phone = hasScore(t, PHONE, isText);
          return name > 0 && phone > 0 ? { score: Math.min(name, 8) / 2 + Math.min(phone, 8) / 2, why: ['a name and a phone column'] } : null;
        },
        msg('业主表', 'owners'),
      ),
    ),
  );
  const ownerKey = keyOf(owner);
  if (!ownerKey) throw new ProposalError(msg(`业主表 ${owner.name} 没有主键或唯一键`, `The owner table ${owner.name} has no primary or unique key`));
  const ownerName = d.decide<string>(
    'owner.columns.name',
    msg('业主姓名是哪一列？', "Which column is the owner's name?"),
    columnCandidates(owner, OWNER_NAME, isText, msg('业主姓名', "owner's name")),
  );
  const ownerPhone = d.decide<string>(
    'owner.columns.phone',
    msg('业主手机号是哪一列？', "Which column is the owner's mobile phone?"),
    columnCandidates(owner, PHONE, (c) => isText(c) && c.name !== ownerName, msg('手机号', 'phone')),
  );
  const ownerWhere = await decideLive(d, db, 'owner.where', owner);

  // Units: a table with a room number that bills or owners point at.
  const unit = byName(
    d.decide<string>(
      'unit.table',
      msg('哪张表是房屋表？', 'Which table holds the units (rooms)?'),
      tableCandidates(
        tables.filter((t) => t !== owner),
        TABLE_UNIT,
        (t) => {
          const room = hasScore(t, ROOM, isText);
          if (room === 0 && !['building_no', 'house_no'].every((n) => t.columns.some((c) => c.name === n))) return null;
          const pointedAt = tables.filter((x) => x !== t && refTo(schema, x, t) && x.columns.some((c) => isNumber(c) && scoreOf(c, AMOUNT).score >= 4)).length;
          return { score: Math.min(room, 8) / 2 + (pointedAt ? 3 : 0), why: ['a room number column', ...(pointedAt ? ['bills point at it'] : [])] };
        },
        msg('房屋表', 'units'),
      ),
    ),
  );
  const unitKey = keyOf(unit);
  if (!unitKey) throw new ProposalError(msg(`房屋表 ${unit.name} 没有主键或唯一键`, `The unit table ${unit.name} has no primary or unique key`));
  const unitWhere = await decideLive(d, db, 'unit.where', unit);

  // A building the unit points at (for its name in the label and maybe the community).
  const buildingRefs = refsOf(schema, unit)
    .filter((r) => columnCandidates(r.table, BUILDING_NAME, isText, msg('', '')).some((c) => c.score >= 4))
    .filter(
      (r) =>
        tableScore(r.table, TABLE_BUILDING) > 0 || scoreOf({ name: r.column, comment: '' }, [{ name: /build|loudong|ld|dong/i, weight: 1, why: '' }]).score > 0,
    );
  const buildingRef = d.decide<{ column: string; table: string; key: string } | null>(
    'unit.lookups.building',
    msg('房屋所在的楼栋表（用于房号前加楼栋名）', "The unit's building table (its name goes before the room number)"),
    [
      ...buildingRefs.map((r) => ({
        value: { column: r.column, table: r.table.name, key: r.key },
        label: `${unit.name}.${r.column} → ${r.table.name}.${r.key}`,
        score: 3 + (r.declared ? 2 : 0),
        reason: because(
          `${r.declared ? '外键' : '列名'} ${r.column} 指向楼栋表 ${r.table.name}：同一房号可能在不同楼栋重复`,
          `${r.declared ? 'foreign key' : 'the name of'} ${r.column} points at the building table ${r.table.name}: one room number may exist in several buildings`,
        ),
      })),
      { value: null, label: '(none / 无)', score: 0, reason: because('不使用楼栋表', 'no building table') },
    ],
  );
  const building = buildingRef ? byName(buildingRef.table) : null;
  const lookups: Record<string, LookupMapping> = {};
  if (building && buildingRef) {
    const buildingWhere = await decideLive(d, db, 'unit.lookups.building.where', building);
    lookups.building = { table: building.name, key: buildingRef.key, from: buildingRef.column, ...(buildingWhere ? { where: buildingWhere } : {}) };
  }

  // The label: building name + room number, or the parts of the room number, or the room number alone.
  const labelCandidates: Candidate[] = [];
  const rooms = columnCandidates(unit, ROOM, (c) => isText(c) || kindOf(c) === 'integer', msg('房号', 'room number')).sort((a, b) => b.score - a.score);
  const room = rooms[0];
  const parts = ['building_no', 'unit_no', 'house_no'].map((n) => unit.columns.find((c) => c.name.toLowerCase() === n));
  if (parts.every(Boolean)) {
    const names = parts.map((c) => c!.name);
    labelCandidates.push({
      value: `{${names[0]}}-{${names[1]}}-{${names[2]}}`,
      label: `{${names[0]}}-{${names[1]}}-{${names[2]}}`,
      score: 8,
      reason: because('房号分在楼号、单元号、户号三列：组合成“3-2-1201”', 'the room number is split into building, entrance and room: composed as "3-2-1201"'),
    });
  }
  if (building && room) {
    const bn = columnCandidates(building, BUILDING_NAME, isText, msg('楼栋名', 'building name')).sort((a, b) => b.score - a.score)[0];
    if (bn)
      labelCandidates.push({
        value: `{building.${String(bn.value)}}{${String(room.value)}}`,
        label: `{building.${String(bn.value)}}{${String(room.value)}}`,
        score: 7,
        reason: because(
          `楼栋名 ${building.name}.${String(bn.value)} + 房号 ${String(room.value)}：工作人员熟悉的“1号楼1-101”，不同楼栋的同一房号不会混淆`,
          `building name ${building.name}.${String(bn.value)} + room number ${String(room.value)}: "Building 1 1-101" as the staff know it, and the same number in two buildings stays apart`,
        ),
      });
  }
  for (const r of rooms) labelCandidates.push({ ...r, score: Math.min(r.score, 6) });
  const label = d.decide<string>('unit.columns.label', msg('房屋显示为什么（房号）？', 'What is the unit called (its label)?'), labelCandidates);

  // Owner of a unit: a column of the unit, or a relation table.
  const ownerLinks: Candidate[] = [];
  const unitToOwner = refTo(schema, unit, owner);
  if (unitToOwner)
    ownerLinks.push({
      value: { column: unitToOwner.column },
      label: `${unit.name}.${unitToOwner.column} → ${owner.name}`,
      score: 6 + (unitToOwner.declared ? 2 : 0),
      reason: because(`房屋表的 ${unitToOwner.column} 指向业主表`, `${unit.name}.${unitToOwner.column} points at the owner table`),
    });
  for (const rel of tables) {
    if (rel === owner || rel === unit) continue;
    const o = refTo(schema, rel, owner);
    const u = refTo(schema, rel, unit);
    if (!o || !u) continue;
    const money = rel.columns.some((c) => isNumber(c) && scoreOf(c, AMOUNT).score >= 4);
    if (money) continue;
    ownerLinks.push({
      value: { ownership: { table: rel.name, owner: o.column, unit: u.column } },
      label: `${rel.name} (${o.column}, ${u.column})`,
      score: 5 + (stemTokens(rel.name).length <= 3 ? 1 : 0) + (o.declared && u.declared ? 2 : 0),
      reason: because(
        `关系表 ${rel.name} 同时指向业主（${o.column}）和房屋（${u.column}）`,
        `the relation table ${rel.name} points at both owners (${o.column}) and units (${u.column})`,
      ),
    });
  }
  const link = d.decide<{ column?: string; ownership?: { table: string; owner: string; unit: string } }>(
    'unit.owner',
    msg('房屋的业主从哪里来？', "Where is a unit's owner?"),
    ownerLinks,
  );
  let ownership: HostMapping['ownership'];
  if (link.ownership) {
    const rel = byName(link.ownership.table);
    const where: WhereFilter = { ...((await decideLive(d, db, 'ownership.where', rel)) ?? {}) };
    const typeCol = columnCandidates(rel, RELATION_TYPE, (c) => isText(c) || kindOf(c) === 'integer', msg('关系类型', 'relation type')).sort(
      (a, b) => b.score - a.score,
    )[0];
    if (typeCol) {
      const values = (await distinctValues(db, rel, String(typeCol.value))) ?? [];
      const col = rel.columns.find((c) => c.name === typeCol.value)!;
      const owners = values.flatMap((v) =>
        v.value !== null &&
        (/业主|户主|产权|owner/i.test(v.value) || new RegExp(`${escapeRe(v.value)}\\s*(?:代表|表示|=|:|：|-)?\\s*(业主|户主|产权人)`).test(col.comment))
          ? [v.value]
          : [],
      );
      const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
      const seen = values.map((v) => `${v.value ?? 'null'} (${v.rows})`).join(', ');
      const scope = d.decide<WhereValue[] | null>(
        'ownership.where.relation',
        msg(
          `${rel.name}.${col.name} 的哪些取值表示业主（而非租户、家属）？现有取值：${seen}`,
          `Which values of ${rel.name}.${col.name} mean an owner (not a tenant or family)? Values: ${seen}`,
        ),
        [
          ...(owners.length
            ? [{ value: owners.map(typed), label: owners.join(', '), score: 4, reason: because('取值或注释表示业主', 'the values or the comment say owner') }]
            : []),
          {
            value: null,
            label: '(all / 全部)',
            score: 1,
            reason: because('不按关系类型过滤：每个有关系的人都算业主', 'no filter: everyone related to the unit counts as its owner'),
          },
          ...values.flatMap((v) =>
            v.value === null ? [] : [{ value: [typed(v.value)], label: v.value, score: 0, reason: because(`只取 ${v.value}`, `only ${v.value}`) }],
          ),
        ],
        { sure: owners.length > 0 },
      );
      if (scope) where[col.name] = scope;
    }
    ownership = { table: rel.name, owner: link.ownership.owner, unit: link.ownership.unit, ...(Object.keys(where).length ? { where } : {}) };
  }

  // The community: a table the unit (or its building) points at, or a name on the building.
  const communityCandidates: Candidate[] = [];
  const communityTables = (from: ScannedTable) =>
    refsOf(schema, from).filter((r) => tableScore(r.table, TABLE_COMMUNITY) > 0 || /community|estate|xiaoqu|xq|project|village/i.test(r.column));
  const nameOf = (t: ScannedTable) => columnCandidates(t, COMMUNITY_NAME, isText, msg('小区名称', 'community name')).sort((a, b) => b.score - a.score)[0];
  for (const r of communityTables(unit)) {
    const n = nameOf(r.table);
    if (n)
      communityCandidates.push({
        value: { column: r.column, table: r.table.name, key: r.key, name: n.value },
        label: `${unit.name}.${r.column} → ${r.table.name}.${String(n.value)}`,
        score: 6,
        reason: because(`房屋表的 ${r.column} 指向小区表 ${r.table.name}`, `${unit.name}.${r.column} points at the community table ${r.table.name}`),
      });
  }
  if (building) {
    for (const r of communityTables(building)) {
      const n = nameOf(r.table);
      if (n)
        communityCandidates.push({
          value: { column: `building.${r.column}`, table: r.table.name, key: r.key, name: n.value },
          label: `${building.name}.${r.column} → ${r.table.name}.${String(n.value)}`,
          score: 6,
          reason: because(
            `楼栋表的 ${r.column} 指向小区表 ${r.table.name}（房屋 → 楼栋 → 小区）`,
            `${building.name}.${r.column} points at the community table ${r.table.name} (unit → building → community)`,
          ),
        });
    }
    for (const c of building.columns.filter((x) => isText(x) && scoreOf(x, COMMUNITY_NAME).score >= 4)) {
      communityCandidates.push({
        value: { column: `building.${c.name}` },
        label: `${building.name}.${c.name}`,
        score: 5,
        reason: because(`楼栋表上的小区名称 ${c.name}（文本）`, `the community's name as text on the building: ${c.name}`),
      });
    }
  }
  for (const c of unit.columns.filter((x) => isText(x) && scoreOf(x, COMMUNITY_NAME).score >= 4)) {
    communityCandidates.push({
      value: { column: c.name },
      label: `${unit.name}.${c.name}`,
      score: 5,
      reason: because(`房屋表上的小区名称 ${c.name}`, `the community's name on the unit: ${c.name}`),
    });
  }
  communityCandidates.push({
    value: null,
    label: '(none / 无)',
    score: 0,
    reason: because('不区分小区（按小区的权限范围不可用）', 'no communities (scoping staff by community is not possible)'),
  });
  const community = d.decide<{ column: string; table?: string; key?: string; name?: string } | null>(
    'unit.columns.community',
    msg('房屋属于哪个小区？', 'Which community is a unit in?'),
    communityCandidates,
  );
  let communityMapping: HostMapping['community'];
  if (community?.table) {
    const ct = byName(community.table);
    const cw = await decideLive(d, db, 'community.where', ct);
    communityMapping = { table: ct.name, key: community.key!, columns: { name: community.name! }, ...(cw ? { where: cw } : {}) };
  }

  // Bills: a table that points at the unit and has an amount. A reference its name does not tell is
  // found by its values (HC's pay_fee.payer_obj_id holds room ids).
  const unitRefs = new Map<ScannedTable, Ref & { byValues?: boolean }>();
  const unitKeyCol = unit.columns.find((c) => c.name === unitKey.key)!;
  for (const t of tables) {
    if (t === unit || t === owner || hasScore(t, AMOUNT, isNumber) === 0) continue;
    const named = refTo(schema, t, unit);
    if (named) {
      unitRefs.set(t, named);
      continue;
    }
    for (const c of t.columns) {
      if (!/id$/i.test(c.name) || t.primaryKey?.includes(c.name) || kindOf(c) !== kindOf(unitKeyCol)) continue;
      const probe = `${t.name}.${c.name}>${unit.name}.${unitKey.key}`;
      const cache = valueCache.get(schema) ?? new Map<string, { sampled: number; found: number }>();
      valueCache.set(schema, cache);
      if (!cache.has(probe)) cache.set(probe, await valuesFoundIn(db, t.name, c.name, unit.name, unitKey.key));
      const { sampled, found } = cache.get(probe)!;
      if (sampled > 0 && found / sampled >= 0.9) {
        unitRefs.set(t, { column: c.name, table: unit, key: unitKey.key, declared: false, score: 10, byValues: true });
        break;
      }
    }
  }
  const bill = byName(
    d.decide<string>(
      'bill.table',
      msg('哪张表是物业费账单表？', 'Which table holds the bills?'),
      tableCandidates(
        tables.filter((t) => t !== unit && t !== owner),
        TABLE_BILL,
        (t) => {
          const r = unitRefs.get(t);
          const amount = hasScore(t, AMOUNT, isNumber);
          if (!r || amount === 0) return null;
          const paidRows = tables.some((x) => x !== t && refTo(schema, x, t) && tableScore(x, TABLE_PAYMENT) > 0);
          return { score: Math.min(amount, 10) / 2 + (paidRows ? 1 : 0), why: [`${r.column} points at the unit`, 'an amount column'] };
        },
        msg('账单表', 'bills'),
      ),
    ),
  );
  const billKey = keyOf(bill);
  if (!billKey) throw new ProposalError(msg(`账单表 ${bill.name} 没有主键或唯一键`, `The bill table ${bill.name} has no primary or unique key`));
  const billUnit = d.decide<string>(
    'bill.columns.unit',
    msg('账单的房屋是哪一列？', "Which column is the bill's unit?"),
    [...refsOf(schema, bill).filter((r) => r.table === unit), ...(unitRefs.get(bill)?.byValues ? [unitRefs.get(bill)!] : [])].map((r) => ({
      value: r.column,
      label: `${bill.name}.${r.column}`,
      score: r.score,
      reason:
        'byValues' in r
          ? because(`${r.column} 的取值都是房屋表 ${unit.name} 的主键`, `the values of ${r.column} are keys of the unit table ${unit.name}`)
          : because(
              `${r.declared ? '外键' : '列名'}指向房屋表 ${unit.name}`,
              `${r.declared ? 'a foreign key' : 'its name'} points at the unit table ${unit.name}`,
            ),
    })),
  );
  const amounts = columnCandidates(bill, AMOUNT, isNumber, msg('应收金额', 'amount due')).map((c) => ({
    ...c,
    score: c.score - scoreOf({ name: String(c.value), comment: bill.columns.find((x) => x.name === c.value)!.comment }, PAID_AMOUNT).score * 2,
  }));
  const amount = d.decide<string>('bill.columns.amount', msg('应收金额是哪一列？', 'Which column is the amount due?'), amounts);
  const amountCol = bill.columns.find((c) => c.name === amount)!;
  const amountUnit = d.decide<'yuan' | 'fen'>(
    'bill.amountUnit',
    msg(`${bill.name}.${amount} 的单位是元还是分？`, `Is ${bill.name}.${amount} in yuan or in fen?`),
    moneyUnit(amountCol),
    {
      sure: kindOf(amountCol) === 'decimal' || /分|元/.test(amountCol.comment) || /fen|cent|yuan/i.test(amountCol.name),
    },
  );

  // The period: year + month columns, or one period column.
  const periodCandidates: Candidate[] = [];
  const year = columnCandidates(bill, YEAR, (c) => isNumber(c) || isText(c), msg('年', 'year')).sort((a, b) => b.score - a.score)[0];
  const month = columnCandidates(bill, MONTH, (c) => isNumber(c), msg('月', 'month')).sort((a, b) => b.score - a.score)[0];
  if (year && month)
    periodCandidates.push({
      value: { year: year.value, month: month.value },
      label: `${String(year.value)} + ${String(month.value)}`,
      score: 8,
      reason: because(
        `年 ${String(year.value)} 与月 ${String(month.value)} 两列，合成可排序的 YYYY-MM`,
        `a year column ${String(year.value)} and a month column ${String(month.value)}, normalised to a sortable YYYY-MM`,
      ),
    });
  for (const p of columnCandidates(bill, PERIOD, (c) => isText(c) || kindOf(c) === 'time', msg('账期', 'period'))) periodCandidates.push(p);
  periodCandidates.push({ value: null, label: '(none / 无)', score: 0, reason: because('账单没有账期列', 'no period column') });
  const period = d.decide<string | { year: string; month: string } | null>(
    'bill.columns.period',
    msg('账单的账期是哪一列？', "Which column is the bill's period?"),
    periodCandidates,
  );

  // How a bill is known to be paid.
  const paidWays: Candidate[] = [];
  for (const p of columnCandidates(bill, PAID_AMOUNT, (c) => isNumber(c) && c.name !== amount, msg('已收金额', 'amount paid'))) {
    paidWays.push({
      ...p,
      value: { paidAmount: p.value },
      score: 6 + p.score / 4,
      reason: because(
        `已缴金额列 ${String(p.value)}：未缴 = 应收 − 已收（可部分缴费）`,
        `a paid amount column ${String(p.value)}: outstanding = amount − paid (partial payments)`,
      ),
    });
  }
  for (const payTable of tables) {
    if (payTable === bill) continue;
    const r = refTo(schema, payTable, bill);
    if (!r) continue;
    const named = tableScore(payTable, TABLE_PAYMENT);
    const payAmount = columnCandidates(payTable, [...PAID_AMOUNT, ...AMOUNT], isNumber, msg('缴费金额', 'payment amount')).sort((a, b) => b.score - a.score)[0];
    const base = 4 + named / 2 + (r.declared ? 1 : 0);
    if (payAmount)
      paidWays.push({
        value: { paidBy: { table: payTable.name, bill: r.column, amount: payAmount.value } },
        label: `${payTable.name}.${r.column}, SUM(${String(payAmount.value)})`,
        score: base + 1,
        reason: because(
          `缴费记录表 ${payTable.name} 通过 ${r.column} 指向账单，按账单汇总 ${String(payAmount.value)}（可部分缴费）`,
          `the payments table ${payTable.name} points at the bill through ${r.column}; its ${String(payAmount.value)} summed per bill (partial payments)`,
        ),
      });
    paidWays.push({
      value: { paidBy: { table: payTable.name, bill: r.column } },
      label: `${payTable.name}.${r.column} (row exists / 有记录即已缴)`,
      score: base,
      reason: because(`缴费记录表 ${payTable.name} 中有指向账单的记录即视为已缴`, `a bill is paid when a row of ${payTable.name} points at it`),
    });
  }
  const statusCols = columnCandidates(bill, STATUS, (c) => isText(c) || kindOf(c) === 'integer', msg('缴费状态', 'payment status'));
  const statusReads: Array<{ column: string; read: NonNullable<ReturnType<typeof readStatusValues>> }> = [];
  for (const s of statusCols) {
    const col = bill.columns.find((c) => c.name === s.value)!;
    const values = (await distinctValues(db, bill, col.name)) ?? [];
    const read = readStatusValues(col, values);
    if (!read) {
      // Codes nothing explains (java110's 2008001 = 收费中): each value offered, none proposed.
      const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
      const codes = values.flatMap((v) => (v.value === null ? [] : [v.value]));
      for (const v of codes)
        paidWays.push({
          value: { status: col.name, unpaid: [typed(v)] },
          label: `${bill.name}.${col.name} = ${v} → unpaid / 未缴`,
          score: -1,
          reason: because(
            `${col.name} 取 ${v} 表示未缴（注释与取值都没有说明，请确认）`,
            `${col.name} = ${v} means unpaid (neither a comment nor the values say so; please confirm)`,
          ),
        });
      continue;
    }
    statusReads.push({ column: col.name, read });
    paidWays.push({
      value: { status: col.name, unpaid: read.unpaid },
      label: `${bill.name}.${col.name} ∈ ${JSON.stringify(read.unpaid)}`,
      score: 5 + s.score / 4 + (read.sure ? 2 : 0),
      reason: read.why,
    });
  }
  paidWays.push({
    value: null,
    label: '(none / 无)',
    score: 0,
    reason: because('无法判断已缴：每张账单都会被当作未缴', 'no way to tell paid bills: every bill will be treated as outstanding'),
  });
  const paid = d.decide<{ paidAmount?: string; paidBy?: PaidByMapping; status?: string; unpaid?: WhereValue[] } | null>(
    'bill.paid',
    msg('怎样知道一张账单已缴？', 'How is a bill known to be paid?'),
    paidWays,
    { sure: [...paidWays].sort((a, b) => b.score - a.score)[0]!.value !== null && statusReads.every((s) => s.read.sure), margin: 1 },
  );
  let paidBy: PaidByMapping | undefined;
  if (paid?.paidBy) {
    const payTable = byName(paid.paidBy.table);
    const where: WhereFilter = { ...((await decideLive(d, db, 'bill.paidBy.where', payTable)) ?? {}) };
    const st = columnCandidates(payTable, STATUS, (c) => isText(c) || kindOf(c) === 'integer', msg('支付状态', 'payment status')).sort(
      (a, b) => b.score - a.score,
    )[0];
    if (st) {
      const col = payTable.columns.find((c) => c.name === st.value)!;
      const values = (await distinctValues(db, payTable, col.name)) ?? [];
      const read = readStatusValues(col, values);
      const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
      const settled = values.flatMap((v) => (v.value === null || read?.unpaid.some((u) => String(u) === v.value) ? [] : [typed(v.value)]));
      const seen = values.map((v) => `${v.value ?? 'null'} (${v.rows})`).join(', ');
      const chosen = d.decide<WhereValue | WhereValue[] | null>(
        'bill.paidBy.where.status',
        msg(
          `${payTable.name}.${col.name} 的哪些取值表示已到账？现有取值：${seen}`,
          `Which values of ${payTable.name}.${col.name} mean the payment went through? Values: ${seen}`,
        ),
        [
          ...(settled.length && read ? [{ value: settled.length === 1 ? settled[0]! : settled, label: settled.join(', '), score: 4, reason: read.why }] : []),
          { value: null, label: '(all / 全部)', score: 1, reason: because('每条记录都算已缴', 'every payment row counts') },
          ...values.flatMap((v) =>
            v.value === null ? [] : [{ value: typed(v.value), label: v.value, score: 0, reason: because(`只取 ${v.value}`, `only ${v.value}`) }],
          ),
        ],
        { sure: Boolean(read?.sure) },
      );
      if (chosen !== null) where[col.name] = chosen;
    }
    paidBy = { ...paid.paidBy, ...(Object.keys(where).length ? { where } : {}) };
  }

  // Which bills: live rows, and the fee type of property fees when bills of several fees share the table.
  const billWhere: WhereFilter = { ...((await decideLive(d, db, 'bill.where', bill)) ?? {}) };
  // A status column that does not tell payment may still void bills (RuoYi's bill_status '9' = 作废).
  for (const s of statusCols) {
    if (s.value === paid?.status) continue;
    const col = bill.columns.find((c) => c.name === s.value)!;
    const values = ((await distinctValues(db, bill, col.name, billWhere)) ?? []).flatMap((v) => (v.value === null ? [] : [v]));
    if (values.length < 2) continue;
    const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
    const voidWord = /作废|无效|取消|撤销|void|cancel|invalid|deleted/i;
    const voided = values.filter(
      (v) =>
        voidWord.test(v.value!) || new RegExp(`(^|[^0-9A-Za-z])${escapeRe(v.value!)}\\s*(?:代表|表示|=|:|：|-)?\\s*(作废|无效|取消|撤销)`).test(col.comment),
    );
    const seen = values.map((v) => `${v.value} (${v.rows})`).join(', ');
    const chosen = d.decide<WhereFilter[string] | null>(
      'bill.where.void',
      msg(
        `${bill.name}.${col.name} 的哪些取值表示账单已作废（不再收取）？现有取值：${seen}`,
        `Which values of ${bill.name}.${col.name} mean the bill is void (no longer charged)? Values: ${seen}`,
      ),
      [
        ...(voided.length
          ? [
              {
                value: { not: voided.map((v) => typed(v.value!)) },
                label: `not ${voided.map((v) => v.value).join(', ')}`,
                score: 4,
                reason: because('取值或注释表示作废', 'the values or the comment say void'),
              },
            ]
          : []),
        { value: null, label: '(none / 无)', score: 1, reason: because(`不按 ${col.name} 过滤`, `no filter on ${col.name}`) },
        ...values.map((v) => ({
          value: { not: [typed(v.value!)] },
          label: `not ${v.value}`,
          score: 0,
          reason: because(`${v.value} 表示作废`, `${v.value} means void`),
        })),
      ],
      { sure: voided.length > 0 },
    );
    if (chosen !== null) billWhere[col.name] = chosen;
  }
  const feeCol = columnCandidates(bill, FEE_TYPE, (c) => isText(c) || kindOf(c) === 'integer', msg('费用类型', 'fee type')).sort(
    (a, b) => b.score - a.score,
  )[0];
  if (feeCol) {
    const col = bill.columns.find((c) => c.name === feeCol.value)!;
    const values = (await distinctValues(db, bill, col.name, billWhere)) ?? [];
    const item = refsOf(schema, bill).find((r) => r.column === col.name);
    const itemName = item
      ? columnCandidates(item.table, [{ comment: /名称|名/, name: /name|mc|title/i, weight: 3, why: 'a name column' }], isText, msg('名称', 'name'))[0]
      : undefined;
    const names =
      item && itemName
        ? await namesOf(
            db,
            item.table.name,
            item.key,
            String(itemName.value),
            values.flatMap((v) => (v.value === null ? [] : [v.value])),
          )
        : new Map<string, string>();
    const described = (v: string) =>
      names.get(v) ?? new RegExp(`${escapeRe(v)}\\s*(?:代表|表示|=|:|：|-)?\\s*([\\u4e00-\\u9fff]+费)`).exec(col.comment)?.[1] ?? v;
    const typed = (v: string): WhereValue => (kindOf(col) === 'integer' ? Number(v) : v);
    const shown = (v: string) => (described(v) === v ? v : `${v}=${described(v)}`);
    const property = values.filter((v) => v.value !== null && /物业|property|management|wuye|wyf/i.test(described(v.value)));
    const seen = values
      .map((v) => `${v.value ?? 'null'}${v.value !== null && described(v.value) !== v.value ? `=${described(v.value)}` : ''} (${v.rows})`)
      .join(', ');
    if (values.length > 1 || property.length) {
      const chosen = d.decide<WhereValue | WhereValue[] | null>(
        'bill.where.feeType',
        msg(
          `${bill.name}.${col.name} 的哪些取值是物业费（抵扣只用于这些账单）？现有取值：${seen}`,
          `Which values of ${bill.name}.${col.name} are property fees (offsets go only against them)? Values: ${seen}`,
        ),
        [
          ...(property.length
            ? [
                {
                  value: property.map((v) => typed(v.value!)),
                  label: property.map((v) => shown(v.value!)).join(', '),
                  score: 5,
                  reason: because(
                    `${property.map((v) => described(v.value!)).join('、')} 是物业费`,
                    `${property.map((v) => described(v.value!)).join(', ')} is the property fee`,
                  ),
                },
              ]
            : []),
          {
            value: null,
            label: '(all / 全部)',
            score: 1,
            reason: because('所有费用类型的账单都可抵扣（水费、电费也算）', 'bills of every fee type (water and power too) can take offsets'),
          },
          ...values.flatMap((v) =>
            v.value === null
              ? []
              : [
                  {
                    value: [typed(v.value)],
                    label: shown(v.value),
                    score: 0,
                    reason: because(`只取 ${described(v.value)}`, `only ${described(v.value)}`),
                  },
                ],
          ),
        ],
        { sure: property.length > 0 },
      );
      if (chosen !== null) billWhere[col.name] = chosen;
    }
  }

  const mapping: HostMapping = {
    version: 2,
    owner: { table: owner.name, key: ownerKey.key, columns: { name: ownerName, phone: ownerPhone }, ...(ownerWhere ? { where: ownerWhere } : {}) },
    unit: {
      table: unit.name,
      key: unitKey.key,
      columns: {
        label,
        ...(community ? { community: community.column } : {}),
        ...(link.column ? { owner: link.column } : {}),
      },
      ...(unitWhere ? { where: unitWhere } : {}),
      ...(Object.keys(lookups).length && (label.includes('{building.') || community?.column.startsWith('building.')) ? { lookups } : {}),
    },
    bill: {
      table: bill.name,
      key: billKey.key,
      columns: {
        unit: billUnit,
        amount,
        ...(period ? { period } : {}),
        ...(paid?.paidAmount ? { paidAmount: paid.paidAmount } : {}),
        ...(paid?.status ? { status: paid.status } : {}),
      },
      amountUnit,
      ...(paid?.status ? { unpaidStatus: paid.unpaid } : {}),
      ...(paidBy ? { paidBy } : {}),
      ...(Object.keys(billWhere).length ? { where: billWhere } : {}),
    },
    ...(communityMapping ? { community: communityMapping } : {}),
    ...(ownership ? { ownership } : {}),
  };
  return { mapping, choices: d.choices };
}

function moneyUnit(col: ScannedColumn): Candidate[] {
  const decimal = kindOf(col) === 'decimal';
  const saysFen = /分/.test(col.comment) || /fen|cent/i.test(col.name);
  const saysYuan = /元/.test(col.comment) || /yuan/i.test(col.name);
  const yuan: Candidate = {
    value: 'yuan',
    label: 'yuan / 元',
    score: decimal || saysYuan ? 6 : 2,
    reason: decimal
      ? because(`${col.columnType} 有小数位：以元计`, `${col.columnType} has decimals: yuan`)
      : saysYuan
        ? because(`注释或列名写明元`, 'the comment or name says yuan')
        : because('整数列也可能以元计（请确认）', 'an integer column may hold whole yuan (please confirm)'),
  };
  const fen: Candidate = {
    value: 'fen',
    label: 'fen / 分',
    score: saysFen ? 7 : decimal ? 0 : 4,
    reason: saysFen
      ? because('注释或列名写明分', 'the comment or name says fen')
      : because(`${col.columnType} 是整数：多半以分计`, `${col.columnType} is an integer: most likely fen`),
  };
  return [yuan, fen];
}

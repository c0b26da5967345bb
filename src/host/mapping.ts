// The host mapping: how an administrator tells us where their owners, units and bills live.
// This file is the contract (schema + types); src/host is the only code that reads host tables.
import { readFileSync } from 'node:fs';
import { compileValidator } from '../common/validation.js';
import { ValidationError } from '../common/errors.js';

export type WhereValue = string | number | boolean | null;
/**
 * One condition of a `where` filter: a value (equals), a list (`in`), or `{ "not": value | list }`
 * (neither; a row whose column is null passes unless null is listed). Lists and `not` need version 2.
 */
export type WhereCondition = WhereValue | WhereValue[] | { not: WhereValue | WhereValue[] };
export type WhereFilter = Record<string, WhereCondition>;

/**
 * Where a mapped field comes from (version 2 adds all but the first):
 * - `"room_no"`: a column of the entity's table;
 * - `"building.name"`: a column of a lookup declared on the entity (many-to-one, see `lookups`);
 * - `"{building.name}{room_no}"`: a text composed of columns and literal text (labels, names);
 * - `{ "year": "fee_year", "month": "fee_month" }`: a period normalised to YYYY-MM (bill.columns.period).
 */
export type PeriodField = { year: string; month: string };
export type FieldSource = string | PeriodField;

/** A many-to-one table reached from the entity (`from` is its column or `otherLookup.column`). */
export interface LookupMapping {
  table: string;
  key: string;
  from: string;
  where?: WhereFilter;
}

export interface EntityMapping<C extends string> {
  table: string;
  key: string;
  columns: Partial<Record<C, FieldSource>> & Record<string, FieldSource>;
  where?: WhereFilter;
  lookups?: Record<string, LookupMapping>;
}

export interface OwnerMapping extends EntityMapping<'name' | 'phone'> {
  columns: { name: string; phone: string };
}
export interface UnitMapping extends EntityMapping<'label' | 'community' | 'owner'> {
  columns: { label: string; community?: string; owner?: string };
}
/** Bills are paid when a row of another table points at them (`amount` absent) or by the sum of such rows. */
export interface PaidByMapping {
  table: string;
  bill: string;
  amount?: string;
  /** The unit of `amount`; defaults to the bill's amountUnit. */
  amountUnit?: 'yuan' | 'fen';
  where?: WhereFilter;
}
export interface BillMapping extends EntityMapping<'unit' | 'amount' | 'period' | 'status' | 'owner' | 'paidAmount'> {
  columns: { unit: string; amount: string; period?: string | PeriodField; status?: string; owner?: string; paidAmount?: string };
  amountUnit: 'yuan' | 'fen';
  /** Values of the status column that mean "not yet paid"; without it every live bill counts as unpaid. */
  unpaidStatus?: WhereValue[];
  paidBy?: PaidByMapping;
}
export interface CommunityMapping extends EntityMapping<'name'> {
  columns: { name: string };
}
export interface OwnershipMapping {
  table: string;
  owner: string;
  unit: string;
  where?: WhereFilter;
}
/**
 * Optional (version 2): the ERP's user table, the staff directory complaints are dispatched from. `communities`
 * is a column listing the community ids the person works in, separated by commas (or 、，; or spaces);
 * empty or null means every community. Without the column, everyone sees every community.
 */
export interface StaffMapping extends EntityMapping<'name' | 'mobile' | 'department' | 'communities'> {
  columns: { name: string; mobile?: string; department?: string; communities?: string };
}
/** Optional: the host's payment table, only for the `--enforce-offsets` database guard. */
export interface PaymentMapping {
  table: string;
  key: string;
  columns: { bill: string; offsetAmount: string; offsetRef: string };
  /** The unit of offsetAmount; defaults to the bill's amountUnit. */
  amountUnit?: 'yuan' | 'fen';
}

export interface HostMapping {
  /** 1 (the default) or 2: lookups, composed fields, year+month periods, paid amounts, paidBy, `in`/`not` filters, tables in another schema. */
  version?: 1 | 2;
  owner: OwnerMapping;
  unit: UnitMapping;
  bill: BillMapping;
  community?: CommunityMapping;
  ownership?: OwnershipMapping;
  payment?: PaymentMapping;
  staff?: StaffMapping;
}

export type EntityName = 'owner' | 'unit' | 'bill' | 'community' | 'ownership' | 'payment' | 'staff';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const identifier = { type: 'string', pattern: `^${NAME}$`, maxLength: 64 } as const;
/** A table, optionally in another database (schema) on the same server: `erp.owner_info`. */
const tableName = { type: 'string', pattern: `^(${NAME}\\.)?${NAME}$`, maxLength: 129 } as const;
/** A column of the entity's table or of one of its lookups. */
const columnRef = { type: 'string', pattern: `^(${NAME}\\.)?${NAME}$`, maxLength: 129 } as const;
/** A column reference, or a text composed of `{column}` references and literal text. */
const composed = {
  type: 'string',
  pattern: `^(${NAME}\\.)?${NAME}$|^([^{}]|\\{(${NAME}\\.)?${NAME}\\})*\\{(${NAME}\\.)?${NAME}\\}([^{}]|\\{(${NAME}\\.)?${NAME}\\})*$`,
  maxLength: 300,
} as const;
const period = {
  anyOf: [columnRef, { type: 'object', required: ['year', 'month'], additionalProperties: false, properties: { year: columnRef, month: columnRef } }],
} as const;
const scalar = { type: ['string', 'number', 'boolean', 'null'] } as const;
const scalarList = { type: 'array', items: scalar, minItems: 1, maxItems: 200 } as const;
const whereFilter = {
  type: 'object',
  propertyNames: identifier,
  additionalProperties: {
    anyOf: [scalar, scalarList, { type: 'object', required: ['not'], additionalProperties: false, properties: { not: { anyOf: [scalar, scalarList] } } }],
  },
} as const;
const lookups = {
  type: 'object',
  propertyNames: identifier,
  maxProperties: 8,
  additionalProperties: {
    type: 'object',
    required: ['table', 'key', 'from'],
    additionalProperties: false,
    properties: { table: tableName, key: identifier, from: columnRef, where: whereFilter },
  },
} as const;
function entity(required: string[], optional: string[], extra: Record<string, unknown> = {}, kinds: Record<string, unknown> = {}) {
  const props: Record<string, unknown> = {};
  for (const c of [...required, ...optional]) props[c] = kinds[c] ?? columnRef;
  return {
    type: 'object',
    required: ['table', 'key', 'columns'],
    additionalProperties: false,
    properties: {
      table: tableName,
      key: identifier,
      columns: { type: 'object', required, additionalProperties: false, properties: props },
      where: whereFilter,
      lookups,
      ...extra,
    },
  };
}

export const mappingSchema = {
  $id: 'https://complaints.plugin/schemas/host-mapping.json',
  title: 'Host mapping',
  type: 'object',
  required: ['owner', 'unit', 'bill'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    version: { enum: [1, 2] },
    owner: entity(['name', 'phone'], [], {}, { name: composed }),
    unit: entity(['label'], ['community', 'owner'], {}, { label: composed }),
    bill: entity(
      ['unit', 'amount'],
      ['period', 'status', 'owner', 'paidAmount'],
      {
        amountUnit: { enum: ['yuan', 'fen'] },
        unpaidStatus: { type: 'array', items: scalar, maxItems: 50 },
        paidBy: {
          type: 'object',
          required: ['table', 'bill'],
          additionalProperties: false,
          properties: { table: tableName, bill: identifier, amount: identifier, amountUnit: { enum: ['yuan', 'fen'] }, where: whereFilter },
        },
      },
      { period },
    ),
    community: entity(['name'], [], {}, { name: composed }),
    staff: entity(['name'], ['mobile', 'department', 'communities'], {}, { name: composed }),
    ownership: {
      type: 'object',
      required: ['table', 'owner', 'unit'],
      additionalProperties: false,
      properties: { table: tableName, owner: identifier, unit: identifier, where: whereFilter },
    },
    payment: {
      type: 'object',
      required: ['table', 'key', 'columns'],
      additionalProperties: false,
      properties: {
        table: identifier,
        key: identifier,
        columns: {
          type: 'object',
          required: ['bill', 'offsetAmount', 'offsetRef'],
          additionalProperties: false,
          properties: { bill: identifier, offsetAmount: identifier, offsetRef: identifier },
        },
        amountUnit: { enum: ['yuan', 'fen'] },
      },
    },
  },
} as const;

const validateShape = compileValidator<HostMapping>(mappingSchema);

/** A field's parts: literal text and column references (`lookup` null for the entity's own table). */
export type FieldPart = { text: string } | { lookup: string | null; column: string };

/** Splits a mapped field into its parts; a plain reference is one part. */
export function fieldParts(source: string): FieldPart[] {
  if (!source.includes('{')) return [columnRefOf(source)];
  const parts: FieldPart[] = [];
  for (const m of source.matchAll(/\{([^{}]+)\}|([^{}]+)/g)) parts.push(m[1] ? columnRefOf(m[1]) : { text: m[2]! });
  return parts;
}

function columnRefOf(ref: string): { lookup: string | null; column: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { lookup: null, column: ref } : { lookup: ref.slice(0, dot), column: ref.slice(dot + 1) };
}

/** The column references a field uses, whatever its form. */
export function fieldRefs(source: FieldSource): Array<{ lookup: string | null; column: string }> {
  if (typeof source !== 'string') return [columnRefOf(source.year), columnRefOf(source.month)];
  return fieldParts(source).flatMap((p) => ('column' in p ? [p] : []));
}

export function isComposed(source: FieldSource): boolean {
  return typeof source !== 'string' || source.includes('{');
}

/** The conditions of a `where` value as a list of values and whether they are negated. */
export function whereValues(condition: WhereCondition): { values: WhereValue[]; not: boolean; list: boolean } {
  if (Array.isArray(condition)) return { values: condition, not: false, list: true };
  if (condition !== null && typeof condition === 'object') {
    const inner = condition.not;
    return { values: Array.isArray(inner) ? inner : [inner], not: true, list: Array.isArray(inner) };
  }
  return { values: [condition], not: false, list: false };
}

/**
 * Columns that by their name mark a row as deleted (soft delete): del_flag, is_delete, is_deleted, deleted,
 * delete_flag, is_del, deleted_at, delete_time, dr, status_cd (java110/HC: '0' valid). A `where` condition on such a column is the mapping's
 * live-row filter; the rest of the filter says which live rows are in scope (a fee type, a status).
 */
export const SOFT_DELETE_COLUMN = /^(is_?)?(del|delete|deleted)(_?(flag|mark|status|state|ind))?$|^(del|delete|deleted)_?(at|time|date|on)$|^dr$|^status_cd$/i;

export function isSoftDeleteColumn(column: string): boolean {
  return SOFT_DELETE_COLUMN.test(column);
}

/** The live-row part of a filter (conditions on soft-delete columns) and the scope part (the rest). */
export function splitWhere(where: WhereFilter | undefined): { live: WhereFilter; scope: WhereFilter } {
  const live: WhereFilter = {};
  const scope: WhereFilter = {};
  for (const [column, condition] of Object.entries(where ?? {})) (isSoftDeleteColumn(column) ? live : scope)[column] = condition;
  return { live, scope };
}

type Entities = Pick<HostMapping, 'owner' | 'unit' | 'bill' | 'community' | 'staff'>;
const LOOKUP_ENTITIES = ['owner', 'unit', 'bill', 'community', 'staff'] as const;

function lookupProblems(name: keyof Entities, m: EntityMapping<string>, fields: Array<{ field: string; message: { 'zh-CN': string; en: string } }>): void {
  const lookups = m.lookups ?? {};
  const depth = (lookup: string, seen: string[]): number => {
    const l = lookups[lookup];
    if (!l) return 0;
    const from = columnRefOf(l.from);
    if (from.lookup === null) return 1;
    if (seen.includes(from.lookup)) return Infinity;
    return 1 + depth(from.lookup, [...seen, lookup]);
  };
  for (const [lookup, l] of Object.entries(lookups)) {
    const from = columnRefOf(l.from);
    if (from.lookup !== null && !lookups[from.lookup]) {
      fields.push({
        field: `${name}.lookups.${lookup}.from`,
        message: { 'zh-CN': `${l.from} 引用了未声明的查找表 ${from.lookup}`, en: `${l.from} refers to the undeclared lookup ${from.lookup}` },
      });
    } else if (depth(lookup, []) > 2) {
      fields.push({
        field: `${name}.lookups.${lookup}.from`,
        message: {
          'zh-CN': '查找表最多两跳（例如 房屋 → 楼栋 → 小区），且不能循环',
          en: 'Lookups reach at most two hops (unit → building → community) and cannot loop',
        },
      });
    }
  }
  for (const [column, source] of Object.entries(m.columns)) {
    if (!source) continue;
    for (const ref of fieldRefs(source)) {
      if (ref.lookup !== null && !lookups[ref.lookup]) {
        fields.push({
          field: `${name}.columns.${column}`,
          message: {
            'zh-CN': `引用了未声明的查找表 ${ref.lookup}（在 ${name}.lookups 中声明）`,
            en: `refers to the lookup ${ref.lookup}, which is not declared in ${name}.lookups`,
          },
        });
      }
    }
  }
}

/** The fields of a mapping that need `"version": 2`. */
function version2Fields(mapping: HostMapping): string[] {
  const out: string[] = [];
  const whereIsV2 = (w: WhereFilter | undefined) => Object.values(w ?? {}).some((c) => c !== null && typeof c === 'object');
  for (const name of LOOKUP_ENTITIES) {
    const m = mapping[name] as EntityMapping<string> | undefined;
    if (!m) continue;
    if (m.lookups) out.push(`${name}.lookups`);
    if (m.table.includes('.')) out.push(`${name}.table`);
    if (whereIsV2(m.where)) out.push(`${name}.where`);
    for (const [column, source] of Object.entries(m.columns)) {
      if (source && (isComposed(source) || (typeof source === 'string' && source.includes('.')))) out.push(`${name}.columns.${column}`);
    }
  }
  if (mapping.bill.columns.paidAmount) out.push('bill.columns.paidAmount');
  if (mapping.bill.paidBy) out.push('bill.paidBy');
  if (mapping.ownership && (mapping.ownership.table.includes('.') || whereIsV2(mapping.ownership.where))) out.push('ownership');
  if (mapping.unit.columns.community && !mapping.community) out.push('unit.columns.community');
  if (mapping.staff) out.push('staff');
  return out;
}

/** Validates a parsed mapping: the schema, then the rules a schema cannot say. */
export function validateMapping(input: unknown): HostMapping {
  const mapping = validateShape(structuredClone(input));
  if (!mapping.bill.amountUnit) mapping.bill.amountUnit = 'yuan';
  const fields = [];
  if (mapping.unit.columns.owner && mapping.ownership) {
    fields.push({
      field: 'ownership',
      message: {
        'zh-CN': '房屋的业主只能来自 unit.columns.owner 或 ownership 关系表之一，不能同时配置',
        en: "The unit's owner comes from unit.columns.owner or from the ownership table, not both",
      },
    });
  }
  if (!mapping.unit.columns.owner && !mapping.ownership) {
    fields.push({
      field: 'unit.columns.owner',
      message: {
        'zh-CN': '需要指明房屋的业主：配置 unit.columns.owner，或配置 ownership 关系表',
        en: "Say where the unit's owner is: set unit.columns.owner or an ownership relation table",
      },
    });
  }
  if (mapping.unit.columns.community && !mapping.community && mapping.version !== 2) {
    fields.push({
      field: 'community',
      message: {
        'zh-CN': 'unit.columns.community 已配置，但缺少 community 实体映射',
        en: 'unit.columns.community is set but the community entity is not mapped',
      },
    });
  }
  if (mapping.bill.unpaidStatus && !mapping.bill.columns.status) {
    fields.push({
      field: 'bill.unpaidStatus',
      message: { 'zh-CN': 'unpaidStatus 需要同时配置 bill.columns.status', en: 'unpaidStatus needs bill.columns.status' },
    });
  }
  const paidWays = [
    mapping.bill.unpaidStatus && 'bill.unpaidStatus',
    mapping.bill.columns.paidAmount && 'bill.columns.paidAmount',
    mapping.bill.paidBy && 'bill.paidBy',
  ].filter(Boolean);
  if (paidWays.length > 1) {
    fields.push({
      field: String(paidWays[1]),
      message: {
        'zh-CN': `账单是否已缴只能用一种方式说明，现在同时配置了 ${paidWays.join('、')}`,
        en: `Say how a bill is paid in one way only; ${paidWays.join(', ')} are all set`,
      },
    });
  }
  for (const name of ['owner', 'unit', 'community', 'staff'] as const) {
    const m = mapping[name];
    for (const [column, source] of Object.entries(m?.columns ?? {})) {
      if (column !== 'label' && column !== 'name' && source && isComposed(source)) {
        fields.push({
          field: `${name}.columns.${column}`,
          message: { 'zh-CN': '只有名称和房号可以由多列组合', en: 'Only names and labels can be composed of several columns' },
        });
      }
    }
  }
  for (const column of ['unit', 'amount', 'status', 'owner', 'paidAmount'] as const) {
    const source = mapping.bill.columns[column];
    if (source && isComposed(source))
      fields.push({ field: `bill.columns.${column}`, message: { 'zh-CN': '该字段只能映射到一列', en: 'This field maps to one column only' } });
  }
  for (const name of LOOKUP_ENTITIES) {
    const m = mapping[name] as EntityMapping<string> | undefined;
    if (m) lookupProblems(name, m, fields);
  }
  if (mapping.version !== 2) {
    for (const field of version2Fields(mapping)) {
      fields.push({
        field,
        message: {
          'zh-CN': '这是映射第 2 版的写法，请在文件开头加上 "version": 2',
          en: 'This is mapping version 2 syntax; add "version": 2 to the file',
        },
      });
    }
  }
  if (fields.length) throw new ValidationError(fields);
  return mapping;
}

export class MappingFileError extends Error {}

export function loadMappingFile(path: string): HostMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MappingFileError(`Cannot read mapping file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MappingFileError(`Mapping file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return validateMapping(parsed);
}

/** Units belong to communities: a community table, or (version 2) a community named by a unit's column. */
export function hasCommunities(mapping: HostMapping): boolean {
  return Boolean(mapping.unit.columns.community && (mapping.community || mapping.version === 2));
}

/** The host tables a mapping reads, each once (lookups and payments included). */
export function hostTablesOf(mapping: HostMapping): string[] {
  const out = new Set<string>();
  for (const name of LOOKUP_ENTITIES) {
    const m = mapping[name] as EntityMapping<string> | undefined;
    if (!m) continue;
    out.add(m.table);
    for (const l of Object.values(m.lookups ?? {})) out.add(l.table);
  }
  if (mapping.bill.paidBy) out.add(mapping.bill.paidBy.table);
  if (mapping.ownership) out.add(mapping.ownership.table);
  if (mapping.payment) out.add(mapping.payment.table);
  return [...out];
}

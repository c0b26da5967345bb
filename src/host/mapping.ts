// The host mapping: how an administrator tells us where their owners, units and bills live.
// This file is the contract (schema + types); src/host is the only code that reads host tables.
import { readFileSync } from 'node:fs';
import { compileValidator } from '../common/validation.js';
import { ValidationError } from '../common/errors.js';

export type WhereValue = string | number | boolean | null;
export type WhereFilter = Record<string, WhereValue>;

export interface EntityMapping<C extends string> {
  table: string;
  key: string;
  columns: Partial<Record<C, string>> & Record<string, string>;
  where?: WhereFilter;
}

export interface OwnerMapping extends EntityMapping<'name' | 'phone'> {
  columns: { name: string; phone: string };
}
export interface UnitMapping extends EntityMapping<'label' | 'community' | 'owner'> {
  columns: { label: string; community?: string; owner?: string };
}
export interface BillMapping extends EntityMapping<'unit' | 'amount' | 'period' | 'status' | 'owner'> {
  columns: { unit: string; amount: string; period?: string; status?: string; owner?: string };
  amountUnit: 'yuan' | 'fen';
  /** Values of the status column that mean "not yet paid"; without it every live bill counts as unpaid. */
  unpaidStatus?: WhereValue[];
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
/** Optional: the host's payment table, only for the `--enforce-offsets` database guard. */
export interface PaymentMapping {
  table: string;
  key: string;
  columns: { bill: string; offsetAmount: string; offsetRef: string };
  /** The unit of offsetAmount; defaults to the bill's amountUnit. */
  amountUnit?: 'yuan' | 'fen';
}

export interface HostMapping {
  owner: OwnerMapping;
  unit: UnitMapping;
  bill: BillMapping;
  community?: CommunityMapping;
  ownership?: OwnershipMapping;
  payment?: PaymentMapping;
}

export type EntityName = 'owner' | 'unit' | 'bill' | 'community' | 'ownership' | 'payment';

const identifier = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 64 } as const;
const whereFilter = {
  type: 'object',
  propertyNames: identifier,
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
} as const;
function entity(required: string[], optional: string[], extra: Record<string, unknown> = {}) {
  const props: Record<string, unknown> = {};
  for (const c of [...required, ...optional]) props[c] = identifier;
  return {
    type: 'object',
    required: ['table', 'key', 'columns'],
    additionalProperties: false,
    properties: {
      table: identifier,
      key: identifier,
      columns: { type: 'object', required, additionalProperties: false, properties: props },
      where: whereFilter,
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
    owner: entity(['name', 'phone'], []),
    unit: entity(['label'], ['community', 'owner']),
    bill: entity(['unit', 'amount'], ['period', 'status', 'owner'], {
      amountUnit: { enum: ['yuan', 'fen'] },
      unpaidStatus: { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] }, maxItems: 50 },
    }),
    community: entity(['name'], []),
    ownership: {
      type: 'object',
      required: ['table', 'owner', 'unit'],
      additionalProperties: false,
      properties: { table: identifier, owner: identifier, unit: identifier, where: whereFilter },
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
  if (mapping.unit.columns.community && !mapping.community) {
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

export function hasCommunities(mapping: HostMapping): boolean {
  return Boolean(mapping.community && mapping.unit.columns.community);
}

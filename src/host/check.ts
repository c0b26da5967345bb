// check-host: proves a mapping fits the live host database before anything relies on it. Reads the
// schema, then runs one read-only probe per entity; never writes to a host table.
import type { Knex } from 'knex';
import { clientOf, type DbClient } from '../db/connection.js';
import { msg, type Locale, type Localized } from '../common/localized.js';
import { describeTable, isDecimalType, isIntegerType, isSingleColumnKey, isStringType, type ColumnInfo, type TableInfo } from './introspect.js';
import { fieldRefs, isComposed, whereValues, type EntityName, type FieldSource, type HostMapping, type WhereFilter, type WhereValue } from './mapping.js';
import { applyHostWhere, HostGateway } from './gateway.js';
import { checkData } from './checkData.js';

export interface HostProblem {
  entity: EntityName;
  table: string;
  column?: string;
  code: string;
  severity: 'error' | 'warning';
  message: Localized;
}

export interface HostCheckReport {
  ok: boolean;
  client: DbClient;
  entities: Array<{ entity: EntityName; table: string; ok: boolean; rows?: number }>;
  problems: HostProblem[];
}

/** One mapped column and the mapping field that names it, so messages can point at the field. */
interface MappedColumn {
  field: string;
  column: string;
}

/** A table the mapping reads for an entity: its own table, a lookup's, or the payments of bills (paidBy). */
interface TablePlan {
  table: string;
  key?: string;
  columns: MappedColumn[];
  where?: WhereFilter;
  /** Set for a lookup: its name. */
  lookup?: string;
}

export interface EntityPlan extends TablePlan {
  entity: EntityName;
  /** Lookups and the payments table, checked like the entity's own table and reported under the entity. */
  side: TablePlan[];
}

type AnyEntity = {
  table: string;
  key: string;
  columns: Record<string, FieldSource | undefined>;
  where?: WhereFilter;
  lookups?: Record<string, { table: string; key: string; from: string; where?: WhereFilter }>;
};

export function plans(mapping: HostMapping): EntityPlan[] {
  const out: EntityPlan[] = [];
  const withColumns = (entity: EntityName, m: AnyEntity) => {
    const columns: MappedColumn[] = [{ field: `${entity}.key`, column: m.key }];
    const side: TablePlan[] = Object.entries(m.lookups ?? {}).map(([name, l]) => ({
      table: l.table,
      key: l.key,
      columns: [{ field: `${entity}.lookups.${name}.key`, column: l.key }],
      where: l.where,
      lookup: name,
    }));
    const push = (field: string, ref: { lookup: string | null; column: string }) => {
      const target = ref.lookup === null ? columns : side.find((t) => t.lookup === ref.lookup)?.columns;
      target?.push({ field, column: ref.column });
    };
    for (const [name, source] of Object.entries(m.columns)) if (source) for (const ref of fieldRefs(source)) push(`${entity}.columns.${name}`, ref);
    for (const [name, l] of Object.entries(m.lookups ?? {})) for (const ref of fieldRefs(l.from)) push(`${entity}.lookups.${name}.from`, ref);
    out.push({ entity, table: m.table, key: m.key, columns, where: m.where, side });
  };
  withColumns('owner', mapping.owner);
  withColumns('unit', mapping.unit);
  withColumns('bill', mapping.bill);
  const paidBy = mapping.bill.paidBy;
  if (paidBy) {
    out.at(-1)!.side.push({
      table: paidBy.table,
      columns: [{ field: 'bill.paidBy.bill', column: paidBy.bill }, ...(paidBy.amount ? [{ field: 'bill.paidBy.amount', column: paidBy.amount }] : [])],
      where: paidBy.where,
    });
  }
  if (mapping.community) withColumns('community', mapping.community);
  if (mapping.ownership) {
    const o = mapping.ownership;
    out.push({
      entity: 'ownership',
      table: o.table,
      columns: [
        { field: 'ownership.owner', column: o.owner },
        { field: 'ownership.unit', column: o.unit },
      ],
      where: o.where,
      side: [],
    });
  }
  if (mapping.payment) withColumns('payment', mapping.payment);
  if (mapping.staff) withColumns('staff', mapping.staff);
  return out;
}

/** A reference: a column (maybe a lookup's) whose values are keys of another entity or lookup. */
export interface Reference {
  from: EntityName;
  field: string;
  /** The referring column: in the entity's table (lookup null) or in one of its lookups. */
  lookup: string | null;
  column: string;
  to: EntityName;
  /** Set when the target is a lookup of `from` rather than an entity. */
  toLookup?: string;
}

/** Reference columns and the entity (or lookup) whose key they point at. */
export function references(mapping: HostMapping): Reference[] {
  const refs: Reference[] = [];
  const add = (from: EntityName, field: string, source: string | undefined, to: EntityName) => {
    if (!source) return;
    const [ref] = fieldRefs(source);
    refs.push({ from, field, lookup: ref!.lookup, column: ref!.column, to });
  };
  add('unit', 'unit.columns.owner', mapping.unit.columns.owner, 'owner');
  if (mapping.community) add('unit', 'unit.columns.community', mapping.unit.columns.community, 'community');
  add('bill', 'bill.columns.unit', mapping.bill.columns.unit, 'unit');
  add('bill', 'bill.columns.owner', mapping.bill.columns.owner, 'owner');
  add('ownership', 'ownership.owner', mapping.ownership?.owner, 'owner');
  add('ownership', 'ownership.unit', mapping.ownership?.unit, 'unit');
  add('payment', 'payment.columns.bill', mapping.payment?.columns.bill, 'bill');
  for (const entity of ['owner', 'unit', 'bill', 'community'] as const) {
    for (const [name, l] of Object.entries(mapping[entity]?.lookups ?? {})) {
      const [ref] = fieldRefs(l.from);
      refs.push({ from: entity, field: `${entity}.lookups.${name}.from`, lookup: ref!.lookup, column: ref!.column, to: entity, toLookup: name });
    }
  }
  return refs;
}

type Kind = 'integer' | 'string' | 'decimal' | 'other';
function kindOf(c: ColumnInfo): Kind {
  if (isIntegerType(c)) return 'integer';
  if (isStringType(c)) return 'string';
  if (isDecimalType(c)) return 'decimal';
  return 'other';
}

function scaleOf(c: ColumnInfo): number | null {
  const m = /\(\s*\d+\s*,\s*(\d+)\s*\)/.exec(c.columnType);
  if (m) return Number(m[1]);
  return /\(\s*\d+\s*\)/.test(c.columnType) ? 0 : null;
}

class Collector {
  readonly problems: HostProblem[] = [];
  add(entity: EntityName, table: string, column: string | undefined, code: string, severity: 'error' | 'warning', message: Localized): void {
    this.problems.push({ entity, table, ...(column ? { column } : {}), code, severity, message });
  }
}

function checkValueFits(c: ColumnInfo, value: WhereValue): 'ok' | 'warning' | 'error' {
  const kind = kindOf(c);
  if (value === null) return c.nullable ? 'ok' : 'warning';
  if (typeof value === 'boolean') return kind === 'integer' ? 'ok' : 'error';
  if (typeof value === 'number') {
    if (kind === 'integer') return Number.isInteger(value) ? 'ok' : 'error';
    if (kind === 'decimal') return 'ok';
    // MySQL casts the column to a number for `varchar_col = 0`: it works but skips the index and
    // matches '00' and ' 0' as well.
    return kind === 'string' ? 'warning' : 'ok';
  }
  if (kind === 'integer') return /^-?\d+$/.test(value) ? 'warning' : 'error';
  if (kind === 'decimal') return /^-?\d+(\.\d+)?$/.test(value) ? 'warning' : 'error';
  return 'ok';
}

function describeValue(value: WhereValue): string {
  return value === null ? 'null' : JSON.stringify(value);
}

interface Where {
  entity: EntityName;
  table: string;
}

function checkWhereValues(out: Collector, plan: Where, info: TableInfo, label: string, values: Array<[string, WhereValue]>, code: string): void {
  for (const [column, value] of values) {
    const c = info.columns.get(column);
    if (!c) continue; // already reported as missing
    const verdict = checkValueFits(c, value);
    if (verdict === 'ok') continue;
    const v = describeValue(value);
    if (value === null) {
      out.add(
        plan.entity,
        plan.table,
        column,
        code,
        'warning',
        msg(
          `${plan.entity}：${label} 要求列 ${column} 为 null，但表 ${plan.table} 中该列不允许 null，这个条件永远不成立`,
          `${plan.entity}: ${label} asks for ${column} = null but ${plan.table}.${column} is NOT NULL, so nothing will ever match`,
        ),
      );
      continue;
    }
    out.add(
      plan.entity,
      plan.table,
      column,
      code,
      verdict,
      msg(
        `${plan.entity}：${label} 中表 ${plan.table} 列 ${column} 的值 ${v} 与列类型 ${c.columnType} 不符${verdict === 'warning' ? '，请改为与列类型一致的写法（数字列用数字，字符列用带引号的字符串）' : '，这个条件无法正确匹配'}`,
        `${plan.entity}: the ${label} value ${v} for ${plan.table}.${column} does not fit its type ${c.columnType}${verdict === 'warning' ? '; write it as the column stores it (a number for numeric columns, a quoted string for text columns)' : ' and cannot match correctly'}`,
      ),
    );
  }
}

/** Every value a `where` filter names, per column (lists and `not` spread out). */
function whereEntries(where: WhereFilter | undefined): Array<[string, WhereValue]> {
  return Object.entries(where ?? {}).flatMap(([column, condition]) => whereValues(condition).values.map((v): [string, WhereValue] => [column, v]));
}

/** The described tables of the check, by entity and lookup. */
export class CheckedTables {
  private readonly infos = new Map<string, { table: string; info: TableInfo }>();
  set(entity: EntityName, lookup: string | null | undefined, table: string, info: TableInfo): void {
    this.infos.set(`${entity}:${lookup ?? ''}`, { table, info });
  }
  get(entity: EntityName, lookup: string | null | undefined = null): { table: string; info: TableInfo } | undefined {
    return this.infos.get(`${entity}:${lookup ?? ''}`);
  }
  /** The column a single-column field names, where it lives; undefined for a composed field or a missing piece. */
  column(entity: EntityName, source: FieldSource | undefined): { table: string; column: ColumnInfo } | undefined {
    if (!source || isComposed(source)) return undefined;
    const [ref] = fieldRefs(source);
    const t = this.get(entity, ref!.lookup);
    const column = t?.info.columns.get(ref!.column);
    return t && column ? { table: t.table, column } : undefined;
  }
}

function checkLogicalTypes(out: Collector, mapping: HostMapping, entity: EntityName, tables: CheckedTables, mysql: boolean): void {
  const needText = (field: string, source: string | undefined, integerIsWarning: boolean) => {
    const found = tables.column(entity, source);
    if (!found) return;
    const { table, column: c } = found;
    if (kindOf(c) === 'string') return;
    if (kindOf(c) === 'integer' && integerIsWarning) {
      out.add(
        entity,
        table,
        c.name,
        'integer_as_text',
        'warning',
        msg(
          `${entity}：${field} 映射到整数列 ${table}.${c.name}（${c.columnType}），前导 0 会丢失，按内容搜索也较慢；建议映射到字符列`,
          `${entity}: ${field} is mapped to the integer column ${table}.${c.name} (${c.columnType}); leading zeros are lost and searching it is slower; prefer a text column`,
        ),
      );
      return;
    }
    out.add(
      entity,
      table,
      c.name,
      'not_text',
      'error',
      msg(
        `${entity}：${field} 需要文字列，但 ${table}.${c.name} 的类型是 ${c.columnType}`,
        `${entity}: ${field} needs a text column but ${table}.${c.name} is ${c.columnType}`,
      ),
    );
  };
  if (entity === 'owner') {
    needText('owner.columns.name', mapping.owner.columns.name, false);
    needText('owner.columns.phone', mapping.owner.columns.phone, true);
  } else if (entity === 'unit') {
    needText('unit.columns.label', mapping.unit.columns.label, true);
  } else if (entity === 'community' && mapping.community) {
    needText('community.columns.name', mapping.community.columns.name, true);
  } else if (entity === 'bill') {
    const amount = tables.column('bill', mapping.bill.columns.amount);
    if (amount) checkAmount(out, { entity, table: amount.table }, amount.column, mapping.bill.amountUnit, mysql);
    const paid = tables.column('bill', mapping.bill.columns.paidAmount);
    if (paid) checkAmount(out, { entity, table: paid.table }, paid.column, mapping.bill.amountUnit, mysql);
    const paidBy = mapping.bill.paidBy;
    const payments = paidBy?.amount ? tables.get('bill', '$paidBy') : undefined;
    const paidColumn = paidBy?.amount ? payments?.info.columns.get(paidBy.amount) : undefined;
    if (payments && paidColumn) checkAmount(out, { entity, table: payments.table }, paidColumn, paidBy!.amountUnit ?? mapping.bill.amountUnit, mysql);
  }
}

function checkAmount(out: Collector, plan: Where, c: ColumnInfo, unit: 'yuan' | 'fen', mysql: boolean): void {
  const kind = kindOf(c);
  const where = `${plan.table}.${c.name}（${c.columnType}）`;
  const whereEn = `${plan.table}.${c.name} (${c.columnType})`;
  if (kind !== 'integer' && kind !== 'decimal') {
    out.add(
      plan.entity,
      plan.table,
      c.name,
      'amount_type',
      'error',
      msg(
        `bill：金额列 ${where} 不是数值类型；金额需要 DECIMAL/NUMERIC/REAL（元）或整数（分）列`,
        `bill: the amount column ${whereEn} is not numeric; amounts need a DECIMAL/NUMERIC/REAL column (yuan) or an integer column (fen)`,
      ),
    );
    return;
  }
  if (unit === 'yuan' && kind === 'integer') {
    out.add(
      plan.entity,
      plan.table,
      c.name,
      'amount_integer_as_yuan',
      'warning',
      msg(
        `bill：金额列 ${where} 是整数，却按“元”映射；如果其中存的是分，请把 bill.amountUnit 改为 "fen"`,
        `bill: the amount column ${whereEn} is an integer but mapped as yuan; if it holds fen, set bill.amountUnit to "fen"`,
      ),
    );
  }
  if (unit === 'fen' && kind === 'decimal') {
    const scale = scaleOf(c);
    if (scale !== null && scale > 0) {
      out.add(
        plan.entity,
        plan.table,
        c.name,
        'amount_decimal_as_fen',
        'error',
        msg(
          `bill：金额列 ${where} 带小数位，却按“分”映射；它多半存的是元，请把 bill.amountUnit 改为 "yuan"`,
          `bill: the amount column ${whereEn} has decimals but is mapped as fen; it most likely holds yuan, so set bill.amountUnit to "yuan"`,
        ),
      );
    } else if (scale === null) {
      out.add(
        plan.entity,
        plan.table,
        c.name,
        'amount_float_as_fen',
        'warning',
        msg(
          `bill：金额列 ${where} 是浮点类型，却按“分”映射；非整数的值会被拒绝`,
          `bill: the amount column ${whereEn} is floating point but mapped as fen; values that are not whole numbers will be refused`,
        ),
      );
    }
  }
  // Single-precision FLOAT keeps ~7 digits: cents are already wrong above 100,000 yuan.
  if (mysql && c.dataType === 'float') {
    out.add(
      plan.entity,
      plan.table,
      c.name,
      'amount_float',
      'warning',
      msg(
        `bill：金额列 ${where} 是单精度 FLOAT，大额金额的分位可能已不准确`,
        `bill: the amount column ${whereEn} is single-precision FLOAT; large amounts may already have lost their cents`,
      ),
    );
  }
}

function checkReferences(out: Collector, mapping: HostMapping, tables: CheckedTables, plansByEntity: Map<EntityName, EntityPlan>, mysql: boolean): void {
  for (const ref of references(mapping)) {
    const fromT = tables.get(ref.from, ref.lookup);
    const toPlan = plansByEntity.get(ref.to);
    const targetKey = ref.toLookup ? mapping[ref.to as 'unit']?.lookups?.[ref.toLookup]?.key : toPlan?.key;
    const toT = tables.get(ref.to, ref.toLookup ?? null);
    const from = fromT?.info.columns.get(ref.column);
    const target = targetKey ? toT?.info.columns.get(targetKey) : undefined;
    if (!fromT || !toT || !from || !target) continue; // missing pieces are reported elsewhere
    const a = kindOf(from);
    const b = kindOf(target);
    const what = ref.toLookup ? `${ref.toLookup}` : ref.to;
    const fromName = `${fromT.table}.${from.name}（${from.columnType}）`;
    const toName = `${toT.table}.${target.name}（${target.columnType}）`;
    const fromEn = `${fromT.table}.${from.name} (${from.columnType})`;
    const toEn = `${toT.table}.${target.name} (${target.columnType})`;
    if (!((a === 'integer' && b === 'integer') || (a === 'string' && b === 'string'))) {
      out.add(
        ref.from,
        fromT.table,
        from.name,
        'reference_type',
        'error',
        msg(
          `${ref.from}：${ref.field} 指向 ${what} 的主键，但 ${fromName} 与 ${toName} 类型不兼容（需同为整数或同为字符）`,
          `${ref.from}: ${ref.field} points at the ${what} key, but ${fromEn} and ${toEn} are not compatible (both must be integers or both text)`,
        ),
      );
      continue;
    }
    if (mysql && a === 'string' && (from.charset !== target.charset || from.collation !== target.collation)) {
      out.add(
        ref.from,
        fromT.table,
        from.name,
        'reference_collation',
        'warning',
        msg(
          `${ref.from}：${ref.field} 即 ${fromT.table}.${from.name} 的字符集/排序规则（${from.charset}/${from.collation}）与 ${toT.table}.${target.name}（${target.charset}/${target.collation}）不同；比较时会显式转换，可能无法使用索引`,
          `${ref.from}: ${ref.field} (${fromT.table}.${from.name}) uses ${from.charset}/${from.collation} but ${toT.table}.${target.name} uses ${target.charset}/${target.collation}; comparisons will convert explicitly and may not use an index`,
        ),
      );
    }
  }
}

async function probe(db: Knex, out: Collector, mapping: HostMapping, plan: EntityPlan, info: TableInfo, mysql: boolean): Promise<number | undefined> {
  try {
    if (plan.entity === 'owner' || plan.entity === 'unit' || plan.entity === 'bill' || plan.entity === 'community') {
      // The gateway's own query (lookups joined, payments summed): what works here works in use.
      return await new HostGateway(db, mapping).probe(plan.entity);
    }
    const columns = [...new Set(plan.columns.map((c) => c.column))];
    await applyHostWhere(db(plan.table).select(columns), info, mysql, plan.where).limit(1);
    const [row] = (await applyHostWhere(db(plan.table).count({ n: '*' }), info, mysql, plan.where)) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  } catch (err) {
    out.add(
      plan.entity,
      plan.table,
      undefined,
      'probe_failed',
      'error',
      msg(
        `${plan.entity}：读取表 ${plan.table} 失败：${(err as Error).message}。请确认账号有 SELECT 权限`,
        `${plan.entity}: reading table ${plan.table} failed: ${(err as Error).message}. Check that the account may SELECT it`,
      ),
    );
    return undefined;
  }
}

/** Describes one table the entity reads and checks its columns, key and filter values. */
async function checkTable(db: Knex, out: Collector, entity: EntityName, plan: TablePlan): Promise<TableInfo | null> {
  const info = await describeTable(db, plan.table);
  if (!info) {
    out.add(
      entity,
      plan.table,
      undefined,
      'table_missing',
      'error',
      msg(`${entity} 映射的表 ${plan.table} 不存在`, `${entity}: table ${plan.table} does not exist`),
    );
    return null;
  }
  const seen = new Set<string>();
  const whereField = plan.lookup ? `${entity}.lookups.${plan.lookup}.where` : `${entity}.where`;
  const whereColumns: MappedColumn[] = Object.keys(plan.where ?? {}).map((column) => ({ field: whereField, column }));
  for (const { field, column } of [...plan.columns, ...whereColumns]) {
    if (info.columns.has(column) || seen.has(column)) continue;
    seen.add(column);
    out.add(
      entity,
      plan.table,
      column,
      'column_missing',
      'error',
      msg(`${entity} 映射的表 ${plan.table} 中没有列 ${column}（${field}）`, `${entity}: table ${plan.table} has no column ${column} (${field})`),
    );
  }
  // A view has no keys of its own: its key is tested on the rows (checkData), not on indexes.
  if (plan.key && info.columns.has(plan.key) && !info.view) {
    if (!isSingleColumnKey(info, plan.key)) {
      out.add(
        entity,
        plan.table,
        plan.key,
        'key_not_unique',
        'error',
        msg(
          `${entity}：表 ${plan.table} 的列 ${plan.key} 既不是主键也不是单列唯一索引，无法唯一确定一行；请选主键列，或请管理员为它加 UNIQUE 索引`,
          `${entity}: column ${plan.key} of table ${plan.table} is neither the primary key nor a single-column unique key, so it does not identify one row; map the primary key or add a UNIQUE index`,
        ),
      );
    } else if (info.columns.get(plan.key)!.nullable && !(info.primaryKey?.length === 1 && info.primaryKey[0] === plan.key)) {
      // Only for unique indexes: SQLite lets a non-INTEGER primary key be null in theory, but nobody does.
      out.add(
        entity,
        plan.table,
        plan.key,
        'key_nullable',
        'warning',
        msg(
          `${entity}：表 ${plan.table} 的键列 ${plan.key} 允许 null，键为 null 的行将无法被引用`,
          `${entity}: the key column ${plan.key} of table ${plan.table} allows null; rows with a null key cannot be referred to`,
        ),
      );
    }
  }
  checkWhereValues(out, { entity, table: plan.table }, info, plan.lookup ? `lookups.${plan.lookup}.where` : 'where', whereEntries(plan.where), 'where_type');
  return info;
}

export async function checkHost(db: Knex, mapping: HostMapping): Promise<HostCheckReport> {
  const client = clientOf(db);
  const mysql = client === 'mysql2';
  const out = new Collector();
  const all = plans(mapping);
  const tables = new CheckedTables();
  const complete = new Map<EntityName, boolean>();
  for (const plan of all) {
    let whole = true;
    for (const t of [plan, ...plan.side]) {
      const info = await checkTable(db, out, plan.entity, t);
      const lookup = t === plan ? null : (t.lookup ?? '$paidBy');
      if (info) tables.set(plan.entity, lookup, t.table, info);
      // Probing a table with missing columns would only repeat the column_missing error as SQL noise.
      whole &&= !!info && t.columns.every((c) => info.columns.has(c.column)) && Object.keys(t.where ?? {}).every((c) => info.columns.has(c));
    }
    complete.set(plan.entity, whole);
    checkLogicalTypes(out, mapping, plan.entity, tables, mysql);
    const bill = tables.get('bill');
    if (plan.entity === 'bill' && bill && mapping.bill.unpaidStatus) {
      const status = tables.column('bill', mapping.bill.columns.status);
      const where = status ? tables.get('bill', fieldRefs(mapping.bill.columns.status!)[0]!.lookup) : undefined;
      if (status && where)
        checkWhereValues(
          out,
          { entity: 'bill', table: where.table },
          where.info,
          'unpaidStatus',
          mapping.bill.unpaidStatus.map((v) => [status.column.name, v]),
          'unpaid_status_type',
        );
    }
  }
  checkReferences(out, mapping, tables, new Map(all.map((p) => [p.entity, p])), mysql);

  const entities: HostCheckReport['entities'] = [];
  for (const plan of all) {
    const info = tables.get(plan.entity)?.info;
    const rows = info && complete.get(plan.entity) ? await probe(db, out, mapping, plan, info, mysql) : undefined;
    entities.push({ entity: plan.entity, table: plan.table, ok: true, ...(rows !== undefined ? { rows } : {}) });
  }
  // The data itself: what the mapping cannot tell, values standing for "none", dangling references,
  // labels that repeat, keys of views. Only over entities whose tables fit the mapping.
  const probed = new Set(entities.filter((e) => e.rows !== undefined).map((e) => e.entity));
  await checkData({ db, mapping, mysql, tables, probed, rows: new Map(entities.map((e) => [e.entity, e.rows])), add: (...args) => out.add(...args) });
  for (const e of entities) e.ok = !out.problems.some((p) => p.entity === e.entity && p.severity === 'error');
  return { ok: entities.every((e) => e.ok), client, entities, problems: out.problems };
}

/** The report as a text block for the CLI: one line per entity, one indented line per problem. */
export function formatReport(report: HostCheckReport, locale: Locale): string {
  const zh = locale === 'zh-CN';
  const client = report.client === 'mysql2' ? 'MySQL/MariaDB' : 'SQLite';
  const lines = [
    zh ? `主机数据库（${client}）映射检查：${report.ok ? '通过' : '未通过'}` : `Host database (${client}) mapping check: ${report.ok ? 'passed' : 'FAILED'}`,
  ];
  const width = Math.max(...report.entities.map((e) => e.entity.length));
  const tableWidth = Math.max(...report.entities.map((e) => e.table.length));
  for (const e of report.entities) {
    const rows = e.rows === undefined ? '' : zh ? `  ${e.rows} 行有效数据` : `  ${e.rows} live rows`;
    lines.push(`${e.ok ? '✔' : '✘'} ${e.entity.padEnd(width)}  ${rows ? e.table.padEnd(tableWidth) : e.table}${rows}`);
    for (const p of report.problems.filter((x) => x.entity === e.entity)) {
      const tag = p.severity === 'error' ? (zh ? '错误' : 'error') : zh ? '警告' : 'warning';
      lines.push(`    ${p.severity === 'error' ? '✘' : '⚠'} [${tag}] ${p.message[locale]}  (${p.code})`);
    }
  }
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  lines.push(zh ? `共 ${errors} 个错误，${warnings} 个警告` : `${errors} error(s), ${warnings} warning(s)`);
  return lines.join('\n');
}

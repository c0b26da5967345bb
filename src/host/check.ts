// check-host: proves a mapping fits the live host database before anything relies on it. Reads the
// schema, then runs one read-only probe per entity; never writes to a host table.
import type { Knex } from 'knex';
import { clientOf, type DbClient } from '../db/connection.js';
import { msg, type Locale, type Localized } from '../common/localized.js';
import { describeTable, isDecimalType, isIntegerType, isSingleColumnKey, isStringType, type ColumnInfo, type TableInfo } from './introspect.js';
import type { EntityName, HostMapping, WhereFilter, WhereValue } from './mapping.js';
import { applyHostWhere } from './gateway.js';

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

interface EntityPlan {
  entity: EntityName;
  table: string;
  key?: string;
  columns: MappedColumn[];
  where?: WhereFilter;
}

function plans(mapping: HostMapping): EntityPlan[] {
  const out: EntityPlan[] = [];
  const withColumns = (entity: EntityName, m: { table: string; key: string; columns: Record<string, string | undefined>; where?: WhereFilter }) => {
    const columns: MappedColumn[] = [{ field: `${entity}.key`, column: m.key }];
    for (const [name, column] of Object.entries(m.columns)) if (column) columns.push({ field: `${entity}.columns.${name}`, column });
    out.push({ entity, table: m.table, key: m.key, columns, where: m.where });
  };
  withColumns('owner', mapping.owner);
  withColumns('unit', mapping.unit);
  withColumns('bill', mapping.bill);
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
    });
  }
  if (mapping.payment) withColumns('payment', mapping.payment);
  return out;
}

/** Reference columns and the entity whose key they point at. */
function references(mapping: HostMapping): Array<{ from: EntityName; field: string; column: string; to: EntityName }> {
  const refs: Array<{ from: EntityName; field: string; column: string; to: EntityName }> = [];
  const add = (from: EntityName, field: string, column: string | undefined, to: EntityName) => {
    if (column) refs.push({ from, field, column, to });
  };
  add('unit', 'unit.columns.owner', mapping.unit.columns.owner, 'owner');
  if (mapping.community) add('unit', 'unit.columns.community', mapping.unit.columns.community, 'community');
  add('bill', 'bill.columns.unit', mapping.bill.columns.unit, 'unit');
  add('bill', 'bill.columns.owner', mapping.bill.columns.owner, 'owner');
  add('ownership', 'ownership.owner', mapping.ownership?.owner, 'owner');
  add('ownership', 'ownership.unit', mapping.ownership?.unit, 'unit');
  add('payment', 'payment.columns.bill', mapping.payment?.columns.bill, 'bill');
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

function checkWhereValues(out: Collector, plan: EntityPlan, info: TableInfo, label: string, values: Array<[string, WhereValue]>, code: string): void {
  for (const [column, value] of values) {
    const c = info.columns.get(column);
    if (!c) continue; // already reported as missing
    const verdict = checkValueFits(c, value);
    if (verdict === 'ok') continue;
    const v = describeValue(value);
    if (value === null) {
      out.add(plan.entity, plan.table, column, code, 'warning', msg(
        `${plan.entity}：${label} 要求列 ${column} 为 null，但表 ${plan.table} 中该列不允许 null，这个条件永远不成立`,
        `${plan.entity}: ${label} asks for ${column} = null but ${plan.table}.${column} is NOT NULL, so nothing will ever match`,
      ));
      continue;
    }
    out.add(plan.entity, plan.table, column, code, verdict, msg(
      `${plan.entity}：${label} 中表 ${plan.table} 列 ${column} 的值 ${v} 与列类型 ${c.columnType} 不符${verdict === 'warning' ? '，请改为与列类型一致的写法（数字列用数字，字符列用带引号的字符串）' : '，这个条件无法正确匹配'}`,
      `${plan.entity}: the ${label} value ${v} for ${plan.table}.${column} does not fit its type ${c.columnType}${verdict === 'warning' ? '; write it as the column stores it (a number for numeric columns, a quoted string for text columns)' : ' and cannot match correctly'}`,
    ));
  }
}

function checkLogicalTypes(out: Collector, mapping: HostMapping, plan: EntityPlan, info: TableInfo, mysql: boolean): void {
  const col = (name: string | undefined) => (name ? info.columns.get(name) : undefined);
  const needText = (field: string, name: string | undefined, integerIsWarning: boolean) => {
    const c = col(name);
    if (!c || kindOf(c) === 'string') return;
    if (kindOf(c) === 'integer' && integerIsWarning) {
      out.add(plan.entity, plan.table, c.name, 'integer_as_text', 'warning', msg(
        `${plan.entity}：${field} 映射到整数列 ${plan.table}.${c.name}（${c.columnType}），前导 0 会丢失，按内容搜索也较慢；建议映射到字符列`,
        `${plan.entity}: ${field} is mapped to the integer column ${plan.table}.${c.name} (${c.columnType}); leading zeros are lost and searching it is slower; prefer a text column`,
      ));
      return;
    }
    out.add(plan.entity, plan.table, c.name, 'not_text', 'error', msg(
      `${plan.entity}：${field} 需要文字列，但 ${plan.table}.${c.name} 的类型是 ${c.columnType}`,
      `${plan.entity}: ${field} needs a text column but ${plan.table}.${c.name} is ${c.columnType}`,
    ));
  };
  if (plan.entity === 'owner') {
    needText('owner.columns.name', mapping.owner.columns.name, false);
    needText('owner.columns.phone', mapping.owner.columns.phone, true);
  } else if (plan.entity === 'unit') {
    needText('unit.columns.label', mapping.unit.columns.label, true);
  } else if (plan.entity === 'community' && mapping.community) {
    needText('community.columns.name', mapping.community.columns.name, true);
  } else if (plan.entity === 'bill') {
    const c = col(mapping.bill.columns.amount);
    if (c) checkAmount(out, plan, c, mapping.bill.amountUnit, mysql);
  }
}

function checkAmount(out: Collector, plan: EntityPlan, c: ColumnInfo, unit: 'yuan' | 'fen', mysql: boolean): void {
  const kind = kindOf(c);
  const where = `${plan.table}.${c.name}（${c.columnType}）`;
  const whereEn = `${plan.table}.${c.name} (${c.columnType})`;
  if (kind !== 'integer' && kind !== 'decimal') {
    out.add(plan.entity, plan.table, c.name, 'amount_type', 'error', msg(
      `bill：金额列 ${where} 不是数值类型；金额需要 DECIMAL/NUMERIC/REAL（元）或整数（分）列`,
      `bill: the amount column ${whereEn} is not numeric; amounts need a DECIMAL/NUMERIC/REAL column (yuan) or an integer column (fen)`,
    ));
    return;
  }
  if (unit === 'yuan' && kind === 'integer') {
    out.add(plan.entity, plan.table, c.name, 'amount_integer_as_yuan', 'warning', msg(
      `bill：金额列 ${where} 是整数，却按“元”映射；如果其中存的是分，请把 bill.amountUnit 改为 "fen"`,
      `bill: the amount column ${whereEn} is an integer but mapped as yuan; if it holds fen, set bill.amountUnit to "fen"`,
    ));
  }
  if (unit === 'fen' && kind === 'decimal') {
    const scale = scaleOf(c);
    if (scale !== null && scale > 0) {
      out.add(plan.entity, plan.table, c.name, 'amount_decimal_as_fen', 'error', msg(
        `bill：金额列 ${where} 带小数位，却按“分”映射；它多半存的是元，请把 bill.amountUnit 改为 "yuan"`,
        `bill: the amount column ${whereEn} has decimals but is mapped as fen; it most likely holds yuan, so set bill.amountUnit to "yuan"`,
      ));
    } else if (scale === null) {
      out.add(plan.entity, plan.table, c.name, 'amount_float_as_fen', 'warning', msg(
        `bill：金额列 ${where} 是浮点类型，却按“分”映射；非整数的值会被拒绝`,
        `bill: the amount column ${whereEn} is floating point but mapped as fen; values that are not whole numbers will be refused`,
      ));
    }
  }
  // Single-precision FLOAT keeps ~7 digits: cents are already wrong above 100,000 yuan.
  if (mysql && c.dataType === 'float') {
    out.add(plan.entity, plan.table, c.name, 'amount_float', 'warning', msg(
      `bill：金额列 ${where} 是单精度 FLOAT，大额金额的分位可能已不准确`,
      `bill: the amount column ${whereEn} is single-precision FLOAT; large amounts may already have lost their cents`,
    ));
  }
}

function checkReferences(out: Collector, mapping: HostMapping, tables: Map<EntityName, TableInfo>, plansByEntity: Map<EntityName, EntityPlan>, mysql: boolean): void {
  for (const ref of references(mapping)) {
    const fromPlan = plansByEntity.get(ref.from);
    const toPlan = plansByEntity.get(ref.to);
    const from = tables.get(ref.from)?.columns.get(ref.column);
    const target = toPlan?.key ? tables.get(ref.to)?.columns.get(toPlan.key) : undefined;
    if (!fromPlan || !toPlan || !from || !target) continue; // missing pieces are reported elsewhere
    const a = kindOf(from);
    const b = kindOf(target);
    const fromName = `${fromPlan.table}.${from.name}（${from.columnType}）`;
    const toName = `${toPlan.table}.${target.name}（${target.columnType}）`;
    const fromEn = `${fromPlan.table}.${from.name} (${from.columnType})`;
    const toEn = `${toPlan.table}.${target.name} (${target.columnType})`;
    if (!((a === 'integer' && b === 'integer') || (a === 'string' && b === 'string'))) {
      out.add(ref.from, fromPlan.table, from.name, 'reference_type', 'error', msg(
        `${ref.from}：${ref.field} 指向 ${ref.to} 的主键，但 ${fromName} 与 ${toName} 类型不兼容（需同为整数或同为字符）`,
        `${ref.from}: ${ref.field} points at the ${ref.to} key, but ${fromEn} and ${toEn} are not compatible (both must be integers or both text)`,
      ));
      continue;
    }
    if (mysql && a === 'string' && (from.charset !== target.charset || from.collation !== target.collation)) {
      out.add(ref.from, fromPlan.table, from.name, 'reference_collation', 'warning', msg(
        `${ref.from}：${ref.field} 即 ${fromPlan.table}.${from.name} 的字符集/排序规则（${from.charset}/${from.collation}）与 ${toPlan.table}.${target.name}（${target.charset}/${target.collation}）不同；比较时会显式转换，可能无法使用索引`,
        `${ref.from}: ${ref.field} (${fromPlan.table}.${from.name}) uses ${from.charset}/${from.collation} but ${toPlan.table}.${target.name} uses ${target.charset}/${target.collation}; comparisons will convert explicitly and may not use an index`,
      ));
    }
  }
}

async function probe(db: Knex, out: Collector, plan: EntityPlan, info: TableInfo, mysql: boolean): Promise<number | undefined> {
  const columns = [...new Set(plan.columns.map((c) => c.column))];
  try {
    await applyHostWhere(db(plan.table).select(columns), info, mysql, plan.where).limit(1);
    const [row] = (await applyHostWhere(db(plan.table).count({ n: '*' }), info, mysql, plan.where)) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  } catch (err) {
    out.add(plan.entity, plan.table, undefined, 'probe_failed', 'error', msg(
      `${plan.entity}：读取表 ${plan.table} 失败：${(err as Error).message}。请确认账号有 SELECT 权限`,
      `${plan.entity}: reading table ${plan.table} failed: ${(err as Error).message}. Check that the account may SELECT it`,
    ));
    return undefined;
  }
}

async function checkEntity(db: Knex, out: Collector, mapping: HostMapping, plan: EntityPlan, mysql: boolean): Promise<TableInfo | null> {
  const info = await describeTable(db, plan.table);
  if (!info) {
    out.add(plan.entity, plan.table, undefined, 'table_missing', 'error', msg(
      `${plan.entity} 映射的表 ${plan.table} 不存在`,
      `${plan.entity}: table ${plan.table} does not exist`,
    ));
    return null;
  }
  const seen = new Set<string>();
  const whereColumns: MappedColumn[] = Object.keys(plan.where ?? {}).map((column) => ({ field: `${plan.entity}.where`, column }));
  for (const { field, column } of [...plan.columns, ...whereColumns]) {
    if (info.columns.has(column) || seen.has(column)) continue;
    seen.add(column);
    out.add(plan.entity, plan.table, column, 'column_missing', 'error', msg(
      `${plan.entity} 映射的表 ${plan.table} 中没有列 ${column}（${field}）`,
      `${plan.entity}: table ${plan.table} has no column ${column} (${field})`,
    ));
  }
  if (plan.key && info.columns.has(plan.key)) {
    if (!isSingleColumnKey(info, plan.key)) {
      out.add(plan.entity, plan.table, plan.key, 'key_not_unique', 'error', msg(
        `${plan.entity}：表 ${plan.table} 的列 ${plan.key} 既不是主键也不是单列唯一索引，无法唯一确定一行；请选主键列，或请管理员为它加 UNIQUE 索引`,
        `${plan.entity}: column ${plan.key} of table ${plan.table} is neither the primary key nor a single-column unique key, so it does not identify one row; map the primary key or add a UNIQUE index`,
      ));
    } else if (info.columns.get(plan.key)!.nullable && !(info.primaryKey?.length === 1 && info.primaryKey[0] === plan.key)) {
      // Only for unique indexes: SQLite lets a non-INTEGER primary key be null in theory, but nobody does.
      out.add(plan.entity, plan.table, plan.key, 'key_nullable', 'warning', msg(
        `${plan.entity}：表 ${plan.table} 的键列 ${plan.key} 允许 null，键为 null 的行将无法被引用`,
        `${plan.entity}: the key column ${plan.key} of table ${plan.table} allows null; rows with a null key cannot be referred to`,
      ));
    }
  }
  checkLogicalTypes(out, mapping, plan, info, mysql);
  checkWhereValues(out, plan, info, 'where', Object.entries(plan.where ?? {}), 'where_type');
  if (plan.entity === 'bill' && mapping.bill.columns.status && mapping.bill.unpaidStatus) {
    const status = mapping.bill.columns.status;
    checkWhereValues(out, plan, info, 'unpaidStatus', mapping.bill.unpaidStatus.map((v) => [status, v]), 'unpaid_status_type');
  }
  return info;
}

export async function checkHost(db: Knex, mapping: HostMapping): Promise<HostCheckReport> {
  const client = clientOf(db);
  const mysql = client === 'mysql2';
  const out = new Collector();
  const all = plans(mapping);
  const tables = new Map<EntityName, TableInfo>();
  for (const plan of all) {
    const info = await checkEntity(db, out, mapping, plan, mysql);
    if (info) tables.set(plan.entity, info);
  }
  checkReferences(out, mapping, tables, new Map(all.map((p) => [p.entity, p])), mysql);

  const entities: HostCheckReport['entities'] = [];
  for (const plan of all) {
    const info = tables.get(plan.entity);
    // Probing a table with missing columns would only repeat the column_missing error as SQL noise.
    const probeable = info && plan.columns.every((c) => info.columns.has(c.column)) && Object.keys(plan.where ?? {}).every((c) => info.columns.has(c));
    const rows = probeable ? await probe(db, out, plan, info, mysql) : undefined;
    const ok = !out.problems.some((p) => p.entity === plan.entity && p.severity === 'error');
    entities.push({ entity: plan.entity, table: plan.table, ok, ...(rows !== undefined ? { rows } : {}) });
  }
  return { ok: entities.every((e) => e.ok), client, entities, problems: out.problems };
}

/** The report as a text block for the CLI: one line per entity, one indented line per problem. */
export function formatReport(report: HostCheckReport, locale: Locale): string {
  const zh = locale === 'zh-CN';
  const client = report.client === 'mysql2' ? 'MySQL/MariaDB' : 'SQLite';
  const lines = [
    zh
      ? `主机数据库（${client}）映射检查：${report.ok ? '通过' : '未通过'}`
      : `Host database (${client}) mapping check: ${report.ok ? 'passed' : 'FAILED'}`,
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

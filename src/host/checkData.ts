// check-host's look at the data behind a mapping that fits the schema: what the mapping cannot tell
// (which bills are paid), key values that stand for "none", lookups that point at missing rows, unit
// labels that repeat within a community, and keys of views (which no index vouches for). Read-only;
// each finding is a bounded query or two.
import type { Knex } from 'knex';
import { msg, type Localized } from '../common/localized.js';
import { HostGateway, hostWhereSql } from './gateway.js';
import type { CheckedTables } from './check.js';
import { isIntegerType, type TableInfo } from './introspect.js';
import { fieldRefs, type EntityName, type HostMapping, type WhereFilter } from './mapping.js';

/** Rows of a view whose key is tested for duplicates; beyond it the check says it could not see all. */
export const VIEW_KEY_BOUND = 100_000;
const SAMPLE = 3;

export interface DataCheck {
  db: Knex;
  mapping: HostMapping;
  mysql: boolean;
  tables: CheckedTables;
  /** Entities whose tables fit the mapping (probed without error). */
  probed: Set<EntityName>;
  rows: Map<EntityName, number | undefined>;
  add(entity: EntityName, table: string, column: string | undefined, code: string, severity: 'error' | 'warning', message: Localized): void;
}

type Lookupable = 'owner' | 'unit' | 'bill' | 'community';
const LOOKUPABLE: Lookupable[] = ['owner', 'unit', 'bill', 'community'];

export async function checkData(c: DataCheck): Promise<void> {
  paidStateUnknown(c);
  for (const entity of LOOKUPABLE) {
    if (!c.probed.has(entity)) continue;
    for (const [name, l] of Object.entries(c.mapping[entity]?.lookups ?? {})) {
      const [from] = fieldRefs(l.from);
      // A lookup reached from another lookup is checked through that first hop's rows only.
      if (from!.lookup !== null) continue;
      await lookupRows(c, entity, name, from!.column, l);
    }
  }
  if (c.probed.has('unit')) await repeatedLabels(c);
  for (const entity of LOOKUPABLE) if (c.probed.has(entity)) await viewKeys(c, entity);
}

function paidStateUnknown(c: DataCheck): void {
  const b = c.mapping.bill;
  if (b.unpaidStatus || b.columns.paidAmount || b.paidBy) return;
  c.add(
    'bill',
    b.table,
    undefined,
    'paid_state_unknown',
    'warning',
    msg(
      'bill：映射没有说明如何判断账单已缴（unpaidStatus、columns.paidAmount 或 paidBy 都未配置），每张账单都会被当作未缴，已缴的账单也可能被抵扣',
      'bill: the mapping has no way to tell paid bills (no unpaidStatus, columns.paidAmount or paidBy): every bill will be treated as outstanding, and a paid bill could still take an offset',
    ),
  );
}

function whereSql(info: TableInfo, mysql: boolean, where: WhereFilter | undefined, alias: string): { sql: string; bindings: Knex.Value[] } {
  return hostWhereSql(info, mysql, where, alias) ?? { sql: '1 = 1', bindings: [] };
}

/** Values of a reference column that usually mean "none": 0 for numbers, '' and '0' for text. */
function noneValues(info: TableInfo, column: string): Knex.Value[] {
  const c = info.columns.get(column);
  return c && isIntegerType(c) ? [0] : ['', '0'];
}

/** A lookup's `from` column: values standing for "none", and values that find no (live) row. */
async function lookupRows(
  c: DataCheck,
  entity: Lookupable,
  name: string,
  column: string,
  l: { table: string; key: string; where?: WhereFilter },
): Promise<void> {
  const from = c.tables.get(entity);
  const to = c.tables.get(entity, name);
  if (!from || !to) return;
  const m = c.mapping[entity]!;
  const fw = whereSql(from.info, c.mysql, m.where, 'f');
  const tw = whereSql(to.info, c.mysql, l.where, 't');
  const none = noneValues(from.info, column);
  const inNone = `?? IN (${none.map(() => '?').join(', ')})`;
  const [noneRow] = (await c
    .db({ f: from.table })
    .count({ n: '*' })
    .whereRaw(fw.sql, fw.bindings)
    .whereRaw(inNone, [`f.${column}`, ...none])) as Array<{ n: number | string }>;
  const noneCount = Number(noneRow?.n ?? 0);
  if (noneCount > 0) {
    const shown = none.map((v) => JSON.stringify(v)).join(' / ');
    c.add(
      entity,
      from.table,
      column,
      'none_key_value',
      'warning',
      msg(
        `${entity}：表 ${from.table} 有 ${noneCount} 行的 ${column} 是 ${shown}，多半表示“没有”；这些行经 ${entity}.lookups.${name} 查不到 ${to.table} 的行，相应字段会为空`,
        `${entity}: ${noneCount} row(s) of ${from.table} have ${column} = ${shown}, which most likely stands for "none"; ${entity}.lookups.${name} finds no ${to.table} row for them, so the fields taken from it stay empty`,
      ),
    );
  }
  const missing = (qb: Knex.QueryBuilder) =>
    qb
      .whereRaw(fw.sql, fw.bindings)
      .whereNotNull(`f.${column}`)
      .whereRaw(`NOT ${inNone}`, [`f.${column}`, ...none])
      .whereRaw(`NOT EXISTS (SELECT 1 FROM ?? AS t WHERE ?? = ?? AND ${tw.sql})`, [to.table, `t.${l.key}`, `f.${column}`, ...tw.bindings]);
  const [missingRow] = (await missing(c.db({ f: from.table }).count({ n: '*' }))) as Array<{ n: number | string }>;
  const count = Number(missingRow?.n ?? 0);
  if (count === 0) return;
  const sample = (
    (await missing(c.db({ f: from.table }).distinct({ v: `f.${column}` }))
      .orderBy('v')
      .limit(SAMPLE)) as Array<{ v: unknown }>
  ).map((r) => String(r.v));
  c.add(
    entity,
    from.table,
    column,
    'lookup_missing',
    'warning',
    msg(
      `${entity}：表 ${from.table} 有 ${count} 行的 ${column} 在 ${to.table}（${entity}.lookups.${name}）中找不到有效的行，例如 ${sample.join('、')}；这些行取自它的字段会为空`,
      `${entity}: ${count} row(s) of ${from.table} have a ${column} with no live row in ${to.table} (${entity}.lookups.${name}), e.g. ${sample.join(', ')}; the fields taken from it stay empty for them`,
    ),
  );
}

async function repeatedLabels(c: DataCheck): Promise<void> {
  const repeated = await new HostGateway(c.db, c.mapping).repeatedLabels();
  if (repeated.length === 0) return;
  const zh = repeated.map((r) => `${r.community ? `${r.community} ` : ''}“${r.label}”（${r.units} 套）`).join('、');
  const en = repeated.map((r) => `"${r.label}"${r.community ? ` in ${r.community}` : ''} (${r.units} units)`).join(', ');
  c.add(
    'unit',
    c.mapping.unit.table,
    undefined,
    'label_not_unique',
    'warning',
    msg(
      `unit：同一小区内有房号重复，例如 ${zh}；前台按房号找房时会看到几套同名的房屋。可把楼栋名组合进房号，例如 "label": "{building.name}{room_no}"`,
      `unit: some labels repeat within a community, e.g. ${en}; staff looking a unit up by its label will see several. Compose the label with the building, e.g. "label": "{building.name}{room_no}"`,
    ),
  );
}

/** A view's key: one bounded query for duplicates; a warning when it cannot tell. */
async function viewKeys(c: DataCheck, entity: Lookupable): Promise<void> {
  const m = c.mapping[entity]!;
  const t = c.tables.get(entity);
  if (!t?.info.view || !t.info.columns.has(m.key)) return;
  const w = whereSql(t.info, c.mysql, m.where, 'v');
  try {
    const inner = c
      .db({ v: t.table })
      .select({ k: `v.${m.key}` })
      .whereRaw(w.sql, w.bindings)
      .limit(VIEW_KEY_BOUND);
    const dupes = (await c.db.from(inner.as('d')).select('k').count({ n: '*' }).groupBy('k').havingRaw('COUNT(*) > 1').orderBy('k').limit(SAMPLE)) as Array<{
      k: unknown;
      n: number | string;
    }>;
    if (dupes.length) {
      const sample = dupes.map((d) => `${String(d.k)}（${Number(d.n)}）`).join('、');
      const sampleEn = dupes.map((d) => `${String(d.k)} (${Number(d.n)} rows)`).join(', ');
      c.add(
        entity,
        t.table,
        m.key,
        'key_not_unique',
        'error',
        msg(
          `${entity}：视图 ${t.table} 的键列 ${m.key} 有重复值，例如 ${sample}；一个键必须只对应一行。请修改视图的定义（例如按键汇总），或映射视图中唯一的列`,
          `${entity}: the key ${m.key} of the view ${t.table} repeats, e.g. ${sampleEn}; a key must identify one row. Change the view's definition (e.g. group by the key) or map a column that is unique in it`,
        ),
      );
    } else if ((c.rows.get(entity) ?? 0) > VIEW_KEY_BOUND) {
      c.add(
        entity,
        t.table,
        m.key,
        'view_key_unverified',
        'warning',
        msg(
          `${entity}：${t.table} 是视图，没有索引能保证 ${m.key} 唯一；只检查了前 ${VIEW_KEY_BOUND} 行未发现重复，其余行无法确认`,
          `${entity}: ${t.table} is a view, so no index vouches for ${m.key}; the first ${VIEW_KEY_BOUND} rows have no repeated key, the rest could not be verified`,
        ),
      );
    }
  } catch (err) {
    c.add(
      entity,
      t.table,
      m.key,
      'view_key_unverified',
      'warning',
      msg(
        `${entity}：${t.table} 是视图，没有索引能保证 ${m.key} 唯一，且检查重复值失败：${(err as Error).message}`,
        `${entity}: ${t.table} is a view, so no index vouches for ${m.key}, and looking for repeated keys failed: ${(err as Error).message}`,
      ),
    );
  }
}

// Our columns that hold host ids copy the host key's type (and on MySQL its charset and collation), so
// joins and comparisons with host columns need no conversion and raise no "illegal mix of collations".
import type { Knex } from 'knex';
import { describeTable, isIntegerType, type ColumnInfo } from './introspect.js';
import { fieldRefs, hasCommunities, type HostMapping } from './mapping.js';
import { isMysql } from '../db/connection.js';

export interface HostKeyType {
  /** SQL type to declare, e.g. "varchar(32) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci". */
  sqlType: string;
  kind: 'integer' | 'string';
}

export interface HostKeyTypes {
  owner: HostKeyType;
  unit: HostKeyType;
  bill: HostKeyType;
  community: HostKeyType | null;
}

export function keyTypeFromColumn(column: ColumnInfo, mysql: boolean): HostKeyType {
  const kind = isIntegerType(column) ? 'integer' : 'string';
  if (!mysql) return { sqlType: kind === 'integer' ? 'INTEGER' : 'TEXT', kind };
  // Long text keys cannot be indexed whole; host keys that are TEXT are rare and become varchar(191).
  let base = column.columnType.replace(/\s+zerofill/, '');
  if (/text$/.test(column.dataType)) base = 'varchar(191)';
  const charset = kind === 'string' && column.charset ? ` CHARACTER SET ${column.charset}` : '';
  const collation = kind === 'string' && column.collation ? ` COLLATE ${column.collation}` : '';
  return { sqlType: `${base}${charset}${collation}`, kind };
}

export class HostKeyError extends Error {}

async function keyType(db: Knex, table: string, key: string): Promise<HostKeyType> {
  const info = await describeTable(db, table);
  const column = info?.columns.get(key);
  if (!column) throw new HostKeyError(`Host table ${table} has no column ${key}; run check-host for details`);
  return keyTypeFromColumn(column, isMysql(db));
}

export async function resolveHostKeyTypes(db: Knex, mapping: HostMapping): Promise<HostKeyTypes> {
  return {
    owner: await keyType(db, mapping.owner.table, mapping.owner.key),
    unit: await keyType(db, mapping.unit.table, mapping.unit.key),
    bill: await keyType(db, mapping.bill.table, mapping.bill.key),
    community: mapping.community ? await keyType(db, mapping.community.table, mapping.community.key) : await namedCommunityType(db, mapping),
  };
}

/** A community named by a unit's column (version 2, no community table): that column's type. */
async function namedCommunityType(db: Knex, mapping: HostMapping): Promise<HostKeyType | null> {
  if (!hasCommunities(mapping)) return null;
  const [ref] = fieldRefs(mapping.unit.columns.community!);
  const table = ref!.lookup === null ? mapping.unit.table : mapping.unit.lookups![ref!.lookup]!.table;
  return keyType(db, table, ref!.column);
}

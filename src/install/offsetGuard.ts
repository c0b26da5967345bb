// The optional database guard (install --enforce-offsets; off by default): defence in depth for hosts
// whose payment table the mapping names. A BEFORE INSERT trigger on that table refuses a payment row
// carrying an offset amount > 0 unless our offset applications hold an *applied* application with the
// row's offset reference as its idempotency key, for the same bill and the same amount. So an offset
// written straight into the host's tables, by a script or a bypassed screen, never gets in unapproved.
//
// The host's fee code therefore applies the offset first (billing.applyOffset, or POST /api/billing/apply)
// and then inserts its payment row with offsetRef = that idempotency key, in one transaction when it
// can. The trigger adds a schema object to the host table; it never reads or changes host rows, and
// uninstall (with or without --purge) drops it before anything else, so a host without the plugin
// never refuses payments because of it.
import type { Knex } from 'knex';
import { isMysql } from '../db/connection.js';
import { tableNames } from '../db/tables.js';
import { describeTable, isDecimalType, isIntegerType } from '../host/introspect.js';
import type { HostMapping, PaymentMapping } from '../host/mapping.js';

/** Raised when the guard cannot be installed as asked; nothing was changed. */
export class OffsetGuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetGuardError';
  }
}

/** One trigger per table prefix; trigger names are per schema (MySQL) or per database file (SQLite). */
export function offsetGuardName(prefix: string): string {
  return `${prefix}offset_guard`;
}

/** SIGNAL's MESSAGE_TEXT holds at most 128 characters. */
export const OFFSET_GUARD_MESSAGE = 'complaints: payment carries an offset without an applied offset application (未经批准的抵扣)';

const my = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const sq = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The offset amount of the new row in fen, compared with a.amount_fen. A yuan amount must be a whole
 * number of fen (a third decimal never matches), whether the column is DECIMAL or floating point.
 */
function amountMatches(q: (n: string) => string, column: string, unit: 'yuan' | 'fen', mysql: boolean): string {
  const v = `NEW.${q(column)}`;
  if (unit === 'fen') return `a.amount_fen = ${v}`;
  const rounded = mysql ? `ROUND(${v} * 100)` : `CAST(ROUND(${v} * 100) AS INTEGER)`;
  return `a.amount_fen = ${rounded} AND ABS(${v} * 100 - ROUND(${v} * 100)) < 0.000001`;
}

export function offsetGuardSql(db: Knex, mapping: HostMapping, prefix: string): string {
  const payment = mapping.payment;
  if (!payment)
    throw new OffsetGuardError('--enforce-offsets needs the host payment table in the mapping (payment: table, key, columns.bill/offsetAmount/offsetRef)');
  const applications = tableNames(prefix).offsetApplications;
  const unit = payment.amountUnit ?? mapping.bill.amountUnit;
  const { bill, offsetAmount, offsetRef } = payment.columns;
  const name = offsetGuardName(prefix);
  if (isMysql(db)) {
    // Host columns may use any charset and collation: both sides are compared as utf8mb4 binary text.
    const text = (expr: string) => `CONVERT(${expr} USING utf8mb4) COLLATE utf8mb4_bin`;
    return [
      `CREATE TRIGGER ${my(name)} BEFORE INSERT ON ${my(payment.table)} FOR EACH ROW`,
      `BEGIN`,
      `  IF NEW.${my(offsetAmount)} IS NOT NULL AND NEW.${my(offsetAmount)} > 0 AND NOT EXISTS (`,
      `    SELECT 1 FROM ${my(applications)} a`,
      `    WHERE a.idempotency_key = ${text(`NEW.${my(offsetRef)}`)}`,
      `      AND a.state = 'applied'`,
      `      AND ${text('a.bill_id')} = ${text(`NEW.${my(bill)}`)}`,
      `      AND ${amountMatches(my, offsetAmount, unit, true)}`,
      `  ) THEN`,
      `    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${OFFSET_GUARD_MESSAGE}';`,
      `  END IF;`,
      `END`,
    ].join('\n');
  }
  return [
    `CREATE TRIGGER ${sq(name)} BEFORE INSERT ON ${sq(payment.table)} FOR EACH ROW`,
    `WHEN NEW.${sq(offsetAmount)} IS NOT NULL AND NEW.${sq(offsetAmount)} > 0 AND NOT EXISTS (`,
    `  SELECT 1 FROM ${sq(applications)} a`,
    `  WHERE a.idempotency_key = CAST(NEW.${sq(offsetRef)} AS TEXT)`,
    `    AND a.state = 'applied'`,
    `    AND CAST(a.bill_id AS TEXT) = CAST(NEW.${sq(bill)} AS TEXT)`,
    `    AND ${amountMatches(sq, offsetAmount, unit, false)}`,
    `)`,
    `BEGIN SELECT RAISE(ABORT, '${OFFSET_GUARD_MESSAGE}'); END`,
  ].join('\n');
}

/** The host table the guard is installed on, or null when it is not installed. */
export async function offsetGuardTable(db: Knex, prefix: string): Promise<string | null> {
  const name = offsetGuardName(prefix);
  if (isMysql(db)) {
    const row = (await db('information_schema.TRIGGERS')
      .select('EVENT_OBJECT_TABLE as tableName')
      .whereRaw('TRIGGER_SCHEMA = DATABASE()')
      .andWhere('TRIGGER_NAME', name)
      .first()) as { tableName: string } | undefined;
    return row?.tableName ?? null;
  }
  const row = (await db('sqlite_master').select('tbl_name as tableName').where({ type: 'trigger', name }).first()) as { tableName: string } | undefined;
  return row?.tableName ?? null;
}

/** The offset amount column must hold a number in the stated unit. */
async function checkPaymentColumns(db: Knex, payment: PaymentMapping, unit: 'yuan' | 'fen'): Promise<void> {
  const info = await describeTable(db, payment.table);
  if (!info) throw new OffsetGuardError(`Host payment table ${payment.table} does not exist`);
  for (const column of Object.values(payment.columns)) {
    if (!info.columns.has(column)) throw new OffsetGuardError(`Host payment table ${payment.table} has no column ${column}`);
  }
  const amount = info.columns.get(payment.columns.offsetAmount)!;
  if (!isIntegerType(amount) && !isDecimalType(amount)) {
    throw new OffsetGuardError(`${payment.table}.${amount.name} (${amount.columnType}) is not a number column; the guard cannot compare offset amounts`);
  }
  const wholeDecimal = isDecimalType(amount) && /\(\s*\d+\s*(,\s*0\s*)?\)/.test(amount.columnType);
  if (unit === 'fen' && !isIntegerType(amount) && !wholeDecimal) {
    throw new OffsetGuardError(
      `${payment.table}.${amount.name} (${amount.columnType}) holds fractions but payment.amountUnit is fen; set payment.amountUnit to yuan`,
    );
  }
}

/**
 * Creates (or re-creates, so a changed mapping takes effect) the guard trigger. Needs the offset tables
 * (run after the migrations) and, on MySQL with binary logging, the TRIGGER privilege plus SUPER or
 * log_bin_trust_function_creators.
 */
export async function installOffsetGuard(db: Knex, mapping: HostMapping, prefix: string): Promise<{ trigger: string; table: string }> {
  const payment = mapping.payment;
  if (!payment)
    throw new OffsetGuardError('--enforce-offsets needs the host payment table in the mapping (payment: table, key, columns.bill/offsetAmount/offsetRef)');
  await checkPaymentColumns(db, payment, payment.amountUnit ?? mapping.bill.amountUnit);
  const sql = offsetGuardSql(db, mapping, prefix);
  await removeOffsetGuard(db, prefix);
  await db.raw(sql);
  return { trigger: offsetGuardName(prefix), table: payment.table };
}

/** Drops the guard if present; true when there was one. */
export async function removeOffsetGuard(db: Knex, prefix: string): Promise<boolean> {
  const table = await offsetGuardTable(db, prefix);
  if (!table) return false;
  const name = offsetGuardName(prefix);
  await db.raw(`DROP TRIGGER IF EXISTS ${isMysql(db) ? my(name) : sq(name)}`);
  return true;
}

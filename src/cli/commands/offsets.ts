// complaints offsets check | reconcile: the billing check and the reconciliation from a terminal, over the
// same service the hooks and the HTTP API use.
//   check --bill ID [--offset ID:AMOUNT …]: may these offsets (amounts in yuan, e.g. 7:120.50) reduce the
//     bill? Exit 0 when the bill exists and every offset is allowed, 1 otherwise. Warnings never fail it.
//   reconcile: approved = applied − reversed + remaining for every offset. Exit 1 on any mismatch.
import type { Knex } from 'knex';
import { systemClock } from '../../clock.js';
import { ValidationError } from '../../common/errors.js';
import { MoneyFormatError, formatYuan, parseYuan } from '../../common/money.js';
import type { Locale } from '../../common/localized.js';
import { tableNames } from '../../db/tables.js';
import { HostGateway } from '../../host/gateway.js';
import type { HostMapping } from '../../host/mapping.js';
import type { BillCheck } from '../../offsets/billingCheck.js';
import type { ReconcileReport } from '../../offsets/reconcile.js';
import { createOffsetService, type OffsetService } from '../../offsets/service.js';
import type { PluginContext } from '../../common/context.js';
import { SettingsStore } from '../../settings/settings.js';
import { CliError, localeOf, prefixOf, readMapping, withDb, type CommonOptions } from '../options.js';

/** commander collects repeated --offset values with this. */
export function collectOffset(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** "7:120.50" → offset 7, 12050 fen; anything else is a usage error (exit 2). */
export function parseOffsetSpec(spec: string, en: boolean): { offsetId: number; amountFen: number } {
  const m = /^\s*([1-9]\d{0,9})\s*:\s*(.+)$/.exec(spec);
  if (!m || Number(m[1]) > 2147483647) {
    throw new CliError(
      en ? `--offset ${spec}: write OFFSET_ID:AMOUNT_IN_YUAN, e.g. 7:120.50` : `--offset ${spec}：格式应为 抵扣编号:金额（元），例如 7:120.50`,
      2,
    );
  }
  let amountFen: number;
  try {
    amountFen = parseYuan(m[2]!);
  } catch (err) {
    if (err instanceof MoneyFormatError) throw new CliError(`--offset ${spec}: ${err.localized[en ? 'en' : 'zh-CN']}`, 2);
    throw err;
  }
  if (amountFen <= 0) throw new CliError(en ? `--offset ${spec}: the amount must be above zero` : `--offset ${spec}：金额必须大于 0`, 2);
  return { offsetId: Number(m[1]), amountFen };
}

/** The offsets service over one database, as the plugin would build it. */
async function withOffsets<T>(options: CommonOptions, work: (service: OffsetService) => Promise<T>): Promise<T> {
  const mapping: HostMapping = readMapping(options);
  const en = localeOf(options) === 'en';
  const tables = tableNames(prefixOf(options));
  return withDb(options, async (db: Knex) => {
    if (!(await db.schema.hasTable(tables.offsetApplications))) {
      throw new CliError(
        en ? 'The plugin is not installed in this database: run `complaints install` first.' : '数据库中尚未安装本插件：请先运行 `complaints install`。',
        2,
      );
    }
    const ctx: PluginContext = {
      db,
      prefix: prefixOf(options),
      tables,
      mapping,
      host: new HostGateway(db, mapping),
      settings: new SettingsStore(db, tables, systemClock),
      clock: systemClock,
    };
    return work(createOffsetService(ctx));
  });
}

const yuan = (fen: number | null) => (fen === null ? '-' : `${formatYuan(fen)}`);

export function formatCheck(check: BillCheck, locale: Locale): string {
  const en = locale === 'en';
  const lines: string[] = [];
  if (!check.found) {
    lines.push(en ? `✘ Bill ${check.billId} does not exist (or was deleted)` : `✘ 账单 ${check.billId} 不存在或已删除`);
  } else {
    lines.push(
      en
        ? `Bill ${check.billId} (unit ${check.unitId}): ${yuan(check.amountFen)}, ${check.paymentStateLabel?.en ?? ''}, offsets already applied ${yuan(check.appliedFen)}, still open to offsets ${yuan(check.openToOffsetsFen)}`
        : `账单 ${check.billId}（房屋 ${check.unitId}）：金额 ${yuan(check.amountFen)}，${check.paymentStateLabel?.['zh-CN'] ?? ''}，已抵扣 ${yuan(check.appliedFen)}，还可抵扣 ${yuan(check.openToOffsetsFen)}`,
    );
  }
  for (const v of check.offsets) {
    const head = `${v.allowed ? '✔' : '✘'} ${en ? 'offset' : '抵扣'} #${v.offsetId} ${yuan(v.amountFen)}`;
    lines.push(`  ${head}: ${v.allowed ? '' : `${v.code} — `}${v.message[locale]}`);
  }
  for (const w of check.warnings) lines.push(`  ⚠ ${w.message[locale]}`);
  if (check.found) {
    lines.push(
      check.allAllowed
        ? en
          ? 'Collect the fee as usual.'
          : '可照常收费。'
        : en
          ? 'Collect the fee as usual, without the refused offsets.'
          : '可照常收费，但不得使用被拒绝的抵扣。',
    );
  }
  return lines.join('\n');
}

export function formatReconcile(report: ReconcileReport, locale: Locale): string {
  const en = locale === 'en';
  const t = report.totals;
  const lines = [
    en
      ? `${report.offsetsChecked} offsets: approved ${yuan(t.approvedFen)} = applied ${yuan(t.appliedFen)} − reversed ${yuan(t.reversedFen)} + remaining ${yuan(t.remainingFen)} + revoked ${yuan(t.revokedFen)}?`
      : `共 ${report.offsetsChecked} 笔抵扣：批准 ${yuan(t.approvedFen)} = 已抵扣 ${yuan(t.appliedFen)} − 已冲回 ${yuan(t.reversedFen)} + 剩余 ${yuan(t.remainingFen)} + 已撤回 ${yuan(t.revokedFen)}？`,
    en
      ? `${report.billsChecked} bills with offsets: ledger = applications not reversed ≤ bill amount?`
      : `共 ${report.billsChecked} 张账单用过抵扣：台账 = 未冲回的抵扣合计 ≤ 账单金额？`,
  ];
  if (report.ok) {
    lines.push(en ? '✔ Every offset reconciles, and so does every bill that took offsets.' : '✔ 全部抵扣账目相符，用过抵扣的账单也都相符。');
  }
  if (report.mismatches.length) {
    lines.push(en ? `✘ ${report.mismatches.length} offset(s) do not reconcile:` : `✘ ${report.mismatches.length} 笔抵扣账目不符：`);
    for (const m of report.mismatches) {
      lines.push(
        en
          ? `  offset #${m.offsetId} (complaint #${m.complaintId}, ${m.status}): approved ${yuan(m.approvedFen)}, applied ${yuan(m.appliedFen)}, reversed ${yuan(m.reversedFen)}, remaining ${yuan(m.remainingFen)}, revoked ${yuan(m.revokedFen)}; difference ${yuan(m.differenceFen)}`
          : `  抵扣 #${m.offsetId}（投诉 #${m.complaintId}，${m.status}）：批准 ${yuan(m.approvedFen)}，已抵扣 ${yuan(m.appliedFen)}，已冲回 ${yuan(m.reversedFen)}，剩余 ${yuan(m.remainingFen)}，已撤回 ${yuan(m.revokedFen)}；差额 ${yuan(m.differenceFen)}`,
      );
    }
  }
  if (report.billMismatches.length) {
    lines.push(en ? `✘ ${report.billMismatches.length} bill(s) do not reconcile:` : `✘ ${report.billMismatches.length} 张账单账目不符：`);
    for (const b of report.billMismatches) {
      const what =
        b.problem === 'over_bill'
          ? en
            ? `offsets ${yuan(b.appliedFen)} exceed the bill amount ${yuan(b.billAmountFen)}`
            : `抵扣合计 ${yuan(b.appliedFen)} 超过账单金额 ${yuan(b.billAmountFen)}`
          : en
            ? `ledger ${yuan(b.ledgerFen)} ≠ applications ${yuan(b.appliedFen)}`
            : `台账 ${yuan(b.ledgerFen)} ≠ 抵扣合计 ${yuan(b.appliedFen)}`;
      lines.push(en ? `  bill ${b.billId}: ${what}` : `  账单 ${b.billId}：${what}`);
    }
  }
  if (report.billsNotFound.length) {
    lines.push(
      en
        ? `Note: ${report.billsNotFound.length} bill(s) with offsets are no longer found at the host (deleted, or outside the mapping): ${report.billsNotFound.slice(0, 20).join(', ')}`
        : `注意：${report.billsNotFound.length} 张用过抵扣的账单在 ERP 中已找不到（已删除或不在映射范围内）：${report.billsNotFound.slice(0, 20).join('、')}`,
    );
  }
  return lines.join('\n');
}

export async function offsetsCheckCommand(options: CommonOptions & { bill: string; offset?: string[]; json?: boolean }): Promise<number> {
  const locale = localeOf(options);
  const offsets = (options.offset ?? []).map((spec) => parseOffsetSpec(spec, locale === 'en'));
  const check = await withOffsets(options, async (service) => {
    try {
      return await service.check({ billId: String(options.bill ?? '').trim(), offsets });
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new CliError(`${err.localized[locale]}: ${err.fields.map((f) => `${f.field} ${f.message[locale]}`).join('; ')}`, 2);
      }
      throw err;
    }
  });
  console.log(options.json ? JSON.stringify(check, null, 2) : formatCheck(check, locale));
  return check.found && check.allAllowed ? 0 : 1;
}

export async function offsetsReconcileCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const report = await withOffsets(options, (service) => service.reconcile());
  console.log(options.json ? JSON.stringify(report, null, 2) : formatReconcile(report, localeOf(options)));
  return report.ok ? 0 : 1;
}

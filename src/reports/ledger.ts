// The complaint ledger (投诉台账) as CSV and XLSX: every field a person checking the complaints wants, in
// the order they are handled (receipt, classification, plan, reply, follow-up, money), labels in the
// reader's language, times in the plugin's zone, money in yuan, mobile numbers masked (138****8000).
// Both writers stream: the rows come in batches from the store (ledgerBatches) and leave as they are
// written, so the memory of an export does not grow with its length (bench/ledger-export.ts measures
// 100,000 rows). CSV as the report's (BOM, CRLF, formula-safe fields); XLSX with exceljs's streaming
// WorkbookWriter, money as numbers formatted 0.00 so the sheet can sum them.
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import type { Locale, Localized } from '../common/localized.js';
import { msg } from '../common/localized.js';
import { formatFen } from '../common/money.js';
import { formatZoned } from '../calendar/zoned.js';
import { STATE_LABELS } from '../complaints/states.js';
import type { LedgerEntry } from '../complaints/store/ledger.js';
import { CANCEL_KIND, CHANNEL, DISPUTE_TYPE, NATURE, RELATION, SEVERITY, THIRD_PARTY } from '../complaints/vocabulary.js';
import { maskMobile } from '../privacy/mask.js';
import type { Settings } from '../settings/settings.js';
import { BOM, csvField } from './csv.js';

type Cell = string | number | null;

export interface LedgerContext {
  locale: Locale;
  settings: Settings;
  /** Community id → name (from the host); an id not found shows as itself. */
  communityNames: ReadonlyMap<string, string>;
}

interface Column {
  header: Localized;
  /** Width in characters in the sheet. */
  width: number;
  money?: boolean;
  value(e: LedgerEntry, x: LedgerContext, t: (l: Localized | null | undefined) => string, time: (d: Date | null | undefined) => string): Cell;
}

const YES = msg('是', 'Yes');
const NO = msg('否', 'No');
const yesNo = (v: boolean | null | undefined) => (v === null || v === undefined ? null : v ? YES : NO);
const fen = (n: number) => n;

export const LEDGER_COLUMNS: Column[] = [
  { header: msg('投诉编号', 'Code'), width: 18, value: (e) => e.complaint.code },
  { header: msg('状态', 'State'), width: 10, value: (e, _x, t) => t(STATE_LABELS[e.complaint.state]) },
  { header: msg('受理时间', 'Received'), width: 17, value: (e, _x, _t, time) => time(e.complaint.receivedAt) },
  { header: msg('受理渠道', 'Channel'), width: 10, value: (e, _x, t) => t(CHANNEL.labels[e.complaint.channel]) },
  { header: msg('受理人', 'Received by'), width: 12, value: (e) => e.complaint.receivedByName },
  {
    header: msg('小区', 'Community'),
    width: 14,
    value: (e, x) => (e.complaint.communityId === null ? null : (x.communityNames.get(e.complaint.communityId) ?? e.complaint.communityId)),
  },
  { header: msg('房屋', 'Unit'), width: 14, value: (e) => e.complaint.unitLabel },
  { header: msg('业主', 'Owner'), width: 10, value: (e) => e.complaint.ownerName },
  { header: msg('投诉人', 'Complainant'), width: 10, value: (e) => e.complaint.complainantName },
  { header: msg('与业主关系', 'Relation'), width: 10, value: (e, _x, t) => t(RELATION.labels[e.complaint.complainantRelation]) },
  { header: msg('联系电话', 'Phone'), width: 14, value: (e) => maskMobile(e.complaint.complainantPhone) },
  {
    header: msg('投诉类别', 'Cause category'),
    width: 14,
    value: (e, x, t) => {
      const c = x.settings.categories.find((k) => k.code === e.complaint.category);
      return c ? t(c) : e.complaint.category;
    },
  },
  { header: msg('投诉内容', 'Description'), width: 40, value: (e) => e.complaint.description },
  { header: msg('期望解决方式', 'Expectation'), width: 24, value: (e) => e.complaint.expectation },
  { header: msg('扬言拒缴物业费', 'Threatened to withhold fees'), width: 8, value: (e, _x, t) => t(yesNo(e.complaint.threatenedWithholding)) },
  { header: msg('纠纷类型', 'Dispute type'), width: 10, value: (e, _x, t) => t(e.complaint.disputeType && DISPUTE_TYPE.labels[e.complaint.disputeType]) },
  { header: msg('责任方', 'Third party'), width: 10, value: (e, _x, t) => t(e.complaint.thirdParty && THIRD_PARTY.labels[e.complaint.thirdParty]) },
  { header: msg('已说明责任', 'Responsibility explained'), width: 8, value: (e, _x, t) => t(yesNo(e.complaint.responsibilityExplained)) },
  { header: msg('投诉性质', 'Nature'), width: 10, value: (e, _x, t) => t(e.complaint.nature && NATURE.labels[e.complaint.nature]) },
  { header: msg('严重程度', 'Severity'), width: 8, value: (e, _x, t) => t(e.complaint.severity && SEVERITY.labels[e.complaint.severity]) },
  { header: msg('调查结论', 'Findings'), width: 30, value: (e) => e.complaint.findings },
  {
    header: msg('责任部门', 'Department'),
    width: 12,
    value: (e, x, t) => {
      const d = x.settings.departments.find((k) => k.code === e.complaint.department);
      return d ? t(d) : e.complaint.department;
    },
  },
  { header: msg('处理人', 'Handler'), width: 12, value: (e) => e.complaint.assigneeName },
  { header: msg('处理措施', 'Measures'), width: 30, value: (e) => e.complaint.planMeasures },
  { header: msg('处理期限', 'Plan deadline'), width: 17, value: (e, _x, _t, time) => time(e.complaint.planDeadline) },
  { header: msg('承诺答复时间', 'Reply promised by'), width: 17, value: (e, _x, _t, time) => time(e.complaint.replyDueAt) },
  { header: msg('处理结果', 'Reply'), width: 30, value: (e) => e.complaint.resolutionReply },
  { header: msg('办理依据', 'Basis'), width: 24, value: (e) => e.complaint.resolutionBasis },
  { header: msg('回复时间', 'Replied at'), width: 17, value: (e, _x, _t, time) => time(e.complaint.resolvedAt) },
  { header: msg('回访时间', 'Follow-up at'), width: 17, value: (e, _x, _t, time) => time(e.lastFollowUp?.visitedAt) },
  {
    header: msg('回访结果', 'Follow-up result'),
    width: 8,
    value: (e, _x, t) => (e.lastFollowUp ? t(e.lastFollowUp.satisfied ? msg('满意', 'Satisfied') : msg('不满意', 'Unsatisfied')) : null),
  },
  { header: msg('关闭时间', 'Closed at'), width: 17, value: (e, _x, _t, time) => time(e.complaint.closedAt) },
  { header: msg('撤销类型', 'Cancelled as'), width: 10, value: (e, _x, t) => t(e.complaint.cancelKind && CANCEL_KIND.labels[e.complaint.cancelKind]) },
  { header: msg('撤销原因', 'Cancel reason'), width: 20, value: (e) => e.complaint.cancelReason },
  { header: msg('二次投诉', 'Repeat'), width: 8, value: (e, _x, t) => t(yesNo(e.complaint.repeatOfId !== null)) },
  { header: msg('升级时间', 'Escalated at'), width: 17, value: (e, _x, _t, time) => time(e.complaint.escalatedAt) },
  { header: msg('12345 工单编号', '12345 work order'), width: 18, value: (e) => e.complaint.externalRef ?? null },
  { header: msg('12345 办理时限', '12345 deadline'), width: 17, value: (e, _x, _t, time) => time(e.complaint.hotlineDueAt) },
  { header: msg('合并到', 'Merged into'), width: 10, value: (e) => (e.complaint.mergedIntoId ? `#${e.complaint.mergedIntoId}` : null) },
  { header: msg('申请抵扣（元）', 'Offsets requested (yuan)'), width: 12, money: true, value: (e) => fen(e.money.requestedFen) },
  { header: msg('批准抵扣（元）', 'Offsets approved (yuan)'), width: 12, money: true, value: (e) => fen(e.money.approvedFen) },
  { header: msg('已抵扣（元）', 'Offsets applied (yuan)'), width: 12, money: true, value: (e) => fen(e.money.appliedFen) },
  { header: msg('赔付（元）', 'Compensation (yuan)'), width: 12, money: true, value: (e) => fen(e.money.compensationFen) },
];

/** The row of one entry: text cells, money in fen (money columns), null for empty. */
function cells(e: LedgerEntry, x: LedgerContext): Cell[] {
  const t = (l: Localized | null | undefined) => (l ? l[x.locale] : '');
  const time = (d: Date | null | undefined) => (d ? formatZoned(d, x.settings.timezone) : '');
  return LEDGER_COLUMNS.map((c) => c.value(e, x, t, time));
}

export function ledgerHeader(locale: Locale): string[] {
  return LEDGER_COLUMNS.map((c) => c.header[locale]);
}

/** One entry as CSV fields (money as yuan text "120.50"). */
export function ledgerCsvLine(e: LedgerEntry, x: LedgerContext): string {
  return (
    cells(e, x)
      .map((v, i) => csvField(LEDGER_COLUMNS[i]!.money ? formatFen(v as number) : v))
      .join(',') + '\r\n'
  );
}

/** The CSV as a stream of text chunks, one batch per chunk, BOM first. */
export function ledgerCsvStream(batches: AsyncIterable<LedgerEntry[]>, x: LedgerContext): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield BOM + ledgerHeader(x.locale).map(csvField).join(',') + '\r\n';
    for await (const batch of batches) yield batch.map((e) => ledgerCsvLine(e, x)).join('');
  }
  return Readable.from(lines(), { objectMode: false });
}

/** The streams exceljs's sheet buffer writes into (exceljs internals, checked: an empty list just skips the wait). */
function sheetPipes(sheet: unknown): Writable[] {
  const pipes = (sheet as { stream?: { pipes?: unknown } }).stream?.pipes;
  return Array.isArray(pipes) ? pipes.filter((p): p is Writable => !!p && typeof (p as Writable).once === 'function') : [];
}

/** Resolves at the first of the events and removes its listeners (an error surfaces through the workbook's commit). */
function firstOf(s: Writable, events: string[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of events) s.removeListener(e, done);
      resolve();
    };
    for (const e of events) s.once(e, done);
  });
}

/** Bytes queued in a writable (archiver's are readable-stream 2 streams: no writableLength). */
function queuedBytes(s: Writable): number {
  const legacy = (s as unknown as { _writableState?: { length?: number } })._writableState;
  return s.writableLength ?? legacy?.length ?? 0;
}

/**
 * Lets deflate keep a few batches of XML ahead (so it works while the next batch is read) but no more:
 * beyond XLSX_QUEUE_BYTES the writer waits until the queue has emptied.
 */
const XLSX_QUEUE_BYTES = 1024 * 1024;

async function drained(streams: Writable[]): Promise<void> {
  for (const s of streams) {
    if (queuedBytes(s) > XLSX_QUEUE_BYTES && !s.destroyed) await firstOf(s, ['drain', 'close', 'error']);
  }
}

/**
 * Writes the XLSX to `out` with exceljs's streaming writer: each row is committed (serialised and
 * released) as soon as it is added, and between batches the writer waits for `out` to drain, so a slow
 * reader holds back the database reads instead of filling memory. Resolves when the file is complete.
 */
export async function writeLedgerXlsx(batches: AsyncIterable<LedgerEntry[]>, x: LedgerContext, out: Writable): Promise<void> {
  // exceljs is loaded when a spreadsheet is asked for, not at start (it is large and rarely used).
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(x.locale === 'en' ? 'Complaints' : '投诉台账', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = LEDGER_COLUMNS.map((c, i) => ({
    key: `c${i}`,
    width: c.width,
    ...(c.money ? { style: { numFmt: '0.00' } } : {}),
  }));
  const header = sheet.addRow(ledgerHeader(x.locale));
  header.font = { bold: true };
  header.commit();
  for await (const batch of batches) {
    for (const e of batch) {
      // Money leaves as a number of yuan: fen / 100 is exact to the cent once rounded to 2 places by the format.
      sheet.addRow(cells(e, x).map((v, i) => (LEDGER_COLUMNS[i]!.money ? (v as number) / 100 : v === '' ? null : v))).commit();
    }
    // exceljs writes the sheet's XML into the zip without looking at write()'s answer: its buffer feeds the
    // archiver's PassThrough, whose queue grows without bound while deflate (on the thread pool) is behind
    // (368 MB peak for 100,000 rows). So between batches wait while that queue is long, and then the
    // reader of `out`, so a few MB of XML at most wait anywhere.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await drained(sheetPipes(sheet));
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  sheet.commit();
  await workbook.commit();
}

/** 'complaints-ledger_20261207-1530.csv' / '投诉台账_20261207-1530.xlsx'. */
export function ledgerFileNames(now: Date, timeZone: string, ext: 'csv' | 'xlsx'): { ascii: string; localized: string } {
  const stamp = formatZoned(now, timeZone).replace(/[-:]/g, '').replace(' ', '-');
  return { ascii: `complaints-ledger_${stamp}.${ext}`, localized: `投诉台账_${stamp}.${ext}` };
}

// Retention (PIPL: keep personal data no longer than needed). A closed or cancelled complaint keeps its
// personal data for privacy.personalDataYears after it ended (default 3), then the personal-data erasers
// replace it; its compensation and offset records keep their free text for privacy.accountingYears
// (accounting retention, default 10), then lose that too. Codes, categories, dates, states, amounts,
// references and the audit of money decisions are never touched, so the report's figures and
// `complaints offsets reconcile` answer the same before and after. The dry run says what a run would
// change and changes nothing; both are recorded in the audit trail.
import type { Actor } from '../auth/actor.js';
import type { PluginContext } from '../common/context.js';
import { recordEvent } from '../common/events.js';
import { inTransaction } from '../db/transaction.js';
import { ANONYMISED, PERSONAL_DATA_ERASERS, type PersonalDataEraser } from './store/erasers.js';
import { accountingCandidates, personalCandidates, type RetentionCandidate } from './store/candidates.js';

export type RetentionContext = Pick<PluginContext, 'db' | 'tables' | 'settings' | 'clock'>;

/** Complaints per transaction: a batch's locks are held briefly and a failure loses one batch only. */
const BATCH = 100;

export interface RetentionPart {
  /** Complaints that ended before this lose the part's data. */
  cutoff: Date;
  complaints: RetentionCandidate[];
  /** Eraser name → rows it changes (dry run: would change). */
  rows: Record<string, number>;
}

export interface RetentionReport {
  dryRun: boolean;
  at: Date;
  personal: RetentionPart;
  accounting: RetentionPart;
}

/** now minus whole years, in UTC (a leap day becomes 28 February or 1 March, either is fine here). */
export function yearsBefore(now: Date, years: number): Date {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d;
}

function erasersOf(kind: 'personal' | 'accounting'): PersonalDataEraser[] {
  return PERSONAL_DATA_ERASERS.filter((e) => e.retention === kind);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function part(ctx: RetentionContext, kind: 'personal' | 'accounting', cutoff: Date, dryRun: boolean, now: Date, actor: Actor): Promise<RetentionPart> {
  const complaints = kind === 'personal' ? await personalCandidates(ctx.db, ctx.tables, cutoff) : await accountingCandidates(ctx.db, ctx.tables, cutoff);
  const erasers = erasersOf(kind);
  const rows: Record<string, number> = Object.fromEntries(erasers.map((e) => [e.name, 0]));
  const reason =
    kind === 'personal'
      ? '个人信息保存期限已满，已匿名化 / Retention period of personal data ended: anonymised'
      : '会计保存期限已满，资金记录的文字已匿名化 / Accounting retention ended: free text of money records anonymised';
  for (const batch of chunks(
    complaints.map((c) => c.id),
    BATCH,
  )) {
    if (dryRun) {
      for (const e of erasers) rows[e.name]! += await e.count(ctx.db, ctx.tables, batch);
      continue;
    }
    await inTransaction(ctx.db, async (trx) => {
      for (const e of erasers) rows[e.name]! += await e.erase({ trx, tables: ctx.tables, complaintIds: batch, now, actor, reason });
    });
  }
  return { cutoff, complaints, rows };
}

/** The dry run (dryRun: true) or the run itself; audited either way. */
export async function runRetention(ctx: RetentionContext, options: { dryRun: boolean; actor: Actor; now?: Date }): Promise<RetentionReport> {
  const now = options.now ?? ctx.clock.now();
  const { privacy } = await ctx.settings.get();
  const personal = await part(ctx, 'personal', yearsBefore(now, privacy.personalDataYears), options.dryRun, now, options.actor);
  const accounting = await part(ctx, 'accounting', yearsBefore(now, privacy.accountingYears), options.dryRun, now, options.actor);
  const report: RetentionReport = { dryRun: options.dryRun, at: now, personal, accounting };
  await inTransaction(ctx.db, (trx) =>
    recordEvent(trx, ctx.tables, {
      entityType: 'privacy',
      entityId: 0,
      action: options.dryRun ? 'retention_dry_run' : 'retention_run',
      actor: options.actor,
      at: now,
      note: JSON.stringify(auditSummary(report)),
    }),
  );
  return report;
}

/** What the audit trail keeps of a run: cutoffs, codes and counts (no personal data). */
export function auditSummary(report: RetentionReport) {
  const side = (p: RetentionPart) => ({
    cutoff: p.cutoff.toISOString(),
    complaints: p.complaints.length,
    codes: p.complaints.slice(0, 200).map((c) => c.code),
    rows: p.rows,
  });
  return { dryRun: report.dryRun, personal: side(report.personal), accounting: side(report.accounting) };
}

export { ANONYMISED };

// privacy-retention: anonymises complaints whose retention period has ended (src/privacy/retention.ts).
// Idempotent: a rerun finds nothing left to erase. `complaints privacy retention --dry-run` shows first
// what a run would change.
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { runRetention } from '../privacy/retention.js';
import type { Job } from './types.js';

export const privacyRetentionJob: Job = {
  name: 'privacy-retention',
  async run(ctx, now) {
    const report = await runRetention(ctx, { dryRun: false, actor: SYSTEM_ACTOR, now });
    const sum = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);
    return {
      anonymised: report.personal.rows.complaints ?? 0,
      personalRows: sum(report.personal.rows),
      accountingComplaints: report.accounting.complaints.length,
      accountingRows: sum(report.accounting.rows),
    };
  },
};

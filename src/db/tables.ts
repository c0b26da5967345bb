// Every table the plugin owns, named once. All carry the configured prefix (default cmp_);
// host tables are never named here (only src/host knows them).
export function tableNames(prefix: string) {
  return {
    migrations: `${prefix}migrations`,
    migrationsLock: `${prefix}migrations_lock`,
    meta: `${prefix}meta`,
    settings: `${prefix}settings`,
    events: `${prefix}events`,
    complaints: `${prefix}complaints`,
    complaintCodes: `${prefix}complaint_codes`,
    followUps: `${prefix}follow_ups`,
    offsets: `${prefix}offsets`,
    offsetBills: `${prefix}offset_bills`,
    offsetApplications: `${prefix}offset_applications`,
    /** Replaced by offsetBillLedger (kept for the migrations that made and dropped it). */
    offsetBillLocks: `${prefix}offset_bill_locks`,
    offsetBillLedger: `${prefix}offset_bill_ledger`,
    offsetApprovalTotals: `${prefix}offset_approval_totals`,
    compensations: `${prefix}compensations`,
    incidents: `${prefix}incidents`,
    sessions: `${prefix}sessions`,
    jobRuns: `${prefix}job_runs`,
    jobClaims: `${prefix}job_claims`,
    outbox: `${prefix}outbox`,
  };
}

export type TableNames = ReturnType<typeof tableNames>;

export const DEFAULT_PREFIX = 'cmp_';

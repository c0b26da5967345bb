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
    /** Pauses of a complaint's clock while waiting on a third party (挂起). */
    complaintPauses: `${prefix}complaint_pauses`,
    /** People the auth adapter has seen sign in: the staff directory when the host maps no staff table. */
    staffSeen: `${prefix}staff_seen`,
    attachments: `${prefix}attachments`,
    attachmentBlobs: `${prefix}attachment_blobs`,
    incidents: `${prefix}incidents`,
    sessions: `${prefix}sessions`,
    jobRuns: `${prefix}job_runs`,
    jobClaims: `${prefix}job_claims`,
    outbox: `${prefix}outbox`,
    /** The owner's status link per complaint (token nonce, revocation, notice opt-out). */
    ownerLinks: `${prefix}owner_links`,
    /** The owner's own rating (业主评价), once per complaint, apart from the staff follow-up. */
    ownerRatings: `${prefix}owner_ratings`,
    /** The period report's summary: one row per complaint, kept by the writing stores (src/reports/summaryStore.ts). */
    reportFacts: `${prefix}report_facts`,
    /** The local months of the settings' time zone the report's rollup is kept by. */
    reportMonths: `${prefix}report_months`,
    /** The report's monthly rollup of the summary rows (src/reports/rollupStore.ts). */
    reportRollup: `${prefix}report_rollup`,
  };
}

export type TableNames = ReturnType<typeof tableNames>;

export const DEFAULT_PREFIX = 'cmp_';

/**
 * Indexes of ours that reads name for speed (USE INDEX, FORCE INDEX, INDEXED BY). Where a DBA dropped or
 * renamed one, those reads fall back to the database's own plan (slower, same answers) and `status` lists it.
 */
export function namedIndexes(tables: { complaints: string }) {
  return {
    /** (unit_id, state, id, …facts): the billing check's open complaints (migration 20261208200000). */
    openComplaintsByUnit: `${tables.complaints}_unit_open_facts_idx`,
    /** (community_id, received_at, id, state): the list's deep pages (migration 20261208100000). */
    communityDates: `${tables.complaints}_community_date_idx`,
  };
}

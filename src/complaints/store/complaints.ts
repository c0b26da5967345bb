// The complaints store: every query of the complaint loop's own tables (complaints, follow-ups, their
// audit events), rows ↔ Complaint objects, and the one guarded write every change goes through: UPDATE …
// WHERE id AND version, bumping the version, so a stale read can never overwrite a newer change. Each
// function takes the connection or transaction to run on.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import { fromDbTime, requireDbTime, toDbTime } from '../../db/time.js';
import { eventFromRow, type AuditEvent } from '../../common/events.js';
import { UNRESOLVED_STATES } from '../states.js';
import { refreshReportFacts } from '../../reports/summaryStore.js';
import type { Complaint, ComplaintLink, FollowUp } from '../types.js';

type Kind = 'string' | 'int' | 'bool' | 'date' | 'hostId';

/** Every Complaint field, its column and how its value travels. */
const FIELDS: { [K in keyof Complaint]-?: [column: string, kind: Kind] } = {
  id: ['id', 'int'],
  code: ['code', 'string'],
  version: ['version', 'int'],
  state: ['state', 'string'],
  unitId: ['unit_id', 'hostId'],
  unitLabel: ['unit_label', 'string'],
  building: ['building', 'string'],
  location: ['location', 'string'],
  ownerId: ['owner_id', 'hostId'],
  ownerName: ['owner_name', 'string'],
  communityId: ['community_id', 'hostId'],
  complainantName: ['complainant_name', 'string'],
  complainantPhone: ['complainant_phone', 'string'],
  complainantRelation: ['complainant_relation', 'string'],
  channel: ['channel', 'string'],
  category: ['category', 'string'],
  description: ['description', 'string'],
  expectation: ['expectation', 'string'],
  threatenedWithholding: ['threatened_withholding', 'bool'],
  receivedAt: ['received_at', 'date'],
  receivedBy: ['received_by', 'string'],
  receivedByName: ['received_by_name', 'string'],
  disputeType: ['dispute_type', 'string'],
  thirdParty: ['third_party', 'string'],
  responsibilityExplained: ['responsibility_explained', 'bool'],
  nature: ['nature', 'string'],
  severity: ['severity', 'string'],
  findings: ['findings', 'string'],
  department: ['department', 'string'],
  assigneeId: ['assignee_id', 'string'],
  assigneeName: ['assignee_name', 'string'],
  planMeasures: ['plan_measures', 'string'],
  planDeadline: ['plan_deadline', 'date'],
  resolutionReply: ['resolution_reply', 'string'],
  resolutionBasis: ['resolution_basis', 'string'],
  replyVisibility: ['reply_visibility', 'string'],
  resolvedAt: ['resolved_at', 'date'],
  resolvedBy: ['resolved_by', 'string'],
  followUpDueAt: ['follow_up_due_at', 'date'],
  closedAt: ['closed_at', 'date'],
  cancelKind: ['cancel_kind', 'string'],
  cancelReason: ['cancel_reason', 'string'],
  cancelledAt: ['cancelled_at', 'date'],
  parentId: ['parent_id', 'int'],
  repeatOfId: ['repeat_of_id', 'int'],
  mergedIntoId: ['merged_into_id', 'int'],
  externalRef: ['external_ref', 'string'],
  incidentId: ['incident_id', 'int'],
  hotlineDueAt: ['hotline_due_at', 'date'],
  escalatedAt: ['escalated_at', 'date'],
  escalationReason: ['escalation_reason', 'string'],
  originalReceivedAt: ['original_received_at', 'date'],
  replyDueAt: ['reply_due_at', 'date'],
  replyDueEffectiveAt: ['reply_due_effective_at', 'date'],
  planDueEffectiveAt: ['plan_due_effective_at', 'date'],
  deadlineClock: ['deadline_clock', 'string'],
  pausedAt: ['paused_at', 'date'],
  pauseReason: ['pause_reason', 'string'],
  pauseParty: ['pause_party', 'string'],
  pausedMs: ['paused_ms', 'int'],
  escalationFrom: ['escalation_from', 'date'],
  acceptedAt: ['accepted_at', 'date'],
  dueAt: ['due_at', 'date'],
  createdAt: ['created_at', 'date'],
  createdBy: ['created_by', 'string'],
  updatedAt: ['updated_at', 'date'],
  updatedBy: ['updated_by', 'string'],
  updatedByName: ['updated_by_name', 'string'],
};

export function columnOf(field: keyof Complaint): string {
  return FIELDS[field][0];
}

function toColumn(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'date') return toDbTime(value as Date);
  if (kind === 'bool') return value ? 1 : 0;
  return value;
}

/** A complaints row as the drivers return it: columns by name (values typed per FIELDS). */
export type ComplaintRow = Record<string, unknown>;

/** A follow-ups row as the drivers return it. */
export interface FollowUpRow {
  id: number;
  complaint_id: number;
  method: string;
  visitor_id: string;
  visitor_name: string;
  visited_at: string | Date;
  satisfied: number | boolean;
  complainant_words: string | null;
  owner_rating: number | null;
  note: string | null;
  continuation_id: number | null;
  created_at: string | Date;
}

type Db = Knex | Knex.Transaction;

/** FIELDS as a flat list (what rowToComplaint must agree with; the store's tests compare them). */
export const FIELD_LIST = Object.entries(FIELDS).map(([field, [column, kind]]) => ({ field, column, kind: kind as Kind }));

const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Boolean(Number(v)));
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : requireDbTime(v as string));
// Integer host keys come back as numbers; the domain speaks of host ids as text.
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * A row as a Complaint: fromColumn for every field of FIELDS, in its order, written out as one object
 * literal. Lists map thousands of rows a second, and a literal is built in V8's fast layout with constant
 * property names (a loop setting computed keys on {} made a hash table; copying a template and writing
 * through computed names was still 3× slower). The types make every field present; the store's tests
 * check the columns, kinds and order against FIELDS.
 */
export function rowToComplaint(row: ComplaintRow): Complaint {
  const complaint = {
    id: int(row.id),
    code: text(row.code),
    version: int(row.version),
    state: text(row.state),
    unitId: text(row.unit_id),
    unitLabel: text(row.unit_label),
    building: text(row.building),
    location: text(row.location),
    ownerId: text(row.owner_id),
    ownerName: text(row.owner_name),
    communityId: text(row.community_id),
    complainantName: text(row.complainant_name),
    complainantPhone: text(row.complainant_phone),
    complainantRelation: text(row.complainant_relation),
    channel: text(row.channel),
    category: text(row.category),
    description: text(row.description),
    expectation: text(row.expectation),
    threatenedWithholding: bool(row.threatened_withholding),
    receivedAt: date(row.received_at),
    receivedBy: text(row.received_by),
    receivedByName: text(row.received_by_name),
    disputeType: text(row.dispute_type),
    thirdParty: text(row.third_party),
    responsibilityExplained: bool(row.responsibility_explained),
    nature: text(row.nature),
    severity: text(row.severity),
    findings: text(row.findings),
    department: text(row.department),
    assigneeId: text(row.assignee_id),
    assigneeName: text(row.assignee_name),
    planMeasures: text(row.plan_measures),
    planDeadline: date(row.plan_deadline),
    resolutionReply: text(row.resolution_reply),
    resolutionBasis: text(row.resolution_basis),
    replyVisibility: text(row.reply_visibility),
    resolvedAt: date(row.resolved_at),
    resolvedBy: text(row.resolved_by),
    followUpDueAt: date(row.follow_up_due_at),
    closedAt: date(row.closed_at),
    cancelKind: text(row.cancel_kind),
    cancelReason: text(row.cancel_reason),
    cancelledAt: date(row.cancelled_at),
    parentId: int(row.parent_id),
    repeatOfId: int(row.repeat_of_id),
    mergedIntoId: int(row.merged_into_id),
    externalRef: text(row.external_ref),
    incidentId: int(row.incident_id),
    hotlineDueAt: date(row.hotline_due_at),
    escalatedAt: date(row.escalated_at),
    escalationReason: text(row.escalation_reason),
    originalReceivedAt: date(row.original_received_at),
    replyDueAt: date(row.reply_due_at),
    replyDueEffectiveAt: date(row.reply_due_effective_at),
    planDueEffectiveAt: date(row.plan_due_effective_at),
    deadlineClock: text(row.deadline_clock),
    pausedAt: date(row.paused_at),
    pauseReason: text(row.pause_reason),
    pauseParty: text(row.pause_party),
    pausedMs: int(row.paused_ms),
    escalationFrom: date(row.escalation_from),
    acceptedAt: date(row.accepted_at),
    dueAt: date(row.due_at),
    createdAt: date(row.created_at),
    createdBy: text(row.created_by),
    updatedAt: date(row.updated_at),
    updatedBy: text(row.updated_by),
    updatedByName: text(row.updated_by_name),
  } satisfies Record<keyof Complaint, unknown>;
  return complaint as unknown as Complaint;
}

/**
 * What a row of a complaint list on the pages shows (complaintRow): the unit panel at the counter reads
 * these columns only (so do the list page and its CSV), not the whole row (the description, findings, plan and reply are TEXT, and about
 * seventy columns of thirty complaints were about a third of that page's CPU to read and convert: README).
 */
export const SUMMARY_FIELDS = [
  'id',
  'code',
  'state',
  'unitLabel',
  'ownerName',
  'complainantName',
  'complainantPhone',
  'category',
  'severity',
  'receivedAt',
  'dueAt',
  'pausedAt',
  'repeatOfId',
  'parentId',
  'threatenedWithholding',
  'assigneeName',
  'department',
] as const satisfies ReadonlyArray<keyof Complaint>;

export type ComplaintSummary = Pick<Complaint, (typeof SUMMARY_FIELDS)[number]>;

/** A row holding SUMMARY_FIELDS' columns as a ComplaintSummary, each field read as rowToComplaint reads it. */
export function rowToComplaintSummary(row: ComplaintRow): ComplaintSummary {
  const summary = {
    id: int(row.id),
    code: text(row.code),
    state: text(row.state),
    unitLabel: text(row.unit_label),
    ownerName: text(row.owner_name),
    complainantName: text(row.complainant_name),
    complainantPhone: text(row.complainant_phone),
    category: text(row.category),
    severity: text(row.severity),
    receivedAt: date(row.received_at),
    dueAt: date(row.due_at),
    pausedAt: date(row.paused_at),
    repeatOfId: int(row.repeat_of_id),
    parentId: int(row.parent_id),
    threatenedWithholding: bool(row.threatened_withholding),
    assigneeName: text(row.assignee_name),
    department: text(row.department),
  } satisfies Record<keyof ComplaintSummary, unknown>;
  return summary as unknown as ComplaintSummary;
}

/**
 * What a job on the workbench and on "my work" needs (jobEntry): a list row, and what decides the next
 * action a person may take (allowedActions' facts), the version its one-click form posts, and the pause.
 * The workbench's queues and "my work" read these (its other lists read list rows), not whole rows.
 */
export const JOB_FIELDS = [
  ...SUMMARY_FIELDS,
  'version',
  'nature',
  'disputeType',
  'thirdParty',
  'responsibilityExplained',
  'escalatedAt',
  'assigneeId',
  'acceptedAt',
  'pauseParty',
  'pauseReason',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Complaint>;

export type ComplaintJob = Pick<Complaint, (typeof JOB_FIELDS)[number]>;

/** A row holding JOB_FIELDS' columns as a ComplaintJob: the list row, and the job's own fields read as rowToComplaint reads them. */
export function rowToComplaintJob(row: ComplaintRow): ComplaintJob {
  const more = {
    version: int(row.version),
    nature: text(row.nature),
    disputeType: text(row.dispute_type),
    thirdParty: text(row.third_party),
    responsibilityExplained: bool(row.responsibility_explained),
    escalatedAt: date(row.escalated_at),
    assigneeId: text(row.assignee_id),
    acceptedAt: date(row.accepted_at),
    pauseParty: text(row.pause_party),
    pauseReason: text(row.pause_reason),
    updatedAt: date(row.updated_at),
  } satisfies Record<Exclude<keyof ComplaintJob, keyof ComplaintSummary>, unknown>;
  return Object.assign(rowToComplaintSummary(row), more) as unknown as ComplaintJob;
}

/** Which columns a list reads and how a row of them reads: the lists' three row shapes. */
export interface RowShape<T> {
  columns: readonly string[];
  read: (row: ComplaintRow) => T;
}

const columnsOf = (fields: ReadonlyArray<keyof Complaint>) => fields.map((field) => FIELDS[field][0]);

export const WHOLE_ROWS: RowShape<Complaint> = { columns: ['*'], read: rowToComplaint };
export const SUMMARY_ROWS: RowShape<ComplaintSummary> = { columns: columnsOf(SUMMARY_FIELDS), read: rowToComplaintSummary };
export const JOB_ROWS: RowShape<ComplaintJob> = { columns: columnsOf(JOB_FIELDS), read: rowToComplaintJob };

/** Column values for the given fields (only those present in the patch). */
export function toRow(patch: Partial<Complaint>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    const spec = FIELDS[field as keyof Complaint];
    if (spec && value !== undefined) row[spec[0]] = toColumn(spec[1], value);
  }
  return row;
}

/** Field → [before, after] for the fields the patch really changes (for the audit event). */
export function diff(before: Complaint, patch: Partial<Complaint>): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  const skip = new Set(['version', 'updatedAt', 'updatedBy', 'updatedByName']);
  for (const [field, after] of Object.entries(patch)) {
    if (skip.has(field) || after === undefined) continue;
    const prior = before[field as keyof Complaint];
    const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
    if (norm(prior) !== norm(after)) changes[field] = [norm(prior) ?? null, norm(after) ?? null];
  }
  return changes;
}

/**
 * With `lock` (inside a transaction) the row is read FOR UPDATE: on MySQL that is the latest committed
 * version, not the transaction's snapshot, and nobody can change it before we write. SQLite has a
 * single writer and ignores the clause.
 */
export async function findComplaint(db: Db, tables: TableNames, id: number, options: { lock?: boolean } = {}): Promise<Complaint | null> {
  const query = db(tables.complaints).where({ id }).first();
  const row = (await (options.lock ? query.forUpdate() : query)) as ComplaintRow | undefined;
  return row ? rowToComplaint(row) : null;
}

export async function insertComplaint(
  trx: Knex.Transaction,
  tables: TableNames,
  complaint: Omit<Complaint, 'id'>,
  idempotency: { key: string; hash: string } | null,
): Promise<number> {
  const row = { ...toRow(complaint as Partial<Complaint>), idempotency_key: idempotency?.key ?? null, idempotency_hash: idempotency?.hash ?? null };
  const [id] = (await trx(tables.complaints).insert(row)) as number[];
  await refreshReportFacts(trx, tables, [Number(id)]); // the report's summary row, in this transaction
  return Number(id);
}

/** Applies the patch only if nobody changed the row since `expectedVersion`; returns whether it did. */
export async function updateIfVersion(
  trx: Knex.Transaction,
  tables: TableNames,
  id: number,
  expectedVersion: number,
  patch: Partial<Complaint>,
): Promise<boolean> {
  const updated = await trx(tables.complaints)
    .where({ id, version: expectedVersion })
    .update({ ...toRow(patch), version: expectedVersion + 1 });
  if (updated === 1) await refreshReportFacts(trx, tables, [id]); // the report's summary row, in this transaction
  return updated === 1;
}

export function toLink(c: Complaint): ComplaintLink {
  return { id: c.id, code: c.code, state: c.state, severity: c.severity, receivedAt: c.receivedAt };
}

export function rowToFollowUp(row: FollowUpRow): FollowUp {
  return {
    id: Number(row.id),
    complaintId: Number(row.complaint_id),
    method: row.method as FollowUp['method'],
    visitorId: String(row.visitor_id),
    visitorName: String(row.visitor_name),
    visitedAt: requireDbTime(row.visited_at as string),
    satisfied: Boolean(Number(row.satisfied)),
    complainantWords: (row.complainant_words as string | null) ?? null,
    ownerRating: row.owner_rating === null || row.owner_rating === undefined ? null : Number(row.owner_rating),
    note: (row.note as string | null) ?? null,
    continuationId: row.continuation_id === null || row.continuation_id === undefined ? null : Number(row.continuation_id),
    createdAt: fromDbTime(row.created_at as string)!,
  };
}

export async function listFollowUps(db: Db, tables: TableNames, complaintId: number): Promise<FollowUp[]> {
  const rows = await db<FollowUpRow>(tables.followUps).where({ complaint_id: complaintId }).orderBy('id');
  return rows.map(rowToFollowUp);
}

export async function insertFollowUp(trx: Knex.Transaction, tables: TableNames, row: Omit<FollowUpRow, 'id'>): Promise<FollowUp> {
  const [id] = (await trx<FollowUpRow>(tables.followUps).insert(row)) as number[];
  await refreshReportFacts(trx, tables, [row.complaint_id]); // the report's summary row, in this transaction
  const stored = await trx<FollowUpRow>(tables.followUps)
    .where({ id: Number(id) })
    .first();
  return rowToFollowUp(stored!);
}

/** The complaint an actor already registered with this idempotency key, with the hash of what they sent. */
export async function findByIdempotencyKey(
  db: Db,
  tables: TableNames,
  createdBy: string,
  key: string,
): Promise<{ complaint: Complaint; hash: string | null } | null> {
  const row = (await db(tables.complaints).where({ created_by: createdBy, idempotency_key: key }).first()) as ComplaintRow | undefined;
  return row ? { complaint: rowToComplaint(row), hash: (row.idempotency_hash as string | null) ?? null } : null;
}

/** Complaints marked as repeats of this one (first 50, oldest first). */
export async function findRepeatsOf(db: Db, tables: TableNames, id: number): Promise<Complaint[]> {
  const rows = (await db(tables.complaints).where({ repeat_of_id: id }).orderBy('id').limit(50)) as ComplaintRow[];
  return rows.map(rowToComplaint);
}

/** The complaint that continues this one after an unsatisfied follow-up (the first, if ever several). */
export async function findContinuation(db: Db, tables: TableNames, id: number): Promise<Complaint | null> {
  const row = (await db(tables.complaints).where({ parent_id: id }).orderBy('id').first()) as ComplaintRow | undefined;
  return row ? rowToComplaint(row) : null;
}

/** Every audit event of one complaint, oldest first (its offsets' and compensations' included). */
export async function eventsOfComplaint(db: Db, tables: TableNames, id: number): Promise<AuditEvent[]> {
  const rows = (await db(tables.events).where({ complaint_id: id }).orderBy('id')) as Array<Record<string, unknown>>;
  return rows.map(eventFromRow);
}

// 二次投诉: a new complaint about the same unit and cause category within the repeat window of an
// earlier one (cancelled ones do not count) is flagged and linked to the latest such complaint.
const DAY_MS = 24 * 60 * 60 * 1000;

export async function findRepeatOf(
  trx: Knex | Knex.Transaction,
  tables: TableNames,
  probe: { unitId: string | null; communityId?: string | null; location?: string | null; category: string; receivedAt: Date },
  windowDays: number,
): Promise<{ id: number; code: string } | null> {
  const since = new Date(probe.receivedAt.getTime() - windowDays * DAY_MS);
  // A public area repeats at the same place of the same community (no unit to match on).
  const place =
    probe.unitId !== null
      ? { unit_id: probe.unitId }
      : probe.communityId && probe.location
        ? { community_id: probe.communityId, location: probe.location }
        : null;
  if (!place) return null;
  // Served by the (unit_id, category, received_at) index; a public area by the community's.
  const query = trx(tables.complaints);
  if (probe.unitId === null) query.whereNull('unit_id');
  const row = (await query
    .where({ ...place, category: probe.category })
    .where('received_at', '>=', toDbTime(since))
    .where('received_at', '<=', toDbTime(probe.receivedAt))
    .whereNot('state', 'cancelled')
    .orderBy([
      { column: 'received_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first('id', 'code')) as { id: number; code: string } | undefined;
  return row ? { id: Number(row.id), code: String(row.code) } : null;
}

/** Valid, unresolved, not yet major, first received on or before `cutoff`: what escalation takes up. */
function eligibleForEscalation(q: Knex.QueryBuilder, cutoff: Date): Knex.QueryBuilder {
  // Served by the (state, severity, escalation_from) index.
  return (
    q
      .whereIn('state', UNRESOLVED_STATES)
      .where('nature', 'valid')
      .where((s) => s.whereNull('severity').orWhereIn('severity', ['minor', 'important']))
      .whereNull('paused_at')
      // Paused time is not the company's delay: age counts from escalation_from (receipt plus closed pauses);
      // rows written without it (before its migration filled it, or by hand) count from the first receipt.
      .where((w) =>
        w.where('escalation_from', '<=', toDbTime(cutoff)).orWhere((o) => o.whereNull('escalation_from').where('original_received_at', '<=', toDbTime(cutoff))),
      )
  );
}

/** The next batch of complaints due for escalation, by id after `afterId`. */
export async function dueForEscalation(db: Db, tables: TableNames, cutoff: Date, afterId: number, limit: number): Promise<Complaint[]> {
  const rows = (await eligibleForEscalation(db(tables.complaints), cutoff).where('id', '>', afterId).orderBy('id').limit(limit)) as ComplaintRow[];
  return rows.map(rowToComplaint);
}

/** Applies the escalation patch if the complaint is still eligible and unchanged; returns whether it did. */
export async function escalateIfStillDue(
  trx: Knex.Transaction,
  tables: TableNames,
  current: Complaint,
  cutoff: Date,
  patch: Partial<Complaint>,
): Promise<boolean> {
  const updated = await eligibleForEscalation(trx(tables.complaints), cutoff)
    .where({ id: current.id, version: current.version })
    .update({ ...toRow(patch), version: current.version + 1 });
  if (updated === 1) await refreshReportFacts(trx, tables, [current.id]); // the report's summary row, in this transaction
  return updated === 1;
}

/** The duplicates merged into this complaint (first 100, oldest first). */
export async function listMergedInto(db: Db, tables: TableNames, survivorId: number): Promise<Complaint[]> {
  const rows = (await db(tables.complaints).where({ merged_into_id: survivorId }).orderBy('id').limit(100)) as ComplaintRow[];
  return rows.map(rowToComplaint);
}

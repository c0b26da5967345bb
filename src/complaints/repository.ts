// Rows ↔ Complaint objects, and the one guarded write every change goes through: UPDATE … WHERE id AND
// version, bumping the version, so a stale read can never overwrite a newer change.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { fromDbTime, requireDbTime, toDbTime } from '../db/time.js';
import type { Complaint, ComplaintLink, FollowUp } from './types.js';

type Kind = 'string' | 'int' | 'bool' | 'date' | 'hostId';

/** Every Complaint field, its column and how its value travels. */
const FIELDS: { [K in keyof Complaint]-?: [column: string, kind: Kind] } = {
  id: ['id', 'int'],
  code: ['code', 'string'],
  version: ['version', 'int'],
  state: ['state', 'string'],
  unitId: ['unit_id', 'hostId'],
  unitLabel: ['unit_label', 'string'],
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
  resolvedAt: ['resolved_at', 'date'],
  resolvedBy: ['resolved_by', 'string'],
  followUpDueAt: ['follow_up_due_at', 'date'],
  closedAt: ['closed_at', 'date'],
  cancelKind: ['cancel_kind', 'string'],
  cancelReason: ['cancel_reason', 'string'],
  cancelledAt: ['cancelled_at', 'date'],
  parentId: ['parent_id', 'int'],
  repeatOfId: ['repeat_of_id', 'int'],
  escalatedAt: ['escalated_at', 'date'],
  escalationReason: ['escalation_reason', 'string'],
  originalReceivedAt: ['original_received_at', 'date'],
  replyDueAt: ['reply_due_at', 'date'],
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

function fromColumn(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'int':
      return Number(value);
    case 'bool':
      return Boolean(Number(value));
    case 'date':
      return requireDbTime(value as string);
    case 'hostId':
      // Integer host keys come back as numbers; the domain speaks of host ids as text.
      return String(value);
    default:
      return String(value);
  }
}

function toColumn(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'date') return toDbTime(value as Date);
  if (kind === 'bool') return value ? 1 : 0;
  return value;
}

export function rowToComplaint(row: Record<string, unknown>): Complaint {
  const out: Record<string, unknown> = {};
  for (const [field, [column, kind]] of Object.entries(FIELDS)) out[field] = fromColumn(kind, row[column]);
  return out as unknown as Complaint;
}

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
export async function findComplaint(db: Knex | Knex.Transaction, tables: TableNames, id: number, options: { lock?: boolean } = {}): Promise<Complaint | null> {
  const query = db(tables.complaints).where({ id }).first();
  const row = (await (options.lock ? query.forUpdate() : query)) as Record<string, unknown> | undefined;
  return row ? rowToComplaint(row) : null;
}

export async function insertComplaint(trx: Knex.Transaction, tables: TableNames, complaint: Omit<Complaint, 'id'>, idempotency: { key: string; hash: string } | null): Promise<number> {
  const row = { ...toRow(complaint as Partial<Complaint>), idempotency_key: idempotency?.key ?? null, idempotency_hash: idempotency?.hash ?? null };
  const [id] = (await trx(tables.complaints).insert(row)) as number[];
  return Number(id);
}

/** Applies the patch only if nobody changed the row since `expectedVersion`; returns whether it did. */
export async function updateIfVersion(trx: Knex.Transaction, tables: TableNames, id: number, expectedVersion: number, patch: Partial<Complaint>): Promise<boolean> {
  const updated = await trx(tables.complaints)
    .where({ id, version: expectedVersion })
    .update({ ...toRow(patch), version: expectedVersion + 1 });
  return updated === 1;
}

export function toLink(c: Complaint): ComplaintLink {
  return { id: c.id, code: c.code, state: c.state, severity: c.severity, receivedAt: c.receivedAt };
}

export function rowToFollowUp(row: Record<string, unknown>): FollowUp {
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

export async function listFollowUps(db: Knex, tables: TableNames, complaintId: number): Promise<FollowUp[]> {
  const rows = (await db(tables.followUps).where({ complaint_id: complaintId }).orderBy('id')) as Array<Record<string, unknown>>;
  return rows.map(rowToFollowUp);
}

// The owner tables (owner_links, owner_ratings) and the link secret kept in our meta table, so every
// instance signs and checks links alike without configuration.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { fromDbTime, requireDbTime, toDbTime } from '../db/time.js';
import { refreshReportFacts } from '../reports/summaryStore.js';

type Db = Knex | Knex.Transaction;

export interface OwnerLink {
  complaintId: number;
  nonce: string;
  noticesOptOut: boolean;
  issuedAt: Date;
  issuedBy: string;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export interface OwnerRating {
  complaintId: number;
  stars: number;
  comment: string | null;
  rehandle: boolean;
  continuationId: number | null;
  source: 'link' | 'app';
  ownerId: string | null;
  ratedAt: Date;
  seenAt: Date | null;
}

const SECRET_KEY = 'owner_link_secret';

const known = new WeakMap<Knex, Map<string, string>>();

/** The secret the status links are signed with: made once (the first instance to ask wins), then read (and kept). */
export async function linkSecret(db: Knex, tables: TableNames, via: Db = db): Promise<string> {
  const byTable = known.get(db) ?? new Map<string, string>();
  known.set(db, byTable);
  const cached = byTable.get(tables.meta);
  if (cached) return cached;
  const value = await readOrMakeSecret(via, tables);
  byTable.set(tables.meta, value);
  return value;
}

async function readOrMakeSecret(db: Db, tables: TableNames): Promise<string> {
  const row = (await db(tables.meta).where({ key: SECRET_KEY }).first('value')) as { value: string } | undefined;
  if (row) return row.value;
  try {
    await db(tables.meta).insert({ key: SECRET_KEY, value: randomBytes(32).toString('base64url') });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  const made = (await db(tables.meta).where({ key: SECRET_KEY }).first('value')) as { value: string };
  return made.value;
}

function linkFromRow(row: Record<string, unknown>): OwnerLink {
  return {
    complaintId: Number(row.complaint_id),
    nonce: String(row.nonce),
    noticesOptOut: Boolean(Number(row.notices_opt_out)),
    issuedAt: requireDbTime(row.issued_at as string),
    issuedBy: String(row.issued_by),
    revokedAt: fromDbTime(row.revoked_at as string | null),
    revokedBy: (row.revoked_by as string | null) ?? null,
  };
}

export async function findLink(db: Db, tables: TableNames, complaintId: number): Promise<OwnerLink | null> {
  const row = (await db(tables.ownerLinks).where({ complaint_id: complaintId }).first()) as Record<string, unknown> | undefined;
  return row ? linkFromRow(row) : null;
}

export async function findLinkByNonce(db: Db, tables: TableNames, nonce: string): Promise<OwnerLink | null> {
  const row = (await db(tables.ownerLinks).where({ nonce }).first()) as Record<string, unknown> | undefined;
  return row ? linkFromRow(row) : null;
}

/** Inserts the complaint's link, or gives it a new nonce (re-issue after a revocation). */
export async function saveLink(trx: Db, tables: TableNames, complaintId: number, nonce: string, by: string, at: Date): Promise<void> {
  const updated = await trx(tables.ownerLinks)
    .where({ complaint_id: complaintId })
    .update({ nonce, issued_at: toDbTime(at), issued_by: by, revoked_at: null, revoked_by: null });
  if (!updated) await trx(tables.ownerLinks).insert({ complaint_id: complaintId, nonce, notices_opt_out: 0, issued_at: toDbTime(at), issued_by: by });
}

/** Withdraws the link; false when it was already withdrawn. */
export async function revokeLink(trx: Db, tables: TableNames, complaintId: number, by: string, at: Date): Promise<boolean> {
  const n = await trx(tables.ownerLinks)
    .where({ complaint_id: complaintId })
    .whereNull('revoked_at')
    .update({ revoked_at: toDbTime(at), revoked_by: by });
  return n === 1;
}

export async function setNoticesOptOut(trx: Db, tables: TableNames, complaintId: number, optOut: boolean): Promise<boolean> {
  const n = await trx(tables.ownerLinks)
    .where({ complaint_id: complaintId, notices_opt_out: optOut ? 0 : 1 })
    .update({ notices_opt_out: optOut ? 1 : 0 });
  return n === 1;
}

function ratingFromRow(row: Record<string, unknown>): OwnerRating {
  return {
    complaintId: Number(row.complaint_id),
    stars: Number(row.stars),
    comment: (row.comment as string | null) ?? null,
    rehandle: Boolean(Number(row.rehandle)),
    continuationId: row.continuation_id === null || row.continuation_id === undefined ? null : Number(row.continuation_id),
    source: row.source as 'link' | 'app',
    ownerId: (row.owner_id as string | null) ?? null,
    ratedAt: requireDbTime(row.rated_at as string),
    seenAt: fromDbTime(row.seen_at as string | null),
  };
}

export async function findRating(db: Db, tables: TableNames, complaintId: number): Promise<OwnerRating | null> {
  const row = (await db(tables.ownerRatings).where({ complaint_id: complaintId }).first()) as Record<string, unknown> | undefined;
  return row ? ratingFromRow(row) : null;
}

/** One rating per complaint: the primary key refuses a second (a duplicate-key error the caller turns into a message). */
export async function insertRating(trx: Db, tables: TableNames, rating: OwnerRating): Promise<void> {
  await trx(tables.ownerRatings).insert({
    complaint_id: rating.complaintId,
    stars: rating.stars,
    comment: rating.comment,
    rehandle: rating.rehandle ? 1 : 0,
    continuation_id: rating.continuationId,
    source: rating.source,
    owner_id: rating.ownerId,
    rated_at: toDbTime(rating.ratedAt),
    seen_at: null,
  });
  await refreshReportFacts(trx, tables, [rating.complaintId]); // the report's summary row, in this transaction
}

export async function markRatingSeen(trx: Db, tables: TableNames, complaintId: number, at: Date): Promise<boolean> {
  return (
    (await trx(tables.ownerRatings)
      .where({ complaint_id: complaintId })
      .whereNull('seen_at')
      .update({ seen_at: toDbTime(at) })) === 1
  );
}

/** Low ratings (1–2 stars) no supervisor has marked as seen, newest first, within the communities given (null: all). */
export async function unseenLowRatings(
  db: Db,
  tables: TableNames,
  communityIds: string[] | null,
  limit = 50,
): Promise<Array<{ complaintId: number; code: string; unitLabel: string; stars: number; comment: string | null; ratedAt: Date; state: string }>> {
  const q = db(`${tables.ownerRatings} as r`)
    .join(`${tables.complaints} as c`, 'c.id', 'r.complaint_id')
    .where('r.stars', '<=', 2)
    .whereNull('r.seen_at')
    .select('r.complaint_id', 'c.code', 'c.unit_label', 'r.stars', 'r.comment', 'r.rated_at', 'c.state')
    .orderBy('r.rated_at', 'desc')
    .limit(limit);
  if (communityIds !== null) q.where((w) => w.whereIn('c.community_id', communityIds).orWhereNull('c.community_id'));
  const rows = (await q) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    complaintId: Number(r.complaint_id),
    code: String(r.code),
    unitLabel: String(r.unit_label),
    stars: Number(r.stars),
    comment: (r.comment as string | null) ?? null,
    ratedAt: requireDbTime(r.rated_at as string),
    state: String(r.state),
  }));
}

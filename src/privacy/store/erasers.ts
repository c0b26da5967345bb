// Personal-data erasers: each knows one place where a complaint's personal data lives and replaces or
// removes it, keeping what reports and reconciliation read (codes, categories, dates, states, amounts,
// references, the audit of money decisions). The retention job and an owner's erasure request run the
// same list, so a new place holding personal data (attachments, owner ratings) is one more entry in
// PERSONAL_DATA_ERASERS and nothing else changes. Every eraser is idempotent: it only touches rows that
// still hold personal data, and count() says how many that is (the dry run).
import type { Knex } from 'knex';
import type { Actor } from '../../auth/actor.js';
import { recordEvent } from '../../common/events.js';
import type { TableNames } from '../../db/tables.js';
import { toDbTime } from '../../db/time.js';

/** What replaces a name or a free text. */
export const ANONYMISED = '已匿名 / anonymised';

type Db = Knex | Knex.Transaction;

export interface EraseScope {
  trx: Knex.Transaction;
  tables: TableNames;
  complaintIds: number[];
  now: Date;
  actor: Actor;
  /** Why (retention or an owner's request), written on each complaint's timeline. */
  reason: string;
}

export interface PersonalDataEraser {
  /** Shown in the dry run and the audit: the table (or store) it clears. */
  name: string;
  /**
   * personal: due personalDataYears after the complaint ended; accounting: due accountingYears after
   * (money records: only their free text; amounts and references stay for ever).
   */
  retention: 'personal' | 'accounting';
  /** How many rows of these complaints still hold personal data: what erase() would change. */
  count(db: Db, tables: TableNames, complaintIds: number[]): Promise<number>;
  /** Replaces or removes them; returns the rows changed. */
  erase(scope: EraseScope): Promise<number>;
}

/** CASE WHEN col IS NULL THEN NULL ELSE '已匿名' END: a NULL stays NULL (nothing was said). */
function anonymisedUnlessNull(db: Db, column: string): Knex.Raw {
  return db.raw('CASE WHEN ?? IS NULL THEN NULL ELSE ? END', [column, ANONYMISED]);
}

/** Rows whose column holds text other than the placeholder. */
function holdsText(b: Knex.QueryBuilder, columns: string[]): void {
  for (const c of columns) b.orWhere((w) => w.whereNotNull(c).whereNot(c, ANONYMISED));
}

/** The complaint columns that hold free text (what the owner said, what staff wrote about them). */
export const COMPLAINT_TEXT_COLUMNS = [
  'description',
  'expectation',
  'findings',
  'plan_measures',
  'resolution_reply',
  'resolution_basis',
  'cancel_reason',
  'escalation_reason',
] as const;

/** Complaint fields (as the audit trail names them) whose before/after values are personal data. */
export const PERSONAL_FIELDS = new Set([
  'complainantName',
  'complainantPhone',
  'ownerId',
  'ownerName',
  'description',
  'expectation',
  'findings',
  'planMeasures',
  'resolutionReply',
  'resolutionBasis',
  'cancelReason',
  'escalationReason',
]);

/** The complaint row: names, contact number, the owner's id and name, free text. Marks anonymised_at and writes one timeline event each. */
export const complaintEraser: PersonalDataEraser = {
  name: 'complaints',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.complaints).whereIn('id', ids).whereNull('anonymised_at').count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds, now, actor, reason }) {
    if (!complaintIds.length) return 0;
    const due = (
      (await trx(tables.complaints).select('id', 'state', 'version').whereIn('id', complaintIds).whereNull('anonymised_at').orderBy('id')) as Array<{
        id: number | string;
        state: string;
        version: number | string;
      }>
    ).map((r) => ({ id: Number(r.id), state: r.state, version: Number(r.version) }));
    let changed = 0;
    for (const c of due) {
      const text = Object.fromEntries(COMPLAINT_TEXT_COLUMNS.map((col) => [col, anonymisedUnlessNull(trx, col)]));
      // Conditional on the version read: a change in between is simply picked up by the next run.
      const n = await trx(tables.complaints)
        .where({ id: c.id, version: c.version })
        .whereNull('anonymised_at')
        .update({
          ...text,
          description: ANONYMISED,
          complainant_name: ANONYMISED,
          complainant_phone: '',
          owner_id: null,
          owner_name: null,
          anonymised_at: toDbTime(now),
          version: c.version + 1,
          updated_at: toDbTime(now),
          updated_by: actor.id,
          updated_by_name: actor.name,
        });
      if (n !== 1) continue;
      changed++;
      await recordEvent(trx, tables, {
        entityType: 'complaint',
        entityId: c.id,
        complaintId: c.id,
        action: 'anonymise',
        fromState: c.state,
        toState: c.state,
        actor,
        at: now,
        note: reason,
      });
    }
    return changed;
  },
};

/** Follow-up visits: what the complainant said and the visitor's note. Satisfied or not and the rating stay (reports count them). */
export const followUpEraser: PersonalDataEraser = {
  name: 'follow_ups',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.followUps)
      .whereIn('complaint_id', ids)
      .where((b) => holdsText(b, ['complainant_words', 'note']))
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds }) {
    if (!complaintIds.length) return 0;
    return trx(tables.followUps)
      .whereIn('complaint_id', complaintIds)
      .where((b) => holdsText(b, ['complainant_words', 'note']))
      .update({ complainant_words: anonymisedUnlessNull(trx, 'complainant_words'), note: anonymisedUnlessNull(trx, 'note') });
  },
};

/** The redacted copy of an event's changes: personal fields keep their name, lose their values. */
export function redactChanges(changes: Record<string, [unknown, unknown]> | null): Record<string, [unknown, unknown]> | null {
  if (!changes) return null;
  const out: Record<string, [unknown, unknown]> = {};
  for (const [field, [before, after]] of Object.entries(changes)) {
    out[field] = PERSONAL_FIELDS.has(field) ? [before === null ? null : ANONYMISED, after === null ? null : ANONYMISED] : [before, after];
  }
  return out;
}

/**
 * The complaint's own audit events: their notes and the personal fields of their changes. Who did what
 * and when, and the states, stay; events of offsets and compensations (money decisions) are not touched.
 * The trail's trigger lets an event be redacted once, together with redacted_at.
 */
export const complaintEventEraser: PersonalDataEraser = {
  name: 'events',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.events)
      .where({ entity_type: 'complaint' })
      .whereIn('complaint_id', ids)
      .whereNull('redacted_at')
      .whereNot('action', 'anonymise')
      .where((b) => b.whereNotNull('note').orWhereNotNull('changes'))
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds, now }) {
    if (!complaintIds.length) return 0;
    const rows = (await trx(tables.events)
      .select('id', 'note', 'changes')
      .where({ entity_type: 'complaint' })
      .whereIn('complaint_id', complaintIds)
      .whereNull('redacted_at')
      .whereNot('action', 'anonymise')
      .where((b) => b.whereNotNull('note').orWhereNotNull('changes'))
      .orderBy('id')) as Array<{ id: number | string; note: string | null; changes: string | null }>;
    let changed = 0;
    for (const r of rows) {
      const changes = r.changes ? redactChanges(JSON.parse(r.changes) as Record<string, [unknown, unknown]>) : null;
      changed += await trx(tables.events)
        .where({ id: Number(r.id) })
        .whereNull('redacted_at')
        .update({ note: r.note === null ? null : ANONYMISED, changes: changes ? JSON.stringify(changes) : null, redacted_at: toDbTime(now) });
    }
    return changed;
  },
};

/**
 * Delivered notices about the complaint (the purge job would remove them anyway). Undelivered ones stay:
 * the host has not acknowledged them, and they carry the code and masked data only.
 */
export const outboxEraser: PersonalDataEraser = {
  name: 'outbox',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.outbox).whereIn('complaint_id', ids).whereNotNull('delivered_at').count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds }) {
    if (!complaintIds.length) return 0;
    return trx(tables.outbox).whereIn('complaint_id', complaintIds).whereNotNull('delivered_at').del();
  },
};

/** Offsets: the request's reason and the decision notes. Amounts, states, bills, the owner's host id (the billing rule's guard) and every audit event stay. */
export const offsetTextEraser: PersonalDataEraser = {
  name: 'offsets',
  retention: 'accounting',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.offsets)
      .whereIn('complaint_id', ids)
      .where((b) => holdsText(b, ['reason', 'decision_note', 'revoke_note']))
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds }) {
    if (!complaintIds.length) return 0;
    return trx(tables.offsets)
      .whereIn('complaint_id', complaintIds)
      .where((b) => holdsText(b, ['reason', 'decision_note', 'revoke_note']))
      .update({ reason: ANONYMISED, decision_note: anonymisedUnlessNull(trx, 'decision_note'), revoke_note: anonymisedUnlessNull(trx, 'revoke_note') });
  },
};

/** Compensation records: the free-text note. Payer, amount, date, method and reference (claim or transfer number) stay. */
export const compensationTextEraser: PersonalDataEraser = {
  name: 'compensations',
  retention: 'accounting',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.compensations)
      .whereIn('complaint_id', ids)
      .where((b) => holdsText(b, ['note']))
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds }) {
    if (!complaintIds.length) return 0;
    return trx(tables.compensations)
      .whereIn('complaint_id', complaintIds)
      .where((b) => holdsText(b, ['note']))
      .update({ note: ANONYMISED });
  },
};

/** Owner ratings: the owner's comment and their host id; the stars stay (the report counts them). */
export const ownerRatingEraser: PersonalDataEraser = {
  name: 'owner_ratings',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.ownerRatings)
      .whereIn('complaint_id', ids)
      .where((b) => {
        holdsText(b, ['comment']);
        b.orWhereNotNull('owner_id');
      })
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds }) {
    if (!complaintIds.length) return 0;
    return trx(tables.ownerRatings)
      .whereIn('complaint_id', complaintIds)
      .where((b) => {
        holdsText(b, ['comment']);
        b.orWhereNotNull('owner_id');
      })
      .update({ comment: anonymisedUnlessNull(trx, 'comment'), owner_id: null });
  },
};

/**
 * Attachments (photos of a home, inspection records): the bytes kept in our tables are deleted and the
 * row is marked removed with its file name replaced; size, kind, step and dates stay. Files in a
 * directory store are deleted by the attachment store, not here (this runs inside the transaction):
 * such rows are marked removed and `complaints privacy retention` lists them.
 */
export const attachmentEraser: PersonalDataEraser = {
  name: 'attachments',
  retention: 'personal',
  async count(db, tables, ids) {
    if (!ids.length) return 0;
    const row = (await db(tables.attachments).whereIn('complaint_id', ids).whereNot('file_name', ANONYMISED).count({ n: '*' }).first()) as {
      n: number | string;
    };
    return Number(row.n);
  },
  async erase({ trx, tables, complaintIds, now, actor, reason }) {
    if (!complaintIds.length) return 0;
    const due = trx(tables.attachments).whereIn('complaint_id', complaintIds).whereNot('file_name', ANONYMISED);
    const keys = ((await due.clone().where('storage', 'database').select('storage_key')) as Array<{ storage_key: string }>).map((r) => r.storage_key);
    for (let i = 0; i < keys.length; i += 500)
      await trx(tables.attachmentBlobs)
        .whereIn('blob_key', keys.slice(i, i + 500))
        .del();
    return due.clone().update({
      file_name: ANONYMISED,
      removed_at: trx.raw('COALESCE(removed_at, ?)', [toDbTime(now)]),
      removed_by: trx.raw('COALESCE(removed_by, ?)', [actor.id]),
      removed_by_name: trx.raw('COALESCE(removed_by_name, ?)', [actor.name]),
      removed_reason: trx.raw('COALESCE(removed_reason, ?)', [reason.slice(0, 500)]),
    });
  },
};

/**
 * Every place personal data is erased from, in order (the complaint row last: its timeline event says
 * the rest is done). A new place holding personal data adds its eraser here.
 */
export const PERSONAL_DATA_ERASERS: readonly PersonalDataEraser[] = [
  followUpEraser,
  complaintEventEraser,
  outboxEraser,
  ownerRatingEraser,
  attachmentEraser,
  offsetTextEraser,
  compensationTextEraser,
  complaintEraser,
];

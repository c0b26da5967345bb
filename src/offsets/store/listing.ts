// The offsets domain's read queries for people: the approval queue and a complaint's offsets (paged,
// limited to the reader's communities), one offset with its complaint, and the applications on a bill.
import type { Knex } from 'knex';
import type { TableNames } from '../../db/tables.js';
import type { Offset, OffsetApplication, OffsetStatus } from '../model.js';
import { applicationFromRow, offsetFromRow, str, type ApplicationRow, type OffsetRow } from './rows.js';

type Db = Knex | Knex.Transaction;

/** An offset with the code and community of its complaint. */
export interface OffsetInComplaint {
  offset: Offset;
  complaintCode: string;
  communityId: string | null;
}

export interface OffsetFilter {
  status?: OffsetStatus;
  complaintId?: number;
  unitId?: string;
  /** null: every community; otherwise these, and complaints with none. */
  communityIds: string[] | null;
}

type JoinedRow = OffsetRow & { complaint_code: string; complaint_community_id: string | number | null };

function inComplaint(row: JoinedRow): OffsetInComplaint {
  return { offset: offsetFromRow(row), complaintCode: String(row.complaint_code), communityId: str(row.complaint_community_id) };
}

function joined(db: Db, tables: TableNames) {
  return db(`${tables.offsets} as o`).join(`${tables.complaints} as c`, 'c.id', 'o.complaint_id');
}

/** Newest first, one page, with the total matching the filter. */
export async function pageOfOffsets(
  db: Db,
  tables: TableNames,
  filter: OffsetFilter,
  page: number,
  perPage: number,
): Promise<{ items: OffsetInComplaint[]; total: number }> {
  const base = joined(db, tables);
  if (filter.status) base.where('o.status', filter.status);
  if (filter.complaintId) base.where('o.complaint_id', filter.complaintId);
  if (filter.unitId) base.where('o.unit_id', filter.unitId);
  const communities = filter.communityIds;
  if (communities !== null) {
    base.where((w) => {
      w.whereNull('c.community_id');
      if (communities.length) w.orWhereIn('c.community_id', communities);
    });
  }
  const [countRow] = (await base.clone().count({ n: '*' })) as Array<{ n: number | string }>;
  const rows = (await base
    .clone()
    .select('o.*', 'c.code as complaint_code', 'c.community_id as complaint_community_id')
    .orderBy('o.id', 'desc')
    .limit(perPage)
    .offset((page - 1) * perPage)) as JoinedRow[];
  return { items: rows.map(inComplaint), total: Number(countRow?.n ?? 0) };
}

export async function offsetInComplaint(db: Db, tables: TableNames, id: number): Promise<OffsetInComplaint | null> {
  const row = (await joined(db, tables).select('o.*', 'c.code as complaint_code', 'c.community_id as complaint_community_id').where('o.id', id).first()) as
    JoinedRow | undefined;
  return row ? inComplaint(row) : null;
}

/** An application with the complaint its offset came from. */
export interface ApplicationInComplaint {
  application: OffsetApplication;
  complaintId: number;
  complaintCode: string;
  communityId: string | null;
}

/** Every application (applied or reversed) on a bill, oldest first: one query, whatever the number of offsets. */
export async function applicationsOnBill(db: Db, tables: TableNames, billId: string): Promise<ApplicationInComplaint[]> {
  const rows = (await db(`${tables.offsetApplications} as a`)
    .join(`${tables.offsets} as o`, 'o.id', 'a.offset_id')
    .join(`${tables.complaints} as c`, 'c.id', 'o.complaint_id')
    .select('a.*', 'o.complaint_id as complaint_id', 'c.code as complaint_code', 'c.community_id as complaint_community_id')
    .where('a.bill_id', billId)
    .orderBy('a.id')) as Array<ApplicationRow & { complaint_id: number; complaint_code: string; complaint_community_id: string | number | null }>;
  return rows.map((r) => ({
    application: applicationFromRow(r),
    complaintId: Number(r.complaint_id),
    complaintCode: String(r.complaint_code),
    communityId: str(r.complaint_community_id),
  }));
}

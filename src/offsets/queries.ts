// Reading offsets for people: one offset with its bill limits, applications and audit trail; lists for
// the approval queue and a complaint's page; the approved offsets a cashier could use on a bill.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, hasPermission, requirePermission } from '../auth/permissions.js';
import { NotFoundError } from '../common/errors.js';
import { listEvents, type AuditEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import type { PluginContext } from '../common/context.js';
import { billVisibleTo, identityRefusal, loadOffsetsWithLimits, needsUnitOwners, ownersLookup } from './billingCheck.js';
import { applicationFromRow, effectiveStatus, offsetFromRow, type Offset, type OffsetApplication, type OffsetStatus } from './model.js';
import { validateListOffsets, type ListOffsetsQuery } from './schemas.js';
import { localDate } from '../calendar/zoned.js';

export type { ListOffsetsQuery } from './schemas.js';

export interface OffsetListItem extends Offset {
  complaintCode: string;
  /** As a reader should see it: approved or requested past the date counts as expired. */
  effectiveStatus: OffsetStatus;
}

export interface OffsetDetail {
  offset: OffsetListItem;
  billIds: string[] | null;
  applications: OffsetApplication[];
  events: AuditEvent[];
}

type Row = Record<string, unknown>;

function listItem(row: Row, today: string): OffsetListItem {
  const offset = offsetFromRow(row);
  return { ...offset, complaintCode: String(row.complaint_code), effectiveStatus: effectiveStatus(offset, today) };
}

async function today(ctx: PluginContext): Promise<string> {
  return localDate(ctx.clock.now(), (await ctx.settings.get()).timezone);
}

/** Offsets the actor may see (their communities), newest first, paged. */
export async function listOffsets(ctx: PluginContext, query: ListOffsetsQuery, actor: Actor): Promise<{ items: OffsetListItem[]; total: number; page: number; perPage: number }> {
  requirePermission(actor, 'complaint.view');
  const q = validateListOffsets(structuredClone(query ?? {}));
  const page = q.page ?? 1;
  const perPage = q.perPage ?? 50;
  const base = ctx.db(`${ctx.tables.offsets} as o`).join(`${ctx.tables.complaints} as c`, 'c.id', 'o.complaint_id');
  if (q.status) base.where('o.status', q.status);
  if (q.complaintId) base.where('o.complaint_id', q.complaintId);
  if (q.unitId) base.where('o.unit_id', q.unitId);
  if (actor.communityIds !== null) {
    const communities = actor.communityIds;
    base.where((w) => {
      w.whereNull('c.community_id');
      if (communities.length) w.orWhereIn('c.community_id', communities);
    });
  }
  const [countRow] = (await base.clone().count({ n: '*' })) as Array<{ n: number | string }>;
  const rows = (await base
    .clone()
    .select('o.*', 'c.code as complaint_code')
    .orderBy('o.id', 'desc')
    .limit(perPage)
    .offset((page - 1) * perPage)) as Row[];
  const day = await today(ctx);
  return { items: rows.map((r) => listItem(r, day)), total: Number(countRow?.n ?? 0), page, perPage };
}

export async function getOffsetDetail(ctx: PluginContext, id: number, actor: Actor): Promise<OffsetDetail> {
  requirePermission(actor, 'complaint.view');
  const row = (await ctx
    .db(`${ctx.tables.offsets} as o`)
    .join(`${ctx.tables.complaints} as c`, 'c.id', 'o.complaint_id')
    .select('o.*', 'c.code as complaint_code', 'c.community_id as complaint_community_id')
    .where('o.id', id)
    .first()) as Row | undefined;
  const communityId = row?.complaint_community_id === null || row?.complaint_community_id === undefined ? null : String(row.complaint_community_id);
  if (!row || !canSeeCommunity(actor, communityId)) throw new NotFoundError(msg(`抵扣 #${id} 不存在`, `Offset #${id} does not exist`));
  const [limits, applications, events] = await Promise.all([
    ctx.db(ctx.tables.offsetBills).select('bill_id').where({ offset_id: id }).orderBy('bill_id') as Promise<Row[]>,
    ctx.db(ctx.tables.offsetApplications).where({ offset_id: id }).orderBy('id') as Promise<Row[]>,
    listEvents(ctx.db, ctx.tables, 'offset', id),
  ]);
  return {
    offset: listItem(row, await today(ctx)),
    billIds: limits.length ? limits.map((r) => String(r.bill_id)) : null,
    applications: applications.map(applicationFromRow),
    events,
  };
}

/**
 * Approved offsets with something left that could be used on this bill now (the cashier's choices).
 * With an actor, a bill outside their communities has none.
 */
export async function applicableOffsets(ctx: PluginContext, billId: string, actor?: Actor): Promise<Offset[]> {
  const bill = await ctx.host.getBill(billId);
  // A paid bill takes no offset, whatever is approved.
  if (!bill || !bill.unpaid || !(await billVisibleTo(ctx, actor, billId))) return [];
  const ids = ((await ctx.db(ctx.tables.offsets).select('id').where({ unit_id: bill.unitId, status: 'approved' }).andWhere('remaining_fen', '>', 0)) as Row[]).map((r) => Number(r.id));
  if (!ids.length) return [];
  const entries = await loadOffsetsWithLimits(ctx.db, ctx, ids);
  const needOwners = [...entries.values()].some((e) => needsUnitOwners(e.offset, bill));
  const owners = needOwners ? await ownersLookup(ctx.host)([bill.unitId]) : new Map<string, string[]>();
  const day = await today(ctx);
  return [...entries.values()].filter((e) => identityRefusal(e, bill, owners, day) === null).map((e) => e.offset).sort((a, b) => a.id - b.id);
}

/** One application of an offset to a bill, with the complaint the offset came from. */
export interface BillApplication extends OffsetApplication {
  complaintId: number;
  complaintCode: string;
}

/**
 * Every application (applied or reversed) made on a host bill, oldest first, limited to the actor's
 * communities: one query, whatever the number of offsets the unit has.
 */
export async function applicationsForBill(ctx: PluginContext, billId: string, actor: Actor): Promise<BillApplication[]> {
  if (!hasPermission(actor, 'offset.apply')) requirePermission(actor, 'report.view');
  const { offsetApplications, offsets, complaints } = ctx.tables;
  // Applications are stored under the host's own key of the bill.
  billId = (await ctx.host.getBill(billId))?.id ?? billId;
  const rows = (await ctx
    .db(`${offsetApplications} as a`)
    .join(`${offsets} as o`, 'o.id', 'a.offset_id')
    .join(`${complaints} as c`, 'c.id', 'o.complaint_id')
    .select('a.*', 'o.complaint_id as complaint_id', 'c.code as complaint_code', 'c.community_id as complaint_community_id')
    .where('a.bill_id', billId)
    .orderBy('a.id')) as Row[];
  return rows
    .filter((r) => canSeeCommunity(actor, r.complaint_community_id === null || r.complaint_community_id === undefined ? null : String(r.complaint_community_id)))
    .map((r) => ({ ...applicationFromRow(r), complaintId: Number(r.complaint_id), complaintCode: String(r.complaint_code) }));
}

// Reading offsets for people: one offset with its bill limits, applications and audit trail; lists for
// the approval queue and a complaint's page; the approved offsets a cashier could use on a bill.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, hasPermission, requirePermission } from '../auth/permissions.js';
import { NotFoundError } from '../common/errors.js';
import { listEvents, type AuditEvent } from '../common/events.js';
import { offsetNotFound } from './messages.js';
import type { PluginContext } from '../common/context.js';
import { billVisibleTo, identityRefusal, needsUnitOwners, ownersLookup } from './billingCheck.js';
import { effectiveStatus, type Offset, type OffsetApplication, type OffsetStatus } from './model.js';
import { applicationsOfOffset } from './store/applicationStore.js';
import { applicationsOnBill, offsetInComplaint, pageOfOffsets, type OffsetInComplaint } from './store/listing.js';
import { billLimitsOf, offsetsWithLimits, usableOffsetIdsOfUnit } from './store/offsetStore.js';
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

function listItem({ offset, complaintCode }: OffsetInComplaint, today: string): OffsetListItem {
  return { ...offset, complaintCode, effectiveStatus: effectiveStatus(offset, today) };
}

async function today(ctx: PluginContext): Promise<string> {
  return localDate(ctx.clock.now(), (await ctx.settings.get()).timezone);
}

/** Offsets the actor may see (their communities), newest first, paged. */
export async function listOffsets(
  ctx: PluginContext,
  query: ListOffsetsQuery,
  actor: Actor,
): Promise<{ items: OffsetListItem[]; total: number; page: number; perPage: number }> {
  requirePermission(actor, 'complaint.view');
  const q = validateListOffsets(structuredClone(query ?? {}));
  const page = q.page ?? 1;
  const perPage = q.perPage ?? 50;
  const filter = { status: q.status as OffsetStatus | undefined, complaintId: q.complaintId, unitId: q.unitId, communityIds: actor.communityIds };
  const { items, total } = await pageOfOffsets(ctx.db, ctx.tables, filter, page, perPage);
  const day = await today(ctx);
  return { items: items.map((item) => listItem(item, day)), total, page, perPage };
}

export async function getOffsetDetail(ctx: PluginContext, id: number, actor: Actor): Promise<OffsetDetail> {
  requirePermission(actor, 'complaint.view');
  const found = await offsetInComplaint(ctx.db, ctx.tables, id);
  if (!found || !canSeeCommunity(actor, found.communityId)) throw new NotFoundError(offsetNotFound(id));
  const [limits, applications, events] = await Promise.all([
    billLimitsOf(ctx.db, ctx.tables, id),
    applicationsOfOffset(ctx.db, ctx.tables, id),
    listEvents(ctx.db, ctx.tables, 'offset', id),
  ]);
  return {
    offset: listItem(found, await today(ctx)),
    billIds: limits.length ? limits : null,
    applications,
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
  const ids = await usableOffsetIdsOfUnit(ctx.db, ctx.tables, bill.unitId);
  if (!ids.length) return [];
  const entries = await offsetsWithLimits(ctx.db, ctx.tables, ids);
  const needOwners = [...entries.values()].some((e) => needsUnitOwners(e.offset, bill));
  const owners = needOwners ? await ownersLookup(ctx.host)([bill.unitId]) : new Map<string, string[]>();
  const day = await today(ctx);
  return [...entries.values()]
    .filter((e) => identityRefusal(e, bill, owners, day) === null)
    .map((e) => e.offset)
    .sort((a, b) => a.id - b.id);
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
  // Applications are stored under the host's own key of the bill.
  const key = (await ctx.host.getBill(billId))?.id ?? billId;
  return (await applicationsOnBill(ctx.db, ctx.tables, key))
    .filter((r) => canSeeCommunity(actor, r.communityId))
    .map((r) => ({ ...r.application, complaintId: r.complaintId, complaintCode: r.complaintCode }));
}

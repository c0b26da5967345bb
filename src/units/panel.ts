// What the counter sees of a unit before registering a complaint (the intake page's unit panel): the unit
// with its live owners, its open and latest complaints, and its unpaid bills (the cashier's unit view: the
// unit and its bills). ONE statement where the host reader offers its two reads as parts
// (HostReader.unitPanelReads) and ours joins them (src/db/shapedReads.ts): the page sent three, in two
// round trips one after the other, and leaving one of them out saved about 0.15 ms of Node CPU and as much
// of MariaDB's per page under 50 connections (issue 20, bench/README.md). Otherwise the unit first, then
// the complaints and the bills side by side. Either way the unit must be in the reader's communities; what
// was read with it is dropped when it is not.
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, hasPermission } from '../auth/permissions.js';
import type { PluginContext } from '../common/context.js';
import { unitComplaints, unitComplaintsRead, type UnitComplaints } from '../complaints/store/listing.js';
import { readShapedTogether } from '../db/shapedReads.js';
import type { HostBill, HostUnit } from '../host/reader.js';

export interface UnitPanelLimits {
  bills: number;
  /** The open and latest complaints to read (for readers who may see complaints); none when absent. */
  complaints?: { open: number; recent: number };
}

export interface UnitPanelData extends UnitComplaints {
  unit: HostUnit;
  bills: HostBill[];
}

const NONE: UnitComplaints = { open: [], recent: [] };

/** The unit's panel, or null when the unit is missing or outside the actor's communities. */
export async function readUnitPanel(ctx: PluginContext, actor: Actor, unitId: string, limits: UnitPanelLimits): Promise<UnitPanelData | null> {
  const mayList = hasPermission(actor, 'complaint.view');
  const hostReads = await ctx.host.unitPanelReads?.(unitId, limits.bills);
  const complaintsRead = mayList && limits.complaints ? unitComplaintsRead(ctx.db, ctx.tables, actor, unitId, limits.complaints) : null;
  if (hostReads) {
    const [unitRead, bills, complaints] = complaintsRead
      ? await readShapedTogether(ctx.db, [hostReads.unit, hostReads.bills, complaintsRead] as const)
      : [...(await readShapedTogether(ctx.db, [hostReads.unit, hostReads.bills] as const)), NONE];
    const unit = await unitRead;
    if (!unit || !canSeeCommunity(actor, unit.communityId)) return null;
    // Found under another spelling of its key ('r1' for 'R1', where the host's collation says they are
    // one): the rest is read again by the unit's own key, as the other path reads it.
    return unit.id === unitId ? { unit, bills, ...complaints } : withUnit(ctx, actor, unit, mayList, limits);
  }
  const unit = await ctx.host.getUnit(unitId);
  if (!unit || !canSeeCommunity(actor, unit.communityId)) return null;
  return withUnit(ctx, actor, unit, mayList, limits);
}

async function withUnit(ctx: PluginContext, actor: Actor, unit: HostUnit, mayList: boolean, limits: UnitPanelLimits): Promise<UnitPanelData> {
  const [complaints, bills] = await Promise.all([
    mayList && limits.complaints ? unitComplaints(ctx.db, ctx.tables, actor, unit.id, limits.complaints) : NONE,
    ctx.host.listUnpaidBills(unit.id, limits.bills),
  ]);
  return { unit, bills, ...complaints };
}

// Finding units for an ERP's own screens: by room label, owner name, phone or its last four digits, in
// the searcher's communities only, and never more than a page: the host reads go through the gateway
// (HostReader.searchUnits), which bounds every query it makes.
import type { Actor } from '../auth/actor.js';
import type { HostUnit } from '../host/reader.js';
import type { PluginContext } from '../common/context.js';
import { requireUnitLookup, validateUnitSearch } from './schemas.js';

export interface UnitSearchResult {
  query: string;
  units: HostUnit[];
  /** More units match than were returned: the searcher should type more. */
  more: boolean;
}

export async function searchUnits(ctx: Pick<PluginContext, 'host'>, input: Record<string, unknown>, actor: Actor): Promise<UnitSearchResult> {
  requireUnitLookup(actor);
  const { q, limit } = validateUnitSearch(input);
  // One more than asked says whether there are more.
  const found = await ctx.host.searchUnits(q, { communityIds: actor.communityIds, limit: limit + 1 });
  return { query: q, units: found.slice(0, limit), more: found.length > limit };
}

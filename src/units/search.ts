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

/** The most units a page search looks through; past it, the count reads "more than 200" and asks for more typing. */
export const UNIT_PAGE_SCAN_MAX = 200;
export const UNIT_PAGE_SIZE = 20;

export interface UnitSearchPage {
  units: HostUnit[];
  /** How many units match, up to UNIT_PAGE_SCAN_MAX. */
  total: number;
  /** More than UNIT_PAGE_SCAN_MAX match: total is a floor, and the searcher should type more. */
  capped: boolean;
  page: number;
  pages: number;
  pageSize: number;
}

/**
 * One page of a unit search for the staff pages (intake, cashier): the count of matches and the page
 * asked for. The host reader bounds each read, so the matches are read up to UNIT_PAGE_SCAN_MAX once
 * (a community's few hundred rooms) and paged here; a search that matches more says so.
 */
export async function searchUnitPage(
  host: Pick<PluginContext['host'], 'searchUnits'>,
  q: string,
  communityIds: string[] | null,
  page = 1,
  pageSize = UNIT_PAGE_SIZE,
): Promise<UnitSearchPage> {
  const text = q.trim();
  if (!text) return { units: [], total: 0, capped: false, page: 1, pages: 0, pageSize };
  const found = await host.searchUnits(text, { communityIds, limit: UNIT_PAGE_SCAN_MAX + 1 });
  const capped = found.length > UNIT_PAGE_SCAN_MAX;
  const all = found.slice(0, UNIT_PAGE_SCAN_MAX);
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  const at = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { units: all.slice((at - 1) * pageSize, at * pageSize), total: all.length, capped, page: at, pages, pageSize };
}

// The staff directory complaints are dispatched from (派单). Two sources, decided by the mapping:
// - the host's user table, when the mapping has the optional `staff` entity (name, mobile, department,
//   communities): the ERP is the authority, so an id it does not list cannot be assigned;
// - otherwise the people the auth adapter has seen sign in, with the roles and communities they came
//   with: those whose roles may handle a job (complaint.handle). Someone not seen yet (a new engineer)
//   may still be assigned through the API with a name, as before the directory existed.
// Either way a person is offered for a complaint only if they may see its community.
import type { Actor } from '../auth/actor.js';
import { hasPermission } from '../auth/permissions.js';
import type { PluginContext } from '../common/context.js';
import { fieldError, type FieldError } from '../common/errors.js';
import type { HostStaff } from '../host/reader.js';
import { findSeen, listSeen, upsertSeen } from './store.js';

export interface StaffMember {
  id: string;
  name: string;
  mobile: string | null;
  department: string | null;
  /** Community ids the person works in; null: every community. */
  communityIds: string[] | null;
  source: 'host' | 'seen';
}

const HOST_CACHE_MS = 60_000;
const SEEN_REFRESH_MS = 10 * 60_000;
const MAX_STAFF = 5000;

const hostCache = new WeakMap<object, { at: number; staff: Promise<HostStaff[]> }>();
const lastRecorded = new WeakMap<object, Map<string, { at: number; key: string }>>();

export function usesHostStaff(ctx: Pick<PluginContext, 'mapping' | 'host'>): boolean {
  return !!ctx.mapping.staff && typeof ctx.host.listStaff === 'function';
}

async function hostStaff(ctx: Pick<PluginContext, 'host'>): Promise<HostStaff[]> {
  const now = Date.now();
  const cached = hostCache.get(ctx.host);
  if (cached && now - cached.at < HOST_CACHE_MS) return cached.staff;
  const staff = ctx.host.listStaff!(MAX_STAFF);
  staff.catch(() => hostCache.delete(ctx.host));
  hostCache.set(ctx.host, { at: now, staff });
  return staff;
}

export function maySeeCommunity(person: Pick<StaffMember, 'communityIds'>, communityId: string | null): boolean {
  return communityId === null || person.communityIds === null || person.communityIds.includes(communityId);
}

/** Everyone in the directory who may see `communityId` (null: any), matching `q` in name, mobile or id. */
export async function searchStaff(
  ctx: Pick<PluginContext, 'db' | 'tables' | 'mapping' | 'host'>,
  opts: { q?: string; communityId?: string | null; limit?: number } = {},
): Promise<StaffMember[]> {
  const all: StaffMember[] = usesHostStaff(ctx)
    ? (await hostStaff(ctx)).map((s) => ({ ...s, source: 'host' as const }))
    : (await listSeen(ctx.db, ctx.tables, MAX_STAFF))
        .filter((p) => hasPermission({ id: p.id, name: p.name, roles: p.roles, communityIds: p.communityIds }, 'complaint.handle'))
        .map((p) => ({ id: p.id, name: p.name, mobile: null, department: null, communityIds: p.communityIds, source: 'seen' as const }));
  const q = opts.q?.trim().toLowerCase();
  const communityId = opts.communityId ?? null;
  return all
    .filter((s) => maySeeCommunity(s, communityId))
    .filter((s) => !q || s.name.toLowerCase().includes(q) || s.id.toLowerCase().includes(q) || (s.mobile ?? '').includes(q))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id))
    .slice(0, opts.limit ?? 200);
}

export async function findStaff(ctx: Pick<PluginContext, 'db' | 'tables' | 'mapping' | 'host'>, id: string): Promise<StaffMember | null> {
  if (usesHostStaff(ctx)) {
    const s = (await hostStaff(ctx)).find((p) => p.id === id);
    return s ? { ...s, source: 'host' } : null;
  }
  const p = await findSeen(ctx.db, ctx.tables, id);
  return p ? { id: p.id, name: p.name, mobile: null, department: null, communityIds: p.communityIds, source: 'seen' } : null;
}

/**
 * The handler named by an assignment, checked against the directory: their name as the directory has
 * it, or a field error saying why they cannot take this complaint. Without a host staff table an id never
 * seen is accepted with the name given (the API's way before the directory).
 */
export async function resolveAssignee(
  ctx: Pick<PluginContext, 'db' | 'tables' | 'mapping' | 'host'>,
  assigneeId: string,
  givenName: string | undefined,
  communityId: string | null,
): Promise<{ name: string } | { error: FieldError }> {
  const person = await findStaff(ctx, assigneeId);
  if (!person) {
    if (!usesHostStaff(ctx) && givenName) return { name: givenName };
    return {
      error: fieldError(
        'assigneeId',
        `员工名录中没有编号为“${assigneeId}”的人员，请从名录中选择处理人`,
        `The staff directory has nobody with the id "${assigneeId}"; pick the handler from the directory`,
      ),
    };
  }
  if (!maySeeCommunity(person, communityId)) {
    return {
      error: fieldError(
        'assigneeId',
        `${person.name} 无权查看该投诉所在的小区，不能派给他/她`,
        `${person.name} may not see this complaint's community and cannot be assigned to it`,
      ),
    };
  }
  return { name: person.name };
}

/**
 * Remembers who signed in (the directory without a host staff table). Written at most every ten minutes
 * per person and process, or at once when their name, roles or communities changed.
 */
export async function recordSignedIn(ctx: Pick<PluginContext, 'db' | 'tables' | 'clock'>, actor: Actor): Promise<void> {
  if (actor.id === 'system') return;
  let seen = lastRecorded.get(ctx.db);
  if (!seen) lastRecorded.set(ctx.db, (seen = new Map()));
  const key = JSON.stringify([actor.name, actor.roles, actor.communityIds]);
  const now = ctx.clock.now();
  const last = seen.get(actor.id);
  if (last && last.key === key && Math.abs(now.getTime() - last.at) < SEEN_REFRESH_MS) return;
  await upsertSeen(ctx.db, ctx.tables, actor, now);
  seen.set(actor.id, { at: now.getTime(), key });
}

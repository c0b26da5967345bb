// Incidents (事件 / 群诉): one event that many owners complain about (a lift outage brings forty complaints).
// The incident groups them: a step (investigate, assess, plan, reply) is taken for all its open complaints
// at once, each complaint through its own guarded transition in its own transaction (its version, its
// rules, its audit event, its notices: the service reads settings outside its transaction, which on
// SQLite's single connection cannot nest), so each still has its own timeline and owner; complaints a
// step does not apply to are listed with the reason, not forced, and running the step again takes up
// only what is left. Each owner is followed up on their own
// complaint. New complaints join while the incident is open; a closed incident takes no more.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, DomainError, NotFoundError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg, type Localized } from '../common/localized.js';
import { compileValidator } from '../common/validation.js';
import type { PluginContext } from '../common/context.js';
import { toDbTime, requireDbTime, fromDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { applyChange } from './changes.js';
import { visibleOrNotFound } from './scope.js';
import { OPEN_STATES, RULES, type Action } from './states.js';
import { findComplaint, rowToComplaint, type ComplaintRow } from './store/complaints.js';
import type { Complaint } from './types.js';

/** What kind of event an incident is (事件类型). */
export const INCIDENT_KINDS = ['power', 'water', 'lift', 'flood', 'gas', 'other'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const INCIDENT_KIND_LABELS: Record<IncidentKind, Localized> = {
  power: msg('停电', 'Power cut'),
  water: msg('停水', 'Water cut'),
  lift: msg('电梯故障', 'Lift failure'),
  flood: msg('水浸 / 漏水', 'Flood or leak'),
  gas: msg('燃气', 'Gas'),
  other: msg('其他', 'Other'),
};

export interface Incident {
  id: number;
  version: number;
  state: 'open' | 'closed';
  communityId: string | null;
  /** Null for incidents opened before kinds were recorded. */
  kind: IncidentKind | null;
  /** The building when the event is one building's (3号楼), else null. */
  building: string | null;
  title: string;
  description: string | null;
  createdAt: Date;
  createdBy: string;
  createdByName: string;
  closedAt: Date | null;
}

export const createIncidentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
    description: { type: 'string', maxLength: 2000 },
    communityId: { type: 'string', minLength: 1, maxLength: 64 },
    kind: { type: 'string', enum: [...INCIDENT_KINDS] },
    building: { type: 'string', minLength: 1, maxLength: 64, pattern: '\\S' },
  },
} as const;
const validateCreate = compileValidator<{ title: string; description?: string; communityId?: string; kind?: IncidentKind; building?: string }>(
  createIncidentSchema,
);

/** The steps taken for the whole incident; follow-up visits stay one by one. */
export const GROUP_ACTIONS = ['start-investigation', 'assess', 'plan', 'resolve'] as const;
export type GroupAction = (typeof GROUP_ACTIONS)[number];

export interface GroupResult {
  incident: Incident;
  /** Complaints the step was taken on, as they are now. */
  done: Complaint[];
  /** Complaints it does not apply to (already past it, closed, …), with why. */
  skipped: Array<{ id: number; code: string; reason: Localized }>;
}

function rowToIncident(r: Record<string, unknown>): Incident {
  return {
    id: Number(r.id),
    version: Number(r.version),
    state: String(r.state) as Incident['state'],
    communityId: r.community_id === null || r.community_id === undefined ? null : String(r.community_id),
    kind: (r.kind as IncidentKind | null | undefined) ?? null,
    building: (r.building as string | null | undefined) ?? null,
    title: String(r.title),
    description: (r.description as string | null) ?? null,
    createdAt: requireDbTime(r.created_at as string),
    createdBy: String(r.created_by),
    createdByName: String(r.created_by_name),
    closedAt: fromDbTime(r.closed_at as string | null),
  };
}

type Db = Knex | Knex.Transaction;

async function findIncident(db: Db, ctx: PluginContext, id: number, actor: Actor): Promise<Incident> {
  const row = (await db(ctx.tables.incidents).where({ id }).first()) as Record<string, unknown> | undefined;
  const incident = row ? rowToIncident(row) : null;
  if (!incident || !canSeeCommunity(actor, incident.communityId)) throw new NotFoundError(msg('事件不存在', 'Incident not found'));
  return incident;
}

async function membersOf(db: Db, ctx: PluginContext, incidentId: number): Promise<Complaint[]> {
  const rows = (await db(ctx.tables.complaints).where({ incident_id: incidentId }).orderBy('id')) as ComplaintRow[];
  return rows.map(rowToComplaint);
}

export function createIncidentService(ctx: PluginContext, transition: (id: number, action: string, input: unknown, actor: Actor) => Promise<Complaint>) {
  return {
    async create(raw: unknown, actor: Actor): Promise<Incident> {
      requirePermission(actor, 'complaint.assess');
      const input = validateCreate(raw);
      if (input.communityId !== undefined && !canSeeCommunity(actor, input.communityId)) {
        throw new ValidationError([fieldError('communityId', '小区不存在或不在您负责的范围', 'No such community, or it is outside your communities')]);
      }
      const now = ctx.clock.now();
      return inTransaction(ctx.db, async (trx) => {
        const [id] = (await trx(ctx.tables.incidents).insert({
          version: 1,
          state: 'open',
          community_id: input.communityId ?? null,
          kind: input.kind ?? null,
          building: input.building ?? null,
          title: input.title,
          description: input.description ?? null,
          created_at: toDbTime(now),
          created_by: actor.id,
          created_by_name: actor.name,
        })) as number[];
        await recordEvent(trx, ctx.tables, {
          entityType: 'incident',
          entityId: Number(id),
          action: 'create',
          toState: 'open',
          actor,
          at: now,
          note: input.title,
        });
        return findIncident(trx, ctx, Number(id), actor);
      });
    },

    async get(id: number, actor: Actor): Promise<{ incident: Incident; complaints: Complaint[] }> {
      requirePermission(actor, 'complaint.view');
      const incident = await findIncident(ctx.db, ctx, id, actor);
      return { incident, complaints: await membersOf(ctx.db, ctx, id) };
    },

    /** Incidents in the actor's communities, newest first, with how many complaints each holds (open ones by default). */
    async list(actor: Actor, options: { state?: Incident['state'] } = {}): Promise<Array<Incident & { complaints: number }>> {
      requirePermission(actor, 'complaint.view');
      const q = ctx.db(ctx.tables.incidents).orderBy('id', 'desc').limit(200);
      if (options.state) q.where({ state: options.state });
      // An incident without a community is seen by everyone who may see complaints (as findIncident says).
      if (actor.communityIds !== null) q.where((w) => w.whereNull('community_id').orWhereIn('community_id', actor.communityIds!));
      const incidents = ((await q) as Array<Record<string, unknown>>).map(rowToIncident);
      if (incidents.length === 0) return [];
      const counts = (await ctx
        .db(ctx.tables.complaints)
        .whereIn(
          'incident_id',
          incidents.map((i) => i.id),
        )
        .groupBy('incident_id')
        .select('incident_id', ctx.db.raw('COUNT(*) AS n'))) as Array<{ incident_id: number; n: number | string }>;
      const n = new Map(counts.map((c) => [Number(c.incident_id), Number(c.n)]));
      return incidents.map((i) => ({ ...i, complaints: n.get(i.id) ?? 0 }));
    },

    /** Adds an open complaint of the incident's community (not in another incident) while the incident is open. */
    async join(id: number, complaintId: number, actor: Actor): Promise<Complaint> {
      requirePermission(actor, 'complaint.assess');
      return inTransaction(ctx.db, async (trx) => {
        const incident = await findIncident(trx, ctx, id, actor);
        // Raising the incident's version makes a join conflict with a concurrent close (on any node).
        const bumped = await trx(ctx.tables.incidents)
          .where({ id, version: incident.version, state: 'open' })
          .update({ version: incident.version + 1 });
        if (bumped !== 1) throw new ConflictError('incident_closed', msg('事件已结束，不能再加入投诉', 'The incident is closed; no complaint can join it'));
        const c = visibleOrNotFound(actor, await findComplaint(trx, ctx.tables, complaintId, { lock: true }));
        if (!OPEN_STATES.includes(c.state))
          throw new ConflictError('complaint_not_open', msg(`投诉 ${c.code} 已结束，不能加入事件`, `Complaint ${c.code} is closed; it cannot join`));
        if (c.incidentId)
          throw new ConflictError(
            'already_in_incident',
            msg(`投诉 ${c.code} 已属于事件 #${c.incidentId}`, `Complaint ${c.code} already belongs to incident #${c.incidentId}`),
          );
        if (incident.communityId !== null && c.communityId !== incident.communityId) {
          throw new ValidationError([fieldError('complaintId', '只能加入同一小区的投诉', 'Only complaints of the incident’s community can join')]);
        }
        const now = ctx.clock.now();
        const settings = await ctx.settings.readWithin(trx);
        return applyChange(
          trx,
          ctx.tables,
          c,
          { incidentId: id },
          { action: 'join_incident', actor, now, timeZone: settings.timezone, note: `并入事件 #${id}：${incident.title}` },
        );
      });
    },

    /** Takes one step for every open complaint of the incident at once (follow-ups stay one by one). */
    async act(id: number, action: string, raw: unknown, actor: Actor): Promise<GroupResult> {
      if (!(GROUP_ACTIONS as readonly string[]).includes(action)) {
        throw new NotFoundError(
          msg(`事件没有名为“${action}”的统一操作（回访请逐户进行）`, `An incident has no group action "${action}" (follow-ups are one by one)`),
        );
      }
      const rule = RULES[action as Action];
      requirePermission(actor, rule.permission);
      const input = (raw ?? {}) as Record<string, unknown>;
      if ('version' in input)
        throw new ValidationError([
          fieldError(
            'version',
            '事件统一操作不带 version：每件投诉按其当前版本处理',
            'A group action takes no version: each complaint is taken at its current one',
          ),
        ]);
      const incident = await inTransaction(ctx.db, async (trx) => {
        const found = await findIncident(trx, ctx, id, actor);
        const bumped = await trx(ctx.tables.incidents)
          .where({ id, version: found.version })
          .update({ version: found.version + 1 });
        if (bumped !== 1)
          throw new ConflictError('stale_version', msg('事件刚被他人修改，请刷新后重试', 'The incident was just changed; reload and try again'));
        return { ...found, version: found.version + 1 };
      });
      const done: Complaint[] = [];
      const skipped: GroupResult['skipped'] = [];
      for (const c of await membersOf(ctx.db, ctx, id)) {
        if (!rule.from.includes(c.state)) {
          skipped.push({ id: c.id, code: c.code, reason: msg('当前状态不适用', 'Not in a state this step applies to') });
          continue;
        }
        try {
          done.push(await transition(c.id, action, { ...input, version: c.version }, actor));
        } catch (err) {
          // A refusal for this complaint alone (409: changed meanwhile, or its own rules): listed, the others
          // go on. Bad input (400) would fail every one: it stops the step at the first.
          if (err instanceof DomainError && err.status === 409) skipped.push({ id: c.id, code: c.code, reason: err.localized });
          else throw err;
        }
      }
      await recordEvent(ctx.db, ctx.tables, {
        entityType: 'incident',
        entityId: id,
        action: `group_${action}`,
        actor,
        at: ctx.clock.now(),
        note: `${done.length} 件已${rule.label['zh-CN']}，${skipped.length} 件不适用 / ${done.length} done, ${skipped.length} skipped`,
      });
      return { incident, done, skipped };
    },

    /** Ends the incident: no more complaints join; each complaint closes with its own follow-up visit. */
    async close(id: number, version: number, actor: Actor): Promise<Incident> {
      requirePermission(actor, 'complaint.assess');
      return inTransaction(ctx.db, async (trx) => {
        const incident = await findIncident(trx, ctx, id, actor);
        const now = ctx.clock.now();
        const closed = await trx(ctx.tables.incidents)
          .where({ id, version, state: 'open' })
          .update({ version: version + 1, state: 'closed', closed_at: toDbTime(now) });
        if (closed !== 1) throw new ConflictError('stale_version', msg('事件已结束或刚被他人修改', 'The incident is closed or was just changed'));
        await recordEvent(trx, ctx.tables, { entityType: 'incident', entityId: id, action: 'close', fromState: 'open', toState: 'closed', actor, at: now });
        return { ...incident, version: version + 1, state: 'closed', closedAt: now };
      });
    },
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;

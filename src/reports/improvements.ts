// The improvement register (总结改进): from any figure of the report (a category, a unit, a building, a
// community) the company records an action: what, who, due date, status. Its effect is measured from the
// complaints themselves: in that scope, complaints and repeat complaints (二次投诉) received in the N days
// after the day it took effect against the N days before, with the counts behind each figure; an after-
// window not over yet is said to be partial. Cancelled and merged complaints are not counted.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, NotFoundError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { compileValidator } from '../common/validation.js';
import type { PluginContext } from '../common/context.js';
import { localDate, nextDay, startOfZonedDay } from '../calendar/zoned.js';
import { toDbTime, requireDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { scopeToActor } from '../complaints/store/scoping.js';

export const SCOPE_KINDS = ['category', 'unit', 'building', 'community'] as const;
export const ACTION_STATUSES = ['planned', 'in_progress', 'done', 'dropped'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];
export type ActionStatus = (typeof ACTION_STATUSES)[number];

const date = { type: 'string', format: 'date', maxLength: 10 } as const;
export const recordActionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['scopeKind', 'scopeValue', 'what', 'ownerName', 'dueOn'],
  properties: {
    scopeKind: { type: 'string', enum: [...SCOPE_KINDS] },
    scopeValue: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
    communityId: { type: 'string', minLength: 1, maxLength: 64 },
    what: { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S' },
    ownerName: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
    dueOn: date,
    takenOn: date,
    status: { type: 'string', enum: [...ACTION_STATUSES], default: 'planned' },
  },
} as const;
interface RecordInput {
  scopeKind: ScopeKind;
  scopeValue: string;
  communityId?: string;
  what: string;
  ownerName: string;
  dueOn: string;
  takenOn?: string;
  status: ActionStatus;
}
const validateRecord = compileValidator<RecordInput>(recordActionSchema);

export interface ImprovementAction {
  id: number;
  version: number;
  scopeKind: ScopeKind;
  scopeValue: string;
  communityId: string | null;
  what: string;
  ownerName: string;
  dueOn: string;
  takenOn: string;
  status: ActionStatus;
  createdAt: Date;
  createdByName: string;
}

export interface Window {
  from: string;
  /** Last day included. */
  to: string;
  complaints: number;
  repeats: number;
}

export interface ImprovementEffect {
  days: number;
  before: Window;
  after: Window;
  /** False while the after-window has not ended yet (its counts are so far). */
  complete: boolean;
  /** after − before; null while not complete. */
  change: { complaints: number; repeats: number } | null;
}

const table = (ctx: PluginContext) => `${ctx.prefix}improvement_actions`;
const dayText = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

function fromRow(r: Record<string, unknown>): ImprovementAction {
  return {
    id: Number(r.id),
    version: Number(r.version),
    scopeKind: String(r.scope_kind) as ScopeKind,
    scopeValue: String(r.scope_value),
    communityId: r.community_id === null || r.community_id === undefined ? null : String(r.community_id),
    what: String(r.what),
    ownerName: String(r.owner_name),
    dueOn: dayText(r.due_on),
    takenOn: dayText(r.taken_on),
    status: String(r.status) as ActionStatus,
    createdAt: requireDbTime(r.created_at as string),
    createdByName: String(r.created_by_name),
  };
}

function addDays(day: string, n: number): string {
  let d = day;
  for (let i = 0; i < n; i++) d = nextDay(d);
  return d;
}
function minusDays(day: string, n: number): string {
  const t = new Date(`${day}T00:00:00Z`).getTime() - n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

export function createImprovementService(ctx: PluginContext) {
  const db = ctx.db;
  async function find(db: Knex | Knex.Transaction, id: number, actor: Actor): Promise<ImprovementAction> {
    const row = (await db(table(ctx)).where({ id }).first()) as Record<string, unknown> | undefined;
    const action = row ? fromRow(row) : null;
    if (!action || (action.communityId !== null && !canSeeCommunity(actor, action.communityId))) {
      throw new NotFoundError(msg('整改措施不存在', 'Improvement action not found'));
    }
    return action;
  }

  async function windowCounts(action: ImprovementAction, actor: Actor, from: string, toExclusive: string, timeZone: string): Promise<Window> {
    const q = scopeToActor(ctx.db(ctx.tables.complaints), actor)
      .where('received_at', '>=', toDbTime(startOfZonedDay(from, timeZone)))
      .where('received_at', '<', toDbTime(startOfZonedDay(toExclusive, timeZone)))
      .whereNotIn('state', ['cancelled', 'merged']);
    if (action.communityId !== null) q.where('community_id', action.communityId);
    if (action.scopeKind === 'category') q.where('category', action.scopeValue);
    if (action.scopeKind === 'unit') q.where('unit_id', action.scopeValue);
    if (action.scopeKind === 'community') q.where('community_id', action.scopeValue);
    if (action.scopeKind === 'building') {
      const prefix = `${action.scopeValue.replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
      q.where((w) => w.where('building', action.scopeValue).orWhereRaw(`unit_label LIKE ? ESCAPE '!'`, [prefix]));
    }
    const [row] = (await q.select(db.raw('COUNT(*) AS n'), db.raw('SUM(CASE WHEN repeat_of_id IS NOT NULL THEN 1 ELSE 0 END) AS r'))) as Array<{
      n: number | string;
      r: number | string | null;
    }>;
    return { from, to: minusDays(toExclusive, 1), complaints: Number(row?.n ?? 0), repeats: Number(row?.r ?? 0) };
  }

  return {
    async record(raw: unknown, actor: Actor): Promise<ImprovementAction> {
      requirePermission(actor, 'report.view');
      const input = validateRecord(raw);
      const settings = await ctx.settings.get();
      const now = ctx.clock.now();
      const communityId = input.scopeKind === 'community' ? input.scopeValue : (input.communityId ?? null);
      if (communityId !== null && !canSeeCommunity(actor, communityId)) {
        throw new ValidationError([fieldError('communityId', '小区不存在或不在您负责的范围', 'No such community, or it is outside your communities')]);
      }
      if (communityId === null && actor.communityIds !== null) {
        throw new ValidationError([fieldError('communityId', '请指定小区：您只负责部分小区', 'Name the community: you look after only some of them')]);
      }
      const takenOn = input.takenOn ?? localDate(now, settings.timezone);
      return inTransaction(db, async (trx) => {
        const [id] = (await trx(table(ctx)).insert({
          version: 1,
          scope_kind: input.scopeKind,
          scope_value: input.scopeValue,
          community_id: communityId,
          what: input.what,
          owner_name: input.ownerName,
          due_on: input.dueOn,
          taken_on: takenOn,
          status: input.status,
          created_at: toDbTime(now),
          created_by: actor.id,
          created_by_name: actor.name,
          updated_at: toDbTime(now),
        })) as number[];
        await recordEvent(trx, ctx.tables, {
          entityType: 'improvement',
          entityId: Number(id),
          action: 'create',
          toState: input.status,
          actor,
          at: now,
          note: `${input.scopeKind}=${input.scopeValue}：${input.what}（${input.ownerName}，${input.dueOn} 前）`,
        });
        return find(trx, Number(id), actor);
      });
    },

    async setStatus(id: number, input: { version: number; status: ActionStatus }, actor: Actor): Promise<ImprovementAction> {
      requirePermission(actor, 'report.view');
      if (!(ACTION_STATUSES as readonly string[]).includes(input.status)) {
        throw new ValidationError([
          fieldError('status', '状态须为 planned、in_progress、done 或 dropped', 'Status must be planned, in_progress, done or dropped'),
        ]);
      }
      return inTransaction(db, async (trx) => {
        const before = await find(trx, id, actor);
        const now = ctx.clock.now();
        const changed = await trx(table(ctx))
          .where({ id, version: input.version })
          .update({ status: input.status, version: input.version + 1, updated_at: toDbTime(now) });
        if (changed !== 1)
          throw new ConflictError('stale_version', msg('整改措施刚被他人修改，请刷新后重试', 'The action was just changed; reload and try again'));
        await recordEvent(trx, ctx.tables, {
          entityType: 'improvement',
          entityId: id,
          action: 'status',
          fromState: before.status,
          toState: input.status,
          actor,
          at: now,
        });
        return find(trx, id, actor);
      });
    },

    async list(actor: Actor): Promise<ImprovementAction[]> {
      requirePermission(actor, 'report.view');
      const q = db(table(ctx)).orderBy('id', 'desc').limit(200);
      if (actor.communityIds !== null) q.whereIn('community_id', actor.communityIds);
      return ((await q) as Array<Record<string, unknown>>).map(fromRow);
    },

    /** Complaints and repeats in the action's scope, the N days before the day it took effect against the N days from it. */
    async effect(id: number, days: number, actor: Actor): Promise<ImprovementEffect> {
      requirePermission(actor, 'report.view');
      if (!Number.isInteger(days) || days < 1 || days > 366) {
        throw new ValidationError([fieldError('days', '天数须为 1–366 的整数', 'Days must be a whole number from 1 to 366')]);
      }
      const action = await find(db, id, actor);
      const settings = await ctx.settings.get();
      const today = localDate(ctx.clock.now(), settings.timezone);
      const [before, after] = await Promise.all([
        windowCounts(action, actor, minusDays(action.takenOn, days), action.takenOn, settings.timezone),
        windowCounts(action, actor, action.takenOn, addDays(action.takenOn, days), settings.timezone),
      ]);
      const complete = after.to < today;
      return {
        days,
        before,
        after,
        complete,
        change: complete ? { complaints: after.complaints - before.complaints, repeats: after.repeats - before.repeats } : null,
      };
    },
  };
}

export type ImprovementService = ReturnType<typeof createImprovementService>;

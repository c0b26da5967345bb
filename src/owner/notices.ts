// Owner notices (业主通知): at receipt, reply, before the follow-up visit and at closure, a zh-CN text
// from the settings' templates with the status link goes to the outbox as an `owner.notice` event
// carrying the owner's mobile number, for the host to send by SMS or WeChat template message (we hold no
// SMS credentials). Written in the transaction of the change it announces, once per fact (dedupe key),
// and not at all when the owner was opted out on this complaint.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { enqueue } from '../notifications/outbox.js';
import type { Settings } from '../settings/settings.js';
import type { Complaint } from '../complaints/types.js';
import { STATE_LABELS } from '../complaints/states.js';
import { localDate } from '../calendar/zoned.js';
import type { PluginContext } from '../common/context.js';
import { findLink, linkSecret } from './store.js';
import { findComplaint } from '../complaints/store/complaints.js';
import { inTransaction } from '../db/transaction.js';
import { linkToken, statusUrl } from './links.js';

export type OwnerNoticeKind = 'received' | 'replied' | 'followUp' | 'closed';

export interface OwnerNoticeContext {
  settings: Settings;
  secret: string;
  /** The routes prefix, for a link when no public address is set. */
  routesPrefix: string;
  now: Date;
}

/** "12月8日 18:00": how a date reads in a short message. */
export function shortDate(at: Date, timeZone: string): string {
  const [, m, d] = localDate(at, timeZone).split('-').map(Number);
  return `${m}月${d}日`;
}

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(code|link|due|state)\}/g, (_, name: string) => values[name] ?? '');
}

/** Enqueues one owner notice (false: opted out, no link, or already sent for this fact). */
export async function enqueueOwnerNotice(
  trx: Knex | Knex.Transaction,
  tables: TableNames,
  c: Complaint,
  kind: OwnerNoticeKind,
  ctx: OwnerNoticeContext,
  due?: Date | null,
): Promise<boolean> {
  const link = await findLink(trx, tables, c.id);
  if (!link || link.noticesOptOut) return false;
  const url = link.revokedAt ? null : statusUrl(ctx.settings.ownerPublicBaseUrl ?? ctx.routesPrefix, linkToken(ctx.secret, c.id, link.nonce));
  const tz = ctx.settings.timezone;
  const dueAt = due ?? (kind === 'received' ? (c.replyDueAt ?? null) : kind === 'followUp' ? c.followUpDueAt : null);
  const text = fillTemplate(ctx.settings.ownerNoticeTemplates[kind], {
    code: c.code,
    link: url ?? '',
    due: dueAt ? shortDate(dueAt, tz) : '',
    state: STATE_LABELS[c.state]['zh-CN'],
  }).trim();
  return enqueue(
    trx,
    tables,
    'owner.notice',
    {
      complaintId: c.id,
      code: c.code,
      kind,
      state: c.state,
      mobile: c.complainantPhone,
      complainantName: c.complainantName,
      ownerId: c.ownerId,
      unitId: c.unitId,
      unitLabel: c.unitLabel,
      communityId: c.communityId,
      text,
      statusUrl: url,
      dueAt: dueAt?.toISOString() ?? null,
    },
    ctx.now,
    { dedupeKey: `owner.notice:${kind}:${c.id}${kind === 'followUp' && dueAt ? `:${dueAt.toISOString()}` : ''}` },
  );
}

/** What enqueueOwnerNotice needs, read before the transaction (the link secret is cached after the first read). */
export async function ownerNoticeContext(
  ctx: Pick<PluginContext, 'db' | 'tables' | 'clock' | 'routesPrefix'>,
  settings: Settings,
  trx?: Knex.Transaction,
): Promise<OwnerNoticeContext> {
  return { settings, secret: await linkSecret(ctx.db, ctx.tables, trx), routesPrefix: ctx.routesPrefix ?? '/complaints', now: ctx.clock.now() };
}

/**
 * Before the follow-up visit (the follow-ups job): one notice per complaint and follow-up deadline, for
 * those not yet told. Returns how many were written.
 */
export async function ownerFollowUpNotices(
  ctx: Pick<PluginContext, 'db' | 'tables' | 'clock' | 'routesPrefix'>,
  settings: Settings,
  due: Array<{ complaintId: number; dueAt: Date }>,
  now: Date,
): Promise<number> {
  if (!due.length) return 0;
  const keyOf = (d: { complaintId: number; dueAt: Date }) => `owner.notice:followUp:${d.complaintId}:${d.dueAt.toISOString()}`;
  const known = new Set<string>();
  for (let i = 0; i < due.length; i += 500) {
    const keys = due.slice(i, i + 500).map(keyOf);
    for (const k of (await ctx.db(ctx.tables.outbox).whereIn('dedupe_key', keys).pluck('dedupe_key')) as string[]) known.add(k);
  }
  const fresh = due.filter((d) => !known.has(keyOf(d)));
  if (!fresh.length) return 0;
  const notice = { ...(await ownerNoticeContext(ctx, settings)), now };
  let sent = 0;
  for (const d of fresh) {
    const c = await findComplaint(ctx.db, ctx.tables, d.complaintId);
    if (!c || c.state !== 'resolved') continue;
    if (await inTransaction(ctx.db, (trx) => enqueueOwnerNotice(trx, ctx.tables, c, 'followUp', notice, d.dueAt))) sent++;
  }
  return sent;
}

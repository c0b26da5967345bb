// A migrated database with a job context over it and a manual clock, plus rows the jobs act on,
// written directly (the jobs read the tables, not the complaint or offset services).
import type { Knex } from 'knex';
import type { ManualClock } from '../../src/clock.js';
import { isMysql } from '../../src/db/connection.js';
import { migrateLatest } from '../../src/db/migrations.js';
import { tableNames } from '../../src/db/tables.js';
import { toDbTime } from '../../src/db/time.js';
import type { HostKeyTypes } from '../../src/host/keyTypes.js';
import { insertComplaint } from '../../src/complaints/store.js';
import { UNSET } from '../../src/complaints/intake.js';
import type { Complaint } from '../../src/complaints/types.js';
import type { JobContext } from '../../src/jobs/types.js';
import { SettingsStore, type Settings } from '../../src/settings/settings.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';

export const PREFIX = 'cmp_';

/** Our migrations need host key types only for host-id columns; integer keys stand in for a host. */
export function integerHostKeys(db: Knex): HostKeyTypes {
  const key = { sqlType: isMysql(db) ? 'int' : 'INTEGER', kind: 'integer' as const };
  return { owner: key, unit: key, bill: key, community: key };
}

export async function migrate(db: Knex): Promise<void> {
  await migrateLatest(db, PREFIX, integerHostKeys(db));
}

export function jobContext(db: Knex, clock: ManualClock): JobContext {
  const tables = tableNames(PREFIX);
  return { db, tables, clock, settings: new SettingsStore(db, tables, clock) };
}

export async function setSettings(ctx: JobContext, patch: Partial<Settings>): Promise<void> {
  await ctx.settings.update(patch, SYSTEM_ACTOR);
}

let seq = 0;

/** A complaint with plausible defaults; pass what the test is about. */
export async function addComplaint(ctx: JobContext, fields: Partial<Complaint>): Promise<number> {
  const at = fields.receivedAt ?? ctx.clock.now();
  seq++;
  const complaint: Omit<Complaint, 'id'> = {
    code: `TS-20261001-${String(seq).padStart(4, '0')}-${Math.random().toString(36).slice(2, 6)}`,
    version: 1,
    state: 'received',
    unitId: String(100 + seq),
    unitLabel: `1-${seq}01`,
    ownerId: null,
    ownerName: null,
    communityId: '1',
    complainantName: '王女士',
    complainantPhone: '13800000000',
    complainantRelation: 'owner',
    channel: 'phone',
    category: 'facilities',
    description: '电梯反复停运',
    expectation: null,
    threatenedWithholding: false,
    receivedAt: at,
    receivedBy: 'u1',
    receivedByName: '前台',
    ...UNSET,
    repeatOfId: null,
    originalReceivedAt: at,
    dueAt: null,
    createdAt: at,
    createdBy: 'u1',
    updatedAt: at,
    updatedBy: 'u1',
    updatedByName: '前台',
    ...fields,
  };
  return ctx.db.transaction((trx) => insertComplaint(trx, ctx.tables, complaint, null));
}

export interface OffsetFields {
  status: string;
  expiresOn: string | null;
  requestedFen?: number;
  approvedFen?: number | null;
  remainingFen?: number;
}

export async function addOffset(ctx: JobContext, complaintId: number, f: OffsetFields): Promise<number> {
  const requested = f.requestedFen ?? 10000;
  const approved = f.approvedFen !== undefined ? f.approvedFen : f.status === 'requested' || f.status === 'rejected' ? null : requested;
  const now = toDbTime(ctx.clock.now());
  const [id] = await ctx.db(ctx.tables.offsets).insert({
    complaint_id: complaintId,
    unit_id: 101,
    owner_id: null,
    requested_fen: requested,
    approved_fen: approved,
    remaining_fen: f.remainingFen ?? approved ?? 0,
    status: f.status,
    reason: '阳台渗漏一个月',
    expires_on: f.expiresOn,
    requested_by: 'u1',
    requested_by_name: '前台',
    created_at: now,
    updated_at: now,
  });
  return Number(id);
}

export async function outboxRows(ctx: JobContext, topic?: string): Promise<Array<Record<string, unknown>>> {
  const q = ctx.db(ctx.tables.outbox).orderBy('id');
  return topic ? q.where({ topic }) : q;
}

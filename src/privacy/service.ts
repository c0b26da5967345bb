// The owner's personal information (PIPL): the full contact number behind an audited click, the owner's
// export and erasure on request, and the retention run. Built like the other services: a factory over
// the plugin context, arguments (subject, input, actor), every action recorded in the audit trail.
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import type { PluginContext } from '../common/context.js';
import { ConflictError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { OPEN_STATES } from '../complaints/states.js';
import { visibleOrNotFound } from '../complaints/scope.js';
import { findComplaint } from '../complaints/store/complaints.js';
import type { Complaint } from '../complaints/types.js';
import { inTransaction } from '../db/transaction.js';
import { runRetention, type RetentionReport } from './retention.js';
import { PERSONAL_DATA_ERASERS } from './store/erasers.js';
import { complaintsOfOwner, OWNER_EXPORT_SECTIONS } from './store/ownerData.js';

export const OWNER_EXPORT_FORMAT = 'complaints-owner-export/1';

export interface OwnerExport {
  format: typeof OWNER_EXPORT_FORMAT;
  ownerId: string;
  exportedAt: string;
  exportedBy: { id: string; name: string };
  /** What the owner told us and was told, per complaint (internal findings and plans are not theirs). */
  complaints: Array<Record<string, unknown>>;
  /** Section name → rows (followUps, offsets, compensations, notices; ratings and attachments when they exist). */
  [section: string]: unknown;
}

export interface AnonymiseOwnerResult {
  ownerId: string;
  complaints: string[];
  rows: Record<string, number>;
}

export interface PrivacyService {
  /** The complainant's full mobile number, for someone allowed to call owners; writes who, when, which complaint. */
  revealContact(id: number, actor: Actor): Promise<{ complaintId: number; code: string; phone: string }>;
  /** The retention run, or its dry run; administrators only. */
  retention(input: { dryRun: boolean }, actor: Actor): Promise<RetentionReport>;
  exportOwner(ownerId: string, actor: Actor): Promise<OwnerExport>;
  anonymiseOwner(ownerId: string, actor: Actor): Promise<AnonymiseOwnerResult>;
}

/** A host owner id as typed by an administrator. */
function ownerIdOf(raw: unknown): string {
  const id = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new ValidationError([
      fieldError(
        'ownerId',
        '请填写主系统中的业主编号（字母、数字、-、_，最多 64 位）',
        "Enter the owner's id in the host ERP (letters, digits, - or _, at most 64)",
      ),
    ]);
  }
  return id;
}

function ownerView(c: Complaint): Record<string, unknown> {
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  return {
    code: c.code,
    state: c.state,
    unitId: c.unitId,
    unitLabel: c.unitLabel,
    ownerName: c.ownerName,
    complainantName: c.complainantName,
    complainantPhone: c.complainantPhone,
    complainantRelation: c.complainantRelation,
    channel: c.channel,
    category: c.category,
    description: c.description,
    expectation: c.expectation,
    threatenedWithholding: c.threatenedWithholding,
    receivedAt: iso(c.receivedAt),
    resolutionReply: c.resolutionReply,
    resolutionBasis: c.resolutionBasis,
    resolvedAt: iso(c.resolvedAt),
    closedAt: iso(c.closedAt),
    cancelKind: c.cancelKind,
    cancelledAt: iso(c.cancelledAt),
  };
}

export function createPrivacyService(ctx: PluginContext): PrivacyService {
  return {
    async revealContact(id, actor) {
      requirePermission(actor, 'complaint.contact');
      const complaint = visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      const now = ctx.clock.now();
      await inTransaction(ctx.db, (trx) =>
        recordEvent(trx, ctx.tables, {
          entityType: 'complaint',
          entityId: id,
          complaintId: id,
          action: 'contact_revealed',
          fromState: complaint.state,
          toState: complaint.state,
          actor,
          at: now,
        }),
      );
      return { complaintId: id, code: complaint.code, phone: complaint.complainantPhone };
    },

    async retention(input, actor) {
      requirePermission(actor, 'admin.manage');
      return runRetention(ctx, { dryRun: input.dryRun, actor });
    },

    async exportOwner(rawOwnerId, actor) {
      requirePermission(actor, 'admin.manage');
      const ownerId = ownerIdOf(rawOwnerId);
      const now = ctx.clock.now();
      const complaints = await complaintsOfOwner(ctx.db, ctx.tables, ownerId);
      const result: OwnerExport = {
        format: OWNER_EXPORT_FORMAT,
        ownerId,
        exportedAt: now.toISOString(),
        exportedBy: { id: actor.id, name: actor.name },
        complaints: complaints.map(ownerView),
      };
      for (const section of OWNER_EXPORT_SECTIONS) result[section.name] = await section.collect(ctx.db, ctx.tables, complaints);
      await inTransaction(ctx.db, (trx) =>
        recordEvent(trx, ctx.tables, {
          entityType: 'privacy',
          entityId: 0,
          action: 'owner_exported',
          actor,
          at: now,
          note: JSON.stringify({ ownerId, complaints: complaints.map((c) => c.code) }),
        }),
      );
      return result;
    },

    async anonymiseOwner(rawOwnerId, actor) {
      requirePermission(actor, 'admin.manage');
      const ownerId = ownerIdOf(rawOwnerId);
      const now = ctx.clock.now();
      return inTransaction(ctx.db, async (trx) => {
        const complaints = await complaintsOfOwner(trx, ctx.tables, ownerId);
        const open = complaints.filter((c) => OPEN_STATES.includes(c.state));
        if (open.length) {
          const codes = open.map((c) => c.code).join(', ');
          throw new ConflictError(
            'complaints_open',
            msg(
              `该业主还有未结束的投诉（${codes}），请先处理完毕或撤销后再匿名化`,
              `The owner still has open complaints (${codes}); close or cancel them before anonymising`,
            ),
            { codes: open.map((c) => c.code) },
          );
        }
        const ids = complaints.map((c) => c.id);
        const rows: Record<string, number> = {};
        const reason = '业主申请删除个人信息，已匿名化 / Anonymised at the owner’s request';
        for (const e of PERSONAL_DATA_ERASERS) rows[e.name] = await e.erase({ trx, tables: ctx.tables, complaintIds: ids, now, actor, reason });
        await recordEvent(trx, ctx.tables, {
          entityType: 'privacy',
          entityId: 0,
          action: 'owner_anonymised',
          actor,
          at: now,
          note: JSON.stringify({ ownerId, complaints: complaints.map((c) => c.code), rows }),
        });
        return { ownerId, complaints: complaints.map((c) => c.code), rows };
      });
    },
  };
}

// The offsets domain bound to one plugin context: what the HTTP routes, the pages, the CLI and the
// billing hooks call. Each method is a thin pass-through to its module, so the modules stay testable alone.
import type { Actor } from '../auth/actor.js';
import type { PluginContext } from '../plugin/context.js';
import { applyOffset, reverseOffset, findApplications, type ApplyAnswer, type ApplyOffsetInput, type ReversalAnswer, type ReverseOffsetInput, type TrxOption } from './apply.js';
import { approveOffset, rejectOffset, revokeOffset, approvalLimitFen, type ApproveOffsetInput, type DecisionNoteInput } from './approvals.js';
import { checkBills, checkOffsets, type BillCheck, type BillCheckInput } from './billingCheck.js';
import type { Offset, OffsetApplication } from './model.js';
import { applicableOffsets, getOffsetDetail, listOffsets, type ListOffsetsQuery, type OffsetDetail, type OffsetListItem } from './queries.js';
import { reconcileOffsets, type ReconcileReport } from './reconcile.js';
import { raiseOffset, type RaiseOffsetInput } from './requests.js';

export interface OffsetService {
  raise(input: RaiseOffsetInput, actor: Actor): Promise<Offset>;
  approve(id: number, input: ApproveOffsetInput, actor: Actor): Promise<Offset>;
  reject(id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset>;
  revoke(id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset>;
  get(id: number, actor: Actor): Promise<OffsetDetail>;
  list(query: ListOffsetsQuery, actor: Actor): Promise<{ items: OffsetListItem[]; total: number; page: number; perPage: number }>;
  /** The largest amount (fen) this actor may approve: null unlimited, undefined none. */
  approvalLimitFen(actor: Actor): Promise<number | null | undefined>;
  applicable(billId: string): Promise<Offset[]>;
  check(input: BillCheckInput): Promise<BillCheck>;
  checkBills(batch: BillCheckInput[]): Promise<BillCheck[]>;
  apply(input: ApplyOffsetInput, actor: Actor, options?: TrxOption): Promise<ApplyAnswer>;
  reverse(input: ReverseOffsetInput, actor: Actor, options?: TrxOption): Promise<ReversalAnswer>;
  applications(keys: string[]): Promise<OffsetApplication[]>;
  reconcile(): Promise<ReconcileReport>;
}

export function createOffsetService(ctx: PluginContext): OffsetService {
  return {
    raise: (input, actor) => raiseOffset(ctx, input, actor),
    approve: (id, input, actor) => approveOffset(ctx, id, input, actor),
    reject: (id, input, actor) => rejectOffset(ctx, id, input, actor),
    revoke: (id, input, actor) => revokeOffset(ctx, id, input, actor),
    get: (id, actor) => getOffsetDetail(ctx, id, actor),
    list: (query, actor) => listOffsets(ctx, query, actor),
    approvalLimitFen: async (actor) => approvalLimitFen(actor, (await ctx.settings.get()).roleApprovalLimitsFen),
    applicable: (billId) => applicableOffsets(ctx, billId),
    check: (input) => checkOffsets(ctx, input),
    checkBills: (batch) => checkBills(ctx, batch),
    apply: (input, actor, options) => applyOffset(ctx, input, actor, options),
    reverse: (input, actor, options) => reverseOffset(ctx, input, actor, options),
    applications: (keys) => findApplications(ctx, keys),
    reconcile: () => reconcileOffsets(ctx),
  };
}

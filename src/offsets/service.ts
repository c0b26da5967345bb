// The offsets domain bound to one plugin context: what the HTTP routes, the pages, the CLI and the
// billing hooks call. Each method is a thin pass-through to its module, so the modules stay testable alone.
import type { Actor } from '../auth/actor.js';
import type { PluginContext } from '../common/context.js';
import {
  applyOffset,
  reverseOffset,
  findApplications,
  type ApplyAnswer,
  type ApplyOffsetInput,
  type ReversalAnswer,
  type ReverseOffsetInput,
  type TrxOption,
} from './apply.js';
import { approveOffset, rejectOffset, revokeOffset, approvalLimitFen, type ApproveOffsetInput, type DecisionNoteInput } from './approvals.js';
import { checkBills, checkOffsets, type BillCheck, type BillCheckInput } from './billingCheck.js';
import type { Offset, OffsetApplication } from './model.js';
import {
  applicableOffsets,
  applicationsForBill,
  getOffsetDetail,
  listOffsets,
  type BillApplication,
  type ListOffsetsQuery,
  type OffsetDetail,
  type OffsetListItem,
} from './queries.js';
import { reconcileOffsets, type ReconcileReport } from './reconcile.js';
import { raiseOffset, raiseOffsetOnce, type RaiseOffsetInput, type RaiseResult } from './requests.js';

export interface OffsetService {
  raise(input: RaiseOffsetInput, actor: Actor): Promise<Offset>;
  /** The same, saying whether this call made the offset or replayed an earlier one with the same idempotency key. */
  raiseOnce(input: RaiseOffsetInput, actor: Actor): Promise<RaiseResult>;
  approve(id: number, input: ApproveOffsetInput, actor: Actor): Promise<Offset>;
  reject(id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset>;
  revoke(id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset>;
  get(id: number, actor: Actor): Promise<OffsetDetail>;
  list(query: ListOffsetsQuery, actor: Actor): Promise<{ items: OffsetListItem[]; total: number; page: number; perPage: number }>;
  /** The largest amount (fen) this actor may approve: null unlimited, undefined none. */
  approvalLimitFen(actor: Actor): Promise<number | null | undefined>;
  /** With an actor, a bill outside their communities has none. */
  applicable(billId: string, actor?: Actor): Promise<Offset[]>;
  /** With an actor, a bill outside their communities is answered as not found. */
  check(input: BillCheckInput, actor?: Actor): Promise<BillCheck>;
  checkBills(batch: BillCheckInput[]): Promise<BillCheck[]>;
  apply(input: ApplyOffsetInput, actor: Actor, options?: TrxOption): Promise<ApplyAnswer>;
  reverse(input: ReverseOffsetInput, actor: Actor, options?: TrxOption): Promise<ReversalAnswer>;
  applications(keys: string[]): Promise<OffsetApplication[]>;
  /** Every application made on a host bill (applied or reversed), with its complaint, in the actor's communities. */
  applicationsForBill(billId: string, actor: Actor): Promise<BillApplication[]>;
  /** With an actor limited to some communities, only their offsets and bills. */
  reconcile(actor?: Actor): Promise<ReconcileReport>;
}

export function createOffsetService(ctx: PluginContext): OffsetService {
  return {
    raise: (input, actor) => raiseOffset(ctx, input, actor),
    raiseOnce: (input, actor) => raiseOffsetOnce(ctx, input, actor),
    approve: (id, input, actor) => approveOffset(ctx, id, input, actor),
    reject: (id, input, actor) => rejectOffset(ctx, id, input, actor),
    revoke: (id, input, actor) => revokeOffset(ctx, id, input, actor),
    get: (id, actor) => getOffsetDetail(ctx, id, actor),
    list: (query, actor) => listOffsets(ctx, query, actor),
    approvalLimitFen: async (actor) => approvalLimitFen(actor, (await ctx.settings.get()).roleApprovalLimitsFen),
    applicable: (billId, actor) => applicableOffsets(ctx, billId, actor),
    check: (input, actor) => checkOffsets(ctx, input, actor),
    checkBills: (batch) => checkBills(ctx, batch),
    apply: (input, actor, options) => applyOffset(ctx, input, actor, options),
    reverse: (input, actor, options) => reverseOffset(ctx, input, actor, options),
    applications: (keys) => findApplications(ctx, keys),
    applicationsForBill: (billId, actor) => applicationsForBill(ctx, billId, actor),
    reconcile: (actor) => reconcileOffsets(ctx, actor),
  };
}

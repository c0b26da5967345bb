// The in-process billing hooks for hosts written in Node (plugin.json: billing.checkOffsets,
// billing.applyOffset, billing.reverseOffset). The host calls them from its fee-collection code and may
// pass its own knex transaction, so the offset is consumed or restored together with the payment:
//
//   await knex.transaction(async (trx) => {
//     const paymentNo = nextPaymentNumber();
//     await complaints.billing.applyOffset({ offsetId, billId, amountFen, idempotencyKey: paymentNo }, cashier, { trx });
//     await insertPayment(trx, { paymentNo, billId, offsetAmount, offsetRef: paymentNo, … });
//   });
//
// Apply first, then write the payment: with the optional database guard (`install --enforce-offsets`)
// the host's payment table accepts a row carrying an offset only once its application exists.
// Inside the host's transaction nothing is retried: a deadlock (errno 1213, which is also how a Galera
// cluster reports a certification conflict at COMMIT) aborts the host's transaction, which the host must
// run again whole, payment included; the idempotency key makes that safe. Several offset lines on one bill
// inside one transaction are fine: the bill's ledger row is already the transaction's.
import type { Actor } from '../auth/actor.js';
import type { PluginContext } from '../common/context.js';
import type { ApplyAnswer, ApplyOffsetInput, ReversalAnswer, ReverseOffsetInput, TrxOption } from './apply.js';
import type { BillCheck, BillCheckInput } from './billingCheck.js';
import { createOffsetService } from './service.js';

/** The actor recorded for calls from the host's billing code when it names no cashier. */
export function billingActor(operator?: { id: string; name?: string }): Actor {
  return {
    id: operator?.id ?? 'billing',
    name: operator?.name ?? operator?.id ?? '收费系统 / Billing',
    roles: ['cashier'],
    communityIds: null,
  };
}

export interface BillingHooks {
  /** May these offsets reduce this bill? Read-only; complaints only warn. */
  checkOffsets(input: BillCheckInput): Promise<BillCheck>;
  /** The same for many bills at once, in a constant number of queries per thousand bills. */
  checkBills(batch: BillCheckInput[]): Promise<BillCheck[]>;
  /** Consumes an approved offset once per idempotency key (the host's payment id). */
  applyOffset(input: ApplyOffsetInput, actor?: Actor, options?: TrxOption): Promise<ApplyAnswer>;
  /** Restores an application once (the host voided the payment). */
  reverseOffset(input: ReverseOffsetInput, actor?: Actor, options?: TrxOption): Promise<ReversalAnswer>;
}

export function createBillingHooks(ctx: PluginContext): BillingHooks {
  const service = createOffsetService(ctx);
  return {
    checkOffsets: (input) => service.check(input),
    checkBills: (batch) => service.checkBills(batch),
    applyOffset: (input, actor, options) => service.apply(input, actor ?? billingActor(), options),
    reverseOffset: (input, actor, options) => service.reverse(input, actor ?? billingActor(), options),
  };
}

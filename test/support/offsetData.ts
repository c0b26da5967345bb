// Offsets for tests: a plugin harness with the offsets API and the signed billing API mounted, complaints
// assessed through the complaint service, offsets raised and approved through the offsets service, and
// small readers for the rows the money tests assert on.
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { Actor } from '../../src/auth/actor.js';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { billingApiRouter, offsetsApiRouter } from '../../src/http/api/offsets.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import type { Offset } from '../../src/offsets/model.js';
import { createOffsetService, type OffsetService } from '../../src/offsets/service.js';
import type { HostFixture } from '../fixtures/hosts.js';
import type { DatabaseKind } from './databases.js';
import { intakeBody } from './complaintData.js';
import { people, startPluginHarness, type ApiResponse, type HarnessOptions, type PluginHarness } from './pluginHarness.js';

export const SERVICE_SECRET = 'billing-secret-for-signed-service-calls';

export interface BillingCallOptions {
  /** false: send no signature headers. */
  sign?: boolean;
  /** The signing time (epoch ms); now by default. */
  nowMs?: number;
  secret?: string;
  /** Changes the body after it was signed. */
  tamper?: (body: string) => string;
  /** Signs this path instead of the one called. */
  signedPath?: string;
  headers?: Record<string, string>;
}

export interface OffsetHarness extends PluginHarness {
  offsets: OffsetService;
  complaints: ComplaintService;
  /** A signed call to the billing API (path relative to the routes prefix); `sign: false` sends none. */
  billing<T = any>(method: 'GET' | 'POST', path: string, body?: unknown, options?: BillingCallOptions): Promise<ApiResponse<T>>;
}

export async function startOffsetHarness(kind: DatabaseKind, fixture: HostFixture, options: HarnessOptions = {}): Promise<OffsetHarness> {
  const h = await startPluginHarness(kind, fixture, {
    ...options,
    routers: (ctx) => [offsetsApiRouter(ctx), billingApiRouter(ctx, { secret: SERVICE_SECRET }), ...(options.routers?.(ctx) ?? [])],
  });
  const offsets = createOffsetService(h.ctx);
  const complaints = createComplaintService(h.ctx);
  return Object.assign(h, {
    offsets,
    complaints,
    async billing<T>(method: 'GET' | 'POST', path: string, body?: unknown, opts: BillingCallOptions = {}): Promise<ApiResponse<T>> {
      const url = new URL(`${h.baseUrl}${path}`);
      const text = body === undefined ? '' : JSON.stringify(body);
      const headers: Record<string, string> = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers };
      if (opts.sign !== false) {
        const path = opts.signedPath ? new URL(`${h.baseUrl}${opts.signedPath}`).pathname : url.pathname;
        Object.assign(headers, signServiceRequest(opts.secret ?? SERVICE_SECRET, { method, path, body: text }, opts.nowMs ?? Date.now()));
      }
      const sent = opts.tamper ? opts.tamper(text) : text;
      const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : sent });
      const answer = await res.text();
      return { status: res.status, body: (answer ? JSON.parse(answer) : null) as T, headers: res.headers };
    },
  });
}

/** A complaint on the unit, assessed by the supervisor with this dispute type (property by default). */
export async function assessedComplaint(
  h: OffsetHarness,
  unitId: string,
  options: { disputeType?: 'property' | 'non_property'; threatenedWithholding?: boolean; by?: Actor } = {},
): Promise<Complaint> {
  const { complaint } = await h.complaints.create(
    intakeBody(unitId, { threatenedWithholding: options.threatenedWithholding ?? false }),
    options.by ?? people.counter,
  );
  const disputeType = options.disputeType ?? 'property';
  return h.complaints.transition(
    complaint.id,
    'assess',
    {
      version: complaint.version,
      disputeType,
      nature: 'valid',
      severity: 'important',
      ...(disputeType === 'non_property' ? { thirdParty: 'neighbour', responsibilityExplained: true } : {}),
    },
    people.supervisor,
  );
}

/** An offset request raised by the counter and approved by the director (no limit). */
export async function approvedOffset(
  h: OffsetHarness,
  complaintId: number,
  amount: string,
  options: { billIds?: string[]; expiresOn?: string; approveAmount?: string; by?: Actor; approver?: Actor } = {},
): Promise<Offset> {
  const raised = await h.offsets.raise(
    {
      complaintId,
      amount,
      reason: '漏水损失，同意以物业费抵扣',
      ...(options.billIds ? { billIds: options.billIds } : {}),
      ...(options.expiresOn ? { expiresOn: options.expiresOn } : {}),
    },
    options.by ?? people.counter,
  );
  return h.offsets.approve(
    raised.id,
    { ...(options.approveAmount ? { amount: options.approveAmount } : {}), note: '同意', version: raised.version },
    options.approver ?? people.director,
  );
}

export async function offsetRow(db: Knex, h: PluginHarness, id: number): Promise<Record<string, any>> {
  return (await db(h.ctx.tables.offsets).where({ id }).first()) as Record<string, any>;
}

export async function countRows(db: Knex, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

/** The audit events of one offset, oldest first, as [action, actor id]. */
export async function offsetEvents(h: PluginHarness, offsetId: number): Promise<Array<[string, string]>> {
  const rows = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: offsetId }).orderBy('id')) as Array<Record<string, unknown>>;
  return rows.map((r) => [String(r.action), String(r.actor_id)]);
}

/** Expects the promise to reject with a DomainError of this code (and status, when given). */
export async function refused(promise: Promise<unknown>, code: string, status?: number): Promise<any> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: string; refusal?: string; status?: number; message?: string };
    expect(e.refusal ?? e.code, e.message).to.equal(code);
    if (status !== undefined) expect(e.status).to.equal(status);
    return e;
  }
  expect.fail(`expected a refusal ${code}`);
}

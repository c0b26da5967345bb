// Shared by the reliability suite (test/reliability):
//  - a "money world": the offsets harness on MariaDB with large host bills, two assessed complaints and
//    a few approved offsets shared by every concurrent call;
//  - random applications, reversals and replays, with a model of what succeeded, and the book check run
//    after every round (reconcile + direct sums + one audit event per success + the model);
//  - the whole plugin as a host runs it (createComplaintsPlugin + the standalone server) with the
//    signed-header auth, the demo sign-in and the signed billing API, over any knex (e.g. through a relay).
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import type { Actor } from '../../src/auth/actor.js';
import { firstOf, signedHeaderAuth, signUserToken, USER_HEADER } from '../../src/auth/adapter.js';
import { ManualClock } from '../../src/clock.js';
import { DomainError } from '../../src/common/errors.js';
import { isConnectionError } from '../../src/db/errors.js';
import { tableNames } from '../../src/db/tables.js';
import { validateMapping } from '../../src/host/mapping.js';
import { createServerApp, listen, type RunningServer } from '../../src/http/server.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import type { ApplyAnswer, ReversalAnswer } from '../../src/offsets/apply.js';
import { createComplaintsPlugin, type ComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { createDb } from '../../src/db/connection.js';
import { simpleHost, type HostFixture } from '../fixtures/hosts.js';
import { MARIADB_ADMIN_URL, mariadbKind, type TestDatabase } from './databases.js';
import { assessedComplaint, approvedOffset, startOffsetHarness, type OffsetHarness } from './offsetData.js';
import { people } from './pluginHarness.js';
import { PageClient, PAGE_SECRET, staff } from './pageHarness.js';

export const T = tableNames('cmp_');
/** Every table the plugin owns (the checksum of "our tables"). */
/**
 * Our tables whose content a refused request must leave alone. The staff directory's record of who was
 * seen signing in (cmp_staff_seen) is left out: it notes an identity the auth adapter vouched for on any
 * request, allowed or refused, as a sign-in log would, and changes no complaint, offset or setting.
 */
export const OUR_TABLES = Object.values(T).filter((t) => t !== T.staffSeen);

// ----- the money world --------------------------------------------------------------------------------

export interface MoneyWorld {
  h: OffsetHarness;
  /** Offset id → the unit it belongs to. */
  offsets: Array<{ id: number; unitId: string; approvedFen: number }>;
  /** Unit id → bills of that unit big enough for thousands of applications. */
  bills: Map<string, string[]>;
}

export const BIG_BILL_YUAN = '99999999.99';

/** The offsets harness on MariaDB, with `offsetsPerUnit` approved offsets of `approved` yuan on units 101 and 102. */
export async function startMoneyWorld(
  options: { offsetsPerUnit?: number; approved?: string; billsPerUnit?: number; poolMax?: number } = {},
): Promise<MoneyWorld> {
  const h = await startOffsetHarness(mariadbKind, simpleHost);
  try {
    const bills = new Map<string, string[]>();
    const rows: Array<Record<string, unknown>> = [];
    for (const [u, unitId] of ['101', '102'].entries()) {
      const ids: string[] = [];
      for (let i = 0; i < (options.billsPerUnit ?? 3); i++) {
        const id = 5000 + u * 100 + i;
        ids.push(String(id));
        rows.push({ id, unit_id: Number(unitId), amount: BIG_BILL_YUAN, period: '2026-11', status: 'unpaid' });
      }
      bills.set(unitId, ids);
    }
    await h.db('bills').insert(rows);
    const offsets: MoneyWorld['offsets'] = [];
    for (const unitId of ['101', '102']) {
      const complaint = await assessedComplaint(h, unitId);
      for (let i = 0; i < (options.offsetsPerUnit ?? 2); i++) {
        const o = await approvedOffset(h, complaint.id, options.approved ?? '500.00');
        offsets.push({ id: o.id, unitId, approvedFen: o.approvedFen! });
      }
    }
    return { h, offsets, bills };
  } catch (err) {
    await h.close();
    throw err;
  }
}

export const cashier: Actor = people.cashier;

/** What the test saw succeed, to compare with the rows. */
export class MoneyModel {
  /** Applications acknowledged to the caller, by idempotency key. */
  readonly applied = new Map<string, { offsetId: number; billId: string; amountFen: number; answer: ApplyAnswer; reversedBy: string | null }>();
  /** Reversals acknowledged, by reversal key → application key. */
  readonly reversals = new Map<string, string>();
  /** Calls that ended in an error that is not a refusal (lost connection): to be retried with the same key. */
  readonly lost: Op[] = [];
  /** Replays refused as already_reversed: each must be of an application the books show reversed. */
  readonly replayedAfterReversal = new Set<string>();

  netFenOf(offsetId: number): number {
    let net = 0;
    for (const a of this.applied.values()) if (a.offsetId === offsetId && !a.reversedBy) net += a.amountFen;
    return net;
  }
}

export type Op =
  | { kind: 'apply'; offsetId: number; billId: string; amountFen: number; key: string }
  | { kind: 'reverse'; key: string; reversalKey: string }
  | { kind: 'replay'; offsetId: number; billId: string; amountFen: number; key: string; expected: ApplyAnswer }
  | { kind: 'mismatch'; offsetId: number; billId: string; amountFen: number; key: string };

export type Outcome =
  | { status: 'ok'; answer: ApplyAnswer | ReversalAnswer }
  | { status: 'refused'; code: string }
  | { status: 'lost'; error: string }
  | { status: 'unexpected'; error: string };

/** Small deterministic PRNG so a failing round can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

let opCounter = 0;
const RUN = randomBytes(3).toString('hex');

/** One random call: mostly applications and reversals, some replays of earlier keys (same and other amounts). */
export function randomOp(world: MoneyWorld, model: MoneyModel, random: () => number, claimed: Set<string>): Op {
  const n = ++opCounter;
  const r = random();
  const open = [...model.applied.entries()].filter(([, a]) => !a.reversedBy);
  if (r < 0.38 && open.length) {
    // Sometimes two calls of a round reverse the same application with different keys: one must win.
    const [key] = open[Math.floor(random() * open.length)]!;
    return { kind: 'reverse', key, reversalKey: `R-${RUN}-${n}` };
  }
  if (r < 0.44 && model.applied.size) {
    const all = [...model.applied.entries()];
    const [key, a] = all[Math.floor(random() * all.length)]!;
    if (random() < 0.5) return { kind: 'replay', offsetId: a.offsetId, billId: a.billId, amountFen: a.amountFen, key, expected: a.answer };
    return { kind: 'mismatch', offsetId: a.offsetId, billId: a.billId, amountFen: a.amountFen + 1, key };
  }
  const offset = world.offsets[Math.floor(random() * world.offsets.length)]!;
  const bills = world.bills.get(offset.unitId)!;
  const billId = bills[Math.floor(random() * bills.length)]!;
  const key = `A-${RUN}-${n}`;
  claimed.add(key);
  return { kind: 'apply', offsetId: offset.id, billId, amountFen: 100 + Math.floor(random() * 4900), key };
}

function classify(err: unknown): Outcome {
  if (err instanceof DomainError) {
    const code = (err as { refusal?: string }).refusal ?? err.code;
    return { status: 'refused', code };
  }
  if (isConnectionError(err)) return { status: 'lost', error: String((err as Error).message ?? err) };
  return { status: 'unexpected', error: (err as Error)?.stack ?? String(err) };
}

/** Runs one call in-process (the billing hooks) or over the signed billing API. */
export async function runOp(
  world: MoneyWorld,
  op: Op,
  via: 'hook' | 'http',
  plugin?: { apply: MoneyWorld['h']['offsets']['apply']; reverse: MoneyWorld['h']['offsets']['reverse'] },
): Promise<Outcome> {
  const service = plugin ?? world.h.offsets;
  try {
    if (via === 'http') {
      const path = op.kind === 'reverse' ? '/api/billing/reverse' : '/api/billing/apply';
      const body =
        op.kind === 'reverse'
          ? { idempotencyKey: op.key, reversalKey: op.reversalKey, operator: { id: cashier.id, name: cashier.name } }
          : { offsetId: op.offsetId, billId: op.billId, amountFen: op.amountFen, idempotencyKey: op.key, operator: { id: cashier.id, name: cashier.name } };
      const res = await world.h.billing('POST', path, body);
      if (res.status === 200) return { status: 'ok', answer: res.body };
      if (res.status === 503 && res.body?.error?.code === 'database_unavailable') return { status: 'lost', error: 'HTTP 503 database_unavailable' };
      if (res.status >= 400 && res.status < 500) return { status: 'refused', code: res.body?.error?.refusal ?? res.body?.error?.code };
      return { status: 'unexpected', error: `HTTP ${res.status} ${JSON.stringify(res.body)}` };
    }
    if (op.kind === 'reverse') return { status: 'ok', answer: await service.reverse({ idempotencyKey: op.key, reversalKey: op.reversalKey }, cashier) };
    return {
      status: 'ok',
      answer: await service.apply({ offsetId: op.offsetId, billId: op.billId, amountFen: op.amountFen, idempotencyKey: op.key }, cashier),
    };
  } catch (err) {
    return classify(err);
  }
}

/** What each kind of call may answer besides success; anything else is a failure of the test. */
const ALLOWED_REFUSALS: Record<Op['kind'], string[]> = {
  apply: ['exceeds_remaining', 'exceeds_bill'],
  reverse: ['already_reversed'],
  // A replay of an application reversed earlier (or in the same round) is refused: the payment was voided.
  replay: ['already_reversed'],
  mismatch: ['idempotency_mismatch'],
};

/** Records an outcome in the model; returns a problem description or null. */
export function record(model: MoneyModel, op: Op, outcome: Outcome, options: { lossAllowed?: boolean } = {}): string | null {
  if (outcome.status === 'unexpected') return `${op.kind} ${op.key}: ${outcome.error}`;
  if (outcome.status === 'lost') {
    if (!options.lossAllowed) return `${op.kind} ${op.key}: lost (${outcome.error})`;
    model.lost.push(op);
    return null;
  }
  if (outcome.status === 'refused') {
    if (op.kind === 'replay' && outcome.code === 'already_reversed') model.replayedAfterReversal.add(op.key);
    return ALLOWED_REFUSALS[op.kind].includes(outcome.code) ? null : `${op.kind} ${op.key}: refused ${outcome.code}`;
  }
  const answer = outcome.answer;
  switch (op.kind) {
    case 'apply': {
      const a = answer as ApplyAnswer;
      if (a.amountFen !== op.amountFen || a.offsetId !== op.offsetId || a.remainingFen < 0) return `apply ${op.key}: odd answer ${JSON.stringify(a)}`;
      const known = model.applied.get(op.key);
      if (known) return JSON.stringify(known.answer) === JSON.stringify(a) ? null : `apply ${op.key}: a second, different answer`;
      model.applied.set(op.key, { offsetId: op.offsetId, billId: op.billId, amountFen: op.amountFen, answer: a, reversedBy: null });
      return null;
    }
    case 'reverse': {
      const r = answer as ReversalAnswer;
      const a = model.applied.get(op.key);
      if (!a) return `reverse ${op.reversalKey}: reversed an application the test never saw acknowledged`;
      if (r.reversalKey !== op.reversalKey || r.amountFen !== a.amountFen) return `reverse ${op.reversalKey}: odd answer ${JSON.stringify(r)}`;
      if (a.reversedBy && a.reversedBy !== op.reversalKey) return `reverse ${op.reversalKey}: ${op.key} was already reversed by ${a.reversedBy}`;
      a.reversedBy = op.reversalKey;
      model.reversals.set(op.reversalKey, op.key);
      return null;
    }
    case 'replay':
      return JSON.stringify(answer) === JSON.stringify(op.expected)
        ? null
        : `replay ${op.key}: answer differs from the first (${JSON.stringify(answer)} vs ${JSON.stringify(op.expected)})`;
    case 'mismatch':
      return `mismatch ${op.key}: the same key with another amount was accepted`;
  }
}

export interface Books {
  approvedFen: number;
  appliedFen: number;
  reversedFen: number;
  remainingFen: number;
  minRemainingFen: number;
  applications: number;
  reversed: number;
  applyEvents: number;
  reverseEvents: number;
}

async function one(db: Knex, sql: string): Promise<Record<string, unknown>> {
  const [rows] = (await db.raw(sql)) as [Array<Record<string, unknown>>];
  return rows[0] ?? {};
}

export async function readBooks(db: Knex): Promise<Books> {
  const o = await one(
    db,
    `SELECT COALESCE(SUM(approved_fen),0) a, COALESCE(SUM(remaining_fen),0) r, COALESCE(MIN(remaining_fen),0) m FROM ${T.offsets} WHERE status IN ('approved','exhausted')`,
  );
  const a = await one(
    db,
    `SELECT COALESCE(SUM(amount_fen),0) applied, COALESCE(SUM(CASE WHEN state='reversed' THEN amount_fen ELSE 0 END),0) rev, COUNT(*) n, COALESCE(SUM(state='reversed'),0) nrev FROM ${T.offsetApplications}`,
  );
  const e = await one(db, `SELECT COALESCE(SUM(action='apply'),0) ap, COALESCE(SUM(action='reverse'),0) rv FROM ${T.events} WHERE entity_type='offset'`);
  return {
    approvedFen: Number(o.a),
    remainingFen: Number(o.r),
    minRemainingFen: Number(o.m),
    appliedFen: Number(a.applied),
    reversedFen: Number(a.rev),
    applications: Number(a.n),
    reversed: Number(a.nrev),
    applyEvents: Number(e.ap),
    reverseEvents: Number(e.rv),
  };
}

/**
 * The book check after a round: reconcile() finds no mismatch; the direct sums agree
 * (approved = applied − reversed + remaining); no remaining below zero or above approved; status follows
 * remaining (exhausted exactly at zero); one audit event per application and per reversal; and, unless
 * calls were lost, the rows are exactly what the test saw acknowledged.
 */
export async function checkBooks(world: MoneyWorld, model: MoneyModel, options: { exact?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const { h } = world;
  const report = await h.offsets.reconcile();
  if (!report.ok) problems.push(`reconcile: ${JSON.stringify(report.mismatches)} ${JSON.stringify(report.billMismatches)}`);
  for (const key of model.replayedAfterReversal) {
    if (!model.applied.get(key)?.reversedBy) problems.push(`replay ${key}: refused as already reversed, but no reversal of it was acknowledged`);
  }
  model.replayedAfterReversal.clear();
  const b = await readBooks(h.db);
  if (b.approvedFen !== b.appliedFen - b.reversedFen + b.remainingFen)
    problems.push(`sums: approved ${b.approvedFen} ≠ applied ${b.appliedFen} − reversed ${b.reversedFen} + remaining ${b.remainingFen}`);
  if (b.minRemainingFen < 0) problems.push(`remaining below zero: ${b.minRemainingFen}`);
  if (b.applyEvents !== b.applications) problems.push(`${b.applications} applications but ${b.applyEvents} apply events`);
  if (b.reverseEvents !== b.reversed) problems.push(`${b.reversed} reversals but ${b.reverseEvents} reverse events`);
  const rows = (await h
    .db(T.offsets)
    .whereIn(
      'id',
      world.offsets.map((o) => o.id),
    )
    .select('id', 'status', 'approved_fen', 'remaining_fen')) as Array<Record<string, unknown>>;
  for (const r of rows) {
    const remaining = Number(r.remaining_fen);
    const approved = Number(r.approved_fen);
    if (remaining > approved) problems.push(`offset ${r.id}: remaining ${remaining} above approved ${approved}`);
    const status = String(r.status);
    if ((remaining === 0) !== (status === 'exhausted')) problems.push(`offset ${r.id}: status ${status} with ${remaining} remaining`);
    if (options.exact !== false && !model.lost.length) {
      const net = model.netFenOf(Number(r.id));
      if (approved - remaining !== net) problems.push(`offset ${r.id}: ${approved - remaining} fen used in the rows, ${net} acknowledged to callers`);
    }
  }
  if (options.exact !== false && !model.lost.length) {
    if (b.applications !== model.applied.size) problems.push(`${b.applications} application rows, ${model.applied.size} acknowledged`);
    if (b.reversed !== model.reversals.size) problems.push(`${b.reversed} reversed rows, ${model.reversals.size} acknowledged`);
  }
  return problems;
}

/** Retries every lost call with its own key until it answers; the model then matches the rows exactly. */
export async function retryLost(world: MoneyWorld, model: MoneyModel): Promise<string[]> {
  const problems: string[] = [];
  const pending = model.lost.splice(0);
  for (const op of pending) {
    for (let attempt = 0; ; attempt++) {
      const outcome = await runOp(world, op, 'hook');
      if (outcome.status === 'lost' && attempt < 20) continue;
      const problem = record(model, op, outcome);
      if (problem) problems.push(`retry: ${problem}`);
      break;
    }
  }
  return problems;
}

// ----- the whole plugin over HTTP ---------------------------------------------------------------------

export const SERVICE_SECRET = 'reliability-service-secret-0123456789';

export interface Stack {
  db: Knex;
  plugin: ComplaintsPlugin;
  clock: ManualClock;
  origin: string;
  base: string;
  /** Errors the plugin logged (500s). */
  errors: unknown[];
  client(): PageClient;
  token(actor: Actor, ttlSeconds?: number): string;
  /** JSON API call; `as` signs the user header; `raw` sends that text as it is. */
  api(
    method: string,
    path: string,
    options?: { as?: Actor | null; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  /** Signed billing call (path relative to the routes prefix). */
  billing(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options?: { raw?: string; contentType?: string; sign?: boolean; nowMs?: number; secret?: string; tamper?: (s: string) => string; signedPath?: string },
  ): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

/** Everyone on the demo sign-in page: one per role, and two limited to community 1 / 2. */
export const signInUsers: Actor[] = Object.values(staff);

export async function startStack(db: Knex, fixture: HostFixture = simpleHost, options: { users?: Actor[]; now?: string } = {}): Promise<Stack> {
  const clock = new ManualClock(options.now ?? '2026-11-28T01:00:00.000Z');
  const errors: unknown[] = [];
  const plugin = createComplaintsPlugin({
    knex: db,
    mapping: validateMapping(fixture.mapping),
    auth: firstOf(signedHeaderAuth(PAGE_SECRET, () => clock.now().getTime())),
    clock,
    serviceSecret: SERVICE_SECRET,
    signIn: { users: options.users ?? signInUsers },
    log: (err) => errors.push(err),
  });
  await plugin.install();
  const server: RunningServer = await listen(createServerApp(plugin), 0, '127.0.0.1');
  const origin = server.url;
  const base = plugin.router.opts.prefix ?? '';
  const token = (actor: Actor, ttlSeconds = 3600) => signUserToken(actor, PAGE_SECRET, ttlSeconds, clock.now().getTime());
  return {
    db,
    plugin,
    clock,
    origin,
    base,
    errors,
    token,
    client: () => new PageClient(origin, base),
    async api(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.as) headers[USER_HEADER] = token(opts.as);
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] ??= opts.contentType ?? 'application/json';
      const res = await fetch(`${origin}${base}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    async billing(method, path, body, opts = {}) {
      const url = `${origin}${base}${path}`;
      const text = opts.raw ?? (body === undefined ? '' : JSON.stringify(body));
      const headers: Record<string, string> = text ? { 'content-type': opts.contentType ?? 'application/json' } : {};
      if (opts.sign !== false) {
        const signedPath = new URL(`${origin}${base}${opts.signedPath ?? path}`).pathname;
        Object.assign(headers, signServiceRequest(opts.secret ?? SERVICE_SECRET, { method, path: signedPath, body: text }, opts.nowMs ?? Date.now()));
      }
      const sent = opts.tamper ? opts.tamper(text) : text;
      const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : sent });
      const answer = await res.text();
      let parsed: unknown = null;
      try {
        parsed = answer ? JSON.parse(answer) : null;
      } catch {
        parsed = null;
      }
      return { status: res.status, body: parsed, text: answer };
    },
    async close() {
      await server.close();
    },
  };
}

/** A fresh MariaDB database with the host fixture (for suites that build their own pool or relay). */
export async function freshMariadb(fixture: HostFixture = simpleHost): Promise<TestDatabase> {
  const database = await mariadbKind.create();
  try {
    await fixture.create(database.db);
    return database;
  } catch (err) {
    await database.drop();
    throw err;
  }
}

/** A second pool on the same database (e.g. through a relay, or small). */
export function poolFor(url: string, poolMax: number): Knex {
  return createDb(url, { poolMax });
}

export { MARIADB_ADMIN_URL };

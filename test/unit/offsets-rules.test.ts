// The offset rules that need no database: amounts typed in yuan, approval limits per role, expiry by the
// company's calendar day, which refusal wins, refusal messages, the apply fingerprint, the service
// signature, the CLI's --offset syntax and the guard trigger's SQL.
import { expect } from 'chai';
import knexFactory from 'knex';
import type { Actor } from '../../src/auth/actor.js';
import { ValidationError } from '../../src/common/errors.js';
import { validateMapping } from '../../src/host/mapping.js';
import type { HostBill } from '../../src/host/reader.js';
import { MAX_SKEW_MS, serviceSignature, signServiceRequest, verifyServiceSignature } from '../../src/http/serviceSignature.js';
import { offsetGuardSql } from '../../src/install/offsetGuard.js';
import { paramsHash } from '../../src/offsets/apply.js';
import { approvalLimitFen } from '../../src/offsets/approvals.js';
import { identityRefusal, type OffsetWithLimits } from '../../src/offsets/billingCheck.js';
import { effectiveStatus, isPastExpiry, type Offset } from '../../src/offsets/model.js';
import { OffsetRefusedError, REFUSAL_CODES, refusalMessage } from '../../src/offsets/refusals.js';
import { amountField } from '../../src/offsets/requests.js';
import { parseOffsetSpec } from '../../src/cli/commands/offsets.js';
import { CliError } from '../../src/cli/options.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { localDate } from '../../src/calendar/zoned.js';

const who = (...roles: string[]): Actor => ({ id: 'x', name: 'x', roles, communityIds: null });
const LIMITS = { supervisor: 50000, manager: 500000, director: null };

function offset(fields: Partial<Offset> = {}): Offset {
  const at = new Date('2026-11-28T01:00:00Z');
  return {
    id: 1,
    complaintId: 1,
    unitId: '101',
    ownerId: '1',
    requestedFen: 1000,
    approvedFen: 1000,
    remainingFen: 1000,
    revokedFen: 0,
    status: 'approved',
    reason: 'r',
    expiresOn: null,
    requestedBy: 'c',
    requestedByName: 'c',
    decidedBy: 'm',
    decidedByName: 'm',
    decidedRole: 'manager',
    decidedAt: at,
    decisionNote: null,
    revokedBy: null,
    revokedAt: null,
    revokeNote: null,
    version: 2,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

const bill: HostBill = {
  id: '1001',
  unitId: '101',
  ownerId: null,
  amountFen: 12050,
  period: '2026-11',
  status: 'unpaid',
  paymentState: 'unpaid',
  outstandingFen: 12050,
  unpaid: true,
};

describe('offsets: rules without a database', () => {
  it('reads typed yuan into exact fen and refuses zero, negatives and a third decimal', () => {
    expect(amountField('amount', '120.50')).to.equal(12050);
    expect(amountField('amount', '0.1') + amountField('amount', '0.2')).to.equal(amountField('amount', '0.3'));
    expect(amountField('amount', '￥1,000')).to.equal(100000);
    for (const bad of ['0', '0.00', '-5', '1.005', '1e3', 'NaN', '']) expect(() => amountField('amount', bad), bad).to.throw(ValidationError);
  });

  it('gives each person the highest limit of their roles: supervisor ¥500, manager ¥5,000, director none', () => {
    expect(approvalLimitFen(who('supervisor'), LIMITS)).to.equal(50000);
    expect(approvalLimitFen(who('manager'), LIMITS)).to.equal(500000);
    expect(approvalLimitFen(who('supervisor', 'manager'), LIMITS)).to.equal(500000);
    expect(approvalLimitFen(who('director'), LIMITS)).to.equal(null);
    expect(approvalLimitFen(who('supervisor', 'director'), LIMITS)).to.equal(null);
    expect(approvalLimitFen(who('cashier'), LIMITS)).to.equal(undefined);
    expect(approvalLimitFen(who('supervisor'), {})).to.equal(undefined);
    expect(approvalLimitFen(who('supervisor'), { supervisor: 0 })).to.equal(0);
    // A role name is never read off the object's prototype.
    expect(approvalLimitFen(who('toString', '__proto__'), LIMITS)).to.equal(undefined);
  });

  it("counts an offset valid through its expiry day in the company's time zone", () => {
    // 2026-11-28 16:00 UTC is already the 29th in Shanghai.
    expect(localDate(new Date('2026-11-28T15:59:59Z'), 'Asia/Shanghai')).to.equal('2026-11-28');
    expect(localDate(new Date('2026-11-28T16:00:00Z'), 'Asia/Shanghai')).to.equal('2026-11-29');
    expect(isPastExpiry('2026-11-28', '2026-11-28')).to.equal(false);
    expect(isPastExpiry('2026-11-28', '2026-11-29')).to.equal(true);
    expect(isPastExpiry(null, '2099-01-01')).to.equal(false);
    expect(effectiveStatus(offset({ expiresOn: '2026-11-28' }), '2026-11-29')).to.equal('expired');
    expect(effectiveStatus(offset({ status: 'requested', expiresOn: '2026-11-28' }), '2026-11-29')).to.equal('expired');
    expect(effectiveStatus(offset({ status: 'exhausted', expiresOn: '2026-11-28' }), '2026-11-29')).to.equal('exhausted');
    expect(effectiveStatus(offset({ status: 'revoked', expiresOn: '2026-11-28' }), '2026-11-29')).to.equal('revoked');
  });

  it('refuses by whose offset it is first, then which bills, then its status', () => {
    const entry = (o: Partial<Offset>, limits: string[] | null = null): OffsetWithLimits => ({
      offset: offset(o),
      billLimits: limits ? new Set(limits) : null,
    });
    const owners = new Map([['101', ['1']]]);
    const today = '2026-11-28';
    expect(identityRefusal(undefined, bill, owners, today)).to.equal('not_found');
    expect(identityRefusal(entry({ unitId: '102', status: 'revoked' }), bill, owners, today)).to.equal('other_unit');
    expect(identityRefusal(entry({ ownerId: '2', status: 'revoked' }), bill, owners, today)).to.equal('other_owner');
    expect(identityRefusal(entry({ ownerId: null }), bill, new Map(), today)).to.equal(null);
    expect(identityRefusal(entry({ ownerId: '2' }), { ...bill, ownerId: '2' }, new Map(), today)).to.equal(null);
    expect(identityRefusal(entry({ status: 'rejected' }, ['1002']), bill, owners, today)).to.equal('not_valid_for_bill');
    expect(identityRefusal(entry({}, ['1001', '1002']), bill, owners, today)).to.equal(null);
    expect(identityRefusal(entry({ status: 'requested' }), bill, owners, today)).to.equal('not_approved');
    expect(identityRefusal(entry({ status: 'rejected' }), bill, owners, today)).to.equal('rejected');
    expect(identityRefusal(entry({ status: 'revoked' }), bill, owners, today)).to.equal('revoked');
    expect(identityRefusal(entry({ status: 'expired' }), bill, owners, today)).to.equal('expired');
    expect(identityRefusal(entry({ expiresOn: '2026-11-27' }), bill, owners, today)).to.equal('expired');
    expect(identityRefusal(entry({ status: 'exhausted', remainingFen: 0 }), bill, owners, today)).to.equal(null);
  });

  it('has a distinct message in both locales for every refusal code, and the right HTTP status', () => {
    const zh = new Set<string>();
    const en = new Set<string>();
    for (const code of REFUSAL_CODES) {
      const m = refusalMessage(code, { offsetId: 7, billId: '1001', amountFen: 12050, remainingFen: 100, billAmountFen: 29, expiresOn: '2026-11-29' });
      expect(m['zh-CN'], code).to.match(/[\u4e00-\u9fff]/);
      expect(m.en, code)
        .to.match(/[a-z]/i)
        .and.not.match(/[\u3000-\u9fff]/);
      zh.add(m['zh-CN']);
      en.add(m.en);
    }
    expect(zh.size).to.equal(REFUSAL_CODES.length);
    expect(en.size).to.equal(REFUSAL_CODES.length);
    expect(refusalMessage('exceeds_remaining', { amountFen: 12050, remainingFen: 100 }).en)
      .to.contain('¥120.50')
      .and.contain('¥1.00');
    // People read grouped yuan in every message.
    const exceeds = refusalMessage('exceeds_bill', { billAmountFen: 9999999, appliedFen: 123450, openFen: 9876549 });
    expect(exceeds['zh-CN']).to.contain('¥99,999.99').and.contain('已抵扣 ¥1,234.50').and.contain('还可抵扣 ¥98,765.49');
    expect(exceeds.en).to.contain('¥99,999.99').and.contain('¥1,234.50 already applied').and.contain('¥98,765.49 still open');
    expect(new OffsetRefusedError('not_found').status).to.equal(404);
    expect(new OffsetRefusedError('bill_not_found').status).to.equal(404);
    expect(new OffsetRefusedError('invalid_amount').status).to.equal(400);
    expect(new OffsetRefusedError('expired', { expiresOn: '2026-11-29' })).to.include({ status: 409, refusal: 'expired', code: 'expired' });
  });

  it('fingerprints an application by offset, bill and amount only', () => {
    const base = { offsetId: 7, billId: '1001', amountFen: 100, idempotencyKey: 'A' };
    expect(paramsHash(base)).to.equal(paramsHash({ ...base, idempotencyKey: 'B' }));
    expect(paramsHash(base)).to.not.equal(paramsHash({ ...base, amountFen: 101 }));
    expect(paramsHash(base)).to.not.equal(paramsHash({ ...base, billId: '1002' }));
    expect(paramsHash(base)).to.not.equal(paramsHash({ ...base, offsetId: 8 }));
  });

  describe('the service signature', () => {
    const secret = 'shared-secret-of-the-erp';
    const now = Date.UTC(2026, 10, 28, 1, 0, 0);
    const request = { method: 'POST', path: '/complaints/api/billing/apply', body: '{"offsetId":7,"amountFen":100}' };
    const signed = signServiceRequest(secret, request, now);
    const verify = (over: Partial<{ method: string; path: string; body: string; timestamp: string | undefined; signature: string | undefined }>, at = now) =>
      verifyServiceSignature(secret, { ...request, timestamp: signed['X-Complaints-Timestamp'], signature: signed['X-Complaints-Signature'], ...over }, at);

    it('accepts the request as signed, within five minutes either way, in either hex case', () => {
      expect(verify({})).to.deep.equal({ ok: true });
      expect(verify({}, now + MAX_SKEW_MS)).to.deep.equal({ ok: true });
      expect(verify({}, now - MAX_SKEW_MS)).to.deep.equal({ ok: true });
      expect(verify({ signature: signed['X-Complaints-Signature'].toUpperCase() })).to.deep.equal({ ok: true });
      expect(serviceSignature(secret, signed['X-Complaints-Timestamp'], 'post', request.path, request.body)).to.equal(signed['X-Complaints-Signature']);
    });

    it('refuses missing, malformed, stale and tampered requests', () => {
      expect(verify({ signature: undefined })).to.deep.equal({ ok: false, reason: 'missing' });
      expect(verify({ timestamp: undefined })).to.deep.equal({ ok: false, reason: 'missing' });
      expect(verify({ signature: 'abc' })).to.deep.equal({ ok: false, reason: 'malformed' });
      expect(verify({ timestamp: '17e8' })).to.deep.equal({ ok: false, reason: 'malformed' });
      expect(verify({}, now + MAX_SKEW_MS + 1000)).to.deep.equal({ ok: false, reason: 'expired' });
      expect(verify({}, now - MAX_SKEW_MS - 1000)).to.deep.equal({ ok: false, reason: 'expired' });
      expect(verify({ body: request.body.replace('100', '900') })).to.deep.equal({ ok: false, reason: 'bad_signature' });
      expect(verify({ path: '/complaints/api/billing/reverse' })).to.deep.equal({ ok: false, reason: 'bad_signature' });
      expect(verify({ method: 'GET' })).to.deep.equal({ ok: false, reason: 'bad_signature' });
      // A moved timestamp breaks the signature before the clock is even looked at.
      expect(verify({ timestamp: String(Number(signed['X-Complaints-Timestamp']) + 1) })).to.deep.equal({ ok: false, reason: 'bad_signature' });
      expect(
        verifyServiceSignature('another-secret', { ...request, timestamp: signed['X-Complaints-Timestamp'], signature: signed['X-Complaints-Signature'] }, now),
      ).to.deep.equal({ ok: false, reason: 'bad_signature' });
    });
  });

  it("reads the CLI's --offset ID:YUAN exactly and refuses anything else as a usage error", () => {
    expect(parseOffsetSpec('7:120.50', true)).to.deep.equal({ offsetId: 7, amountFen: 12050 });
    expect(parseOffsetSpec(' 12 : 0.1 ', true)).to.deep.equal({ offsetId: 12, amountFen: 10 });
    for (const bad of ['7', '7:', ':5', '0:5', '7:0', '7:-1', '7:1.005', 'x:1', '99999999999:1']) {
      expect(() => parseOffsetSpec(bad, true), bad)
        .to.throw(CliError)
        .with.property('exitCode', 2);
    }
  });

  it('writes the guard trigger for each client, comparing keys as exact text and yuan as whole fen', () => {
    const mysql = knexFactory({ client: 'mysql2' });
    const sqlite = knexFactory({ client: 'better-sqlite3', useNullAsDefault: true, connection: { filename: ':memory:' } });
    try {
      const payment = { table: 'payments', key: 'id', columns: { bill: 'bill_id', offsetAmount: 'offset_amount', offsetRef: 'offset_ref' } };
      const yuan = validateMapping({ ...simpleHost.mapping, payment });
      const my = offsetGuardSql(mysql, yuan, 'cmp_');
      expect(my).to.match(/^CREATE TRIGGER `cmp_offset_guard` BEFORE INSERT ON `payments` FOR EACH ROW/);
      expect(my).to.contain("SIGNAL SQLSTATE '45000'").and.contain('FROM `cmp_offset_applications` a');
      expect(my).to.contain('a.idempotency_key = CONVERT(NEW.`offset_ref` USING utf8mb4) COLLATE utf8mb4_bin');
      expect(my).to.contain('a.amount_fen = ROUND(NEW.`offset_amount` * 100)');
      const sq = offsetGuardSql(sqlite, yuan, 'zz_');
      expect(sq).to.match(/^CREATE TRIGGER "zz_offset_guard" BEFORE INSERT ON "payments" FOR EACH ROW\nWHEN /);
      expect(sq).to.contain('SELECT RAISE(ABORT').and.contain('FROM "zz_offset_applications" a');
      const fen = validateMapping({ ...stringIdHost.mapping, payment: { ...payment, table: 'pay_fee_detail' } });
      expect(offsetGuardSql(mysql, fen, 'cmp_'))
        .to.contain('a.amount_fen = NEW.`offset_amount`')
        .and.not.contain('ROUND');
      // The payment's own unit wins over the bill's.
      expect(offsetGuardSql(mysql, { ...fen, payment: { ...fen.payment!, amountUnit: 'yuan' } }, 'cmp_')).to.contain('ROUND');
      expect(() => offsetGuardSql(mysql, validateMapping(simpleHost.mapping), 'cmp_')).to.throw(/payment/);
    } finally {
      void mysql.destroy();
      void sqlite.destroy();
    }
  });
});

// The compensation command's schema: a closed object with bounded strings, the glossary's payers and
// methods, exact dates, and plain field messages in both languages; plus the state rule and the API's
// OpenAPI entries.
import { expect } from 'chai';
import { fieldErrorsOf } from '../support/fieldErrors.js';
import { COMPENSATION_METHODS, COMPENSATION_PAYERS, compensationFromRow } from '../../src/compensations/model.js';
import { recordCompensationSchema, validateRecord } from '../../src/compensations/schemas.js';
import { compensationRefusal, mayRecordCompensation } from '../../src/compensations/service.js';
import { complaintsApiOperations } from '../../src/http/api/complaints.js';
import { STATES } from '../../src/complaints/states.js';
import type { Actor } from '../../src/auth/actor.js';
import { localDate } from '../../src/calendar/zoned.js';

const good = { payer: 'insurer', amount: '850.00', paidOn: '2026-11-28', method: 'transfer' };

describe('compensation command schema', () => {
  it('accepts a minimal record and one with every field, without changing the input', () => {
    const input = { ...good };
    expect(validateRecord(input)).to.deep.equal(good);
    expect(input).to.deep.equal(good);
    const full = { ...good, reference: 'BX-2026-0001', note: '修车费用', idempotencyKey: 'form-1' };
    expect(validateRecord(full)).to.deep.equal(full);
  });

  it('closes the object and bounds every string', () => {
    expect(recordCompensationSchema.additionalProperties).to.equal(false);
    for (const [name, s] of Object.entries(recordCompensationSchema.properties)) {
      const prop = s as { type?: string; maxLength?: number; enum?: unknown[] };
      expect(prop.type, name).to.equal('string');
      expect(prop.maxLength !== undefined || prop.enum !== undefined, `${name} has no maxLength`).to.equal(true);
    }
    expect(Object.keys(fieldErrorsOf(() => validateRecord({ ...good, amountFen: 85000 })))).to.deep.equal(['amountFen']);
  });

  it('takes the payers and methods of the glossary only', () => {
    expect(COMPENSATION_PAYERS).to.deep.equal(['company', 'insurer', 'third_party']);
    for (const payer of COMPENSATION_PAYERS) for (const method of COMPENSATION_METHODS) expect(() => validateRecord({ ...good, payer, method })).not.to.throw();
    const f = fieldErrorsOf(() => validateRecord({ ...good, payer: 'owner', method: 'cheque' }));
    expect(f.payer).to.deep.equal({ 'zh-CN': '请选择赔付方（物业公司、保险公司或第三方）', en: 'Choose who paid (the company, an insurer or a third party)' });
    expect(f.method).to.deep.equal({ 'zh-CN': '请选择支付方式', en: 'Choose how it was paid' });
  });

  it('names every missing or malformed field once, in both languages', () => {
    const f = fieldErrorsOf(() => validateRecord({ amount: 85000, paidOn: '2026-02-30', reference: 'x'.repeat(101), note: 7 }));
    expect(Object.keys(f)).to.have.members(['payer', 'method', 'amount', 'paidOn', 'reference', 'note']);
    expect(f.amount!['zh-CN']).to.equal('请填写赔付金额（元），如 120.50');
    expect(f.paidOn!.en).to.equal('Enter the day it was paid, e.g. 2026-11-28');
    expect(f.reference!['zh-CN']).to.contain('100');
    for (const message of Object.values(f)) expect(message['zh-CN']).to.be.a('string').and.not.equal('');
    for (const key of ['', ' key', '键', 'k'.repeat(101)])
      expect(Object.keys(fieldErrorsOf(() => validateRecord({ ...good, idempotencyKey: key }))), key).to.deep.equal(['idempotencyKey']);
  });

  it('allows any complaint but a cancelled one, and only for people with compensation.record', () => {
    for (const state of STATES) expect(compensationRefusal({ code: 'TS-1', state }) === null, state).to.equal(state !== 'cancelled');
    expect(compensationRefusal({ code: 'TS-1', state: 'cancelled' })).to.include({ code: 'complaint_cancelled', status: 409 });
    const as = (role: string): Actor => ({ id: role, name: role, roles: [role], communityIds: null });
    const allowed = ['supervisor', 'manager', 'director', 'administrator'];
    for (const role of ['counter_staff', 'cashier', ...allowed])
      expect(mayRecordCompensation(as(role), { code: 'TS-1', state: 'closed' }), role).to.equal(allowed.includes(role));
    expect(mayRecordCompensation(as('manager'), { code: 'TS-1', state: 'cancelled' })).to.equal(false);
  });

  it('reads rows from both clients alike and takes the local day in Beijing', () => {
    const row = {
      id: 3,
      complaint_id: '7',
      payer: 'insurer',
      amount_fen: '85000',
      paid_on: '2026-11-28',
      method: 'transfer',
      reference: null,
      note: null,
      recorded_by: 'u',
      recorded_by_name: '主管',
      recorded_at: '2026-11-28 01:00:00.000',
    };
    expect(compensationFromRow(row)).to.deep.include({ id: 3, complaintId: 7, amountFen: 85000, paidOn: '2026-11-28', reference: null });
    expect(compensationFromRow(row).recordedAt.toISOString()).to.equal('2026-11-28T01:00:00.000Z');
    expect(localDate(new Date('2026-11-28T16:30:00Z'), 'Asia/Shanghai')).to.equal('2026-11-29');
  });

  it('documents the record and list operations with their schemas', () => {
    const record = complaintsApiOperations.find((op) => op.operationId === 'recordCompensation')!;
    expect(record).to.include({ method: 'post', path: '/api/complaints/{id}/compensations' });
    expect(record.requestSchema).to.equal(recordCompensationSchema);
    expect(complaintsApiOperations.find((op) => op.operationId === 'listCompensations')).to.include({
      method: 'get',
      path: '/api/complaints/{id}/compensations',
    });
  });
});

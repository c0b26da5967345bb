// Masking of mobile numbers: the shape shown everywhere but the audited reveal, free text, and the deep
// copy used for staff notices and webhooks (identifiers are never altered).
import { expect } from 'chai';
import { holdsFullMobile, maskedRecord, maskedRecordWithDates, maskMobile, maskMobilesDeep, maskMobilesInText } from '../../src/privacy/mask.js';

describe('privacy: masking', () => {
  it('masks a mobile as 138****8000, tolerating +86 and separators', () => {
    expect(maskMobile('13800138000')).to.equal('138****8000');
    expect(maskMobile('+86 138-0013-8000')).to.equal('138****8000');
    expect(maskMobile('02112345678')).to.equal('021****5678');
    expect(maskMobile('12345')).to.equal('****');
    expect(maskMobile('')).to.equal('');
    expect(maskMobile(null)).to.equal('');
    expect(maskMobile(undefined)).to.equal('');
  });

  it('masks every mobile inside free text and nothing else', () => {
    expect(maskMobilesInText('业主来电 13812345678，邻居 +86 139-0013-9002')).to.equal('业主来电 138****5678，邻居 139****9002');
    expect(maskMobilesInText('账单 2024-01 金额 120.50，单号 123456789012')).to.equal('账单 2024-01 金额 120.50，单号 123456789012');
    // The shortest text that can hold one is the bare 11 digits; one character fewer holds none.
    expect(maskMobilesInText('13812345678')).to.equal('138****5678');
    expect(maskMobilesInText('1381234567')).to.equal('1381234567');
    expect(holdsFullMobile('call 13812345678')).to.equal(true);
    expect(holdsFullMobile('call 138****5678')).to.equal(false);
  });

  it('masks a payload deeply but never an identifier, a key or a code', () => {
    const payload = {
      offsetId: 7,
      billId: '13800138000',
      paymentKey: '15912345678',
      complaintCode: 'TS-20261128-0001',
      measures: '联系业主 13800138001',
      contactPhone: '021-12345678',
      nested: [{ note: '13900139002' }],
      at: new Date('2026-11-28T01:00:00Z'),
    };
    expect(maskMobilesDeep(payload)).to.deep.equal({
      offsetId: 7,
      billId: '13800138000',
      paymentKey: '15912345678',
      complaintCode: 'TS-20261128-0001',
      measures: '联系业主 138****8001',
      contactPhone: '021****5678',
      nested: [{ note: '139****9002' }],
      at: new Date('2026-11-28T01:00:00Z'),
    });
  });

  it('masks a complaint-shaped record for display: the number and free text', () => {
    expect(maskedRecord({ complainantPhone: '13800138001', description: '回电 13800138001', unitId: '13912345678', version: 3 })).to.deep.equal({
      complainantPhone: '138****8001',
      description: '回电 138****8001',
      unitId: '13912345678',
      version: 3,
    });
  });

  it('keeps the record as it was and its keys in their order (answers are compared byte for byte)', () => {
    const at = new Date('2026-11-28T01:00:00Z');
    const record = { id: 7, description: '回电 13800138001', complainantPhone: '13800138001', receivedAt: at, ownerName: null };
    expect(JSON.stringify(maskedRecord(record))).to.equal(
      '{"id":7,"description":"回电 138****8001","complainantPhone":"138****8001","receivedAt":"2026-11-28T01:00:00.000Z","ownerName":null}',
    );
    expect(record).to.deep.equal({ id: 7, description: '回电 13800138001', complainantPhone: '13800138001', receivedAt: at, ownerName: null });
    expect(maskedRecord(record).receivedAt).to.equal(at);
  });

  it('masks a record and writes its dates as asked in the same pass', () => {
    const at = new Date('2026-11-28T01:00:00Z');
    const record = { id: 7, description: '回电 13800138001', complainantPhone: '13800138001', receivedAt: at, closedAt: null };
    const out = maskedRecordWithDates(record, (d) => d.toJSON());
    expect(out).to.deep.equal({
      id: 7,
      description: '回电 138****8001',
      complainantPhone: '138****8001',
      receivedAt: '2026-11-28T01:00:00.000Z',
      closedAt: null,
    });
    expect(JSON.stringify(out)).to.equal(JSON.stringify(maskedRecord(record)));
    expect(record.receivedAt).to.equal(at);
  });
});

// The sentence and HTTP status of every refusal an ERP's cashier can be shown (src/offsets/refusals.ts),
// with the figures each names, in both languages; and a refusal built without a figure prints nothing in
// its place, never "undefined". The mutation run of issue 22 found most of these sentences unread.
import { expect } from 'chai';
import { OffsetRefusedError, refusalMessage, type RefusalCode, type RefusalFacts } from '../../src/offsets/refusals.js';

const facts: RefusalFacts = {
  offsetId: 42,
  billId: 'B-7',
  amountFen: 12050,
  remainingFen: 999,
  billAmountFen: 100000,
  appliedFen: 95000,
  openFen: 5000,
  expiresOn: '2026-11-30',
  reversalKey: 'VOID-9',
};

const expected: Array<[RefusalCode, number, string, string]> = [
  ['not_found', 404, '抵扣 #42 不存在', 'Offset #42 does not exist'],
  ['bill_not_found', 404, '账单 B-7 不存在或已删除', 'Bill B-7 does not exist or was deleted'],
  [
    'bill_not_mapped',
    409,
    '账单 B-7 存在，但不在本插件的账单映射范围内（例如不是物业费账单），不能用抵扣减免',
    'Bill B-7 exists but is outside the bills this plugin is mapped to (for example, not a property-fee bill); no offset can reduce it',
  ],
  ['bill_paid', 409, '账单 B-7 已缴清，不能再用抵扣减免', 'Bill B-7 is already paid; no offset can reduce it'],
  ['invalid_amount', 400, '抵扣金额必须是大于 0 的整数分', 'The offset amount must be a whole number of fen above zero'],
  ['expired', 409, '该抵扣已于 2026-11-30 过期', 'This offset expired on 2026-11-30'],
  ['exceeds_remaining', 409, '抵扣金额 ¥120.50 超过剩余可抵扣金额 ¥9.99', 'The amount ¥120.50 exceeds the remaining ¥9.99 of this offset'],
  [
    'exceeds_bill',
    409,
    '抵扣合计超过账单金额 ¥1,000.00：已抵扣 ¥950.00，本账单还可抵扣 ¥50.00',
    'The offsets would add up to more than the bill amount ¥1,000.00: ¥950.00 already applied, ¥50.00 still open to offsets',
  ],
  [
    'already_reversed',
    409,
    '该收款号的抵扣已由作废单 VOID-9 冲回，不能再次按它收款；请使用新的收款号重新核对',
    'The offset applied with this payment id was reversed by VOID-9; it no longer backs a payment. Check again with a new payment id',
  ],
];

describe('offset refusals: status, sentence and figures of each code', () => {
  for (const [code, status, zh, en] of expected) {
    it(`${code}: ${status}, named with its figures in zh-CN and en`, () => {
      const e = new OffsetRefusedError(code, facts);
      expect([e.code, e.refusal, e.status]).to.deep.equal([code, code, status]);
      expect(e.localized).to.deep.equal({ 'zh-CN': zh, en });
      expect(e.details).to.deep.equal({ refusal: code, ...facts });
    });
  }

  it('a refusal built without its figure leaves a blank, never "undefined"', () => {
    expect(refusalMessage('not_found')).to.deep.equal({ 'zh-CN': '抵扣 # 不存在', en: 'Offset # does not exist' });
    expect(refusalMessage('bill_paid')['zh-CN']).to.equal('账单  已缴清，不能再用抵扣减免');
    expect(refusalMessage('bill_not_mapped').en.startsWith('Bill  exists but')).to.equal(true);
    expect(refusalMessage('bill_not_found').en).to.equal('Bill  does not exist or was deleted');
    expect(refusalMessage('expired')).to.deep.equal({ 'zh-CN': '该抵扣已于  过期', en: 'This offset expired on ' });
    expect(refusalMessage('already_reversed')['zh-CN'].startsWith('该收款号的抵扣已由作废单  冲回')).to.equal(true);
    expect(refusalMessage('already_reversed').en.includes('reversed by ; it')).to.equal(true);
    expect(refusalMessage('exceeds_remaining').en).to.equal('The amount ¥0.00 exceeds the remaining ¥0.00 of this offset');
  });
});

// The warning shown when an offset asks for more than the unit's outstanding bills can still take: none at
// exactly the open amount, the "latest bills only" words when not every bill was read, and no "so far"
// sentence without the complaint's totals. Asked for by the mutation run of issue 22 (summaries.ts
// beyondOutstanding).
import { expect } from 'chai';
import { beyondOutstanding, type UnitOutstanding } from '../../src/offsets/summaries.js';

const outstanding = (more: boolean): UnitOutstanding => ({ unitId: '101', bills: [], outstandingFen: 12079, openFen: 10000, more });

describe('beyondOutstanding: the warning for more than the outstanding bills can take', () => {
  it('says nothing up to exactly what the bills can still take, and warns one fen above', () => {
    expect(beyondOutstanding('request', 10000, outstanding(false))).to.equal(null);
    expect(beyondOutstanding('request', 10001, outstanding(false))).to.not.equal(null);
  });

  it('words the warning without the complaint totals, every bill read', () => {
    expect(beyondOutstanding('approve', 10050, outstanding(false))).to.deep.equal({
      'zh-CN': '注意：批准金额 ¥100.50 超过该房屋未缴账单还可抵扣的合计 ¥100.00（0 笔未缴，未缴合计 ¥120.79），超出的 ¥0.50 目前没有账单可抵。',
      en: "Note: the amount to approve, ¥100.50, is more than the ¥100.00 the unit's outstanding bills can still take in offsets (0 outstanding, ¥120.79 in all); ¥0.50 has no bill to go against now.",
    });
  });

  it('says when only the latest bills were counted', () => {
    const w = beyondOutstanding('request', 10050, outstanding(true))!;
    expect(w['zh-CN']).to.include('（0 笔未缴，未缴合计 ¥120.79）（仅统计最近的账单），超出的');
    expect(w.en).to.include('(0 outstanding, ¥120.79 in all) (latest bills only); ¥0.50');
  });
});

import { expect } from 'chai';
import { fenFromInteger, formatFen, MoneyFormatError, parseYuan, yuanToFen } from '../../src/common/money.js';

function refused(fn: () => unknown): MoneyFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MoneyFormatError);
    return err as MoneyFormatError;
  }
  throw new Error('expected a MoneyFormatError');
}

describe('money', () => {
  describe('yuanToFen', () => {
    it('parses MySQL DECIMAL text digit by digit', () => {
      expect(yuanToFen('120.50')).to.equal(12050);
      expect(yuanToFen('0.29')).to.equal(29);
      expect(yuanToFen('1.15')).to.equal(115);
      expect(yuanToFen('99999999.99')).to.equal(9999999999);
      expect(yuanToFen('-3.05')).to.equal(-305);
      expect(yuanToFen('7')).to.equal(700);
    });

    it('accepts extra decimals only when they are zeros (DECIMAL(12,4))', () => {
      expect(yuanToFen('120.5000')).to.equal(12050);
      refused(() => yuanToFen('120.5010'));
    });

    it('converts SQLite REAL numbers whose naive *100 is not an integer', () => {
      // 0.29 * 100 === 28.999999999999996 and 1.15 * 100 === 114.99999999999999 in binary floating point.
      expect(0.29 * 100).to.not.equal(29);
      expect(yuanToFen(0.29)).to.equal(29);
      expect(yuanToFen(1.15)).to.equal(115);
      expect(yuanToFen(120.5)).to.equal(12050);
      expect(yuanToFen(1200)).to.equal(120000);
      expect(yuanToFen(99999999.99)).to.equal(9999999999);
      expect(Object.is(yuanToFen(-0), 0)).to.equal(true);
    });

    it('refuses numbers with more than two decimals and non-numbers', () => {
      refused(() => yuanToFen(120.505));
      refused(() => yuanToFen(0.001));
      refused(() => yuanToFen(Number.NaN));
      refused(() => yuanToFen('12,0.5'));
      refused(() => yuanToFen('abc'));
      refused(() => yuanToFen('1e3'));
    });
  });

  describe('fenFromInteger', () => {
    it('reads INT numbers and BIGINT text', () => {
      expect(fenFromInteger(12050)).to.equal(12050);
      expect(fenFromInteger('9007199254740991')).to.equal(Number.MAX_SAFE_INTEGER);
      expect(fenFromInteger(12n)).to.equal(12);
      expect(fenFromInteger('100.00')).to.equal(100);
    });

    it('refuses fractions and unsafe integers', () => {
      refused(() => fenFromInteger(1.5));
      refused(() => fenFromInteger('1.50'));
      refused(() => fenFromInteger('9007199254740993'));
    });
  });

  describe('formatFen', () => {
    it('formats fen as yuan with two decimals', () => {
      expect(formatFen(12050)).to.equal('120.50');
      expect(formatFen(5)).to.equal('0.05');
      expect(formatFen(0)).to.equal('0.00');
      expect(formatFen(-5)).to.equal('-0.05');
      expect(formatFen(120000)).to.equal('1200.00');
    });

    it('refuses non-integers', () => {
      expect(() => formatFen(1.5)).to.throw(RangeError);
    });

    it('round-trips with parseYuan', () => {
      for (const fen of [0, 1, 29, 115, 12050, 9999999999]) expect(parseYuan(formatFen(fen))).to.equal(fen);
    });
  });

  describe('parseYuan', () => {
    it('accepts the ways people write amounts', () => {
      expect(parseYuan('120')).to.equal(12000);
      expect(parseYuan('120.5')).to.equal(12050);
      expect(parseYuan('120.50')).to.equal(12050);
      expect(parseYuan('¥1,200.50')).to.equal(120050);
      expect(parseYuan('￥ 1,234,567.8')).to.equal(123456780);
      expect(parseYuan('  0.01 ')).to.equal(1);
      expect(parseYuan('0')).to.equal(0);
    });

    it('refuses negative amounts, a third decimal, bad grouping and anything else', () => {
      for (const bad of ['-1', '120.505', '1,20.00', '1,2000', '', ' ', 'abc', '1e3', '.5', '120.', '12 0', '+5', '¥', '$5', 'NaN', 'Infinity']) {
        refused(() => parseYuan(bad));
      }
    });

    it('explains the problem in zh-CN and en', () => {
      const err = refused(() => parseYuan('12.345'));
      expect(err.localized['zh-CN'])
        .to.contain('12.345')
        .and.to.match(/两位小数/);
      expect(err.localized.en)
        .to.contain('12.345')
        .and.to.match(/2 decimals/);
      expect(err.message).to.equal(err.localized.en);
    });

    it('refuses amounts beyond exact integer range', () => {
      refused(() => parseYuan('99999999999999999'));
    });
  });
});

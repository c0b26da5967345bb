// Complaint codes and local calendar days.
import { expect } from 'chai';
import { CODE_PATTERN, formatCode } from '../../src/complaints/codes.js';
import { dayKey, formatZoned, nextDay, startOfZonedDay } from '../../src/calendar/zoned.js';

describe('complaint codes and local days', () => {
  it('formats TS-YYYYMMDD-NNNN and grows past 9999 instead of wrapping', () => {
    expect(formatCode('20261128', 7)).to.equal('TS-20261128-0007');
    expect(formatCode('20261128', 12345)).to.equal('TS-20261128-12345');
    expect(CODE_PATTERN.test('ts-20261128-0007')).to.equal(true);
    expect(CODE_PATTERN.test('TS-2026112-0007')).to.equal(false);
  });

  it('takes the day in the company time zone', () => {
    expect(dayKey(new Date('2026-11-28T15:59:59Z'), 'Asia/Shanghai')).to.equal('20261128');
    expect(dayKey(new Date('2026-11-28T16:00:00Z'), 'Asia/Shanghai')).to.equal('20261129');
    expect(dayKey(new Date('2026-11-28T16:00:00Z'), 'UTC')).to.equal('20261128');
    expect(formatZoned(new Date('2026-11-28T01:05:00Z'), 'Asia/Shanghai')).to.equal('2026-11-28 09:05');
  });

  it('finds local midnight, also across daylight saving time', () => {
    expect(startOfZonedDay('2026-11-28', 'Asia/Shanghai').toISOString()).to.equal('2026-11-27T16:00:00.000Z');
    expect(startOfZonedDay('2026-03-29', 'Europe/Berlin').toISOString()).to.equal('2026-03-28T23:00:00.000Z');
    expect(startOfZonedDay('2026-03-30', 'Europe/Berlin').toISOString()).to.equal('2026-03-29T22:00:00.000Z');
    expect(nextDay('2026-12-31')).to.equal('2027-01-01');
  });
});

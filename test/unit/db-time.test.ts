// Stored timestamps read back: the digit-by-digit reading of 'YYYY-MM-DD HH:MM:SS.mmm' agrees with the
// generic ISO parse on every value, including the odd ones the generic parse rolls over.
import { expect } from 'chai';
import { fromDbTime, requireDbTime, toDbTime } from '../../src/db/time.js';

const generic = (stored: string) => new Date(`${stored.replace(' ', 'T')}Z`);

describe('stored timestamps', () => {
  it('reads back every written instant exactly', () => {
    let ms = Date.UTC(1999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 5000; i++) {
      ms += 7_919_113_337 + i * 17; // steps across months, leap days and every millisecond digit
      const date = new Date(ms);
      expect(fromDbTime(toDbTime(date))?.getTime()).to.equal(ms);
    }
  });

  it('agrees with the generic parse on values it rolls over or refuses', () => {
    for (const stored of [
      '2026-02-30 01:02:03.456',
      '2026-12-07 24:00:00.000',
      '2024-02-29 12:00:00.000',
      '0050-01-01 00:00:00.000',
      '2026-13-01 00:00:00.000',
      '1900-02-29 00:00:00.000',
      '2000-02-29 23:59:59.999',
      '2100-02-29 00:00:00.000',
      '2026-04-31 00:00:00.000',
      '2026-00-10 00:00:00.000',
      '2026-01-00 00:00:00.000',
      '2026-01-01 23:59:60.000',
      '2026-01-01 23:60:00.000',
      '0100-01-01 00:00:00.000',
      '0099-12-31 23:59:59.999',
      '2026-1-01 00:00:00.0000',
      '2026-01-01 00:00:00.00a',
    ]) {
      const read = fromDbTime(stored)!;
      const expected = generic(stored);
      expect(Number.isNaN(read.getTime()), stored).to.equal(Number.isNaN(expected.getTime()));
      if (!Number.isNaN(expected.getTime())) expect(read.toISOString(), stored).to.equal(expected.toISOString());
    }
    expect(() => requireDbTime('2026-13-01 00:00:00.000')).to.throw(/Invalid stored timestamp/);
  });

  it('still reads ISO text and the shorter forms', () => {
    expect(fromDbTime('2026-12-07T01:02:03.456Z')?.toISOString()).to.equal('2026-12-07T01:02:03.456Z');
    expect(fromDbTime('2026-12-07 01:02:03')?.toISOString()).to.equal('2026-12-07T01:02:03.000Z');
    expect(fromDbTime('2026-12-07T09:02:03+08:00')?.toISOString()).to.equal('2026-12-07T01:02:03.000Z');
  });
});

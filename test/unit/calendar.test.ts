// The service calendar across the 2026 National Day holiday (Oct 1–7, make-up working days Sun Sep 20
// and Sat Oct 10) in Asia/Shanghai, using the calendar data seeded in the settings defaults.
import { expect } from 'chai';
import { addServiceTime, coversYear, isWorkingDay, type ServiceCalendar } from '../../src/calendar/calendar.js';
import { fromLocal, toLocal } from '../../src/calendar/zoned.js';
import { defaultSettings } from '../../src/settings/settings.js';

const TZ = 'Asia/Shanghai';
const seeded = defaultSettings().serviceCalendar;
const working: ServiceCalendar = { ...seeded, mode: 'working' };
/** Shanghai wall-clock time → instant. */
const sh = (local: string) => new Date(`${local}+08:00`);

describe('service calendar', () => {
  it('ships the 2026 arrangement and counts calendar hours by default', () => {
    expect(seeded.mode).to.equal('calendar');
    expect(coversYear(seeded, 2026)).to.equal(true);
    expect(coversYear(seeded, 2027)).to.equal(false);
    const start = sh('2026-09-30T10:00:00');
    expect(addServiceTime(start, 24, seeded, TZ).toISOString()).to.equal(sh('2026-10-01T10:00:00').toISOString());
  });

  it('knows holidays, weekends and make-up working days', () => {
    const cases: Array<[string, boolean]> = [
      ['2026-09-19', false], // Saturday
      ['2026-09-20', true], // Sunday worked (调休)
      ['2026-09-30', true],
      ['2026-10-01', false],
      ['2026-10-03', false], // Saturday inside the holiday
      ['2026-10-07', false],
      ['2026-10-08', true],
      ['2026-10-10', true], // Saturday worked (调休)
      ['2026-10-11', false],
      ['2026-10-17', false], // an ordinary Saturday
    ];
    for (const [date, expected] of cases) expect(isWorkingDay(date, working, TZ), date).to.equal(expected);
  });

  it('takes the local date of an instant in the settings time zone', () => {
    // 17:00 UTC on Sep 30 is already 01:00 on Oct 1 in Shanghai.
    expect(isWorkingDay(new Date('2026-09-30T17:00:00Z'), working, TZ)).to.equal(false);
    expect(isWorkingDay(new Date('2026-09-30T15:00:00Z'), working, TZ)).to.equal(true);
  });

  it('carries working time over the National Day holiday', () => {
    // Sep 30 10:00–18:00 = 8 h, Oct 1–7 off, Oct 8 9 h, Oct 9 09:00 + 7 h.
    expect(addServiceTime(sh('2026-09-30T10:00:00'), 24, working, TZ).toISOString()).to.equal(sh('2026-10-09T16:00:00').toISOString());
    // Registered during the holiday: the clock starts on the first working morning.
    expect(addServiceTime(sh('2026-10-03T15:30:00'), 2, working, TZ).toISOString()).to.equal(sh('2026-10-08T11:00:00').toISOString());
  });

  it('counts a make-up Saturday and skips an ordinary one', () => {
    expect(addServiceTime(sh('2026-10-09T15:00:00'), 8, working, TZ).toISOString()).to.equal(sh('2026-10-10T14:00:00').toISOString());
    expect(addServiceTime(sh('2026-10-16T15:00:00'), 8, working, TZ).toISOString()).to.equal(sh('2026-10-19T14:00:00').toISOString());
    // The make-up Sunday before the holiday counts too.
    expect(addServiceTime(sh('2026-09-19T10:00:00'), 2, working, TZ).toISOString()).to.equal(sh('2026-09-20T11:00:00').toISOString());
  });

  it('handles the edges of the working day', () => {
    expect(addServiceTime(sh('2026-10-08T07:00:00'), 1, working, TZ).toISOString()).to.equal(sh('2026-10-08T10:00:00').toISOString());
    // Exactly a day's hours ends at closing time, not the next morning.
    expect(addServiceTime(sh('2026-09-30T09:00:00'), 9, working, TZ).toISOString()).to.equal(sh('2026-09-30T18:00:00').toISOString());
    expect(addServiceTime(sh('2026-09-30T20:00:00'), 1, working, TZ).toISOString()).to.equal(sh('2026-10-08T10:00:00').toISOString());
    expect(addServiceTime(sh('2026-09-30T20:00:00'), 0, working, TZ).toISOString()).to.equal(sh('2026-09-30T20:00:00').toISOString());
    expect(addServiceTime(sh('2026-09-30T17:30:00'), 0.75, working, TZ).toISOString()).to.equal(sh('2026-10-08T09:15:00').toISOString());
  });

  it('follows other working hours and weekends', () => {
    const sixDays: ServiceCalendar = { mode: 'working', workdayStart: '08:00', workdayEnd: '24:00', weekendDays: [0], years: {} };
    expect(isWorkingDay('2026-10-03', sixDays, TZ)).to.equal(true);
    expect(addServiceTime(sh('2026-10-03T20:00:00'), 6, sixDays, TZ).toISOString()).to.equal(sh('2026-10-05T10:00:00').toISOString());
  });

  it('refuses impossible input instead of looping', () => {
    expect(() => addServiceTime(new Date(), -1, working, TZ)).to.throw(RangeError);
    expect(() => addServiceTime(new Date(), 1, { ...working, workdayStart: '18:00', workdayEnd: '09:00' }, TZ)).to.throw(/workdayEnd/);
    const never: ServiceCalendar = { mode: 'working', workdayStart: '09:00', workdayEnd: '18:00', weekendDays: [0, 1, 2, 3, 4, 5, 6], years: {} };
    expect(() => addServiceTime(new Date(), 1, never, TZ)).to.throw(/no working time/);
  });

  it('converts wall-clock time in zones with daylight saving', () => {
    expect(fromLocal('2026-03-09', 9 * 60, 'America/New_York').toISOString()).to.equal('2026-03-09T13:00:00.000Z');
    expect(fromLocal('2026-03-06', 9 * 60, 'America/New_York').toISOString()).to.equal('2026-03-06T14:00:00.000Z');
    expect(toLocal(new Date('2026-10-01T15:59:00Z'), TZ)).to.deep.equal({ date: '2026-10-01', minutes: 23 * 60 + 59 });
  });
});

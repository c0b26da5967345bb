// Wall-clock fields in a zone come from the day's cached offset plus arithmetic (issue 20: formatToParts
// per date was a page's hot spot). They must equal what Intl says for every instant, DST days included:
// each zone here is checked every 17 minutes across its switches and at random instants over decades.
import { expect } from 'chai';
import { dayKey, formatZoned, formatZonedInput, fromLocal, toLocal } from '../../src/calendar/zoned.js';

function intl(instant: Date, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

// Shanghai (no DST since 1991, DST before), New York and London (1 h switches), Lord Howe (30 min),
// Kathmandu (+5:45), Apia (skipped a whole day in 2011).
const ZONES = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia'];
const SWITCH_DAYS = [
  '1988-04-10',
  '1991-09-15',
  '2011-12-29',
  '2011-12-30',
  '2026-03-08',
  '2026-03-29',
  '2026-04-05',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
];

describe('zoned wall-clock fields by cached offset', () => {
  for (const zone of ZONES) {
    it(`match Intl in ${zone} every 17 minutes around switch days and at random instants`, () => {
      const instants: number[] = [];
      for (const day of SWITCH_DAYS) {
        const start = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
        for (let t = start; t < start + 3 * 86_400_000; t += 17 * 60_000 + 13_000) instants.push(t);
      }
      let seed = 7;
      for (let i = 0; i < 500; i++) {
        seed = (seed * 48271) % 2147483647;
        instants.push(Date.UTC(1950, 0, 1) + (seed / 2147483647) * (Date.UTC(2060, 0, 1) - Date.UTC(1950, 0, 1)));
      }
      for (const t of instants) {
        const d = new Date(t);
        const expected = intl(d, zone);
        expect(formatZoned(d, zone), `${d.toISOString()} in ${zone}`).to.equal(expected);
        expect(formatZonedInput(d, zone)).to.equal(expected.replace(' ', 'T'));
        expect(dayKey(d, zone)).to.equal(expected.slice(0, 10).replace(/-/g, ''));
        expect(toLocal(d, zone).minutes).to.equal(Number(expected.slice(11, 13)) * 60 + Number(expected.slice(14, 16)));
      }
    });
  }

  it('still refuses an invalid date, as Intl does', () => {
    expect(() => formatZoned(new Date(NaN), 'Asia/Shanghai')).to.throw(RangeError);
  });

  it('reads local times back to the same instants (fromLocal uses the same offsets)', () => {
    expect(fromLocal('2026-03-08', 3 * 60, 'America/New_York').toISOString()).to.equal('2026-03-08T07:00:00.000Z');
    expect(fromLocal('2026-12-07', 10 * 60 + 30, 'Asia/Shanghai').toISOString()).to.equal('2026-12-07T02:30:00.000Z');
  });
});

// Wall-clock arithmetic in a named time zone with the built-in Intl API (no date library): the
// service calendar thinks in local days and hours, the database in UTC instants.

export interface LocalDateTime {
  /** 'YYYY-MM-DD' in the zone. */
  date: string;
  /** Minutes since local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // en-CA with h23 gives numeric parts we can read back; constructing it also rejects unknown zones.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

function parts(instant: Date, tz: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
function offsetAt(instant: Date, tz: string): number {
  const p = parts(instant, tz);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

export function toLocal(instant: Date, tz: string): LocalDateTime {
  const p = parts(instant, tz);
  const date = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  return { date, minutes: p.hour! * 60 + p.minute! };
}

/** The instant at which the zone's clocks read `date` + `minutes` (minutes may be 1440: the next midnight). */
export function fromLocal(date: string, minutes: number, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  // Two passes settle the offset even on a DST change day (China has none, other hosts may).
  let guess = wall - offsetAt(new Date(wall), tz);
  guess = wall - offsetAt(new Date(guess), tz);
  return new Date(guess);
}

export function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday, as Date#getDay. */
export function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** 'HH:MM' → minutes since midnight. */
export function parseClock(value: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(value);
  if (!match) throw new RangeError(`Expected a time of day as HH:MM, got "${value}"`);
  return Number(match[1]) * 60 + Number(match[2]);
}

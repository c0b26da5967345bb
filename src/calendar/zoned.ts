// The one place that does wall-clock arithmetic in a named time zone (the company's settings.timezone,
// Asia/Shanghai by default), with the built-in Intl API and no date library. Storage stays UTC; day
// boundaries, complaint codes, the service calendar and what people read depend on the zone.
import { LRUCache } from 'lru-cache';

export interface LocalDateTime {
  /** 'YYYY-MM-DD' in the zone. */
  date: string;
  /** Minutes since local midnight. */
  minutes: number;
}

interface ZonedParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA with h23 gives zero-padded numeric parts we can read back; constructing it rejects unknown zones.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's wall-clock fields at an instant, read through Intl (exact, but slow: one formatToParts each). */
function intlParts(instant: Date, timeZone: string): ZonedParts {
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') out[p.type] = p.value;
  return out as unknown as ZonedParts;
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h), through Intl. */
function offsetAt(instant: number, timeZone: string): number {
  const p = intlParts(new Date(instant), timeZone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/**
 * The zone's offset over one whole UTC day, by zone and day number; NaN for a day on which it changes
 * (a DST switch: those instants go through Intl one by one). A page formats dozens of dates, each a
 * formatToParts call before; now two calls per zone and day, then arithmetic. Bounded: least recently
 * used days go first.
 */
const dayOffsets = new LRUCache<string, number>({ max: 10_000 });

/** The offset at an instant: the day's when it holds all day (no zone changes twice within a UTC day). */
function cachedOffset(instant: number, timeZone: string): number {
  const day = Math.floor(instant / DAY_MS);
  const key = `${timeZone} ${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const first = offsetAt(day * DAY_MS, timeZone);
    offset = first === offsetAt((day + 1) * DAY_MS - 1, timeZone) ? first : NaN;
    dayOffsets.set(key, offset);
  }
  return Number.isNaN(offset) ? offsetAt(instant, timeZone) : offset;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The fast path's range: four-digit years, whatever the zone's offset. */
const YEAR_1900 = Date.UTC(1900, 0, 2);
const YEAR_9999 = Date.UTC(9999, 11, 30);

/** The same fields as intlParts, by adding the zone's offset (whole seconds, as Intl reports it). */
function zonedParts(instant: Date, timeZone: string): ZonedParts {
  const ms = instant.getTime();
  // Intl refuses an invalid date with a RangeError, and so must we; other years are rare enough for Intl.
  if (!Number.isFinite(ms) || ms < YEAR_1900 || ms >= YEAR_9999) return intlParts(instant, timeZone);
  const wall = new Date(Math.floor(ms / 1000) * 1000 + cachedOffset(ms, timeZone));
  return {
    year: String(wall.getUTCFullYear()),
    month: pad2(wall.getUTCMonth() + 1),
    day: pad2(wall.getUTCDate()),
    hour: pad2(wall.getUTCHours()),
    minute: pad2(wall.getUTCMinutes()),
    second: pad2(wall.getUTCSeconds()),
  };
}

export function toLocal(instant: Date, timeZone: string): LocalDateTime {
  const p = zonedParts(instant, timeZone);
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

/** The instant at which the zone's clocks read `date` + `minutes` (minutes may be 1440: the next midnight). */
export function fromLocal(date: string, minutes: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  // Two passes settle the offset even on a DST change day (China has none, other hosts may).
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return new Date(guess);
}

/** 'YYYYMMDD' of the local calendar day (used in complaint codes). */
export function dayKey(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${p.year}${p.month}${p.day}`;
}

/** 'YYYY-MM-DD' of the local calendar day: "today" for expiry dates, days paid, report periods. */
export function localDate(instant: Date, timeZone: string): string {
  return toLocal(instant, timeZone).date;
}

/** 'YYYY-MM-DD HH:mm' local time, for messages and pages people read. */
export function formatZoned(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** 'YYYY-MM-DDTHH:mm' local time, the value of an <input type="datetime-local">. */
export function formatZonedInput(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The instant local midnight begins on 'YYYY-MM-DD' in the zone. */
export function startOfZonedDay(date: string, timeZone: string): Date {
  return fromLocal(date, 0, timeZone);
}

/** The next calendar day 'YYYY-MM-DD'. */
export function nextDay(date: string): string {
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

/** Whether the name is a time zone Intl knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

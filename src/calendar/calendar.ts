// The service calendar: when the clock on a deadline or on the follow-up window is running.
// In 'calendar' mode every hour counts; in 'working' mode only working hours on working days, where
// public holidays and make-up working days (调休上班) come from per-year data administrators edit
// in settings, because the State Council publishes each year's arrangement only in November before.
import { fromLocal, nextDate, parseClock, toLocal, weekdayOf } from './zoned.js';

export interface CalendarYear {
  holidays: string[];
  workdays: string[];
}

export interface ServiceCalendar {
  mode: 'calendar' | 'working';
  /** 'HH:MM' local time the service opens on a working day. */
  workdayStart: string;
  /** 'HH:MM' local time it closes ('24:00' allowed). */
  workdayEnd: string;
  /** Days of the week that are not worked unless listed as workdays; 0 = Sunday. Default Saturday and Sunday. */
  weekendDays?: number[];
  /** Keyed by year, 'YYYY-MM-DD' local dates. */
  years: Record<string, CalendarYear>;
}

interface Compiled {
  holidays: Set<string>;
  workdays: Set<string>;
  weekend: Set<number>;
  open: number;
  close: number;
}

const compiledCache = new WeakMap<ServiceCalendar, Compiled>();

function compile(calendar: ServiceCalendar): Compiled {
  let c = compiledCache.get(calendar);
  if (c) return c;
  const open = parseClock(calendar.workdayStart);
  const close = calendar.workdayEnd === '24:00' ? 1440 : parseClock(calendar.workdayEnd);
  if (close <= open) throw new RangeError(`Service calendar: workdayEnd ${calendar.workdayEnd} must be after workdayStart ${calendar.workdayStart}`);
  const years = Object.values(calendar.years ?? {});
  c = {
    holidays: new Set(years.flatMap((y) => y.holidays ?? [])),
    workdays: new Set(years.flatMap((y) => y.workdays ?? [])),
    weekend: new Set(calendar.weekendDays ?? [0, 6]),
    open,
    close,
  };
  compiledCache.set(calendar, c);
  return c;
}

/** Is this local date ('YYYY-MM-DD', or the local date of an instant in tz) a working day? */
export function isWorkingDay(day: string | Date, calendar: ServiceCalendar, tz: string): boolean {
  const date = typeof day === 'string' ? day : toLocal(day, tz).date;
  const c = compile(calendar);
  // A date listed as both is a data error; the holiday wins so nobody is held to a day off.
  if (c.holidays.has(date)) return false;
  if (c.workdays.has(date)) return true;
  return !c.weekend.has(weekdayOf(date));
}

/** Whether the calendar has holiday data for a year (without it, only weekends are days off). */
export function coversYear(calendar: ServiceCalendar, year: number): boolean {
  return Object.prototype.hasOwnProperty.call(calendar.years ?? {}, String(year));
}

/** Longest search for working time: a misconfigured calendar (every day a holiday) must fail, not spin. */
const MAX_DAYS = 3660;

/**
 * The instant `hours` of service time after `start`. Calendar mode adds plain hours; working mode
 * counts only [workdayStart, workdayEnd) on working days, so a deadline never falls in a holiday and
 * time left at closing carries over to the next working morning.
 */
export function addServiceTime(start: Date, hours: number, calendar: ServiceCalendar, tz: string): Date {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError(`Service hours must be a non-negative number, got ${hours}`);
  let remaining = Math.round(hours * 3_600_000);
  if (calendar.mode !== 'working' || remaining === 0) return new Date(start.getTime() + remaining);
  const c = compile(calendar);
  let cursor = start.getTime();
  let date = toLocal(start, tz).date;
  for (let i = 0; i < MAX_DAYS; i++, date = nextDate(date)) {
    if (!isWorkingDay(date, calendar, tz)) continue;
    const open = fromLocal(date, c.open, tz).getTime();
    const close = fromLocal(date, c.close, tz).getTime();
    const from = Math.max(cursor, open);
    if (from >= close) continue;
    if (remaining <= close - from) return new Date(from + remaining);
    remaining -= close - from;
    cursor = close;
  }
  throw new RangeError(`Service calendar has no working time within ${MAX_DAYS} days of ${start.toISOString()}`);
}

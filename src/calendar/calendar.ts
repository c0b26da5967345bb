// The service calendar: when the clock on a deadline or on the follow-up window is running.
// In 'calendar' mode every hour counts; in 'working' mode only working hours on working days, where
// public holidays and make-up working days (调休上班) come from per-year data administrators edit
// in settings, because the State Council publishes each year's arrangement only in November before.
import { fieldError, type FieldError } from '../common/errors.js';
import { fromLocal, nextDay, parseClock, toLocal, weekdayOf } from './zoned.js';

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
  return addServiceMs(start, Math.round(hours * 3_600_000), calendar, tz);
}

/** As addServiceTime, in whole milliseconds (exact: a pause's remaining time is carried over to the ms). */
export function addServiceMs(start: Date, ms: number, calendar: ServiceCalendar, tz: string): Date {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`Service time must be a non-negative whole number of ms, got ${ms}`);
  let remaining = ms;
  if (calendar.mode !== 'working' || remaining === 0) return new Date(start.getTime() + remaining);
  const c = compile(calendar);
  let cursor = start.getTime();
  let date = toLocal(start, tz).date;
  for (let i = 0; i < MAX_DAYS; i++, date = nextDay(date)) {
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

/**
 * The service time between two instants, in ms: plain time in calendar mode; in working mode only the
 * working hours of working days (holidays skipped, make-up working days counted). 0 when `to` ≤ `from`.
 */
export function serviceMsBetween(from: Date, to: Date, calendar: ServiceCalendar, tz: string): number {
  const start = from.getTime();
  const end = to.getTime();
  if (end <= start) return 0;
  if (calendar.mode !== 'working') return end - start;
  const c = compile(calendar);
  let total = 0;
  let date = toLocal(from, tz).date;
  for (let i = 0; i < MAX_DAYS * 10; i++, date = nextDay(date)) {
    const dayStart = fromLocal(date, 0, tz).getTime();
    if (dayStart >= end) break;
    if (!isWorkingDay(date, calendar, tz)) continue;
    const open = Math.max(fromLocal(date, c.open, tz).getTime(), start);
    const close = Math.min(fromLocal(date, c.close, tz).getTime(), end);
    if (close > open) total += close - open;
  }
  return total;
}

/**
 * A deadline after the clock stood still from `pausedAt` to `resumedAt`: the service time that was left
 * when the pause began is counted again from the resumption, so the pause costs the company nothing. A
 * deadline already passed when the pause began stays where it was (the lateness happened before).
 */
export function deadlineAfterPause(deadline: Date, pausedAt: Date, resumedAt: Date, calendar: ServiceCalendar, tz: string): Date {
  if (deadline.getTime() <= pausedAt.getTime()) return deadline;
  const left = serviceMsBetween(pausedAt, deadline, calendar, tz);
  return addServiceMs(resumedAt, left, calendar, tz);
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  return !!m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === text;
}

/**
 * What the settings schema cannot say about a calendar, each under its field (`serviceCalendar.…`):
 * well-formed working hours that end after they start, some weekday worked, and real dates listed under
 * their own year, none both a holiday and a working day. Settings refuse a calendar with any of these,
 * because addServiceTime would throw on every deadline computed with it.
 */
export function calendarErrors(calendar: ServiceCalendar, field = 'serviceCalendar'): FieldError[] {
  const errors: FieldError[] = [];
  const startOk = CLOCK.test(calendar.workdayStart);
  const endOk = calendar.workdayEnd === '24:00' || CLOCK.test(calendar.workdayEnd);
  if (!startOk)
    errors.push(
      fieldError(
        `${field}.workdayStart`,
        `上班时间“${calendar.workdayStart}”格式应为 时:分（如 09:00）`,
        `Start of the working day "${calendar.workdayStart}" must be HH:MM (e.g. 09:00)`,
      ),
    );
  if (!endOk)
    errors.push(
      fieldError(
        `${field}.workdayEnd`,
        `下班时间“${calendar.workdayEnd}”格式应为 时:分（如 18:00，或 24:00）`,
        `End of the working day "${calendar.workdayEnd}" must be HH:MM (e.g. 18:00, or 24:00)`,
      ),
    );
  if (startOk && endOk) {
    const close = calendar.workdayEnd === '24:00' ? 1440 : parseClock(calendar.workdayEnd);
    if (close <= parseClock(calendar.workdayStart)) {
      errors.push(
        fieldError(
          `${field}.workdayEnd`,
          `下班时间 ${calendar.workdayEnd} 必须晚于上班时间 ${calendar.workdayStart}`,
          `The working day must end (${calendar.workdayEnd}) after it starts (${calendar.workdayStart})`,
        ),
      );
    }
  }
  const weekend = new Set(calendar.weekendDays ?? [0, 6]);
  if ([0, 1, 2, 3, 4, 5, 6].every((d) => weekend.has(d))) {
    errors.push(fieldError(`${field}.weekendDays`, '每周至少要有一天为工作日', 'At least one day of the week must be a working day'));
  }
  for (const [year, data] of Object.entries(calendar.years ?? {})) {
    const holidays = new Set(data.holidays ?? []);
    for (const list of ['holidays', 'workdays'] as const) {
      (data[list] ?? []).forEach((date, i) => {
        const at = `${field}.years.${year}.${list}.${i}`;
        const kind = list === 'holidays' ? { zh: '节假日', en: 'holiday' } : { zh: '调休工作日', en: 'make-up working day' };
        if (!isCalendarDate(date))
          errors.push(fieldError(at, `${kind.zh}“${date}”不是有效日期（年-月-日）`, `The ${kind.en} "${date}" is not a valid date (YYYY-MM-DD)`));
        else if (date.slice(0, 4) !== year) errors.push(fieldError(at, `${kind.zh} ${date} 不属于 ${year} 年`, `The ${kind.en} ${date} is not in ${year}`));
        else if (list === 'workdays' && holidays.has(date))
          errors.push(fieldError(at, `${date} 不能既是节假日又是调休工作日`, `${date} cannot be both a holiday and a make-up working day`));
      });
    }
  }
  return errors;
}

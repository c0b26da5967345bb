// The period a report covers: whole local calendar days 'YYYY-MM-DD' … 'YYYY-MM-DD' (both included) in
// the company's time zone, turned into the half-open UTC range [start, end) that the indexed
// received_at column is compared with.
import { ValidationError, fieldError, type FieldError } from '../common/errors.js';
import { nextDay, startOfZonedDay, localDate } from '../calendar/zoned.js';

/** A year and a day: a calendar year (leap or not) fits; longer spans belong in pre-aggregated data. */
export const MAX_PERIOD_DAYS = 366;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface Period {
  /** First local day, included. */
  from: string;
  /** Last local day, included. */
  to: string;
  timeZone: string;
  /** The instant `from` begins. */
  start: Date;
  /** The instant the day after `to` begins (excluded). */
  end: Date;
  days: number;
}

function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

function dayNumber(ymd: string): number {
  return Date.parse(`${ymd}T00:00:00Z`) / 86_400_000;
}

/** Validates the two dates (400 per field) and returns the period. */
export function parsePeriod(from: unknown, to: unknown, timeZone: string): Period {
  const errors: FieldError[] = [];
  const f = typeof from === 'string' ? from.trim() : '';
  const t = typeof to === 'string' ? to.trim() : '';
  if (!isDate(f)) errors.push(fieldError('from', '请填写开始日期（年-月-日）', 'Enter the first day (YYYY-MM-DD)'));
  if (!isDate(t)) errors.push(fieldError('to', '请填写结束日期（年-月-日）', 'Enter the last day (YYYY-MM-DD)'));
  if (!errors.length) {
    const days = dayNumber(t) - dayNumber(f) + 1;
    if (days < 1) errors.push(fieldError('to', '结束日期不能早于开始日期', 'The last day cannot be before the first day'));
    else if (days > MAX_PERIOD_DAYS) errors.push(fieldError('to', `统计期间最长 ${MAX_PERIOD_DAYS} 天`, `A report covers at most ${MAX_PERIOD_DAYS} days`));
  }
  if (errors.length) throw new ValidationError(errors);
  return { from: f, to: t, timeZone, start: startOfZonedDay(f, timeZone), end: startOfZonedDay(nextDay(t), timeZone), days: dayNumber(t) - dayNumber(f) + 1 };
}

/** The month so far: the first of this month to today, in the zone. */
export function monthToDate(now: Date, timeZone: string): { from: string; to: string } {
  const today = localDate(now, timeZone);
  return { from: `${today.slice(0, 8)}01`, to: today };
}

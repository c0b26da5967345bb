// Display formatting for the pages: times are stored in UTC and shown in the company's time zone
// (Asia/Shanghai unless the settings say otherwise). Formatters are built once per zone.
import { formatZoned, formatZonedInput, fromLocal, isTimeZone, localDate } from '../calendar/zoned.js';

/** An unknown zone in the settings must not break a page: show Shanghai time instead. */
function zoneOrDefault(timeZone: string): string {
  return isTimeZone(timeZone) ? timeZone : 'Asia/Shanghai';
}

function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'string' && value) {
    const iso = value.includes('T') ? value : value.replace(' ', 'T');
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** 'YYYY-MM-DD HH:mm' in the zone; '' for no date. */
export function formatDateTime(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  return formatZoned(d, zoneOrDefault(timeZone));
}

/** 'YYYY-MM-DD' in the zone. */
export function formatDate(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  return localDate(d, zoneOrDefault(timeZone));
}

/** The value for an <input type="datetime-local"> in the zone: 'YYYY-MM-DDTHH:mm'. */
export function toLocalInput(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  return formatZonedInput(d, zoneOrDefault(timeZone));
}

/** Parses 'YYYY-MM-DDTHH:mm' (or 'YYYY-MM-DD HH:mm', or a date alone) typed in the zone → UTC Date; null if invalid. */
export function fromLocalInput(text: string, timeZone = 'Asia/Shanghai'): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h = '23', mi = '59'] = m.slice(1);
  const guess = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)));
  if (guess.getUTCMonth() !== Number(mo) - 1 || guess.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) return null;
  return fromLocal(`${y}-${mo}-${d}`, Number(h) * 60 + Number(mi), zoneOrDefault(timeZone));
}

// Timestamps are stored as UTC strings 'YYYY-MM-DD HH:MM:SS.mmm' on both clients (DATETIME(3) on MySQL,
// TEXT on SQLite) so they sort and compare the same way; conversion to Asia/Shanghai is for display only.

export function toDbTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** The number written by the decimal digits value[from..to), or -1 if any is not a digit. */
function digitsAt(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * 'YYYY-MM-DD HH:MM:SS.mmm' read by its character codes, without a regex or ISO text to parse (a list row
 * holds ~15): the epoch milliseconds, or NaN for anything else, including years below 100 (Date.UTC would
 * read them as 19xx) and impossible values (02-30, month 13, hour 24), which Date.UTC would roll over.
 */
function storedTimeMs(value: string): number {
  if (
    value.length !== 23 ||
    value.charCodeAt(4) !== 45 || // -
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 32 || // space
    value.charCodeAt(13) !== 58 || // :
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 // .
  )
    return NaN;
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 5, 7);
  const d = digitsAt(value, 8, 10);
  const h = digitsAt(value, 11, 13);
  const mi = digitsAt(value, 14, 16);
  const s = digitsAt(value, 17, 19);
  const ms = digitsAt(value, 20, 23);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || ms < 0) return NaN;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return NaN;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

export function fromDbTime(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const ms = storedTimeMs(value);
  if (ms === ms) return new Date(ms); // not NaN
  // Other shapes (ISO text, no milliseconds, an offset) and the odd values go the generic way.
  const iso = value.includes('T') ? value : value.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function requireDbTime(value: string | Date | null | undefined): Date {
  const date = fromDbTime(value);
  if (!date || Number.isNaN(date.getTime())) throw new Error(`Invalid stored timestamp: ${String(value)}`);
  return date;
}

// Timestamps are stored as UTC strings 'YYYY-MM-DD HH:MM:SS.mmm' on both clients (DATETIME(3) on MySQL,
// TEXT on SQLite) so they sort and compare the same way; conversion to Asia/Shanghai is for display only.

export function toDbTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' read by its digits, without building ISO text to parse (a list row holds ~15). */
const STORED_TIME = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})$/;

export function fromDbTime(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const stored = STORED_TIME.exec(value);
  // Years below 100 would be read as 19xx by Date.UTC: those go the generic way.
  if (stored && stored[1]! >= '0100') {
    const [, y, mo, d, h, mi, s, ms] = stored;
    const date = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, +ms!));
    // Date.UTC rolls impossible values over (02-30 → 03-02, month 13): those go the generic way too.
    if (
      date.getUTCMonth() === +mo! - 1 &&
      date.getUTCDate() === +d! &&
      date.getUTCHours() === +h! &&
      date.getUTCMinutes() === +mi! &&
      date.getUTCSeconds() === +s!
    )
      return date;
  }
  const iso = value.includes('T') ? value : value.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function requireDbTime(value: string | Date | null | undefined): Date {
  const date = fromDbTime(value);
  if (!date || Number.isNaN(date.getTime())) throw new Error(`Invalid stored timestamp: ${String(value)}`);
  return date;
}

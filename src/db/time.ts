// Timestamps are stored as UTC strings 'YYYY-MM-DD HH:MM:SS.mmm' on both clients (DATETIME(3) on MySQL,
// TEXT on SQLite) so they sort and compare the same way; conversion to Asia/Shanghai is for display only.

export function toDbTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDbTime(value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const iso = value.includes('T') ? value : value.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

export function requireDbTime(value: string | Date | null | undefined): Date {
  const date = fromDbTime(value);
  if (!date || Number.isNaN(date.getTime())) throw new Error(`Invalid stored timestamp: ${String(value)}`);
  return date;
}

// Display formatting for the pages: times are stored in UTC and shown in the company's time zone
// (Asia/Shanghai unless the settings say otherwise). Formatters are built once per zone.
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    }
    dateTimeFormats.set(timeZone, f);
  }
  return f;
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

function parts(date: Date, timeZone: string): Record<string, string> {
  return Object.fromEntries(formatterFor(timeZone).formatToParts(date).map((p) => [p.type, p.value]));
}

/** 'YYYY-MM-DD HH:mm' in the zone; '' for no date. */
export function formatDateTime(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  const p = parts(d, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** 'YYYY-MM-DD' in the zone. */
export function formatDate(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  const p = parts(d, timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** The value for an <input type="datetime-local"> in the zone: 'YYYY-MM-DDTHH:mm'. */
export function toLocalInput(value: unknown, timeZone = 'Asia/Shanghai'): string {
  const d = toDate(value);
  if (!d) return '';
  const p = parts(d, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** Offset of a zone from UTC at a given instant, in minutes (Asia/Shanghai: +480). */
function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const p = parts(at, timeZone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
  return Math.round((asUtc - Math.floor(at.getTime() / 60000) * 60000) / 60000);
}

/** Parses 'YYYY-MM-DDTHH:mm' (or 'YYYY-MM-DD HH:mm', or a date alone) typed in the zone → UTC Date; null if invalid. */
export function fromLocalInput(text: string, timeZone = 'Asia/Shanghai'): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h = '23', mi = '59'] = m.slice(1);
  const guess = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)));
  if (guess.getUTCMonth() !== Number(mo) - 1 || guess.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) return null;
  const offset = zoneOffsetMinutes(guess, timeZone);
  return new Date(guess.getTime() - offset * 60000);
}

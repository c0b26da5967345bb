// Masking of owners' contact data for everything that is not the one place a person with a reason reads
// it in full (the complaint's page, after a click that is audited): lists, workbenches, exports, staff
// notices, webhooks and logs show 138****8000. The shape follows what Chinese banks and apps print.

/** A mainland mobile number (optionally +86), not part of a longer run of digits. */
export const MOBILE_IN_TEXT = /(?<!\d)(?:(?:\+|00)?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)/g;

/**
 * 13800138000 → 138****8000. Anything else with at least 7 digits keeps its first 3 and last 4 digits
 * (a landline 02112345678 → 021****5678); shorter text is hidden entirely; empty stays empty.
 */
export function maskMobile(mobile: string | null | undefined): string {
  if (mobile === null || mobile === undefined) return '';
  const digits = mobile.replace(/[\s-]/g, '').replace(/^(?:\+|00)86/, '');
  if (digits === '') return '';
  if (!/^\d+$/.test(digits)) return '****';
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

const MOBILE_PREFIX = /1[3-9]\d/;

/** Free text with every mobile number in it masked ("业主来电 13812345678" → "业主来电 138****5678"). */
export function maskMobilesInText(text: string): string {
  // Every match is at least 11 characters and holds 1[3-9]d: text without them (most of it) is returned
  // without running the full pattern.
  if (text.length < 11 || !MOBILE_PREFIX.test(text)) return text;
  return text.replace(MOBILE_IN_TEXT, (_m, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

/** Whether the text still holds a full mobile number. */
export function holdsFullMobile(text: string): boolean {
  return new RegExp(MOBILE_IN_TEXT.source).test(text);
}

/**
 * A deep copy with every string masked (for notices and webhooks to staff); keys whose values are contact
 * data are masked whole. Identifiers are never touched (a receipt number or a host key of 11 digits that
 * looks like a mobile must reach the host's ledger as it is): keys ending in id, key, code or ref.
 */
export function maskMobilesDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskMobilesInText(value);
  if (value === null || typeof value !== 'object' || depth > 8 || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => maskMobilesDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = IDENTIFIER_KEY.test(key) ? v : CONTACT_KEY.test(key) && typeof v === 'string' ? maskMobile(v) : maskMobilesDeep(v, depth + 1);
  }
  return out;
}

/** Payload keys that hold identifiers (offsetId, billId, paymentKey, complaintCode, reference): kept as they are. */
const IDENTIFIER_KEY = /(?:id|ids|key|code|ref|reference)$/i;
const identifierKeys = new Map<string, boolean>();
/** IDENTIFIER_KEY remembered per key (a list masks the same seventy keys on every row). */
function isIdentifierKey(key: string): boolean {
  let known = identifierKeys.get(key);
  if (known === undefined) {
    known = IDENTIFIER_KEY.test(key);
    if (identifierKeys.size < 1000) identifierKeys.set(key, known);
  }
  return known;
}

/** Payload keys that hold a phone number whatever its shape. */
const CONTACT_KEY = /phone|mobile/i;

/**
 * A complaint-shaped object for display or an API answer: the complainant's number masked and every
 * mobile number typed into its free text masked too (a description saying "业主来电 13812345678").
 */
export function maskedRecord<T extends { complainantPhone: string }>(record: T): T {
  return masked(record, undefined) as T;
}

/**
 * maskedRecord with every Date value replaced by `dateAs(date)` in the same pass (an answer about to be
 * written as JSON passes the text JSON.stringify would write for it).
 */
export function maskedRecordWithDates<T extends { complainantPhone: string }>(record: T, dateAs: (date: Date) => unknown): Record<keyof T, unknown> {
  return masked(record, dateAs) as Record<keyof T, unknown>;
}

function masked(record: { complainantPhone: string }, dateAs: ((date: Date) => unknown) | undefined): Record<string, unknown> {
  // A copy of the whole record (which keeps a record's fast V8 layout, unlike seventy keys set one by one
  // on {}), then only the values that change are written over it, in place: key order unchanged.
  const out: Record<string, unknown> = { ...record };
  for (const key of Object.keys(out)) {
    const value = out[key];
    if (typeof value === 'string') {
      if (isIdentifierKey(key)) continue;
      const shown = maskMobilesInText(value);
      if (shown !== value) out[key] = shown;
    } else if (dateAs !== undefined && value instanceof Date) {
      out[key] = dateAs(value);
    }
  }
  out.complainantPhone = maskMobile(record.complainantPhone);
  return out;
}

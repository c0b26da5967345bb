// Masking of personal data in what leaves the plugin (exports, printed lists): a mainland mobile keeps its
// first three and last four digits (138****8000), enough to tell owners apart on a ledger without handing
// their numbers to whoever opens the file.

/**
 * 13800138000 → 138****8000. Other numbers (landlines, extensions) keep only their last four characters;
 * very short values are hidden whole; nothing yields ''.
 */
export function maskMobile(mobile: string | null | undefined): string {
  if (mobile === null || mobile === undefined) return '';
  const digits = mobile.trim();
  if (digits === '') return '';
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)}****${digits.slice(7)}`;
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

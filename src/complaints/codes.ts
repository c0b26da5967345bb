// Readable complaint codes TS-YYYYMMDD-NNNN, numbered per local day by a counter row. The counter is
// bumped with a conditional UPDATE inside the intake transaction: the row lock (MySQL) or the single
// writer (SQLite) serialises concurrent intakes, and a failed intake rolls its number back (no gaps).
// The counter's SQL is in store/dayCounters.ts.

export const CODE_PREFIX = 'TS';

export function formatCode(day: string, seq: number): string {
  return `${CODE_PREFIX}-${day}-${String(seq).padStart(4, '0')}`;
}

export const CODE_PATTERN = /^TS-\d{8}-\d{4,}$/i;

/** Raised inside the transaction when the day has no counter row yet (see ensureDayCounter). */
export class MissingDayCounter extends Error {
  constructor(readonly day: string) {
    super(`No complaint code counter for ${day} yet`);
  }
}

// Small statistics over what the report's queries return: percentiles of sorted durations and shares.

/**
 * The p-th percentile (0 ≤ p ≤ 1) of values sorted ascending, by linear interpolation between the two
 * nearest ranks: rank h = (n − 1)·p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). This is Excel's
 * PERCENTILE.INC (and numpy's default), so a reader can check the exported figures in a spreadsheet;
 * p = 0.5 is the usual median (the mean of the two middle values when n is even). null when empty.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  if (p < 0 || p > 1) throw new RangeError(`percentile needs 0 ≤ p ≤ 1, got ${p}`);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

export interface Share {
  /** How many have the property. */
  count: number;
  /** Out of how many. */
  of: number;
  /** count / of, or null when there is nothing to divide by. */
  rate: number | null;
}

export function share(count: number, of: number): Share {
  return { count, of, rate: of > 0 ? count / of : null };
}

export interface Durations {
  /** How many durations were measured. */
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export function durations(sortedMs: readonly number[]): Durations {
  return { count: sortedMs.length, medianMs: percentile(sortedMs, 0.5), p90Ms: percentile(sortedMs, 0.9) };
}

// Small statistics over what the report's queries return: percentiles of sorted durations and shares.

/**
 * The p-th percentile (0 ≤ p ≤ 1) of values sorted ascending, by linear interpolation between the two
 * nearest ranks: rank h = (n − 1)·p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). This is Excel's
 * PERCENTILE.INC (and numpy's default), so a reader can check the exported figures in a spreadsheet;
 * p = 0.5 is the usual median (the mean of the two middle values when n is even). null when empty.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  return percentileOf(sorted.length, p, (rank) => sorted[rank]!);
}

/** The two ranks (0-based, ascending) the p-th percentile of n values is read from. */
export function percentileRanks(n: number, p: number): [number, number] {
  if (p < 0 || p > 1) throw new RangeError(`percentile needs 0 ≤ p ≤ 1, got ${p}`);
  const lo = Math.floor((n - 1) * p);
  return [lo, Math.min(lo + 1, n - 1)];
}

/** percentile() of n sorted values known only by rank (valueAt needs only the ranks percentileRanks names). */
export function percentileOf(n: number, p: number, valueAt: (rank: number) => number): number | null {
  if (!n) return null;
  const [lo, hi] = percentileRanks(n, p);
  const h = (n - 1) * p;
  const below = valueAt(lo);
  return below + (h - lo) * (valueAt(hi) - below);
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

/** The percentiles a Durations reports. */
export const DURATION_PERCENTILES = { medianMs: 0.5, p90Ms: 0.9 } as const;

export function durations(sortedMs: readonly number[]): Durations {
  return { count: sortedMs.length, medianMs: percentile(sortedMs, DURATION_PERCENTILES.medianMs), p90Ms: percentile(sortedMs, DURATION_PERCENTILES.p90Ms) };
}

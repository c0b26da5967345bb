// Reading the report's monthly rollup (src/reports/rollupStore.ts) for a run of months: the summed
// counters, the breakdowns and the duration histograms in two small reads, the units with the most
// complaints from the top of an index, and the exact percentiles of the durations from their histogram and
// the few summary rows of the bins the percentiles fall in.
import type { Knex } from 'knex';
import type { TableNames } from '../db/tables.js';
import { binOf, DIMENSION_COLUMNS, DURATION_COLUMNS, TOTAL_COUNTERS, type CalendarMonth, type DurationColumn, type TotalCounter } from './rollupStore.js';
import { percentileOf, percentileRanks, type Durations } from './stats.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface RollupCounts {
  /** The 'total' counters summed, for the complaints not cancelled and the cancelled ones. */
  totals: { open: Record<TotalCounter, number>; cancelled: Record<TotalCounter, number> };
  /** Dimension column → value (null: not set) → complaints not cancelled; zeros left out. */
  by: Record<(typeof DIMENSION_COLUMNS)[number], Map<string | null, number>>;
  /** Duration column → bin → complaints not cancelled with that duration. */
  histograms: Record<DurationColumn, Map<number, number>>;
}

const zeros = (): Record<TotalCounter, number> => Object.fromEntries(TOTAL_COUNTERS.map((c) => [c, 0])) as Record<TotalCounter, number>;

/** The counters, breakdowns and histograms of these months, side by side. */
export async function readRollupCounts(db: Knex, tables: TableNames, months: readonly CalendarMonth[]): Promise<RollupCounts> {
  const ids = months.map((m) => m.month);
  const [totalRows, countRows] = await Promise.all([
    db(tables.reportRollup)
      .select('v', ...TOTAL_COUNTERS.map((c) => db.raw(`SUM(??) AS ??`, [c, c])))
      .where('kind', 'total')
      .whereIn('month', ids)
      .groupBy('v') as Promise<Row[]>,
    db(tables.reportRollup)
      .select('kind', 'v', 'v_null', db.raw('SUM(n) AS n'))
      .whereIn('kind', [...DIMENSION_COLUMNS, ...DURATION_COLUMNS])
      .whereIn('month', ids)
      .groupBy('kind', 'v', 'v_null') as Promise<Row[]>,
  ]);
  const out: RollupCounts = {
    totals: { open: zeros(), cancelled: zeros() },
    by: Object.fromEntries(DIMENSION_COLUMNS.map((d) => [d, new Map()])) as RollupCounts['by'],
    histograms: { resolve_ms: new Map(), ack_ms: new Map() },
  };
  for (const row of totalRows) {
    const target = String(row.v) === '1' ? out.totals.cancelled : out.totals.open;
    for (const c of TOTAL_COUNTERS) target[c] += num(row[c]);
  }
  for (const row of countRows) {
    const n = num(row.n);
    if (!n) continue;
    const kind = String(row.kind);
    if ((DURATION_COLUMNS as readonly string[]).includes(kind)) out.histograms[kind as DurationColumn].set(Number(row.v), n);
    else out.by[kind as (typeof DIMENSION_COLUMNS)[number]].set(num(row.v_null) ? null : String(row.v), n);
  }
  return out;
}

/** The incidents (ids as text) that complaints of these months not cancelled belong to. */
export async function rollupIncidentIds(db: Knex, tables: TableNames, months: readonly CalendarMonth[]): Promise<string[]> {
  const rows = (await db(tables.reportRollup)
    .distinct('v')
    .where('kind', 'incident')
    .whereIn(
      'month',
      months.map((m) => m.month),
    )
    .where('n', '>', 0)) as Row[];
  return rows.map((r) => String(r.v));
}

/**
 * The units with the most complaints not cancelled in these months (most first, then by unit id, as the
 * per-complaint read orders them). One month: the rows from the top of the (month, kind, n) index down to
 * the tenth unit's count, ties included. Several: each unit's months summed.
 */
export async function rollupTopUnits(db: Knex, tables: TableNames, months: readonly CalendarMonth[], limit: number): Promise<Row[]> {
  const units = () => db(tables.reportRollup).where('kind', 'unit');
  if (months.length === 1) {
    // Two reads down the index, each a range of it: the tenth unit's count, then every unit with at least
    // as many (ties included), sorted as the per-complaint read sorts them.
    const month = months[0]!.month;
    const tenth = (await units()
      .where('month', month)
      .where('n', '>', 0)
      .orderBy('n', 'desc')
      .offset(limit - 1)
      .first('n')) as Row | undefined;
    return (await units()
      .where('month', month)
      .where('n', '>=', Math.max(1, num(tenth?.n)))
      .select('unit_id', 'n')
      .orderBy([
        { column: 'n', order: 'desc' },
        { column: 'unit_id', order: 'asc' },
      ])
      .limit(limit)) as Row[];
  }
  return (await units()
    .whereIn(
      'month',
      months.map((m) => m.month),
    )
    .select('unit_id', db.raw('SUM(n) AS n'))
    .groupBy('unit_id')
    .having(db.raw('SUM(n)'), '>', 0)
    .orderBy([
      { column: 'n', order: 'desc' },
      { column: 'unit_id', order: 'asc' },
    ])
    .limit(limit)) as Row[];
}

/** The rollup disagrees with the summary rows it was summed from (it was changed around the stores). */
export class StaleRollupError extends Error {}

/** Where a rank falls: its bin and its place among the bin's values (ascending). */
interface Place {
  bin: number;
  offset: number;
}

function locate(histogram: Map<number, number>, rank: number): Place {
  let before = 0;
  for (const bin of [...histogram.keys()].sort((a, b) => a - b)) {
    const n = histogram.get(bin)!;
    if (rank < before + n) return { bin, offset: rank - before };
    before += n;
  }
  throw new StaleRollupError(`rank ${rank} is beyond the histogram's ${before} values`);
}

/**
 * Exact percentiles (those of durations(): median and p90, PERCENTILE.INC) of the durations of the months'
 * complaints together with `extra` (the durations read per complaint for the rest of the period), from the
 * months' histograms: each percentile's two ranks are located in a bin, and only those bins' values are
 * read (readBins: the months' values in the given bins, per duration column).
 */
export async function exactDurations(
  histograms: Record<DurationColumn, Map<number, number>>,
  extra: Record<DurationColumn, readonly number[]>,
  percentiles: Record<keyof Omit<Durations, 'count'>, number>,
  readBins: (bins: Record<DurationColumn, number[]>) => Promise<Record<DurationColumn, number[]>>,
): Promise<Record<DurationColumn, Durations>> {
  const combined = {} as Record<DurationColumn, Map<number, number>>;
  const wanted = {} as Record<DurationColumn, Map<number, Place[]>>;
  for (const column of DURATION_COLUMNS) {
    const histogram = new Map(histograms[column]);
    for (const v of extra[column]) histogram.set(binOf(v), (histogram.get(binOf(v)) ?? 0) + 1);
    combined[column] = histogram;
    const n = [...histogram.values()].reduce((a, b) => a + b, 0);
    const bins = new Map<number, Place[]>();
    if (n) {
      for (const p of Object.values(percentiles)) {
        for (const rank of percentileRanks(n, p)) {
          const place = locate(histogram, rank);
          bins.set(place.bin, [...(bins.get(place.bin) ?? []), place]);
        }
      }
    }
    wanted[column] = bins;
  }
  const bins = Object.fromEntries(DURATION_COLUMNS.map((c) => [c, [...wanted[c].keys()]])) as Record<DurationColumn, number[]>;
  const read = DURATION_COLUMNS.some((c) => bins[c].length) ? await readBins(bins) : { resolve_ms: [], ack_ms: [] };
  const out = {} as Record<DurationColumn, Durations>;
  for (const column of DURATION_COLUMNS) {
    // The values of each wanted bin, sorted: the months' read here, the rest's from `extra`.
    const inBin = new Map<number, number[]>([...wanted[column].keys()].map((bin) => [bin, []]));
    for (const v of read[column]) inBin.get(binOf(v))?.push(v);
    // Each bin read must hold what the months' histogram counts in it, or the offsets would be off.
    for (const [bin, values] of inBin) {
      if (values.length !== (histograms[column].get(bin) ?? 0)) {
        throw new StaleRollupError(
          `the rollup counts ${histograms[column].get(bin) ?? 0} ${column} values in bin ${bin}, the summary rows hold ${values.length}`,
        );
      }
    }
    for (const v of extra[column]) inBin.get(binOf(v))?.push(v);
    for (const values of inBin.values()) values.sort((a, b) => a - b);
    const n = [...combined[column].values()].reduce((a, b) => a + b, 0);
    const valueAt = (rank: number): number => {
      const place = locate(combined[column], rank);
      const value = inBin.get(place.bin)?.[place.offset];
      if (value === undefined) throw new StaleRollupError(`the rollup's ${column} histogram counts a value its bin ${place.bin} does not hold`);
      return value;
    };
    const result: Durations = { count: n, medianMs: null, p90Ms: null };
    for (const [field, p] of Object.entries(percentiles) as Array<[keyof Omit<Durations, 'count'>, number]>) result[field] = percentileOf(n, p, valueAt);
    out[column] = result;
  }
  return out;
}

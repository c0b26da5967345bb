// The growth table (issue 20): each figure at the quick profile (20k complaints) beside the full one (1M),
// so how per-request cost grows with data is visible. It compares two results files, the run just made
// and the latest of the other profile found in the results folders (bench/results and --out). The two
// runs were made at different times on a shared machine: the raw cost is what the goal judges; the
// normalised column (the figure's cost relative to its same-run baseline) takes the machine's load out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface FigureLike {
  what: string;
  unit: string;
  figureValue: number;
  baselineValue: number;
  notMeasured?: boolean;
}
interface ResultLike {
  date: string;
  profile: string;
  figures: FigureLike[];
}

export interface GrowthRow {
  what: string;
  /** ms per request (1000 / req/s) or ms p99, quick then full. */
  unit: string;
  quick: number;
  full: number;
  growth: number;
  /** The same, each divided by its same-run baseline's cost. */
  normalisedGrowth: number;
  goal: number | null;
  met: boolean | null;
}

/** Figures whose per-request cost must grow at most 1.5× from 20k to 1M complaints. */
const GOALS: Array<[RegExp, number]> = [
  [/^billing check over HTTP, one bill/, 1.5],
  [/^apply offset/, 1.5],
  [/^intake form page, signed in/, 1.5],
  [/^complaint list, filtered and sorted, page 1$/, 1.5],
];

/**
 * The newest results file of the other profile ("quick" looks for YYYY-MM-DD-quick.json; "full" for
 * YYYY-MM-DD.json, or YYYY-MM-DD-b.json for a later run of the same day kept beside the first).
 */
export function latestResult(dirs: string[], profile: 'quick' | 'full'): { file: string; result: ResultLike } | null {
  const pattern = profile === 'quick' ? /^\d{4}-\d{2}-\d{2}-quick\.json$/ : /^\d{4}-\d{2}-\d{2}(-[a-z])?\.json$/;
  // Newest first: by date, then a day's later runs (-b, -c) before its first.
  const order = (file: string) => {
    const name = file
      .split('/')
      .pop()!
      .replace(/\.json$/, '');
    return /-[a-z]$/.test(name) ? name : `${name}-0`;
  };
  const found: string[] = [];
  for (const dir of new Set(dirs)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (pattern.test(name)) found.push(join(dir, name));
  }
  found.sort((a, b) => (order(a) < order(b) ? 1 : -1));
  for (const file of found) {
    try {
      const result = JSON.parse(readFileSync(file, 'utf8')) as ResultLike;
      if (Array.isArray(result.figures)) return { file, result };
    } catch {
      // a half-written file: try the next
    }
  }
  return null;
}

function cost(f: FigureLike, side: 'figure' | 'baseline'): number | null {
  const v = side === 'figure' ? f.figureValue : f.baselineValue;
  if (!Number.isFinite(v) || v <= 0) return null;
  if (f.unit === 'req/s') return 1000 / v;
  if (f.unit === 'ms p99') return v;
  return null;
}

export function growthRows(quick: ResultLike, full: ResultLike): GrowthRow[] {
  const rows: GrowthRow[] = [];
  for (const f of full.figures) {
    const q = quick.figures.find((x) => x.what === f.what);
    if (!q || f.notMeasured || q.notMeasured) continue;
    const qc = cost(q, 'figure');
    const fc = cost(f, 'figure');
    const qb = cost(q, 'baseline');
    const fb = cost(f, 'baseline');
    if (qc === null || fc === null || qb === null || fb === null) continue;
    const goal = GOALS.find(([re]) => re.test(f.what))?.[1] ?? null;
    const growth = fc / qc;
    rows.push({
      what: f.what,
      unit: f.unit === 'req/s' ? 'ms per request (1000 / req/s)' : 'ms p99',
      quick: qc,
      full: fc,
      growth,
      normalisedGrowth: fc / fb / (qc / qb),
      goal,
      met: goal === null ? null : growth <= goal,
    });
  }
  return rows;
}

export function growthMarkdown(rows: GrowthRow[], quickFile: string, fullFile: string, fmt: (n: number, d?: number) => string): string {
  const lines = [
    '## Growth from the quick profile (20k complaints) to the full one (1M)',
    '',
    `Quick: ${quickFile}; full: ${fullFile}. Per-request cost: 1000 / req/s under 50 connections, or the p99. ` +
      'Normalised: the same growth after dividing each cost by its same-run baseline (takes out how loaded the shared machine was).',
    '',
    '| figure | cost | quick | full | growth | normalised | goal | met |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.what} | ${r.unit} | ${fmt(r.quick, 2)} | ${fmt(r.full, 2)} | ${fmt(r.growth, 2)}× | ${fmt(r.normalisedGrowth, 2)}× | ${r.goal === null ? '—' : `≤ ${r.goal}×`} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
    );
  return lines.join('\n');
}

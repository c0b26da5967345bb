// What the seed and the runner share: command-line options, the two dataset profiles, the database
// URL they point at, and small helpers (deterministic random numbers, UTC strings, medians).
import type { Actor } from '../../src/auth/actor.js';
import { parseDbUrl } from '../../src/db/connection.js';

export type ProfileName = 'full' | 'quick';

export interface Profile {
  name: ProfileName;
  communities: number;
  buildingsPerCommunity: number;
  floors: number;
  roomsPerFloor: number;
  /** Bills per unit (one per month, ending last month). */
  months: number;
  complaints: number;
  offsets: number;
  /** Complaints are spread over this many days ending at the seed time. */
  days: number;
}

export const PROFILES: Record<ProfileName, Profile> = {
  // 20 × 25 × 25 × 8 = 100,000 units; × 12 months = 1,200,000 bills.
  full: {
    name: 'full',
    communities: 20,
    buildingsPerCommunity: 25,
    floors: 25,
    roomsPerFloor: 8,
    months: 12,
    complaints: 1_000_000,
    offsets: 50_000,
    days: 730,
  },
  // 20 × 2 × 10 × 5 = 2,000 units; 24,000 bills.
  quick: { name: 'quick', communities: 20, buildingsPerCommunity: 2, floors: 10, roomsPerFloor: 5, months: 12, complaints: 20_000, offsets: 1_000, days: 730 },
};

export function unitCount(p: Profile): number {
  return p.communities * p.buildingsPerCommunity * p.floors * p.roomsPerFloor;
}

export interface BenchOptions {
  profile: Profile;
  /** knex URL: mysql://… or sqlite:… */
  url: string;
  /** Drop and reseed even when the marker says the data is there. */
  reseed: boolean;
  /** Allowed to drop a database that has tables but no bench marker. */
  reset: boolean;
  /** Connection pool of each server (plugin and baseline alike). */
  pool: number;
  /** Seconds per load run (overrides the profile default). */
  duration: number | null;
  rounds: number | null;
  connections: number;
  /** Where results go (default bench/results). */
  out: string | null;
  explicitDb: boolean;
  /** Only these figure ids (check, list1, list500, listoffset, apply50, applyhot, intake), for investigating one. */
  only: string[] | null;
  /** Run the servers under tsx instead of compiling them first (memory then includes tsx). */
  tsx: boolean;
  /** Give up (exit 1) after this many seconds; null: the profile's default (--quick 300 s, full none). */
  timeout: number | null;
  /** Extra node flags for the plugin server only (e.g. --cpu-prof, --trace-gc), for investigating it. */
  pluginNodeArgs: string[];
}

export const DEFAULT_MYSQL = {
  full: 'mysql://root@127.0.0.1:3306/cmp_bench',
  quick: 'mysql://root@127.0.0.1:3306/cmp_bench_quick',
};

const USAGE = `options:
  --quick            small dataset (2,000 units, 20,000 complaints), short runs (CI)
  --sqlite PATH      use SQLite at PATH instead of MariaDB
  --db URL           mysql://user:pass@host:port/db (default ${DEFAULT_MYSQL.full}; --quick: ${DEFAULT_MYSQL.quick})
  --reseed           drop the bench database and seed it again
  --reset            allow dropping a database that has tables but no bench marker
  --pool N           connection pool of each server (default 20, the knex factory's default)
  --duration S       seconds per load run (default 10; --quick 1)
  --rounds N         runs per figure, the median is reported (default 3)
  --connections N    autocannon connections (default 50)
  --out DIR          results folder (default bench/results)
  --only a,b         measure only these figures (check, list1, list500, listoffset, apply50, applyhot, intake);
                     results then go to $TMPDIR/cmp-bench-results unless --out is given
  --tsx              run the servers under tsx instead of compiling them with esbuild first
  --timeout S        give up and exit 1 after S seconds (default 300 with --quick, none otherwise)
  --plugin-node-args "FLAGS"  extra node flags for the plugin server only, after the documented ones
                     (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), for investigating it

Exit code: 0 when every figure was measured, whether or not its goal is met; 1 when something broke (an
error, a server that died, a figure that could not be measured, a fixture approval over-spent).`;

export function parseArgs(argv: string[]): BenchOptions {
  let quick = false;
  let url: string | null = null;
  const o = {
    reseed: false,
    reset: false,
    pool: 20,
    duration: null as number | null,
    rounds: null as number | null,
    connections: 50,
    out: null as string | null,
    only: null as string[] | null,
    tsx: false,
    timeout: null as number | null,
    pluginNodeArgs: [] as string[],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--quick':
        quick = true;
        break;
      case '--sqlite':
        url = `sqlite:${value()}`;
        break;
      case '--db':
        url = value();
        break;
      case '--reseed':
        o.reseed = true;
        break;
      case '--reset':
        o.reset = true;
        break;
      case '--pool':
        o.pool = positive(a, value());
        break;
      case '--duration':
        o.duration = positive(a, value());
        break;
      case '--rounds':
        o.rounds = positive(a, value());
        break;
      case '--connections':
        o.connections = positive(a, value());
        break;
      case '--out':
        o.out = value();
        break;
      case '--only':
        o.only = value()
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        break;
      case '--tsx':
        o.tsx = true;
        break;
      case '--timeout':
        o.timeout = positive(a, value());
        break;
      case '--plugin-node-args':
        o.pluginNodeArgs = value().split(/\s+/).filter(Boolean);
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  const profile = PROFILES[quick ? 'quick' : 'full'];
  const explicitDb = url !== null;
  url ??= quick ? DEFAULT_MYSQL.quick : DEFAULT_MYSQL.full;
  parseDbUrl(url); // fails early on a bad URL
  return { profile, url, explicitDb, ...o };
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${v}`);
  return n;
}

/** Deterministic pseudo-random numbers (mulberry32), so every seeded database looks the same. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' UTC, the format of every timestamp column (src/db/time.ts). */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Asia/Shanghai has had no daylight saving since 1991: local time is UTC+8. */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

export function shanghaiDayKey(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');
}

export function shanghaiDate(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const MARKER_TABLE = 'bench_seed';
export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** Whoever reads the report page in the bench: a manager (report.view) of every community. */
export const REPORT_READER: Actor = { id: 'bench-manager', name: '经理 压测', roles: ['manager'], communityIds: null };

/** The last complete calendar month before `now` in Asia/Shanghai, as the report's first and last local days. */
export function lastCompleteMonthDays(now: Date): { from: string; to: string; label: string } {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const first = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1));
  const label = first.toISOString().slice(0, 7);
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return { from: `${label}-01`, to: `${label}-${String(lastDay).padStart(2, '0')}`, label };
}

/** What each bench application takes off a bill, in fen (¥1.00). */
export const APPLY_FEN = 100;
/** Fixture bill ids start with this (the seeded ones with B): FX + the run's stamp + a counter. */
export const FIXTURE_BILL_PREFIX = 'FX';

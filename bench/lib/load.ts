// Load generation with autocannon, and memory readings of a process from /proc.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called before every request: return the path, body and headers of this one. */
  setup?: () => { path?: string; body?: string; headers?: Record<string, string> };
}

export interface LoadResult {
  /** Responses per second over the run (all statuses; see ok/non2xx). */
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  statusCodes: Record<string, number>;
  /**
   * What the non-2xx answers said: the `error.code` of the plugin's JSON error body (e.g. `exceeds_bill`),
   * else the status, counted.
   */
  errorCodes: Record<string, number>;
}

/** `error.code` of a JSON error answer (the plugin's API error format), else null. */
function errorCode(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed?.error?.code === 'string' ? parsed.error.code : null;
  } catch {
    return null;
  }
}

export function runLoad(spec: LoadSpec, seconds: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const setup = spec.setup;
    const errorCodes: Record<string, number> = {};
    const opts: autocannon.Options = {
      url: spec.url,
      connections,
      duration: seconds,
      timeout: 20,
      requests: [
        {
          method: spec.method ?? 'GET',
          path: spec.path,
          headers: spec.headers,
          body: spec.body,
          // autocannon reads every body anyway; only the refused ones are parsed.
          onResponse: (status: number, body: string) => {
            if (status >= 200 && status < 300) return;
            const key = `${status} ${errorCode(body) ?? 'no error code'}`;
            errorCodes[key] = (errorCodes[key] ?? 0) + 1;
          },
          ...(setup
            ? {
                setupRequest: (req: autocannon.Request) => {
                  const next = setup();
                  return {
                    ...req,
                    ...(next.path ? { path: next.path } : {}),
                    ...(next.body !== undefined ? { body: next.body } : {}),
                    headers: { ...(req.headers ?? {}), ...(next.headers ?? {}) },
                  };
                },
              }
            : {}),
        },
      ],
    };
    autocannon(opts, (err, r) => {
      if (err) return reject(err);
      const statusCodes: Record<string, number> = {};
      for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count ?? 0;
      // No response within the run: its latency is at least the run's length, not 0.
      const none = r.requests.total === 0;
      resolve({
        rps: r.requests.total / r.duration,
        p50: none ? Infinity : r.latency.p50,
        p99: none ? Infinity : r.latency.p99,
        mean: r.latency.average,
        ok: r['2xx'],
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        seconds: r.duration,
        statusCodes,
        errorCodes,
      });
    });
  });
}

export interface MemoryReading {
  rssMb: number;
  hwmMb: number;
}

/** VmRSS and VmHWM (peak RSS since the process started) of a process, in MB. */
export function readMemory(pid: number): MemoryReading | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; null when gone. */
export function readCpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces, hence after the last ')'): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on Linux on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** Samples a process's RSS every `everyMs`; `peakSince(mark)` is the highest sample since a mark. */
export class MemorySampler {
  private samples: Array<{ at: number; rssMb: number }> = [];
  private timer: NodeJS.Timeout;
  hwmMb = 0;

  constructor(
    readonly pid: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): MemoryReading | null {
    const m = readMemory(this.pid);
    if (m) {
      this.samples.push({ at: Date.now(), rssMb: m.rssMb });
      this.hwmMb = Math.max(this.hwmMb, m.hwmMb);
    }
    return m;
  }

  peakSince(mark: number): number {
    let peak = 0;
    for (const s of this.samples) if (s.at >= mark) peak = Math.max(peak, s.rssMb);
    return peak;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

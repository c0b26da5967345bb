// Limits on what owners send without signing in (additions on the status page and the owner app): a
// fixed one-hour window per status link (or owner) and per IP address, counted in memory with
// lru-cache (bounded: the least recently used keys go first). Per instance: behind a load balancer each
// instance counts its own share, which still stops a flood from one client.
import { LRUCache } from 'lru-cache';

interface Window {
  start: number;
  count: number;
}

export class HourlyLimiter {
  private readonly windows = new LRUCache<string, Window>({ max: 50_000 });

  /** Whether every key is under its limit now; does not count. */
  allows(keys: Array<[string, number]>, nowMs: number): boolean {
    return keys.every(([key, limit]) => this.current(key, nowMs).count < limit);
  }

  /** Counts one accepted submission against every key. */
  count(keys: string[], nowMs: number): void {
    for (const key of keys) {
      const w = this.current(key, nowMs);
      this.windows.set(key, { start: w.start, count: w.count + 1 });
    }
  }

  private current(key: string, nowMs: number): Window {
    const w = this.windows.get(key);
    return w && nowMs - w.start < 3_600_000 ? w : { start: nowMs, count: 0 };
  }
}

// Fault injection for the reliability suite (test/reliability): MariaDB is required there, and these
// helpers break it from the outside without touching the real server other work shares:
//  - TcpRelay: a TCP relay in front of MariaDB that the test cuts (connections reset, new ones refused)
//    or pauses (bytes stop flowing, new connections wait), then restores;
//  - ConnectionKiller: `KILL <id>` of random connections of one test database, from an admin connection,
//    ids read from information_schema.PROCESSLIST;
//  - the pool's counters (knex/tarn numUsed), to prove every connection came back.
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { MARIADB_ADMIN_URL, mariadbAvailable } from './databases.js';
import { isConnectionError } from '../../src/db/errors.js';

/** Fails the calling hook with a clear message when MariaDB is not there (the suite never skips). */
export function requireMariadb(): void {
  if (!mariadbAvailable) {
    throw new Error(
      `The reliability suite needs MariaDB: ${MARIADB_ADMIN_URL} did not answer. Start it (see .ci/run) or point COMPLAINTS_TEST_MYSQL_URL at one.`,
    );
  }
}

function target(): URL {
  return new URL(MARIADB_ADMIN_URL.replace(/^mariadb:/, 'mysql:'));
}

/** The database name in a mysql:// URL. */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url.replace(/^mariadb:/, 'mysql:')).pathname.replace(/^\//, ''));
}

/** The same URL pointed at another host:port (the relay). */
export function viaPort(url: string, port: number): string {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

type RelayMode = 'up' | 'cut' | 'paused';

/**
 * A TCP relay to MariaDB. `cut()` resets every relayed connection and refuses new ones (what a server
 * that went away looks like); `pause()` keeps the connections but stops every byte, and holds new
 * connections without answering (a network black hole); `restore()` brings it back on the same port.
 */
export class TcpRelay {
  private server: Server | null = null;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  private mode: RelayMode = 'up';
  port = 0;

  async start(port = 0): Promise<number> {
    const { hostname, port: upstreamPort } = target();
    this.server = createServer((client) => {
      const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
      this.pairs.add(pair);
      client.on('error', () => {});
      client.on('close', () => {
        pair.upstream?.destroy();
        this.pairs.delete(pair);
      });
      const link = () => {
        const upstream = connect(Number(upstreamPort || 3306), hostname);
        pair.upstream = upstream;
        upstream.on('error', () => {});
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      };
      if (this.mode === 'paused') {
        client.pause();
        (pair as { link?: () => void }).link = link;
      } else {
        link();
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.mode = 'up';
    return this.port;
  }

  /** Resets every connection and stops listening: new connections are refused. */
  async cut(): Promise<void> {
    this.mode = 'cut';
    for (const { client, upstream } of this.pairs) {
      client.resetAndDestroy();
      upstream?.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** Stops every byte both ways; new connections are accepted and left waiting. */
  pause(): void {
    this.mode = 'paused';
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream?.pause();
    }
  }

  /** After cut(): listens again on the same port. After pause(): lets the bytes flow again. */
  async restore(): Promise<void> {
    if (this.mode === 'cut') {
      await this.start(this.port);
      return;
    }
    this.mode = 'up';
    for (const pair of this.pairs) {
      const waiting = (pair as { link?: () => void }).link;
      if (waiting) {
        delete (pair as { link?: () => void }).link;
        waiting();
      }
      pair.client.resume();
      pair.upstream?.resume();
    }
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }
}

/** A direct admin connection to MariaDB (not through any relay, not from any knex pool). */
export async function adminConnection(): Promise<mysql.Connection> {
  const u = target();
  return mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    multipleStatements: false,
  });
}

/** Server-side ids of the connections currently using `database` (the admin's own excluded). */
export async function connectionIds(admin: mysql.Connection, database: string): Promise<number[]> {
  const [rows] = await admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
  return (rows as Array<{ id: number }>).map((r) => Number(r.id));
}

/** Kills a random connection of one database every `everyMs` until stopped. */
export class ConnectionKiller {
  kills = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: mysql.Connection,
    private readonly database: string,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.killOne()).catch(() => {});
    }, this.everyMs);
  }

  private async killOne(): Promise<void> {
    const ids = await connectionIds(this.admin, this.database);
    if (!ids.length) return;
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    try {
      await this.admin.query(`KILL ${Number(id)}`);
      this.kills++;
    } catch {
      // It ended by itself between the two statements (ER_NO_SUCH_THREAD).
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

export function poolOf(db: Knex): TarnPool {
  const pool = (db.client as { pool?: TarnPool }).pool;
  if (!pool) throw new Error('The knex instance has no pool (destroyed?)');
  return pool;
}

export function poolState(db: Knex): { used: number; free: number; pendingAcquires: number; pendingCreates: number } {
  const p = poolOf(db);
  return { used: p.numUsed(), free: p.numFree(), pendingAcquires: p.numPendingAcquires(), pendingCreates: p.numPendingCreates() };
}

/** Waits until no connection is in use and nobody waits for one; throws with the counters otherwise. */
export async function waitForPoolIdle(db: Knex, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = poolState(db);
    if (s.used === 0 && s.pendingAcquires === 0 && s.pendingCreates === 0) return;
    if (Date.now() > deadline) throw new Error(`The pool did not drain within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A promise that rejects after `ms` with a message saying what hung. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Keeps knex's own warnings ("Connection Error", "Acquire connection error") out of the test output while
 * faults are injected on purpose; returns them so a test can look.
 */
export function quiet(db: Knex): string[] {
  const seen: string[] = [];
  const logger = (db.client as { logger: { _warn?: unknown; _error?: unknown } }).logger;
  logger._warn = (m: unknown) => void seen.push(String(m));
  logger._error = (m: unknown) => void seen.push(String(m));
  return seen;
}

/** Server-side ids of the connections a knex pool holds (free and in use). */
export function poolThreadIds(db: Knex): number[] {
  const pool = (db.client as { pool?: { free: Array<{ resource: { threadId?: number } }>; used: Array<{ resource: { threadId?: number } }> } }).pool;
  if (!pool) return [];
  return [...pool.free, ...pool.used].map((r) => Number(r.resource.threadId)).filter((id) => Number.isFinite(id));
}

/**
 * Runs a read of the test's own after faults were injected: a pooled connection killed a moment ago may
 * still be handed out once (EPIPE, connection lost), which is the fault itself, not what is being checked.
 */
export async function afterFaults<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts || !isConnectionError(err)) throw err;
      await sleep(20);
    }
  }
}

/** One indented line of figures under the test's title in the spec output. */
export function note(text: string): void {
  process.stdout.write(`      · ${text}\n`);
}

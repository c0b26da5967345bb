// Builds a knex instance for either supported client from one URL, configured the same way everywhere:
// UTC on every connection, utf8mb4 on MySQL, WAL + foreign keys + busy timeout on SQLite.
import knexFactory, { type Knex } from 'knex';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type DbClient = 'mysql2' | 'better-sqlite3';

export interface DbTarget {
  client: DbClient;
  /** mysql: connection settings; sqlite: absolute file path (or ':memory:'). */
  mysql?: { host: string; port: number; user: string; password: string; database: string; socketPath?: string };
  sqliteFile?: string;
}

export class DbUrlError extends Error {}

/**
 * Parses `mysql://user:pass@host:port/db` or `sqlite:path` (relative paths resolve against cwd). A local
 * MySQL/MariaDB can be reached over its Unix socket instead of loopback TCP:
 * `mysql://user@localhost/db?socketPath=/run/mysqld/mysqld.sock` (host and port are then not used).
 */
export function parseDbUrl(url: string): DbTarget {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new DbUrlError(`SQLite URL needs a file path, e.g. sqlite:./data/erp.sqlite (got "${url}")`);
    return { client: 'better-sqlite3', sqliteFile: file === ':memory:' ? file : resolve(file) };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    let parsed: URL;
    try {
      parsed = new URL(url.replace(/^mariadb:/, 'mysql:'));
    } catch {
      throw new DbUrlError(`Cannot parse database URL "${url}"; expected mysql://user:pass@host:port/db`);
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database) throw new DbUrlError(`MySQL URL must name a database, e.g. mysql://root@127.0.0.1:3306/erp (got "${url}")`);
    const socketPath = parsed.searchParams.get('socketPath');
    if (socketPath !== null && !socketPath.startsWith('/'))
      throw new DbUrlError(`socketPath must be an absolute path to the server's Unix socket, e.g. ?socketPath=/run/mysqld/mysqld.sock (got "${socketPath}")`);
    return {
      client: 'mysql2',
      mysql: {
        host: parsed.hostname || '127.0.0.1',
        port: parsed.port ? Number(parsed.port) : 3306,
        user: decodeURIComponent(parsed.username || 'root'),
        password: decodeURIComponent(parsed.password || ''),
        database,
        ...(socketPath ? { socketPath } : {}),
      },
    };
  }
  throw new DbUrlError(`Unsupported database URL "${url}": use mysql://user:pass@host:port/db or sqlite:path`);
}

/**
 * Every MySQL connection of ours works in UTC and in strict mode: on a server configured without
 * STRICT_TRANS_TABLES, a value too long or out of range would otherwise be cut or clamped with only a
 * warning. Our validation refuses such values first; this makes the database refuse them too.
 */
export const SESSION_SETUP_SQL =
  "SET time_zone = '+00:00', sql_mode = IF(FIND_IN_SET('STRICT_TRANS_TABLES', @@session.sql_mode) > 0, @@session.sql_mode, " +
  "CONCAT_WS(',', NULLIF(@@session.sql_mode, ''), 'STRICT_TRANS_TABLES'))";

export interface CreateDbOptions {
  poolMax?: number;
}

export function knexConfig(target: DbTarget, options: CreateDbOptions = {}): Knex.Config {
  if (target.client === 'mysql2') {
    return {
      client: 'mysql2',
      connection: {
        ...target.mysql!,
        charset: 'utf8mb4',
        timezone: 'Z',
        // Dates come back as strings so both clients hand us the same shape (see db/time.ts).
        dateStrings: true,
        supportBigNumbers: true,
        // Statements prepared on a connection (src/db/prepared.ts: a handful of shapes) stay bounded, well
        // inside the server's max_prepared_stmt_count (16,382) for many instances of a full pool.
        maxPreparedStatements: 64,
        connectTimeout: 5000,
        // A connection whose peer vanished (a firewall dropping an idle link) is noticed and replaced.
        enableKeepAlive: true,
        keepAliveInitialDelay: 30_000,
      },
      pool: {
        min: 0,
        max: options.poolMax ?? 20,
        acquireTimeoutMillis: 10000,
        afterCreate: (conn: { query: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, conn: unknown) => void) => {
          conn.query(SESSION_SETUP_SQL, (err) => done(err, conn));
        },
      },
      acquireConnectionTimeout: 10000,
    };
  }
  const file = target.sqliteFile!;
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma: (sql: string) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  };
}

export function createDb(url: string, options: CreateDbOptions = {}): Knex {
  return knexFactory(knexConfig(parseDbUrl(url), options));
}

export function clientOf(db: Knex): DbClient {
  const name = (db.client as { config: { client: string } }).config.client;
  return name === 'mysql2' || name === 'mysql' ? 'mysql2' : 'better-sqlite3';
}

export function isMysql(db: Knex): boolean {
  return clientOf(db) === 'mysql2';
}

/** The rows of a raw SELECT (`db.raw`): mysql2 answers [rows, fields], better-sqlite3 the rows. */
export function rawRows<T = Record<string, unknown>>(db: Knex, result: unknown): T[] {
  return (isMysql(db) ? (result as [T[]])[0] : (result as T[])) ?? [];
}

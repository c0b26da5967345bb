// The real databases every integration suite runs against: a fresh SQLite file always, and a fresh
// MariaDB database whenever 127.0.0.1:3306 answers (required when CI=true).
import type { Knex } from 'knex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDb } from '../../src/db/connection.js';

export const MARIADB_ADMIN_URL = process.env.COMPLAINTS_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  kind: 'sqlite' | 'mariadb';
  url: string;
  db: Knex;
  /** Destroys the pool and removes the database or file. */
  drop(): Promise<void>;
}

export interface DatabaseKind {
  kind: 'sqlite' | 'mariadb';
  create(): Promise<TestDatabase>;
}

async function mariadbReachable(): Promise<boolean> {
  const db = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
  try {
    await db.raw('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await db.destroy();
  }
}

const sqliteKind: DatabaseKind = {
  kind: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'cmp-test-'));
    const url = `sqlite:${join(dir, 'test.sqlite')}`;
    const db = createDb(url);
    return {
      kind: 'sqlite',
      url,
      db,
      async drop() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const mariadbKind: DatabaseKind = {
  kind: 'mariadb',
  async create() {
    const name = `cmp_t_${randomBytes(5).toString('hex')}`;
    const admin = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
    try {
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await admin.destroy();
    }
    const url = MARIADB_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    const db = createDb(url, { poolMax: 60 });
    return {
      kind: 'mariadb',
      url,
      db,
      async drop() {
        await db.destroy();
        const cleanup = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
        try {
          await cleanup.raw(`DROP DATABASE IF EXISTS \`${name}\``);
        } finally {
          await cleanup.destroy();
        }
      },
    };
  },
};

// COMPLAINTS_TEST_DATABASES=sqlite runs only the SQLite half (the mutation run: fast, one file per test).
const sqliteOnly = process.env.COMPLAINTS_TEST_DATABASES === 'sqlite';
const reachable = sqliteOnly ? false : await mariadbReachable();
if (!reachable && !sqliteOnly && process.env.CI) {
  throw new Error(`MariaDB is required under CI but ${MARIADB_ADMIN_URL} did not answer`);
}
/** What this run leaves out and why, for the closing summary (test/support/summary-reporter.cjs). */
function notRun(what: string, why: string): void {
  const g = globalThis as { __complaintsNotRun?: Map<string, string> };
  (g.__complaintsNotRun ??= new Map()).set(what, why);
}
if (!reachable && !sqliteOnly) {
  notRun(
    'MariaDB',
    `${MARIADB_ADMIN_URL} did not answer: the (mariadb) half of every integration suite was not run, nor were the suites that need MariaDB (money races, reliability); start it (see .ci/run) or set COMPLAINTS_TEST_MYSQL_URL`,
  );
}
if (sqliteOnly) notRun('MariaDB', 'left out on purpose (COMPLAINTS_TEST_DATABASES=sqlite)');
if (!reachable && !sqliteOnly) console.warn(`[tests] MariaDB at ${MARIADB_ADMIN_URL} is not reachable: MariaDB suites are left out`);

/** The database kinds to run each integration suite against. */
export const databaseKinds: DatabaseKind[] = reachable ? [sqliteKind, mariadbKind] : [sqliteKind];
export const mariadbAvailable = reachable;
export { mariadbKind, sqliteKind };

// The guarded migrations (issue 21), on a real SQLite file and a real MariaDB database:
// - upgrade: a database made by the migrations as they stood before the rewrite (test/fixtures/
//   migrations-before, copied from 71c1302), wholly or up to a point and then finished by today's set, has
//   exactly the schema today's set makes on an empty database; where the old set already ran, nothing runs.
// - re-run: each migration, stopped after any of its statements (replayed by hand, as MySQL would have
//   committed them) or run whole with its row in cmp_migrations lost, runs again to the same schema; its
//   down returns to the schema before it.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_DIR, migrateLatest, migrationStatus, migratorConfig } from '../../src/db/migrations.js';
import { tableNames } from '../../src/db/tables.js';
import { databaseKinds, type DatabaseKind, type TestDatabase } from '../support/databases.js';
import { PREFIX, integerHostKeys } from '../support/jobsHarness.js';
import { schemaSnapshot, type SchemaSnapshot } from '../support/schemaSnapshot.js';

const BEFORE_DIR = fileURLToPath(new URL('../fixtures/migrations-before/', import.meta.url));
const tables = tableNames(PREFIX);

const config = (db: Knex, dir = MIGRATIONS_DIR) => migratorConfig(db, PREFIX, integerHostKeys(db), dir);
const pending = async (db: Knex) => (await migrationStatus(db, PREFIX, integerHostKeys(db))).pending;

/** Runs the migrations of `dir` one by one until `name` is the next one (or all of them when name is null). */
async function migrateUntil(db: Knex, dir: string, name: string | null): Promise<void> {
  for (;;) {
    const [, next] = (await db.migrate.list(config(db, dir))) as [unknown, Array<{ name: string }>];
    if (next.length === 0 || next[0]!.name === name) return;
    await db.migrate.up(config(db, dir));
  }
}

/** The statements a migration changes the schema or the data with, as knex sent them (guards' reads left out). */
function recordChanges(db: Knex): { statements: Array<{ sql: string; bindings: Knex.Value[] }>; stop(): void } {
  const statements: Array<{ sql: string; bindings: Knex.Value[] }> = [];
  const listener = (q: { sql: string; bindings?: Knex.Value[] }) => {
    if (!/^\s*(create|alter|drop|update|insert|delete)\b/i.test(q.sql)) return;
    if (q.sql.includes(`\`${tables.migrations}\``) || q.sql.includes(`\`${tables.migrationsLock}\``)) return;
    statements.push({ sql: q.sql, bindings: q.bindings ?? [] });
  };
  db.on('query', listener);
  return { statements, stop: () => db.off('query', listener) };
}

function migrationNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}
const names = migrationNames(MIGRATIONS_DIR);

/**
 * Where to stop a migration of n statements: after each one when there are few; for a table with many
 * indexes (the complaints table has twenty statements on MySQL) the first, second, middle and last but one
 * (every one takes MariaDB a second or more to undo and redo).
 */
function stops(n: number): number[] {
  const all = Array.from({ length: n - 1 }, (_, i) => i + 1);
  return n <= 5 ? all : [...new Set([1, 2, Math.floor(n / 2), n - 1])];
}

async function withDatabase<T>(kind: DatabaseKind, fn: (t: TestDatabase) => Promise<T>): Promise<T> {
  const t = await kind.create();
  try {
    return await fn(t);
  } finally {
    await t.drop();
  }
}

for (const kind of databaseKinds) {
  describe(`guarded migrations (${kind.kind})`, function () {
    this.timeout(300_000);
    let fresh: SchemaSnapshot;

    before(async () => {
      fresh = await withDatabase(kind, async (t) => {
        await migrateLatest(t.db, PREFIX, integerHostKeys(t.db));
        return schemaSnapshot(t.db);
      });
    });

    // Migrations added since the rewrite (later timestamps) are not in the fixtures: an upgrade runs exactly those.
    const beforeRewrite = migrationNames(BEFORE_DIR);
    const added = names.slice(beforeRewrite.length);

    it('the fixtures hold the same migrations by name, and every later one sorts after them', () => {
      expect(names.slice(0, beforeRewrite.length)).to.deep.equal(beforeRewrite);
      expect(beforeRewrite.length).to.be.greaterThan(10);
    });

    it('a database made by the old migrations, upgraded, has exactly the schema the new ones make; upgrading runs only the later ones', async () => {
      await withDatabase(kind, async (t) => {
        await migrateUntil(t.db, BEFORE_DIR, null);
        expect(await migrateLatest(t.db, PREFIX, integerHostKeys(t.db))).to.deep.equal(added);
        const upgraded = await schemaSnapshot(t.db);
        expect(upgraded).to.deep.equal(fresh);
        expect(await migrateLatest(t.db, PREFIX, integerHostKeys(t.db))).to.deep.equal([]);
        expect(await schemaSnapshot(t.db)).to.deep.equal(upgraded);
      });
    });

    // Part made by the old set, the rest by the new one: what an upgrade of an installed plugin does.
    for (const cut of [
      '20261128000600_index_complaints_by_unit_and_state',
      '20261128000700_add_offset_request_keys',
      '20261128000800_add_report_indexes',
      '20261128000910_add_reply_due_and_notice_subject',
    ]) {
      it(`a database made by the old migrations before ${cut}, upgraded by the new ones, ends the same`, async () => {
        await withDatabase(kind, async (t) => {
          await migrateUntil(t.db, BEFORE_DIR, cut);
          expect((await pending(t.db))[0]).to.equal(cut);
          const applied = await migrateLatest(t.db, PREFIX, integerHostKeys(t.db));
          expect(applied[0]).to.equal(cut);
          expect(await schemaSnapshot(t.db)).to.deep.equal(fresh);
        });
      });
    }

    it('every migration runs again after it stopped half-way, and after its row in cmp_migrations was lost', async () => {
      await withDatabase(kind, async (t) => {
        const db = t.db;
        const checked: string[] = [];
        for (const name of names) {
          expect((await pending(db))[0]).to.equal(name);
          const before = await schemaSnapshot(db);

          const recorder = recordChanges(db);
          await db.migrate.up(config(db));
          recorder.stop();
          const after = await schemaSnapshot(db);
          const statements = recorder.statements;
          expect(statements.length, name).to.be.greaterThan(0);

          // Ran whole, but its row was never written: it runs again and changes nothing.
          await db(tables.migrations).where({ name }).delete();
          const again = recordChanges(db);
          await db.migrate.up(config(db));
          again.stop();
          expect(await schemaSnapshot(db), `${name} run twice`).to.deep.equal(after);
          expect(
            again.statements.filter((s) => !/^\s*(update|insert)\b/i.test(s.sql) && !/\bif (not )?exists\b/i.test(s.sql)),
            `${name} second run made DDL`,
          ).to.deep.equal([]);

          // Stopped after its k-th statement: the next run finishes it.
          for (const k of stops(statements.length)) {
            await db.migrate.down(config(db));
            expect(await schemaSnapshot(db), `${name} down`).to.deep.equal(before);
            for (const s of statements.slice(0, k)) await db.raw(s.sql, s.bindings);
            await db.migrate.up(config(db));
            expect(await schemaSnapshot(db), `${name} after stopping at statement ${k} of ${statements.length}`).to.deep.equal(after);
          }
          checked.push(`${name}:${statements.length}`);
        }
        expect(await schemaSnapshot(db)).to.deep.equal(fresh);
        expect(checked).to.have.length(names.length);
      });
    });
  });
}

// The migration helpers of src/db/schema.ts on a real SQLite file and a real MariaDB database: each guard
// sees what is there, each "if missing" step does its work once and nothing the second time.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { isMysql } from '../../src/db/connection.js';
import type { MigrationContext } from '../../src/db/migrations.js';
import {
  createIndexIfMissing,
  createTableIfMissing,
  dropIndexIfPresent,
  hasTrigger,
  indexColumns,
  keyColumn,
  makeAppendOnly,
  quoteId,
  rebuildIndex,
  tableDefaults,
} from '../../src/db/schema.js';
import { tableNames } from '../../src/db/tables.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { integerHostKeys } from '../support/jobsHarness.js';
import { schemaSnapshot } from '../support/schemaSnapshot.js';

const T = 'cmp_helper_things';
const PARENT = 'cmp_helper_parents';

function context(db: Knex): MigrationContext {
  return { prefix: 'cmp_', tables: tableNames('cmp_'), client: isMysql(db) ? 'mysql2' : 'better-sqlite3', hostKeys: integerHostKeys(db) };
}

function things(ctx: MigrationContext) {
  return (t: Knex.CreateTableBuilder) => {
    tableDefaults(t, ctx);
    t.increments('id').primary();
    t.integer('parent_id').unsigned().notNullable().references('id').inTable(PARENT);
    keyColumn(t, ctx, 'request_key', 100).nullable();
    t.string('name', 40).notNullable();
    t.unique(['parent_id', 'request_key'], { indexName: `${T}_key_uq` });
    t.index(['name', 'id'], `${T}_name_idx`);
  };
}

for (const kind of databaseKinds) {
  describe(`migration helpers (${kind.kind})`, function () {
    let t: TestDatabase;
    let ctx: MigrationContext;

    beforeEach(async () => {
      t = await kind.create();
      ctx = context(t.db);
      await t.db.schema.createTable(PARENT, (p) => {
        tableDefaults(p, ctx);
        p.increments('id').primary();
      });
    });
    afterEach(async () => t?.drop());

    it('createTableIfMissing makes the table createTable makes, and nothing the second time', async () => {
      expect(await createTableIfMissing(t.db, T, things(ctx))).to.equal(true);
      const made = await schemaSnapshot(t.db);
      expect(await indexColumns(t.db, T, `${T}_key_uq`)).to.deep.equal(['parent_id', 'request_key']);
      expect(await indexColumns(t.db, T, `${T}_name_idx`)).to.deep.equal(['name', 'id']);
      expect(await createTableIfMissing(t.db, T, things(ctx))).to.equal(false);
      expect(await schemaSnapshot(t.db)).to.deep.equal(made);

      // The same table made by knex's plain createTable on another database compares equal.
      const other = await kind.create();
      try {
        await other.db.schema.createTable(PARENT, (p) => {
          tableDefaults(p, ctx);
          p.increments('id').primary();
        });
        await other.db.schema.createTable(T, things(ctx));
        expect(await schemaSnapshot(other.db)).to.deep.equal(made);
      } finally {
        await other.drop();
      }
    });

    it('createTableIfMissing finishes a table whose indexes were not made yet', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      const made = await schemaSnapshot(t.db);
      // As a MySQL run stopped before its last statements would leave it: no foreign key (MySQL; SQLite
      // keeps it inside CREATE TABLE), no last index.
      if (isMysql(t.db)) await t.db.raw('ALTER TABLE ?? DROP FOREIGN KEY ??', [T, `${T}_parent_id_foreign`]);
      await dropIndexIfPresent(t.db, T, `${T}_name_idx`);
      expect(await indexColumns(t.db, T, `${T}_name_idx`)).to.equal(null);
      expect(await schemaSnapshot(t.db)).not.to.deep.equal(made);
      expect(await createTableIfMissing(t.db, T, things(ctx))).to.equal(true);
      expect(await schemaSnapshot(t.db)).to.deep.equal(made);
    });

    it('createTableIfMissing leaves a table that is there alone (no rebuild, rows kept)', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      const [parent] = await t.db(PARENT).insert({});
      await t.db(T).insert({ parent_id: Number(parent), name: 'kept', request_key: 'k' });
      await createTableIfMissing(t.db, T, things(ctx));
      expect((await t.db(T).select('name')).map((r: { name: string }) => r.name)).to.deep.equal(['kept']);
    });

    it('createIndexIfMissing and dropIndexIfPresent do their work once; an index with other columns is an error', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      const name = `${T}_extra_idx`;
      expect(await createIndexIfMissing(t.db, T, name, ['request_key', 'name'])).to.equal(true);
      expect(await indexColumns(t.db, T, name)).to.deep.equal(['request_key', 'name']);
      expect(await createIndexIfMissing(t.db, T, name, ['request_key', 'name'])).to.equal(false);
      let error: unknown;
      try {
        await createIndexIfMissing(t.db, T, name, ['name']);
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.contain(`Index ${name} on ${T} is on (request_key, name), the migration expects (name)`);
      expect(await dropIndexIfPresent(t.db, T, name)).to.equal(true);
      expect(await indexColumns(t.db, T, name)).to.equal(null);
      expect(await dropIndexIfPresent(t.db, T, name)).to.equal(false);
    });

    it('createIndexIfMissing with unique makes a UNIQUE index the database enforces', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      await createIndexIfMissing(t.db, T, `${T}_name_uq`, ['name'], { unique: true });
      const [parent] = await t.db(PARENT).insert({});
      await t.db(T).insert({ parent_id: Number(parent), name: 'once' });
      let error: unknown;
      try {
        await t.db(T).insert({ parent_id: Number(parent), name: 'once' });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.match(/UNIQUE|Duplicate/);
    });

    it('rebuildIndex gives an index new columns, and keeps one that has them', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      const name = `${T}_name_idx`;
      expect(await rebuildIndex(t.db, T, name, ['name', 'request_key'])).to.equal(true);
      expect(await indexColumns(t.db, T, name)).to.deep.equal(['name', 'request_key']);
      expect(await rebuildIndex(t.db, T, name, ['name', 'request_key'])).to.equal(false);
      // Stopped after the drop: the next run makes it.
      await dropIndexIfPresent(t.db, T, name);
      expect(await rebuildIndex(t.db, T, name, ['name', 'id'])).to.equal(true);
      expect(await indexColumns(t.db, T, name)).to.deep.equal(['name', 'id']);
    });

    it('keyColumn compares keys byte for byte: keys differing only in case are two keys', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      const [parent] = await t.db(PARENT).insert({});
      await t.db(T).insert({ parent_id: Number(parent), name: 'a', request_key: 'Key-1' });
      await t.db(T).insert({ parent_id: Number(parent), name: 'b', request_key: 'key-1' });
      expect(await t.db(T).where({ request_key: 'key-1' }).pluck('name')).to.deep.equal(['b']);
    });

    it('makeAppendOnly runs again over a trigger made before, and the table refuses updates', async () => {
      await createTableIfMissing(t.db, T, things(ctx));
      await makeAppendOnly(t.db, ctx, T);
      expect(await hasTrigger(t.db, `${T}_no_update`)).to.equal(true);
      expect(await hasTrigger(t.db, `${T}_no_delete`)).to.equal(true);
      await t.db.raw(`DROP TRIGGER ${quoteId(t.db, `${T}_no_delete`)}`);
      const before = await schemaSnapshot(t.db);
      await makeAppendOnly(t.db, ctx, T);
      expect(await hasTrigger(t.db, `${T}_no_delete`)).to.equal(true);
      expect(await schemaSnapshot(t.db)).not.to.deep.equal(before);
      const [parent] = await t.db(PARENT).insert({});
      await t.db(T).insert({ parent_id: Number(parent), name: 'a' });
      let error: unknown;
      try {
        await t.db(T).update({ name: 'b' });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.contain(`${T} is append-only`);
    });

    it('quoteId quotes through knex', () => {
      expect(quoteId(t.db, 'cmp_x')).to.equal('`cmp_x`');
    });
  });
}

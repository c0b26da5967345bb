// install / upgrade / uninstall on both databases: idempotent, our tables only, host tables unchanged.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { checksumTables } from '../support/checksum.js';
import { install, status, uninstall, InstallError } from '../../src/install/installer.js';
import { tableNames } from '../../src/db/tables.js';
import { hostTablesOf, validateMapping } from '../../src/host/mapping.js';
import { erpHosts } from '../fixtures/erpHosts.js';

async function ourTables(db: Knex, prefix: string): Promise<string[]> {
  const rows =
    db.client.config.client === 'mysql2'
      ? ((await db.raw('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()'))[0] as Array<{ name: string }>)
      : ((await db.raw("SELECT name FROM sqlite_master WHERE type = 'table'")) as Array<{ name: string }>);
  return rows
    .map((r) => r.name)
    .filter((n) => n.startsWith(prefix))
    .sort();
}

for (const kind of databaseKinds) {
  for (const host of [simpleHost, stringIdHost, ...erpHosts]) {
    describe(`install onto ${host.name} (${kind.kind})`, function () {
      let t: TestDatabase;
      const mapping = validateMapping(host.mapping);
      const hostTables = hostTablesOf(mapping);

      before(async () => {
        t = await kind.create();
        await host.create(t.db);
      });
      after(async () => t?.drop());

      it('installs our tables only, and a second install changes nothing', async () => {
        const hostBefore = await checksumTables(t.db, hostTables);
        const first = await install(t.db, mapping);
        expect(first.applied.length).to.be.greaterThan(0);
        const tables = await ourTables(t.db, 'cmp_');
        expect(tables).to.include.members([tableNames('cmp_').events, tableNames('cmp_').migrations]);
        const ours = await checksumTables(
          t.db,
          tables.filter((n) => !n.endsWith('migrations_lock')),
        );
        const second = await install(t.db, mapping);
        expect(second.applied).to.deep.equal([]);
        expect(await ourTables(t.db, 'cmp_')).to.deep.equal(tables);
        expect(
          await checksumTables(
            t.db,
            tables.filter((n) => !n.endsWith('migrations_lock')),
          ),
        ).to.deep.equal(ours);
        expect(await checksumTables(t.db, hostTables)).to.deep.equal(hostBefore);
      });

      it('reports itself installed with nothing pending', async () => {
        const s = await status(t.db, mapping);
        expect(s.installed).to.equal(true);
        expect(s.pending).to.deep.equal([]);
        expect(s.version).to.equal(s.codeVersion);
      });

      it('gives host-id columns the host key type', async () => {
        const keyColumn = await t.db(mapping.unit.table).columnInfo(mapping.unit.key);
        const events = await t.db(tableNames('cmp_').meta).where({ key: 'host_key_types' }).first();
        const stored = JSON.parse(events.value) as { unit: { kind: string; sqlType: string } };
        const expectInteger = /int/i.test(keyColumn.type);
        expect(stored.unit.kind).to.equal(expectInteger ? 'integer' : 'string');
        if (kind.kind === 'mariadb' && !expectInteger) expect(stored.unit.sqlType).to.match(/CHARACTER SET \w+ COLLATE \w+/);
      });

      it('uninstall keeps the data; --purge drops only our tables', async () => {
        const hostBefore = await checksumTables(t.db, hostTables);
        await uninstall(t.db, mapping);
        expect((await ourTables(t.db, 'cmp_')).length).to.be.greaterThan(2);
        await uninstall(t.db, mapping, { purge: true });
        expect(await ourTables(t.db, 'cmp_')).to.deep.equal([]);
        expect(await checksumTables(t.db, hostTables)).to.deep.equal(hostBefore);
        const again = await install(t.db, mapping);
        expect(again.applied.length).to.be.greaterThan(0);
      });

      it('installs under another prefix beside the first', async () => {
        await install(t.db, mapping, { prefix: 'zz_' });
        expect(await ourTables(t.db, 'zz_')).to.include('zz_events');
        await uninstall(t.db, mapping, { prefix: 'zz_', purge: true });
        expect(await ourTables(t.db, 'zz_')).to.deep.equal([]);
        expect((await ourTables(t.db, 'cmp_')).length).to.be.greaterThan(2);
      });

      it('refuses to install on a mapping that does not fit, creating nothing', async () => {
        const bad = structuredClone(mapping);
        bad.owner.columns.name = 'no_such_column';
        const before = await ourTables(t.db, 'bad_');
        try {
          await install(t.db, bad, { prefix: 'bad_' });
          expect.fail('install should refuse');
        } catch (err) {
          expect(err).to.be.instanceOf(InstallError);
          expect((err as InstallError).report!.problems.map((p) => p.column)).to.include('no_such_column');
        }
        expect(await ourTables(t.db, 'bad_')).to.deep.equal(before);
      });
    });
  }
}

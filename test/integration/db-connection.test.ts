// Our MySQL connections work in UTC and in strict mode, whatever the server's defaults.
import { expect } from 'chai';
import { createDb } from '../../src/db/connection.js';
import { MARIADB_ADMIN_URL, mariadbAvailable } from '../support/databases.js';

(mariadbAvailable ? describe : describe.skip)('MySQL connection setup (MariaDB)', () => {
  it('adds STRICT_TRANS_TABLES to a server whose sql_mode lacks it, and keeps the rest', async () => {
    const admin = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
    const before = String(((await admin.raw('SELECT @@global.sql_mode AS m')) as [Array<{ m: string }>])[0][0]!.m);
    try {
      await admin.raw("SET GLOBAL sql_mode = 'NO_ENGINE_SUBSTITUTION'");
      const db = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
      try {
        const [[row]] = (await db.raw('SELECT @@session.sql_mode AS m, @@session.time_zone AS tz')) as [Array<{ m: string; tz: string }>];
        expect(row!.m.split(',')).to.include.members(['NO_ENGINE_SUBSTITUTION', 'STRICT_TRANS_TABLES']);
        expect(row!.tz).to.equal('+00:00');
      } finally {
        await db.destroy();
      }
      await admin.raw("SET GLOBAL sql_mode = ''");
      const empty = createDb(MARIADB_ADMIN_URL, { poolMax: 1 });
      try {
        const [[row]] = (await empty.raw('SELECT @@session.sql_mode AS m')) as [Array<{ m: string }>];
        expect(row!.m.split(',')).to.include('STRICT_TRANS_TABLES');
        // Strict: an over-long value is refused instead of being cut with a warning.
        await empty.raw('CREATE TEMPORARY TABLE cmp_strict_probe (v VARCHAR(3))');
        let refused: unknown = null;
        await empty.raw("INSERT INTO cmp_strict_probe VALUES ('abcdef')").catch((err: unknown) => (refused = err));
        expect(String((refused as Error | null)?.message)).to.match(/Data too long/);
      } finally {
        await empty.destroy();
      }
    } finally {
      await admin.raw('SET GLOBAL sql_mode = ?', [before]);
      await admin.destroy();
    }
  });
});

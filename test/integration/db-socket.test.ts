// A local MariaDB reached over its Unix socket (`?socketPath=` in the URL, issue 20), and a socketPath
// that is not an absolute path refused in words that say what to write.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createDb, DbUrlError, parseDbUrl } from '../../src/db/connection.js';
import { MARIADB_ADMIN_URL, mariadbAvailable } from '../support/databases.js';

const SOCKET = process.env.COMPLAINTS_TEST_MYSQL_SOCKET ?? '/run/mysqld/mysqld.sock';

describe('database URL: socketPath', () => {
  it('reads socketPath from the query string and refuses a relative one', () => {
    expect(parseDbUrl('mysql://app:pw@localhost/erp?socketPath=/run/mysqld/mysqld.sock').mysql).to.include({
      socketPath: '/run/mysqld/mysqld.sock',
      database: 'erp',
      user: 'app',
    });
    expect(parseDbUrl('mysql://app@127.0.0.1:3307/erp').mysql).not.to.have.property('socketPath');
    expect(() => parseDbUrl('mysql://app@localhost/erp?socketPath=mysqld.sock')).to.throw(DbUrlError, /absolute path/);
  });

  (mariadbAvailable && existsSync(SOCKET) ? it : it.skip)('connects over the Unix socket, not TCP', async () => {
    const url = `${MARIADB_ADMIN_URL.replace(/\?.*$/, '')}?socketPath=${SOCKET}`;
    const db = createDb(url, { poolMax: 1 });
    try {
      const [[row]] = (await db.raw('SELECT HOST AS h, @@session.time_zone AS tz FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()')) as [
        Array<{ h: string; tz: string }>,
      ];
      // TCP connections show "127.0.0.1:<port>"; socket ones the bare host name.
      expect(row!.h).to.equal('localhost');
      expect(row!.tz).to.equal('+00:00');
    } finally {
      await db.destroy();
    }
  });
});

// The billing check names our index of open complaints by unit (MySQL: USE INDEX), as MariaDB otherwise
// reads every complaint of each unit. A DBA who drops or renames it (a rebuild by hand, a schema tool) must
// not stop fee collection: the check and an application read on the database's own plan instead.
import { expect } from 'chai';
import { HC, stringIdHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people } from '../support/pluginHarness.js';
import { statementsSent } from '../support/statements.js';
import { isMysql } from '../../src/db/connection.js';
import { applyOffset } from '../../src/offsets/apply.js';
import { dropIndexIfPresent } from '../../src/db/schema.js';
import { status } from '../../src/install/installer.js';

const INDEX = 'cmp_complaints_unit_open_facts_idx';

for (const kind of databaseKinds) {
  describe(`fee collection without the open-complaints index (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, stringIdHost);
    });
    after(async () => h?.close());

    it('checks a bill (warning of its open complaint) and applies an approved offset after the index is dropped', async () => {
      const c = await assessedComplaint(h, HC.room.twoOwners, { threatenedWithholding: true });
      const o = await approvedOffset(h, c.id, '3.00');
      const input = { billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 100 }] };
      const before = await h.offsets.check(input);
      expect((await status(h.db, stringIdHost.mapping)).missingIndexes).to.deep.equal([]);
      expect(await dropIndexIfPresent(h.db, h.ctx.tables.complaints, INDEX)).to.equal(true);
      let after: typeof before | undefined;
      const sent = await statementsSent(h.db, async () => {
        after = await h.offsets.check(input);
      });
      expect(after).to.deep.equal(before);
      // The administrator is told (complaints status, /api/status, the admin page).
      expect((await status(h.db, stringIdHost.mapping)).missingIndexes).to.deep.equal([INDEX]);
      expect(after!.warnings.map((w) => [w.code, w.complaintId])).to.deep.equal([
        ['open_complaint', c.id],
        ['withholding_threat', c.id],
      ]);
      // MySQL tried the named index first, then read without it; SQLite never names it.
      expect(sent.filter((sql) => sql.includes(`USE INDEX (\`${INDEX}\`)`))).to.have.length(isMysql(h.db) ? 1 : 0);
      const applied = await applyOffset(h.ctx, { offsetId: o.id, billId: HC.fee.unpaid1, amountFen: 100, idempotencyKey: 'no-index-1' }, people.cashier);
      expect([applied.amountFen, applied.remainingFen]).to.deep.equal([100, 200]);
    });
  });
}

// The page-session store answers from memory (issue 20: one round trip less on every page): on both
// databases, a cached session still ends at its exact expiry by the plugin's clock, and sign-out and
// revocation in this process take effect at once; another instance sees a revocation only when its copy
// is dropped (cacheMs), and with cacheMs 0 at once.
import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { SessionStore } from '../../src/auth/sessionStore.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { jobContext, migrate } from '../support/jobsHarness.js';
import { people } from '../support/pluginHarness.js';

for (const kind of databaseKinds) {
  describe(`page sessions cached in memory (${kind.kind})`, function () {
    this.timeout(60000);
    let t: TestDatabase;
    let clock: ManualClock;
    let store: SessionStore;
    let rows: () => Promise<number>;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
      clock = new ManualClock('2026-12-07T02:00:00Z');
      const ctx = jobContext(t.db, clock);
      store = new SessionStore(t.db, ctx.tables, clock, { lifetimeMs: 3600_000 });
      rows = async () => Number(((await t.db(ctx.tables.sessions).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    });
    after(async () => t?.drop());

    it('answers a known session without the table, yet ends it at its exact expiry', async () => {
      const { token, session } = await store.create('signed_in', people.counter);
      // The row is gone behind the store's back: the cached copy still answers (what another instance's
      // revocation looks like here) ...
      await t.db(jobContext(t.db, clock).tables.sessions).where({ id: session.id }).delete();
      expect((await store.load(token))?.id).to.equal(session.id);
      // ... but never past its expiry by the plugin's clock.
      clock.advance(3600_000 - 1);
      expect((await store.load(token))?.id).to.equal(session.id);
      clock.advance(1);
      expect(await store.load(token)).to.equal(null);
    });

    it('forgets a session signed out or revoked in this process at once', async () => {
      const one = await store.create('signed_in', people.counter);
      const two = await store.create('signed_in', people.counter);
      const other = await store.create('signed_in', people.supervisor);
      expect(await store.load(one.token)).not.to.equal(null);
      await store.revoke(one.session.id);
      expect(await store.load(one.token)).to.equal(null);
      expect(await store.load(two.token)).not.to.equal(null);
      expect(await store.revokeActor(people.counter.id)).to.equal(1);
      expect(await store.load(two.token)).to.equal(null);
      expect((await store.load(other.token))?.actorId).to.equal(people.supervisor.id);
    });

    it('with cacheMs 0 reads the table every time (another instance revoking is seen at once)', async () => {
      const uncached = new SessionStore(t.db, jobContext(t.db, clock).tables, clock, { cacheMs: 0 });
      const { token, session } = await uncached.create('signed_in', people.counter);
      const before = await rows();
      expect((await uncached.load(token))?.id).to.equal(session.id);
      await store.revoke(session.id);
      expect(await rows()).to.equal(before - 1);
      expect(await uncached.load(token)).to.equal(null);
    });
  });
}

// Concurrent intake and concurrent changes on real databases: 50 simultaneous registrations get 50
// distinct, gapless codes of the local day; simultaneous changes from one version let exactly one win.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { people, person, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';
import { act, intakeBody, register, unitsOf } from '../support/complaintData.js';
import type { Complaint } from '../../src/complaints/types.js';

for (const kind of databaseKinds) {
  for (const fixture of [simpleHost, stringIdHost]) {
    describe(`complaint concurrency: ${fixture.name} on ${kind.kind}`, function () {
      let h: PluginHarness;
      const units = unitsOf(fixture);

      before(async () => {
        h = await startPluginHarness(kind, fixture);
      });
      after(async () => h?.close());
      afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

      it('gives 50 concurrent intakes 50 distinct codes numbered 1–50 for the day', async () => {
        const clerks = Array.from({ length: 5 }, (_, i) => person('counter_staff', `clerk-${i}`, `前台${i}`));
        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            h.api('POST', '/api/complaints', { as: clerks[i % 5], body: intakeBody(i % 2 ? units.a : units.b, { description: `并发登记 ${i}` }) }),
          ),
        );
        expect(responses.map((r) => r.status)).to.deep.equal(Array(50).fill(201));
        const codes = responses.map((r) => (r.body.complaint as Complaint).code);
        expect(new Set(codes).size).to.equal(50);
        const numbers = codes.map((c) => Number(c.split('-')[2])).sort((a, b) => a - b);
        expect(numbers).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(codes.every((c) => c.startsWith('TS-20261128-'))).to.equal(true);
      });

      it('starts a new sequence at local (Asia/Shanghai) midnight, not UTC midnight', async () => {
        h.clock.set('2026-11-28T15:59:00.000Z'); // 23:59 in Shanghai
        const late = await register(h, people.counter, intakeBody(units.a));
        expect(late.code).to.equal('TS-20261128-0051');
        h.clock.set('2026-11-28T16:01:00.000Z'); // 00:01 on the 29th in Shanghai
        const [x, y] = await Promise.all([register(h, people.counter, intakeBody(units.a)), register(h, people.counter2, intakeBody(units.b))]);
        expect([x.code, y.code].sort()).to.deep.equal(['TS-20261129-0001', 'TS-20261129-0002']);
      });

      it('lets exactly one of ten simultaneous changes from the same version win', async () => {
        const c = await register(h, people.counter, intakeBody(units.a));
        const staff = Array.from({ length: 10 }, (_, i) => person('supervisor', `sup-${i}`, `主管${i}`));
        const results = await Promise.all(staff.map((who) => act(h, who, c, 'note', { note: `${who.name} 跟进` })));
        const won = results.filter((r) => r.status === 200);
        const lost = results.filter((r) => r.status === 409);
        expect(won).to.have.length(1);
        expect(lost).to.have.length(9);
        const winner = won[0]!.body.complaint as Complaint;
        expect(winner.version).to.equal(2);
        for (const r of lost) {
          expect(r.body.error.code).to.equal('stale_version');
          expect(r.body.error.updatedBy.name).to.equal(winner.updatedByName);
        }
        const events = await h.db(h.ctx.tables.events).where({ complaint_id: c.id, action: 'note' });
        expect(events).to.have.length(1);
      });
    });
  }
}

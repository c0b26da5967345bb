// The complaint API as a host mounts it: through createComplaintsPlugin and the standalone server, with
// the plugin's own error and body handling, and the OpenAPI document listing its operations.
import { expect } from 'chai';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { signedHeaderAuth, signUserToken } from '../../src/auth/adapter.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { createServerApp, listen, type RunningServer } from '../../src/http/server.js';
import { people } from '../support/pluginHarness.js';
import { intakeBody } from '../support/complaintData.js';

const SECRET = 'plugin-test-secret';

for (const kind of databaseKinds) {
  describe(`complaint API mounted by createComplaintsPlugin (${kind.kind})`, function () {
    let t: TestDatabase;
    let server: RunningServer;
    const errors: unknown[] = [];
    const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/complaints${path}`, {
        method,
        body,
        headers: { 'x-complaints-user': signUserToken(people.counter, SECRET), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      });

    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      const plugin = createComplaintsPlugin({ knex: t.db, mapping: simpleHost.mapping, auth: signedHeaderAuth(SECRET), log: (err) => errors.push(err) });
      await plugin.install();
      server = await listen(createServerApp(plugin), 0);
    });
    after(async () => {
      await server?.close();
      await t?.drop();
    });

    it('serves the complaint operations in the OpenAPI document', async () => {
      const doc = (await (await call('GET', '/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).to.equal('3.1.0');
      expect(Object.keys(doc.paths)).to.include.members(['/api/complaints', '/api/complaints/{id}', '/api/complaints/{id}/follow-ups']);
    });

    it('registers a complaint and answers bad input as JSON field errors', async () => {
      const ok = await call('POST', '/api/complaints', JSON.stringify(intakeBody('101')));
      expect(ok.status).to.equal(201);
      const bad = await call('POST', '/api/complaints?lang=en', JSON.stringify(intakeBody('101', { complainantPhone: '110' })));
      expect(bad.status).to.equal(400);
      const body = (await bad.json()) as { error: { fields: Array<{ field: string; message: string }> } };
      expect(body.error.fields[0]).to.deep.include({ field: 'complainantPhone' });
      const malformed = await call('POST', '/api/complaints', '{"unitId":');
      expect(malformed.status).to.equal(400);
      expect(((await malformed.json()) as { error: { code: string } }).error.code).to.equal('http_400');
      const anonymous = await fetch(`${server.url}/complaints/api/complaints`);
      expect(anonymous.status).to.equal(401);
      expect(errors).to.deep.equal([]);
    });
  });
}

// The document the contract checker (test/support/contract.ts) validates against is the one the plugin
// serves: GET {prefix}/api/openapi.json equals pluginOpenApi(). And the routes issue 22 found undocumented
// answer as documented (the checker validates each answer below as it arrives).
import { expect } from 'chai';
import { pluginOpenApi } from '../../src/plugin/createPlugin.js';
import { simpleHost } from '../fixtures/hosts.js';
import { contractStats } from '../support/contract.js';
import { sqliteKind, type TestDatabase } from '../support/databases.js';
import { staff } from '../support/pageHarness.js';
import { people } from '../support/pluginHarness.js';
import { startStack, type Stack } from '../support/reliability.js';

describe('the served OpenAPI document is the contract the tests check (sqlite)', function () {
  this.timeout(60000);
  let database: TestDatabase;
  let stack: Stack;

  before(async () => {
    database = await sqliteKind.create();
    await simpleHost.create(database.db);
    stack = await startStack(database.db);
  });
  after(async () => {
    await stack?.close();
    await database?.drop();
  });

  it('GET /api/openapi.json is pluginOpenApi(): the checker validates against what clients download', async () => {
    const res = await stack.api('GET', '/api/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal(JSON.parse(JSON.stringify(pluginOpenApi())));
    const tags = (res.body.tags as Array<{ name: string; description: string }>).map((t) => t.name);
    for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, { tags: string[]; description: string }>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const tag of op.tags) expect(tags, `${method} ${path}: tag ${tag} declared`).to.include(tag);
        expect(op.description, `${method} ${path}: described`).to.be.a('string').and.not.equal('');
      }
    }
  });

  it('answers the routes issue 22 found undocumented as documented (checked by the contract on arrival)', async () => {
    const before = contractStats.checked;
    expect((await stack.api('GET', '/api/status', { as: staff.admin })).status).to.equal(200);
    expect((await stack.api('GET', '/api/status', { as: people.counter })).status).to.equal(403);
    expect((await stack.api('POST', '/api/offsets/999999/approve', { as: people.director, body: {} })).status).to.equal(404);
    expect((await stack.api('POST', '/api/offsets/999999/revoke', { as: people.director, body: { note: '撤回' } })).status).to.equal(404);
    expect((await stack.api('POST', '/api/complaints', { as: people.counter, raw: 'x', contentType: 'text/plain' })).status).to.equal(415);
    const big = JSON.stringify({ description: 'x'.repeat(1024 * 1024 + 10) });
    expect((await stack.api('POST', '/api/complaints', { as: people.counter, raw: big })).status).to.equal(413);
    expect(contractStats.checked - before).to.equal(6);
  });
});

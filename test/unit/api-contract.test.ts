// The contract checker (test/support/contract.ts) must itself be able to fail: answers that break the
// served document in each way it checks are built here by hand and must each be named.
import { expect } from 'chai';
import { checkAnswer } from '../support/contract.js';

const base = 'http://127.0.0.1:1/complaints';
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
const offset = { id: 7 };

describe('the API contract checker', () => {
  it('passes an answer the document describes', async () => {
    const created = json(201, { offset: { ...offset } }, { Location: '/complaints/api/offsets/7' });
    expect(await checkAnswer('POST', `${base}/api/offsets`, created)).to.deep.equal([]);
    const refused = json(404, { error: { code: 'offset_not_found', message: '…', fields: [] } });
    expect(await checkAnswer('POST', `${base}/api/offsets/7/approve`, refused)).to.deep.equal([]);
  });

  it('names an undocumented status, a missing documented header and a body off its schema', async () => {
    const [status] = await checkAnswer('GET', `${base}/api/offsets/7`, json(418, {}));
    expect(status).to.match(/status 418 is not documented/);
    const [location] = await checkAnswer('POST', `${base}/api/offsets`, json(201, { offset }));
    expect(location).to.match(/header Location is missing/);
    const [replayed] = await checkAnswer('POST', `${base}/api/complaints`, json(200, { complaint: {} }));
    expect(replayed).to.match(/header Idempotent-Replayed is missing/);
    const [body] = await checkAnswer('GET', `${base}/api/offsets/7`, json(404, { error: { code: 'x' } }));
    expect(body).to.match(/body.*must have required property 'message'/);
  });

  it('names an undocumented operation under /api but leaves pages and unknown /api paths (404) alone', async () => {
    const [missing] = await checkAnswer('DELETE', `${base}/api/offsets/7`, json(200, {}));
    expect(missing).to.match(/DELETE \/api\/offsets\/7 → 200: the operation is not documented/);
    expect(await checkAnswer('GET', `${base}/api/nothing-here`, json(404, {}))).to.deep.equal([]);
    expect(await checkAnswer('GET', `${base}/offsets`, new Response('<html>', { status: 200 }))).to.deep.equal([]);
  });
});

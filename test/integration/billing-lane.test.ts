// The billing API's own lane (plugin.billingRouter), which the standalone service mounts ahead of the
// plugin's router so fee collection is not matched against every page and API route: on both databases,
// every kind of billing request answers the same through the service as through a host that mounts only
// `plugin.router` (the README's way), and the lane alone serves the billing routes and nothing else.
import { expect } from 'chai';
import Koa from 'koa';
import { request } from 'node:http';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { SERVICE_SECRET, startStack, type Stack } from '../support/reliability.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';

interface Answer {
  status: number;
  body: unknown;
  allow: string | null;
  contentType: string | null;
  requestId: string | null;
}

interface Call {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  sign?: boolean;
}

const json = { 'content-type': 'application/json' };
const CALLS: Call[] = [
  { name: 'a check', method: 'POST', path: '/api/billing/check', body: JSON.stringify({ billId: '1001' }), headers: json },
  { name: 'a check of an unknown bill', method: 'POST', path: '/api/billing/check', body: JSON.stringify({ billId: 'no-such-bill' }), headers: json },
  {
    name: 'a check with an unknown offset, in English',
    method: 'POST',
    path: '/api/billing/check',
    body: JSON.stringify({ billId: '1001', offsets: [{ offsetId: 999999, amountFen: 100 }] }),
    headers: { ...json, 'accept-language': 'en' },
  },
  {
    name: 'a batch check',
    method: 'POST',
    path: '/api/billing/check-batch',
    body: JSON.stringify({ bills: [{ billId: '1001' }, { billId: 'x' }] }),
    headers: json,
  },
  { name: 'the reconciliation', method: 'GET', path: '/api/billing/reconcile' },
  {
    name: 'an application of an offset that does not exist',
    method: 'POST',
    path: '/api/billing/apply',
    body: JSON.stringify({ offsetId: 1, billId: '1001', amountFen: 1, idempotencyKey: 'LANE-1', operator: { id: 'c1', name: '收银员' } }),
    headers: json,
  },
  { name: 'an application without its fields', method: 'POST', path: '/api/billing/apply', body: JSON.stringify({}), headers: json },
  {
    name: 'an application without its fields, in English',
    method: 'POST',
    path: '/api/billing/apply',
    body: JSON.stringify({}),
    headers: { ...json, 'accept-language': 'en-US,en;q=0.8' },
  },
  { name: 'an unsigned check', method: 'POST', path: '/api/billing/check', body: JSON.stringify({ billId: '1001' }), headers: json, sign: false },
  {
    name: 'an unsigned check, in English',
    method: 'POST',
    path: '/api/billing/check?lang=en',
    body: JSON.stringify({ billId: '1001' }),
    headers: json,
    sign: false,
  },
  {
    name: 'a check that is not JSON',
    method: 'POST',
    path: '/api/billing/check',
    body: 'billId=1001',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  { name: 'a check whose JSON is broken', method: 'POST', path: '/api/billing/check', body: '{"billId":', headers: json },
  {
    name: 'a check with a caller request id',
    method: 'POST',
    path: '/api/billing/check',
    body: JSON.stringify({ billId: '1001' }),
    headers: { ...json, 'x-request-id': 'erp-trace-42' },
  },
  { name: 'another method on a billing route', method: 'GET', path: '/api/billing/check' },
  { name: 'a billing path that does not exist', method: 'POST', path: '/api/billing/nothing-here', body: '{}', headers: json },
];

for (const kind of databaseKinds) {
  describe(`the billing lane (${kind.kind})`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let stack: Stack;
    let routerOnly: RunningServer;
    let laneOnly: RunningServer;

    before(async () => {
      database = await kind.create();
      await simpleHost.create(database.db);
      stack = await startStack(database.db, simpleHost);
      // A Koa host that mounts the plugin's router as the README shows, without the lane.
      const host = new Koa();
      host.use(stack.plugin.router.routes()).use(stack.plugin.router.allowedMethods());
      routerOnly = await listen(host, 0, '127.0.0.1');
      const lane = new Koa();
      lane.use(stack.plugin.billingRouter.routes());
      laneOnly = await listen(lane, 0, '127.0.0.1');
    });
    after(async () => {
      await laneOnly?.close();
      await routerOnly?.close();
      await stack?.close();
      await database?.drop();
    });
    afterEach(() => expect(stack.errors, 'no unexpected errors').to.deep.equal([]));

    async function send(origin: string, call: Call): Promise<Answer> {
      const path = `${stack.base}${call.path}`;
      const body = call.body ?? '';
      const headers: Record<string, string> = { ...call.headers };
      if (call.sign !== false) Object.assign(headers, signServiceRequest(SERVICE_SECRET, { method: call.method, path, body }, Date.now()));
      const res = await fetch(`${origin}${path}`, { method: call.method, headers, ...(body ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // kept as text (a 404 from Koa)
      }
      // A request id the caller did not send is a fresh UUID each time: only its presence is compared.
      const id = res.headers.get('x-request-id');
      return {
        status: res.status,
        body: parsed,
        allow: res.headers.get('allow'),
        contentType: res.headers.get('content-type')?.split(';')[0] ?? null,
        requestId: call.headers?.['x-request-id'] ? id : id === null ? null : 'generated',
      };
    }

    it('answers every kind of billing request through the service exactly as through a host that mounts only the router', async () => {
      const seen = new Set<number>();
      for (const call of CALLS) {
        const service = await send(stack.origin, call);
        const host = await send(routerOnly.url, call);
        expect(service, call.name).to.deep.equal(host);
        seen.add(service.status);
      }
      // The list covers answers, refusals, bad requests, the wrong method and a path of no route.
      expect([...seen].sort()).to.deep.equal([200, 400, 401, 404, 405, 415]);
    });

    it('labels the metrics and echoes the request id of a lane request as the router did', async () => {
      const call = CALLS.find((c) => c.name === 'a check with a caller request id')!;
      const answer = await send(stack.origin, call);
      expect(answer.requestId).to.equal('erp-trace-42');
      const { text } = await stack.plugin.metrics.exposition();
      expect(text).to.include('complaints_http_requests_total{route="/complaints/api/billing/check",method="POST",status="200"}');
      expect(text).not.to.match(/route="unmatched",method="POST",status="200"/);
    });

    it('serves the billing routes on its own and lets every other request pass to the next middleware', async () => {
      const check = await send(laneOnly.url, CALLS[0]!);
      expect(check.status).to.equal(200);
      expect(check.body).to.include({ billId: '1001', found: true });
      // Nothing else is the lane's: a page, the JSON API, another method on a billing route. (Asked with
      // node:http: the suite's fetch holds documented API paths to their documented answers, and a Koa app
      // with nothing after the lane answers 404.)
      const statusOf = (method: string, path: string) =>
        new Promise<number | undefined>((resolve, reject) =>
          request(`${laneOnly.url}${stack.base}${path}`, { method }, (res) => {
            res.resume();
            resolve(res.statusCode);
          })
            .on('error', reject)
            .end(),
        );
      for (const path of ['/', '/cashier', '/api/complaints', '/api/offsets', '/healthz']) expect(await statusOf('GET', path), path).to.equal(404);
      expect(await statusOf('GET', '/api/billing/check'), 'another method').to.equal(404);
    });
  });
}

// The API contract, checked on every call the suites make (issue 22). Loaded by .mocharc as a root hook
// plugin, it wraps the process's fetch: every answer from a path under a routes prefix that the OpenAPI
// document describes (the JSON API, the billing API, health/readiness/metrics) is checked against the
// document the plugin serves (pluginOpenApi, the same builder as GET /api/openapi.json):
//   - the path and method are documented, and so is the status code;
//   - a JSON body matches that response's schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 says);
//   - every response header the document marks required is present and matches its schema.
// An answer that breaks the contract makes that fetch throw (the test fails at the call, naming what broke);
// the run's last hook fails too, listing every violation, in case a test swallowed the error.
// Requests the tests send on purpose to undocumented paths (a typo'd route, a page) are left alone only
// when they are not under /api: an undocumented /api path is a violation like any other.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import { pluginOpenApi } from '../../src/plugin/createPlugin.js';

const require = createRequire(import.meta.url);
const addFormats: (ajv: Ajv2020, options?: { mode?: 'fast' | 'full' }) => Ajv2020 = require('ajv-formats');

type Json = Record<string, any>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  responses: Json;
}

const document = pluginOpenApi() as Json;
const prefix: string = document.servers[0].url;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv, { mode: 'fast' });
ajv.addSchema(document, 'openapi.json');

const routes: Route[] = [];
for (const [template, item] of Object.entries(document.paths as Json)) {
  for (const [method, op] of Object.entries(item as Json)) {
    // Literal segments first so /api/offsets/check is not taken for /api/offsets/{id}.
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
    routes.push({ method: method.toUpperCase(), template, pattern, responses: (op as Json).responses });
  }
}
routes.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));

const validators = new Map<string, ValidateFunction>();
function validatorFor(pointer: string): ValidateFunction {
  let v = validators.get(pointer);
  if (!v) {
    v = ajv.getSchema(`openapi.json#${pointer}`);
    if (!v) throw new Error(`contract: no schema at ${pointer}`);
    validators.set(pointer, v);
  }
  return v;
}
const escape = (segment: string) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

/** What the checker saw, for the closing line and for tests of the checker itself. */
export const contractStats = { checked: 0, violations: [] as string[], ms: 0 };

/** Checks one answer; returns the violations (empty when it keeps the contract). */
export async function checkAnswer(method: string, url: string, res: Response): Promise<string[]> {
  const path = new URL(url).pathname;
  if (!path.startsWith(`${prefix}/`)) return [];
  const relative = path.slice(prefix.length);
  const route = routes.find((r) => r.method === method && r.pattern.test(relative));
  if (!route) {
    if (!relative.startsWith('/api/')) return [];
    // An unknown /api path answers 404 (or 405 for a wrong method): no document lists what is not there.
    if (!routes.some((r) => r.pattern.test(relative)) && res.status === 404) return [];
    if (res.status === 405 && routes.some((r) => r.pattern.test(relative))) return [];
    return [`${method} ${relative} → ${res.status}: the operation is not documented`];
  }
  contractStats.checked++;
  const where = `${method} ${route.template} → ${res.status}`;
  const status = String(res.status);
  const response = route.responses[status] as Json | undefined;
  if (!response) return [`${where}: status ${status} is not documented (documented: ${Object.keys(route.responses).join(', ')})`];
  const problems: string[] = [];
  const base = `/paths/${escape(route.template)}/${route.method.toLowerCase()}/responses/${status}`;
  for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
    const value = res.headers.get(name);
    if (value === null) {
      if (header.required) problems.push(`${where}: documented header ${name} is missing`);
      continue;
    }
    const v = validatorFor(`${base}/headers/${escape(name)}/schema`);
    if (!v(value)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(v.errors)}`);
  }
  const mediaType = (t: string) => (t.split(';')[0] ?? '').trim();
  const type = mediaType(res.headers.get('content-type') ?? '');
  const content = (response.content ?? {}) as Json;
  const contentKeys = Object.keys(content);
  const documentedTypes = contentKeys.map(mediaType);
  const text = await res.clone().text();
  if (text === '') {
    if (documentedTypes.length > 0) problems.push(`${where}: empty body, documented ${documentedTypes.join(', ')}`);
    return problems;
  }
  const index = documentedTypes.indexOf(type);
  if (index < 0) return [...problems, `${where}: content type ${type || '(none)'} is not documented (${documentedTypes.join(', ') || 'no body'})`];
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [...problems, `${where}: the body is not JSON`];
    }
    const v = validatorFor(`${base}/content/${escape(contentKeys[index] ?? '')}/schema`);
    if (!v(body)) problems.push(`${where}: body ${ajv.errorsText(v.errors, { dataVar: 'body' })}`);
  }
  return problems;
}

/** A fetch answer that broke the contract (thrown at the call, so the test making it fails there). */
export class ContractViolation extends Error {}

const originalFetch = globalThis.fetch;
globalThis.fetch = async function contractFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const res = await originalFetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  let problems: string[];
  // Timed so the run can say what the contract costs the suite (issue 22: no more than 20% slower).
  const started = performance.now();
  try {
    problems = await checkAnswer(method, url, res);
  } catch (err) {
    // An answer cut off (a test that aborts or a server that stops) has no body to check.
    if (err instanceof Error && /abort|terminated|socket|other side closed/i.test(err.message)) return res;
    throw err;
  } finally {
    contractStats.ms += performance.now() - started;
  }
  if (problems.length > 0) {
    contractStats.violations.push(...problems);
    throw new ContractViolation(`API contract (the served OpenAPI document) broken:\n  ${problems.join('\n  ')}`);
  }
  return res;
};

/**
 * Mocha root hooks. A violation fails its test at the fetch; one that a test swallowed (a race that counts
 * rejections, a fault test expecting resets) still fails the run here, at the end, listed.
 */
export const mochaHooks = {
  afterAll() {
    if (contractStats.checked > 0)
      process.stdout.write(
        `\nAPI contract: ${contractStats.checked} answers checked against the OpenAPI document (checks took ${(contractStats.ms / 1000).toFixed(1)} s, summed over calls)\n`,
      );
    const seen = [...new Set(contractStats.violations)];
    if (seen.length > 0) throw new Error(`API contract broken by ${contractStats.violations.length} answer(s):\n  ${seen.join('\n  ')}`);
  },
};

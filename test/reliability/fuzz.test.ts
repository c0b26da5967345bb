// Reliability: bad input (MariaDB). Property-based fuzzing with fast-check of every JSON endpoint (user
// API and signed billing API) and every form: each generated request starts from a valid one and is made
// invalid on purpose (a wrong JSON type, a value outside its pattern or length — unicode including
// non-BMP characters —, a missing field, extra fields, a body that is not an object, malformed JSON, the
// wrong content type), optionally with unicode noise in the other fields. Each must be refused: the JSON
// API with 400/409/413/415 (an invalid query always with 400 and field messages), the forms with
// 409/413/415/422 pages, with a field message for validation errors, and
// our tables (and the host's) must be exactly as before, by checksum. About 1,000 runs in total.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Actor } from '../../src/auth/actor.js';
import { checksumTables } from '../support/checksum.js';
import type { TestDatabase } from '../support/databases.js';
import { intakeBody } from '../support/complaintData.js';
import { requireMariadb } from '../support/faults.js';
import { intakeForm, staff, type PageClient } from '../support/pageHarness.js';
import { people } from '../support/pluginHarness.js';
import { freshMariadb, OUR_TABLES, startStack, type Stack } from '../support/reliability.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';

const JSON_RUNS = Number(process.env.FUZZ_JSON_RUNS ?? 25);
const FORM_RUNS = Number(process.env.FUZZ_FORM_RUNS ?? 28);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

// ----- values --------------------------------------------------------------------------------------

/** Characters worth trying: CJK, non-BMP (𠀀, emoji), combining and invisible ones, markup, controls. */
const uchar = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'a',
      'Z',
      '0',
      '9',
      '_',
      '-',
      '.',
      ' ',
      '中',
      '文',
      '楼',
      'é',
      'ß',
      '\u3000',
      '\u00a0',
      '\u200b',
      '\u202e',
      '\ufeff',
      '<',
      '>',
      '"',
      "'",
      '&',
      '\\',
      '/',
      '%',
      '+',
      '=',
      '?',
      '#',
      '\n',
      '\t',
      '\u0000',
      '\u001f',
      '\u007f',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('𠀀', '𠮷', '😀', '🀄', '👨‍👩‍👧', '🇨🇳', '\u{10FFFF}', '\u{1F600}') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const ustring = (min: number, max: number) => fc.string({ unit: uchar, minLength: min, maxLength: max });
/** Non-blank unicode text within `max` code points (valid for a free-text field). */
const validText = (max: number) =>
  ustring(1, Math.min(max, 40))
    .map((s) => `说明${s}`.slice(0, max))
    .filter((s) => [...s].length <= max && /\S/u.test(s.trim()) && s.trim() === s);
const tooLong = (max: number) => fc.integer({ min: 1, max: 30 }).chain((extra) => ustring(max + extra, max + extra).filter((s) => [...s].length > max));
const blank = fc.constantFrom('', ' ', '\t', '\n ', '\u3000', '\u00a0', '  \u3000 ');
const nonString = fc.oneof(
  fc.integer(),
  fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);
const nonInteger = fc.oneof(
  fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
  fc.constantFrom('1', '２', '1e3', '0x10', ' 1', ''),
  fc.boolean(),
  fc.constant(null),
  fc.constant([1]),
  fc.constant({ n: 1 }),
);
const badDates = ['2026-02-30', '2026-19-01', '2026-00-10', '2026-12-32', '26-11-28', '2026/11/28', '2026-11-28T00:00', '２０２６-11-28', 'tomorrow', '𠀀'];
const badDateTimes = [
  '2026-02-30T10:00:00+08:00',
  '2026-19-39T10:00:00Z',
  '2026-11-28T25:61:00Z',
  '2026-11-28 10:00',
  '2026-11-28',
  'now',
  '2026-11-28T10:00:00+08:00𠀀',
];
const badYuan = ['abc', '-1', '0', '0.00', '1.234', '12.5.6', '１２', '1e2', 'NaN', '¥-5', '𠀀', '--1', '9999999999999999999999'];
const badPhones = ['１３８００１３８０００', '1380013800', '+8613800138000', '138 0013 8000', '23800138000', '1380013800𠀀', '13800138000x'];

type Kind =
  | 'text'
  | 'optText'
  | 'code'
  | 'enum'
  | 'int'
  | 'bool'
  | 'date'
  | 'datetime'
  | 'hostId'
  | 'phone'
  | 'key'
  | 'asciiKey'
  | 'yuan'
  | 'ids'
  | 'lines'
  | 'operator'
  | 'bills';

interface Field {
  name: string;
  kind: Kind;
  max?: number;
  required?: boolean;
  /** Valid values of an enum/code field (so "invalid" values avoid them). */
  values?: string[];
}

/** A JSON value this field must refuse. */
function invalidJsonValue(f: Field): fc.Arbitrary<unknown> {
  const notIn = (arb: fc.Arbitrary<string>) => arb.filter((s) => !(f.values ?? []).includes(s));
  switch (f.kind) {
    case 'text':
      return fc.oneof(nonString, blank, tooLong(f.max!));
    case 'optText':
    case 'hostId':
      return fc.oneof(nonString, tooLong(f.max!), ...(f.kind === 'hostId' ? [fc.constant('')] : []));
    case 'code':
      return fc.oneof(
        nonString,
        notIn(ustring(0, 12)).filter((s) => !/^[a-z][a-z0-9_]{0,39}$/.test(s)),
        fc.constant('A_upper'),
        tooLong(40),
      );
    case 'enum':
      return fc.oneof(nonString, notIn(ustring(0, 12)), fc.constant('RECEIVED'));
    case 'int':
      return fc.oneof(nonInteger, fc.constantFrom(0, -1, 2147483648, 2 ** 53));
    case 'bool':
      return fc.oneof(fc.constantFrom('true', 'false', 1, 0, null, [], {}), fc.string({ maxLength: 3 }));
    case 'date':
      return fc.oneof(
        nonString.filter((v) => v !== null),
        fc.constantFrom(...badDates),
      );
    case 'datetime':
      return fc.oneof(nonString, fc.constantFrom(...badDateTimes));
    case 'phone':
      return fc.oneof(nonString, fc.constantFrom(...badPhones));
    case 'key':
      return fc.oneof(nonString, fc.constantFrom('', ' lead', 'trail ', 'a\u0000b', 'tab\tkey', 'new\nline', 'x'.repeat(129)));
    case 'asciiKey':
      return fc.oneof(nonString, fc.constantFrom('', 'a b', '键', 'key😀', 'x'.repeat(101)));
    case 'yuan':
      return fc.oneof(nonString, fc.constantFrom(...badYuan), tooLong(32));
    case 'ids':
      return fc.oneof(
        fc.constantFrom('1001', 1001, null, {}, [1001], [''], ['1001', '1001'], [null], ['x'.repeat(65)]),
        fc.constant(Array.from({ length: 101 }, (_, i) => String(i))),
      );
    case 'lines':
      return fc.oneof(
        fc.constantFrom(
          'x',
          1,
          null,
          {},
          [1],
          [{}],
          [{ offsetId: '1', amountFen: 1 }],
          [{ offsetId: 1, amountFen: 1.5 }],
          [{ offsetId: 1, amountFen: 1, extra: 1 }],
          [{ offsetId: 0, amountFen: 1 }],
        ),
        fc.constant(Array.from({ length: 21 }, () => ({ offsetId: 1, amountFen: 1 }))),
      );
    case 'bills':
      return fc.oneof(
        fc.constantFrom('x', 1, null, {}, [1], [{}], [{ billId: 1 }], [{ billId: '1001', offsets: 'x' }], [{ billId: '1001', extra: true }], [{ billId: '' }]),
      );
    case 'operator':
      return fc.oneof(
        fc.constantFrom('cashier', 1, null, [], {}, { id: '' }, { id: 1 }, { id: 'c', name: '' }, { id: 'c', role: 'x' }, { id: 'x'.repeat(65) }),
      );
  }
}

/** A form value this field must refuse (forms trim; a blank optional field counts as absent, so never blank here). */
function invalidFormValue(f: Field): fc.Arbitrary<string> {
  const notIn = (arb: fc.Arbitrary<string>) => arb.filter((s) => s.trim() !== '' && !(f.values ?? []).includes(s.trim()));
  switch (f.kind) {
    case 'text':
      return f.required ? fc.oneof(blank, tooLong(f.max!)) : tooLong(f.max!);
    case 'optText':
    case 'hostId':
      return tooLong(f.max!);
    case 'code':
      return notIn(ustring(1, 12)).filter((s) => !/^[a-z][a-z0-9_]{0,39}$/.test(s.trim()));
    case 'enum':
      return notIn(ustring(1, 12));
    case 'int':
      return fc.constantFrom('abc', '１', '-1', '1.5', '1e3', '0x1', '99999999999', '𠀀', '0');
    case 'date':
      return fc.constantFrom(...badDates);
    case 'datetime':
      return fc.constantFrom('2026-02-30 10:00', '2026-19-01T10:00', '2026-11-28 25:00', 'tomorrow', '2026-11-28T10:00:00+08:00𠀀', '２０２６-11-28 10:00');
    case 'phone':
      // The intake form takes spaces and hyphens out of a typed number on purpose.
      return fc.constantFrom(...badPhones.filter((p) => !/^[\d\s-]+$/.test(p) || p.replace(/[\s-]/g, '').length !== 11));
    case 'yuan':
      return fc.oneof(
        fc.constantFrom(...badYuan.filter((v) => !(f.values ?? []).includes(v))),
        tooLong(32).filter((s) => s.trim() !== ''),
      );
    case 'key':
      return fc.constantFrom('a\u0000b', 'tab\tkey', 'new\nline', 'x'.repeat(129));
    case 'asciiKey':
      return fc.constantFrom('a b', '键', 'x'.repeat(200));
    default:
      return notIn(ustring(1, 12));
  }
}

// ----- requests ------------------------------------------------------------------------------------

type Mutation =
  | { kind: 'value'; field: string; value: unknown }
  | { kind: 'missing'; field: string }
  | { kind: 'extra'; name: string; value: unknown }
  | { kind: 'raw'; text: string; contentType?: string }
  | { kind: 'contentType'; contentType: string };

const EXTRA_NAMES = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'id', 'state', 'version ', 'isAdmin', '状态', '𠀀'),
  ustring(1, 10),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });

function jsonMutations(fields: Field[]): fc.Arbitrary<Mutation> {
  const arbs: Array<fc.Arbitrary<Mutation>> = [];
  for (const f of fields) arbs.push(invalidJsonValue(f).map((value) => ({ kind: 'value' as const, field: f.name, value })));
  for (const f of fields.filter((x) => x.required)) arbs.push(fc.constant({ kind: 'missing' as const, field: f.name }));
  const known = new Set(fields.map((f) => f.name));
  arbs.push(
    fc
      .tuple(
        EXTRA_NAMES.filter((n) => !known.has(n)),
        anyJson,
      )
      .map(([name, value]) => ({ kind: 'extra' as const, name, value })),
  );
  arbs.push(
    fc
      .constantFrom(
        '[]',
        '[{"a":1}]',
        '"text"',
        '42',
        'true',
        'null',
        '{',
        '{"a":',
        '{"a":1}}',
        "{'a':1}",
        '{"a":1,}',
        '\u{1F600}',
        '{"a":"\\ud800"',
        ...(fields.some((f) => f.required) ? [''] : []),
      )
      .map((text) => ({ kind: 'raw' as const, text })),
  );
  arbs.push(
    fc
      .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream')
      .map((contentType) => ({ kind: 'contentType' as const, contentType })),
  );
  return fc.oneof(...arbs);
}

/** Unicode (non-BMP, markup) in the free-text fields, staying valid there: the mutation alone makes the request invalid. */
function noise(fields: Field[]): fc.Arbitrary<Record<string, string>> {
  const texts = fields.filter((f) => f.kind === 'text' || f.kind === 'optText');
  if (!texts.length) return fc.constant({});
  return fc.dictionary(fc.constantFrom(...texts.map((f) => f.name)), fc.constant(''), { maxKeys: 2 }).chain((picked) => {
    const names = Object.keys(picked);
    if (!names.length) return fc.constant({});
    return fc
      .tuple(...names.map((n) => validText(texts.find((f) => f.name === n)!.max!)))
      .map((vals) => Object.fromEntries(names.map((n, i) => [n, vals[i]!])));
  });
}

function applyJson(valid: Record<string, unknown>, m: Mutation, extra: Record<string, string>): { text: string; contentType: string } {
  const body: Record<string, unknown> = { ...valid, ...extra };
  if (m.kind === 'value') body[m.field] = m.value;
  if (m.kind === 'missing') delete body[m.field];
  if (m.kind === 'raw') return { text: m.text, contentType: m.contentType ?? 'application/json' };
  let text = JSON.stringify(body);
  // Written into the text so "__proto__" arrives as an own property, as a hostile client would send it.
  if (m.kind === 'extra') text = `{${JSON.stringify(m.name)}:${JSON.stringify(m.value ?? null)},${text.slice(1)}`;
  return { text, contentType: m.kind === 'contentType' ? m.contentType : 'application/json' };
}

interface Res {
  status: number;
  body: any;
  text: string;
}

/**
 * What is wrong with a JSON API refusal, or null. The JSON API answers 400 (validation_failed with field
 * messages, or http_400 for malformed JSON), 409 (a state or version refusal), 413 (too large) or 415 (not
 * JSON); never 422 (that is the pages'). `allowed` narrows the statuses; `fieldsRequired` demands
 * validation_failed with its field messages.
 */
function jsonProblem(res: Res, allowed: number[] = [400, 409, 413, 415], fieldsRequired = false): string | null {
  if (!allowed.includes(res.status)) return `status ${res.status} (expected ${allowed.join('/')}): ${res.text.slice(0, 300)}`;
  const e = res.body?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !e.message) return `no error code/message: ${res.text.slice(0, 300)}`;
  if (fieldsRequired && e.code !== 'validation_failed') return `${e.code} instead of validation_failed with field messages: ${res.text.slice(0, 300)}`;
  if (e.code === 'validation_failed') {
    if (!Array.isArray(e.fields) || !e.fields.length) return `validation_failed without a field message: ${res.text.slice(0, 300)}`;
    for (const f of e.fields)
      if (typeof f.field !== 'string' || !f.field || typeof f.message !== 'string' || !f.message)
        return `a field error without field or message: ${JSON.stringify(f)}`;
  }
  return null;
}

function pageProblem(res: { status: number; text: string; headers: Headers }): string | null {
  if (![400, 409, 413, 415, 422].includes(res.status)) return `status ${res.status}: ${res.text.replace(/\s+/g, ' ').slice(0, 400)}`;
  if (!(res.headers.get('content-type') ?? '').includes('html')) return `not an HTML page: ${res.headers.get('content-type')}`;
  if (res.status === 422 && !/class="field-error"|role="alert"/.test(res.text)) return 'a 422 page without a message at the form';
  return null;
}

// ----- the endpoints -------------------------------------------------------------------------------

interface World {
  stack: Stack;
  database: TestDatabase;
  received: { id: number; version: number };
  investigating: { id: number; version: number };
  resolved: { id: number; version: number };
  assessed: number;
  requested: { id: number; version: number };
  approved: { id: number; version: number };
  appliedKey: string;
}

const text = (name: string, max: number, required = true): Field => ({ name, kind: required ? 'text' : 'optText', max, required });
const PAYERS = ['company', 'insurer', 'third_party'];
const PAY_METHODS = ['transfer', 'cash', 'mobile', 'other'];
/** The compensation form's fields, the same on the JSON API and the page. */
const COMPENSATION_FIELDS: Field[] = [
  { name: 'payer', kind: 'enum', required: true, values: PAYERS },
  { name: 'amount', kind: 'yuan', required: true },
  { name: 'paidOn', kind: 'date', required: true },
  { name: 'method', kind: 'enum', required: true, values: PAY_METHODS },
  text('reference', 100, false),
  text('note', 1000, false),
];
const CATEGORIES = [
  'service_attitude',
  'timeliness',
  'service_quality',
  'fees',
  'community_culture',
  'facilities',
  'security',
  'cleaning_greening',
  'renovation',
  'parking',
  'neighbour',
  'pets',
  'other',
];
const DEPARTMENTS = ['customer_service', 'engineering', 'security', 'environment', 'finance'];

interface JsonEndpoint {
  name: string;
  path: (w: World) => string;
  as: Actor | 'billing';
  valid: (w: World) => Record<string, unknown>;
  fields: Field[];
}

const createFields: Field[] = [
  { name: 'unitId', kind: 'hostId', max: 64, required: true },
  { name: 'ownerId', kind: 'hostId', max: 64 },
  text('complainantName', 50),
  { name: 'complainantPhone', kind: 'phone', required: true },
  { name: 'complainantRelation', kind: 'enum', values: ['owner', 'tenant', 'family', 'other'] },
  { name: 'channel', kind: 'enum', required: true, values: ['counter', 'phone', 'wechat', 'app', 'letter', 'visit', 'other'] },
  { name: 'category', kind: 'code', required: true, values: CATEGORIES },
  text('description', 2000),
  text('expectation', 500, false),
  { name: 'threatenedWithholding', kind: 'bool' },
  { name: 'receivedAt', kind: 'datetime' },
  { name: 'severity', kind: 'enum', values: ['general', 'important', 'major'] },
  { name: 'idempotencyKey', kind: 'asciiKey' },
];
const version: Field = { name: 'version', kind: 'int', required: true };
const note: Field = text('note', 1000, false);

const jsonEndpoints: JsonEndpoint[] = [
  {
    name: 'POST /api/complaints',
    path: () => '/api/complaints',
    as: people.counter,
    valid: () => intakeBody('101', { idempotencyKey: 'fuzz-create' }),
    fields: createFields,
  },
  {
    name: 'POST transitions/start-investigation',
    path: (w) => `/api/complaints/${w.received.id}/transitions/start-investigation`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, department: 'engineering', assigneeId: 'eng-1', assigneeName: '刘师傅' }),
    fields: [
      version,
      note,
      { name: 'department', kind: 'code', values: DEPARTMENTS },
      { name: 'assigneeId', kind: 'hostId', max: 64 },
      { name: 'assigneeName', kind: 'text', max: 50 },
    ],
  },
  {
    name: 'POST transitions/assess',
    path: (w) => `/api/complaints/${w.received.id}/transitions/assess`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, disputeType: 'property', nature: 'valid', severity: 'important', findings: '属实' }),
    fields: [
      version,
      note,
      { name: 'disputeType', kind: 'enum', required: true, values: ['property', 'non_property'] },
      { name: 'nature', kind: 'enum', required: true, values: ['valid', 'help', 'inquiry', 'venting'] },
      { name: 'severity', kind: 'enum', required: true, values: ['general', 'important', 'major'] },
      { name: 'category', kind: 'code', values: CATEGORIES },
      text('findings', 2000, false),
      { name: 'responsibilityExplained', kind: 'bool' },
    ],
  },
  {
    name: 'POST transitions/plan',
    path: (w) => `/api/complaints/${w.investigating.id}/transitions/plan`,
    as: people.manager,
    valid: (w) => ({
      version: w.investigating.version,
      department: 'engineering',
      assigneeId: 'eng-1',
      assigneeName: '刘师傅',
      measures: '更换零件',
      deadline: '2026-12-05T10:00:00+08:00',
    }),
    fields: [
      version,
      note,
      { name: 'department', kind: 'code', required: true, values: DEPARTMENTS },
      { name: 'assigneeId', kind: 'hostId', max: 64, required: true },
      text('assigneeName', 50),
      text('measures', 2000),
      { name: 'deadline', kind: 'datetime', required: true },
    ],
  },
  {
    name: 'POST transitions/resolve',
    path: (w) => `/api/complaints/${w.received.id}/transitions/resolve`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, reply: '已处理', basis: '现场照片' }),
    fields: [version, note, text('reply', 2000), text('basis', 1000)],
  },
  {
    name: 'POST transitions/cancel',
    path: (w) => `/api/complaints/${w.received.id}/transitions/cancel`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, cancelKind: 'duplicate', reason: '重复' }),
    fields: [version, note, { name: 'cancelKind', kind: 'enum', required: true, values: ['duplicate', 'registered_in_error'] }, text('reason', 500)],
  },
  {
    name: 'POST transitions/escalate',
    path: (w) => `/api/complaints/${w.received.id}/transitions/escalate`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, severity: 'major', reason: '升级' }),
    fields: [version, note, { name: 'severity', kind: 'enum', required: true, values: ['important', 'major'] }, text('reason', 500)],
  },
  {
    name: 'POST transitions/note',
    path: (w) => `/api/complaints/${w.received.id}/transitions/note`,
    as: people.manager,
    valid: (w) => ({ version: w.received.version, note: '备注' }),
    fields: [version, text('note', 1000)],
  },
  {
    name: 'POST follow-ups',
    path: (w) => `/api/complaints/${w.resolved.id}/follow-ups`,
    as: people.manager,
    valid: (w) => ({ version: w.resolved.version, method: 'phone', satisfied: true, visitorName: '回访员', complainantWords: '满意', ownerRating: 5 }),
    fields: [
      version,
      note,
      { name: 'method', kind: 'enum', required: true, values: ['phone', 'visit', 'wechat', 'sms', 'other'] },
      { name: 'visitorName', kind: 'text', max: 50 },
      { name: 'visitedAt', kind: 'datetime' },
      { name: 'satisfied', kind: 'bool', required: true },
      text('complainantWords', 1000, false),
      { name: 'ownerRating', kind: 'int' },
    ],
  },
  {
    name: 'POST /api/complaints/:id/compensations',
    path: (w) => `/api/complaints/${w.resolved.id}/compensations`,
    as: people.manager,
    valid: () => ({
      payer: 'insurer',
      amount: '850.00',
      paidOn: '2026-11-28',
      method: 'transfer',
      reference: 'BX-2026-0001',
      note: '公众责任险理赔',
      idempotencyKey: 'fuzz-compensation',
    }),
    fields: [...COMPENSATION_FIELDS, { name: 'idempotencyKey', kind: 'asciiKey' }],
  },
  {
    name: 'POST /api/offsets',
    path: () => '/api/offsets',
    as: people.counter,
    valid: (w) => ({ complaintId: w.assessed, amount: '12.50', reason: '漏水', billIds: ['1001'], expiresOn: '2027-03-31', idempotencyKey: 'fuzz-raise' }),
    fields: [
      { name: 'complaintId', kind: 'int', required: true },
      { name: 'amount', kind: 'yuan', required: true },
      text('reason', 1000),
      { name: 'billIds', kind: 'ids' },
      { name: 'expiresOn', kind: 'date' },
      { name: 'idempotencyKey', kind: 'asciiKey' },
    ],
  },
  {
    name: 'POST offsets/:id/approve',
    path: (w) => `/api/offsets/${w.requested.id}/approve`,
    as: people.director,
    valid: (w) => ({ amount: '10.00', note: '同意', version: w.requested.version }),
    fields: [
      { name: 'amount', kind: 'yuan' },
      { name: 'note', kind: 'optText', max: 1000 },
      { name: 'version', kind: 'int' },
    ],
  },
  {
    name: 'POST offsets/:id/reject',
    path: (w) => `/api/offsets/${w.requested.id}/reject`,
    as: people.director,
    valid: (w) => ({ note: '不同意', version: w.requested.version }),
    fields: [text('note', 1000), { name: 'version', kind: 'int' }],
  },
  {
    name: 'POST offsets/:id/revoke',
    path: (w) => `/api/offsets/${w.approved.id}/revoke`,
    as: people.director,
    valid: (w) => ({ note: '撤回', version: w.approved.version }),
    fields: [text('note', 1000), { name: 'version', kind: 'int' }],
  },
  {
    name: 'POST /api/offsets/check',
    path: () => '/api/offsets/check',
    as: people.cashier,
    valid: (w) => ({ billId: '1001', offsets: [{ offsetId: w.approved.id, amountFen: 100 }] }),
    fields: [
      { name: 'billId', kind: 'hostId', max: 64, required: true },
      { name: 'offsets', kind: 'lines' },
    ],
  },
  {
    name: 'POST /api/billing/check',
    path: () => '/api/billing/check',
    as: 'billing',
    valid: (w) => ({ billId: '1001', offsets: [{ offsetId: w.approved.id, amountFen: 100 }] }),
    fields: [
      { name: 'billId', kind: 'hostId', max: 64, required: true },
      { name: 'offsets', kind: 'lines' },
    ],
  },
  {
    name: 'POST /api/billing/check-batch',
    path: () => '/api/billing/check-batch',
    as: 'billing',
    valid: () => ({ bills: [{ billId: '1001', offsets: [] }] }),
    fields: [{ name: 'bills', kind: 'bills', required: true }],
  },
  {
    name: 'POST /api/billing/apply',
    path: () => '/api/billing/apply',
    as: 'billing',
    valid: (w) => ({ offsetId: w.approved.id, billId: '1001', amountFen: 100, idempotencyKey: 'FUZZ-PAY-1', operator: { id: 'c01', name: '收银员' } }),
    fields: [
      { name: 'offsetId', kind: 'int', required: true },
      { name: 'billId', kind: 'hostId', max: 64, required: true },
      { name: 'amountFen', kind: 'int', required: true },
      { name: 'idempotencyKey', kind: 'key', required: true },
      { name: 'operator', kind: 'operator' },
    ],
  },
  {
    name: 'POST /api/billing/reverse',
    path: () => '/api/billing/reverse',
    as: 'billing',
    valid: (w) => ({ idempotencyKey: w.appliedKey, reversalKey: 'FUZZ-VOID-1', operator: { id: 'c01' } }),
    fields: [
      { name: 'idempotencyKey', kind: 'key', required: true },
      { name: 'reversalKey', kind: 'key', required: true },
      { name: 'operator', kind: 'operator' },
    ],
  },
];

interface QueryEndpoint {
  name: string;
  path: string;
  as: Actor;
  params: Field[];
}

const queryEndpoints: QueryEndpoint[] = [
  {
    name: 'GET /api/complaints',
    path: '/api/complaints',
    as: people.manager,
    params: [
      { name: 'state', kind: 'enum', values: ['received'] },
      { name: 'severity', kind: 'enum', values: ['general'] },
      { name: 'disputeType', kind: 'enum', values: ['property'] },
      { name: 'limit', kind: 'int' },
      { name: 'offset', kind: 'int', values: ['0'] },
      { name: 'overdue', kind: 'bool' },
      { name: 'receivedFrom', kind: 'date' },
      { name: 'q', kind: 'optText', max: 100 },
      { name: 'cursor', kind: 'code' },
      { name: 'sort', kind: 'enum', values: ['receivedAt', '-receivedAt', 'dueAt', '-dueAt'] },
      { name: 'unitId', kind: 'hostId', max: 64 },
    ],
  },
  {
    name: 'GET /api/offsets',
    path: '/api/offsets',
    as: people.manager,
    params: [
      { name: 'status', kind: 'enum', values: ['requested'] },
      { name: 'complaintId', kind: 'int' },
      { name: 'page', kind: 'int' },
      { name: 'perPage', kind: 'int' },
      { name: 'unitId', kind: 'hostId', max: 64 },
    ],
  },
];

function queryMutation(params: Field[]): fc.Arbitrary<Array<[string, string]>> {
  const one = fc.oneof(
    ...params.map((p) =>
      (p.kind === 'int'
        ? fc.constantFrom(...['abc', '-1', '0', '1.5', '１', '1e3', '99999999999999'].filter((v) => !(p.values ?? []).includes(v)))
        : p.kind === 'bool'
          ? fc.constantFrom('yes', '2', 'TRUE', '𠀀')
          : p.kind === 'date'
            ? fc.constantFrom(...badDates)
            : p.kind === 'optText' || p.kind === 'hostId'
              ? tooLong(p.max!)
              : p.kind === 'code'
                ? fc.constantFrom('bad cursor!', '𠀀', '<script>', 'x'.repeat(301))
                : ustring(1, 10).filter((s) => s.trim() !== '' && !s.includes(',') && !(p.values ?? []).includes(s.trim()))
      ).map((v) => [[p.name, v]] as Array<[string, string]>),
    ),
    // A scalar given twice.
    fc.constantFrom(...params.filter((p) => p.kind !== 'enum').map((p) => p.name)).map(
      (n) =>
        [
          [n, '1'],
          [n, '2'],
        ] as Array<[string, string]>,
    ),
    // A parameter that does not exist.
    fc
      .tuple(
        EXTRA_NAMES.filter((n) => !params.some((p) => p.name === n) && n !== 'lang' && n.trim() !== ''),
        ustring(1, 8),
      )
      .map(([n, v]) => [[n, v]] as Array<[string, string]>),
  );
  return one;
}

// ----- forms ---------------------------------------------------------------------------------------

interface FormEndpoint {
  name: string;
  as: Actor | null;
  /** The page the form is on (read first, for the CSRF token and a session). */
  page: (w: World) => string;
  path: (w: World) => string;
  valid: (w: World, c: PageClient) => Record<string, string>;
  fields: Field[];
}

const formEndpoints: FormEndpoint[] = [
  {
    name: 'POST /sign-in',
    as: null,
    page: () => '/sign-in',
    path: () => '/sign-in',
    valid: () => ({ userId: staff.counter.id, next: '/complaints/' }),
    fields: [{ name: 'userId', kind: 'enum', required: true, values: Object.values(staff).map((s) => s.id) }],
  },
  {
    name: 'POST /new',
    as: staff.counter,
    page: () => '/new?unit=101',
    path: () => '/new',
    valid: (_w, c) =>
      intakeForm({
        description: '电梯故障',
        expectation: '尽快修',
        receivedAt: '2026-11-28 08:30',
        idempotencyKey: c.field('idempotencyKey') ?? crypto.randomUUID(),
      }),
    fields: [
      { name: 'unitId', kind: 'hostId', max: 64, required: true },
      text('complainantName', 50),
      { name: 'complainantPhone', kind: 'phone', required: true },
      { name: 'complainantRelation', kind: 'enum', values: ['owner', 'tenant', 'family', 'other'] },
      { name: 'channel', kind: 'enum', required: true, values: ['counter', 'phone', 'wechat', 'app', 'letter', 'visit', 'other'] },
      { name: 'category', kind: 'code', required: true, values: CATEGORIES },
      text('description', 2000),
      text('expectation', 500, false),
      { name: 'receivedAt', kind: 'datetime' },
      { name: 'severity', kind: 'enum', values: ['general', 'important', 'major'] },
    ],
  },
  ...(
    [
      [
        'start-investigation',
        'received',
        { department: 'engineering', assigneeId: 'eng-1', assigneeName: '刘师傅' },
        [{ name: 'department', kind: 'code', values: DEPARTMENTS }, { name: 'assigneeId', kind: 'hostId', max: 64 }, text('assigneeName', 50, false)],
      ],
      [
        'assess',
        'received',
        { disputeType: 'property', nature: 'valid', severity: 'important', category: 'facilities', findings: '属实' },
        [
          { name: 'disputeType', kind: 'enum', required: true, values: ['property', 'non_property'] },
          { name: 'nature', kind: 'enum', required: true, values: ['valid', 'help', 'inquiry', 'venting'] },
          { name: 'severity', kind: 'enum', required: true, values: ['general', 'important', 'major'] },
          { name: 'category', kind: 'code', values: CATEGORIES },
          text('findings', 2000, false),
        ],
      ],
      [
        'plan',
        'investigating',
        { department: 'engineering', assigneeId: 'eng-1', assigneeName: '刘师傅', measures: '更换', deadline: '2026-12-05 10:00' },
        [
          { name: 'department', kind: 'code', required: true, values: DEPARTMENTS },
          { name: 'assigneeId', kind: 'hostId', max: 64, required: true },
          text('assigneeName', 50),
          text('measures', 2000),
          { name: 'deadline', kind: 'datetime', required: true },
        ],
      ],
      ['resolve', 'received', { reply: '已处理', basis: '照片' }, [text('reply', 2000), text('basis', 1000)]],
      [
        'cancel',
        'received',
        { cancelKind: 'duplicate', reason: '重复' },
        [{ name: 'cancelKind', kind: 'enum', required: true, values: ['duplicate', 'registered_in_error'] }, text('reason', 500)],
      ],
      [
        'escalate',
        'received',
        { severity: 'major', reason: '升级' },
        [{ name: 'severity', kind: 'enum', required: true, values: ['important', 'major'] }, text('reason', 500)],
      ],
      ['note', 'received', { note: '备注' }, [text('note', 1000)]],
      [
        'follow-up',
        'resolved',
        { method: 'phone', visitorName: '回访员', satisfied: 'yes', complainantWords: '满意', ownerRating: '5' },
        [
          { name: 'method', kind: 'enum', required: true, values: ['phone', 'visit', 'wechat', 'sms', 'other'] },
          text('visitorName', 50, false),
          { name: 'visitedAt', kind: 'datetime' },
          { name: 'satisfied', kind: 'enum', required: true, values: ['yes', 'no'] },
          text('complainantWords', 1000, false),
          { name: 'ownerRating', kind: 'enum', values: ['1', '2', '3', '4', '5'] },
        ],
      ],
    ] as Array<[string, 'received' | 'investigating' | 'resolved', Record<string, string>, Field[]]>
  ).map(([action, state, valid, fields]): FormEndpoint => ({
    name: `POST /c/:id/act/${action}`,
    as: staff.manager,
    page: (w) => `/c/${w[state].id}`,
    path: (w) => `/c/${w[state].id}/act/${action}`,
    valid: (w) => ({ version: String(w[state].version), ...valid }),
    fields: [{ name: 'version', kind: 'int', required: true }, ...fields],
  })),
  {
    name: 'POST /c/:id/offsets',
    as: staff.counter,
    page: (w) => `/c/${w.assessed}`,
    path: (w) => `/c/${w.assessed}/offsets`,
    valid: (_w, c) => ({ amount: '12.50', reason: '漏水', expiresOn: '2027-03-31', billIds: '1001', formKey: c.field('formKey') ?? crypto.randomUUID() }),
    fields: [
      { name: 'amount', kind: 'yuan', required: true },
      text('reason', 1000),
      { name: 'expiresOn', kind: 'date' },
      { name: 'billIds', kind: 'hostId', max: 64 },
    ],
  },
  {
    name: 'POST /c/:id/compensations',
    as: staff.manager,
    page: (w) => `/c/${w.resolved.id}`,
    path: (w) => `/c/${w.resolved.id}/compensations`,
    valid: (_w, c) => ({
      payer: 'insurer',
      amount: '850.00',
      paidOn: '2026-11-28',
      method: 'transfer',
      reference: 'BX-2026-0001',
      note: '理赔',
      formKey: c.field('formKey') ?? crypto.randomUUID(),
    }),
    fields: [...COMPENSATION_FIELDS],
  },
  {
    name: 'POST /offsets/:id/approve',
    as: staff.director,
    page: () => '/offsets',
    path: (w) => `/offsets/${w.requested.id}/approve`,
    valid: (w) => ({ version: String(w.requested.version), amount: '10.00', note: '同意' }),
    fields: [
      { name: 'version', kind: 'int', required: true },
      { name: 'amount', kind: 'yuan' },
      { name: 'note', kind: 'optText', max: 1000 },
    ],
  },
  {
    name: 'POST /offsets/:id/reject',
    as: staff.director,
    page: () => '/offsets',
    path: (w) => `/offsets/${w.requested.id}/reject`,
    valid: (w) => ({ version: String(w.requested.version), note: '不同意' }),
    fields: [{ name: 'version', kind: 'int', required: true }, text('note', 1000)],
  },
  {
    name: 'POST /offsets/:id/revoke',
    as: staff.director,
    page: () => '/offsets',
    path: (w) => `/offsets/${w.approved.id}/revoke`,
    valid: (w) => ({ version: String(w.approved.version), note: '撤回' }),
    fields: [{ name: 'version', kind: 'int', required: true }, text('note', 1000)],
  },
  {
    name: 'POST /cashier/apply',
    as: staff.cashier,
    page: () => '/cashier?bill=1001',
    path: () => '/cashier/apply',
    valid: (w) => ({ billId: '1001', offsetId: String(w.approved.id), amount: '1.00', idempotencyKey: 'PAGE-FUZZ-1' }),
    fields: [
      { name: 'offsetId', kind: 'int', required: true },
      { name: 'amount', kind: 'yuan', required: true },
      { name: 'idempotencyKey', kind: 'key', required: true },
    ],
  },
  {
    name: 'POST /cashier/reverse',
    as: staff.cashier,
    page: () => '/cashier?bill=1001',
    path: () => '/cashier/reverse',
    valid: (w) => ({ billId: '1001', idempotencyKey: w.appliedKey, reversalKey: 'VOID-PAGE-FUZZ' }),
    fields: [{ name: 'reversalKey', kind: 'key', required: true }],
  },
  {
    name: 'POST /admin/settings',
    as: staff.admin,
    page: () => '/admin',
    path: () => '/admin/settings',
    valid: (_w, c) => {
      // Every field of the settings form as the page shows it (so only the mutation changes anything).
      const out: Record<string, string> = {};
      for (const m of c.lastPage.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/g)) {
        const tag = m[0];
        const name = m[1]!
          .replace(/&#x27;/g, "'")
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&');
        if (name === '_csrf') continue;
        if (/type="checkbox"/.test(tag)) {
          if (/\schecked/.test(tag)) out[name] = /value="([^"]*)"/.exec(tag)?.[1] ?? '1';
          continue;
        }
        out[name] = c.field(name) ?? '';
      }
      return out;
    },
    fields: [
      { name: 'followUpHours', kind: 'int', required: true },
      { name: 'replyPromiseHours', kind: 'int', required: true },
      { name: 'repeatWindowDays', kind: 'int', required: true },
      { name: 'escalationDays', kind: 'int', required: true },
      { name: 'deadlineWarningHours', kind: 'int', required: true },
      { name: 'timezone', kind: 'enum', required: true, values: ['Asia/Shanghai'] },
      // A limit of zero is a valid setting (no approvals by that role).
      { name: 'limit.supervisor', kind: 'yuan', values: ['0', '0.00'] },
      { name: 'cat.0.code', kind: 'code', values: CATEGORIES },
      { name: 'cat.0.zh', kind: 'text', max: 40, required: true },
      { name: 'dep.0.en', kind: 'text', max: 60, required: true },
    ],
  },
];

type FormMutation = { kind: 'value'; field: string; value: string } | { kind: 'missing'; field: string } | { kind: 'contentType'; contentType: string };

function formMutations(fields: Field[]): fc.Arbitrary<FormMutation> {
  const arbs: Array<fc.Arbitrary<FormMutation>> = [];
  for (const f of fields) arbs.push(invalidFormValue(f).map((value) => ({ kind: 'value' as const, field: f.name, value })));
  for (const f of fields.filter((x) => x.required)) arbs.push(fc.constant({ kind: 'missing' as const, field: f.name }));
  arbs.push(
    fc
      .constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml')
      .map((contentType) => ({ kind: 'contentType' as const, contentType })),
  );
  return fc.oneof(...arbs);
}

/** Extra fields (unicode names and values) and unicode in free-text fields: never what makes a form invalid. */
function formNoise(fields: Field[]): fc.Arbitrary<Record<string, string>> {
  const known = new Set(fields.map((f) => f.name));
  return fc
    .tuple(
      noise(fields),
      fc.dictionary(
        EXTRA_NAMES.filter(
          (n) =>
            !known.has(n) &&
            !['_csrf', 'version', 'billId', 'formKey', 'idempotencyKey', 'fingerprint', 'next', 'unitId', 'ownerId'].includes(n) &&
            !/^(cat|dep|limit|none)\./.test(n),
        ),
        ustring(0, 12),
        { maxKeys: 3 },
      ),
    )
    .map(([a, b]) => ({ ...b, ...a }));
}

// ----- the suite -----------------------------------------------------------------------------------

async function world(): Promise<World> {
  const database = await freshMariadb(simpleHost);
  const stack = await startStack(database.db);
  const { complaints, offsets } = stack.plugin;
  const mk = async () => (await complaints.create(intakeBody('101'), people.counter)).complaint;
  const received = await mk();
  let investigating = await mk();
  investigating = await complaints.transition(investigating.id, 'start-investigation', { version: investigating.version }, people.manager);
  let resolved = await mk();
  resolved = await complaints.transition(
    resolved.id,
    'resolve',
    { version: resolved.version, reply: '已处理', basis: '照片', nature: 'inquiry' },
    people.manager,
  );
  let assessed = await mk();
  assessed = await complaints.transition(
    assessed.id,
    'assess',
    { version: assessed.version, disputeType: 'property', nature: 'valid', severity: 'important' },
    people.manager,
  );
  const requested = await offsets.raise({ complaintId: assessed.id, amount: '50.00', reason: '漏水' }, people.counter);
  const toApprove = await offsets.raise({ complaintId: assessed.id, amount: '80.00', reason: '漏水' }, people.counter);
  let approved = await offsets.approve(toApprove.id, { version: toApprove.version }, people.director);
  await stack.plugin.billing.applyOffset({ offsetId: approved.id, billId: '1001', amountFen: 100, idempotencyKey: 'FUZZ-APPLIED' });
  approved = (await offsets.get(approved.id, people.director)).offset;
  return {
    stack,
    database,
    received: { id: received.id, version: received.version },
    investigating: { id: investigating.id, version: investigating.version },
    resolved: { id: resolved.id, version: resolved.version },
    assessed: assessed.id,
    requested: { id: requested.id, version: requested.version },
    approved: { id: approved.id, version: approved.version },
    appliedKey: 'FUZZ-APPLIED',
  };
}

const ALL_TABLES = [...OUR_TABLES, ...simpleHost.tables];

describe('reliability: bad input, property-based (fast-check, MariaDB)', function () {
  this.timeout(240_000);
  let w: World;
  const fcParams = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true });

  before(async function () {
    requireMariadb();
    w = await world();
  });
  after(async () => {
    await w?.stack.close();
    await w?.database.drop();
  });

  async function unchanged(label: string, run: () => Promise<void>): Promise<void> {
    const before = await checksumTables(w.database.db, ALL_TABLES);
    await run();
    const after = await checksumTables(w.database.db, ALL_TABLES);
    const changed = ALL_TABLES.filter((t) => before[t] !== after[t]);
    expect(changed, `${label}: tables changed`).to.deep.equal([]);
    expect(
      w.stack.errors.map((e) => String((e as Error)?.stack ?? e)),
      `${label}: 500s logged`,
    ).to.deep.equal([]);
  }

  async function send(ep: JsonEndpoint, body: { text: string; contentType: string }): Promise<Res> {
    if (ep.as === 'billing') return w.stack.billing('POST', ep.path(w), undefined, { raw: body.text, contentType: body.contentType });
    return w.stack.api('POST', ep.path(w), { as: ep.as, raw: body.text, contentType: body.contentType });
  }

  it(`JSON API: ${jsonEndpoints.length} endpoints × ${JSON_RUNS} runs of invalid bodies (wrong types, unicode incl. non-BMP, out-of-pattern and oversized values, missing and extra fields, non-objects, malformed JSON, wrong content types) → 400 (with field messages when a field is wrong), 409 (a state refusal), 413 or 415, each with a code and a message; tables unchanged`, async () => {
    for (const ep of jsonEndpoints) {
      await unchanged(ep.name, async () => {
        await fc.assert(
          fc.asyncProperty(jsonMutations(ep.fields), noise(ep.fields), async (m, extra) => {
            const res = await send(ep, applyJson(ep.valid(w), m, extra));
            const problem = jsonProblem(res);
            if (problem) throw new Error(`${ep.name} ${JSON.stringify(m).slice(0, 300)} → ${problem}`);
          }),
          fcParams(JSON_RUNS),
        );
      });
    }
  });

  it(`JSON API: bodies over the size limit (1 MB, billing 5 MB) → 413 on every endpoint; tables unchanged`, async () => {
    await unchanged('oversized', async () => {
      for (const ep of jsonEndpoints) {
        const limit = ep.as === 'billing' ? 5 * 1024 * 1024 : 1024 * 1024;
        const text = JSON.stringify({ ...ep.valid(w), padding: '𠀀'.repeat(Math.ceil(limit / 4) + 1024) });
        const res = await send(ep, { text, contentType: 'application/json' });
        expect(res.status, `${ep.name}: ${res.text.slice(0, 200)}`).to.equal(413);
        expect(jsonProblem(res)).to.equal(null);
      }
    });
  });

  it(`JSON API queries: ${queryEndpoints.length} list endpoints × ${JSON_RUNS} runs of invalid parameters (bad values, repeated scalars, unknown names, unicode) → 400 with field messages`, async () => {
    for (const ep of queryEndpoints) {
      await unchanged(ep.name, async () => {
        await fc.assert(
          fc.asyncProperty(queryMutation(ep.params), async (pairs) => {
            const res = await w.stack.api('GET', `${ep.path}?${new URLSearchParams(pairs).toString()}`, { as: ep.as });
            const problem = jsonProblem(res, [400], true);
            if (problem) throw new Error(`${ep.name} ${JSON.stringify(pairs)} → ${problem}`);
          }),
          fcParams(JSON_RUNS),
        );
      });
    }
  });

  it(`forms: ${formEndpoints.length} forms × ${FORM_RUNS} runs of invalid posts (bad values, unicode incl. non-BMP, missing fields, extra fields, wrong content types) → 409/413/415/422 pages with the message at the form; tables unchanged`, async () => {
    for (const ep of formEndpoints) {
      const c = w.stack.client();
      if (ep.as) await c.signIn(ep.as);
      const page = await c.get(ep.page(w));
      expect(page.status, `${ep.name}: ${ep.page(w)}`).to.equal(200);
      const token = c.csrf();
      const valid = ep.valid(w, c);
      await unchanged(ep.name, async () => {
        await fc.assert(
          fc.asyncProperty(formMutations(ep.fields), formNoise(ep.fields), async (m, extra) => {
            const form: Record<string, string> = { ...extra, ...valid };
            if (m.kind === 'value') form[m.field] = m.value;
            if (m.kind === 'missing') delete form[m.field];
            let res;
            if (m.kind === 'contentType') {
              const raw =
                m.contentType === 'application/json' ? JSON.stringify({ ...form, _csrf: token }) : new URLSearchParams({ ...form, _csrf: token }).toString();
              res = await c.request('POST', ep.path(w), { raw, headers: { 'content-type': m.contentType, origin: c.origin } });
            } else {
              res = await c.post(ep.path(w), form, { csrf: token });
            }
            const problem = pageProblem(res);
            if (problem) throw new Error(`${ep.name} ${JSON.stringify(m).slice(0, 300)} → ${problem}`);
          }),
          fcParams(FORM_RUNS),
        );
      });
    }
  });

  it('forms: posts over the 1 MB form limit → 413 page on every form; tables unchanged', async () => {
    const clients: PageClient[] = [];
    for (const ep of formEndpoints) {
      const c = w.stack.client();
      if (ep.as) await c.signIn(ep.as);
      await c.get(ep.page(w));
      clients.push(c);
    }
    await unchanged('oversized forms', async () => {
      for (const [i, ep] of formEndpoints.entries()) {
        const c = clients[i]!;
        const res = await c.post(ep.path(w), { ...ep.valid(w, c), padding: '𠀀'.repeat(90 * 1024) });
        expect(res.status, ep.name).to.equal(413);
        expect(res.text).to.include('提交的内容过大');
      }
    });
  });

  it(`ids in paths: ${JSON_RUNS * 2} runs of garbage ids and actions (unicode, negative, huge, exponent, traversal) on every route with an id → 404 (or 400/422), never 500; tables unchanged`, async () => {
    const c = w.stack.client();
    await c.signIn(staff.manager);
    await c.get('/');
    const token = c.csrf();
    // (A path segment of only dots is resolved away by the client itself, so it is not sent as an id.)
    const badId = fc
      .oneof(
        ustring(1, 10),
        fc.constantFrom('0', '-1', '1e3', '1.5', '0x10', '99999999999', '2147483648', '01', ' 1', '../../etc/passwd', '%00', 'null', 'undefined', '__proto__'),
      )
      .filter((v) => !/^\.+$/.test(v));
    const action = fc.oneof(fc.constantFrom('note', 'assess'), ustring(1, 10), fc.constantFrom('__proto__', 'constructor', 'toString', 'NOTE'));
    await unchanged('path ids', async () => {
      await fc.assert(
        fc.asyncProperty(badId, action, async (raw, act) => {
          const id = encodeURIComponent(raw);
          const a = encodeURIComponent(act);
          const results: Array<[string, number, string]> = [];
          for (const [method, path, body] of [
            ['GET', `/api/complaints/${id}`],
            ['GET', `/api/complaints/${id}/events`],
            ['POST', `/api/complaints/${id}/transitions/${a}`, { version: 1, note: 'x' }],
            ['POST', `/api/complaints/${w.received.id}/transitions/${a}`, { version: 999, note: 'x' }],
            ['POST', `/api/complaints/${id}/follow-ups`, { version: 1, method: 'phone', satisfied: true }],
            ['POST', `/api/complaints/${id}/compensations`, { payer: 'company', amount: '1.00', paidOn: '2026-11-28', method: 'cash' }],
            ['GET', `/api/complaints/${id}/compensations`],
            ['GET', `/api/offsets/${id}`],
            ['POST', `/api/offsets/${id}/approve`, {}],
            ['POST', `/api/offsets/${id}/revoke`, { note: 'x' }],
          ] as Array<[string, string, unknown?]>) {
            const res = await w.stack.api(method, path, { as: people.manager, ...(body ? { body } : {}) });
            results.push([`${method} ${path}`, res.status, res.text]);
          }
          for (const path of [`/c/${id}`, `/c/${id}/slip`]) {
            const res = await c.get(path);
            results.push([`GET ${path}`, res.status, res.text]);
          }
          for (const path of [`/c/${id}/act/note`, `/c/${w.received.id}/act/${a}`, `/offsets/${id}/reject`, `/c/${id}/compensations`]) {
            const res = await c.post(path, { version: '999', note: 'x' }, { csrf: token });
            results.push([`POST ${path}`, res.status, res.text]);
          }
          // A real action on a real complaint with a stale version is a 409; everything else does not exist.
          const bad = results.filter(([label, status]) => !([400, 404, 422].includes(status) || (status === 409 && label.includes(`/${w.received.id}/`))));
          if (bad.length) throw new Error(bad.map(([label, status, text]) => `${label} → ${status} ${text.replace(/\s+/g, ' ').slice(0, 160)}`).join('\n'));
        }),
        fcParams(JSON_RUNS * 2),
      );
    });
  });

  it('unicode (incl. non-BMP) in every lookup against a utf8mb3 host (stringIdHost): unit search, cashier bill, billing check, applicable offsets → answered, never 500; tables unchanged', async function () {
    const database = await freshMariadb(stringIdHost);
    const stack = await startStack(database.db, stringIdHost);
    try {
      const tables = [...OUR_TABLES, ...stringIdHost.tables];
      const c = stack.client();
      await c.signIn(staff.counter);
      const cashierClient = stack.client();
      await cashierClient.signIn(staff.cashier);
      const before = await checksumTables(database.db, tables);
      await fc.assert(
        fc.asyncProperty(ustring(1, 12), async (q) => {
          const enc = encodeURIComponent(q);
          const results = [
            await c.get(`/new?q=${enc}`),
            await c.get(`/units.json?q=${enc}`),
            await c.get(`/new?unit=${enc}`),
            await c.get(`/list?q=${enc}`),
            await cashierClient.get(`/cashier?bill=${enc}`),
            await cashierClient.get(`/cashier?q=${enc}`),
          ];
          for (const r of results)
            if (![200, 422].includes(r.status)) throw new Error(`${JSON.stringify(q)} → ${r.status}: ${r.text.replace(/\s+/g, ' ').slice(0, 300)}`);
          for (const r of [
            await stack.api('GET', `/api/offsets/applicable?billId=${enc}`, { as: people.cashier }),
            await stack.api('GET', `/api/complaints?q=${enc}`, { as: people.counter }),
            await stack.billing('POST', '/api/billing/check', { billId: q, offsets: [] }),
          ]) {
            if (r.status !== 200 && jsonProblem(r)) throw new Error(`${JSON.stringify(q)} → ${r.status}: ${r.text.slice(0, 300)}`);
          }
        }),
        fcParams(10),
      );
      expect(await checksumTables(database.db, tables)).to.deep.equal(before);
      expect(stack.errors.map((e) => String((e as Error)?.stack ?? e))).to.deep.equal([]);
    } finally {
      await stack.close();
      await database.drop();
    }
  });
});

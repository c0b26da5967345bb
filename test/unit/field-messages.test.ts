// Every field of every form and API body, fed empty, blank, overlong, mistyped and malformed values:
// each answer names the field in people's words, in both languages, and never shows a pattern, a schema
// path or ajv's own wording (issue 16 item 2). Every field the schemas declare is in the catalog.
import { expect } from 'chai';
import { compileValidator } from '../../src/common/validation.js';
import { FIELD_CATALOG, fieldName } from '../../src/common/fieldMessages.js';
import { ValidationError } from '../../src/common/errors.js';
import { createComplaintSchema, listQuerySchema, transitionSchemas, validateCreate, validateTransition } from '../../src/complaints/schemas.js';
import * as offsetSchemas from '../../src/offsets/schemas.js';
import { recordCompensationSchema, validateRecord } from '../../src/compensations/schemas.js';
import { unitBillsQuerySchema, unitSearchQuerySchema } from '../../src/units/schemas.js';
import { reportQuerySchema } from '../../src/http/api/reports.js';
import { loadManifest } from '../../src/manifest/manifest.js';

type Json = Record<string, unknown>;

const SCHEMAS: Record<string, Json> = {
  createComplaint: createComplaintSchema,
  listQuery: listQuerySchema,
  ...Object.fromEntries(Object.entries(transitionSchemas).map(([a, s]) => [`transition.${a}`, s as Json])),
  raiseOffset: offsetSchemas.raiseOffsetSchema,
  approveOffset: offsetSchemas.approveOffsetSchema,
  decisionNote: offsetSchemas.decisionNoteSchema,
  listOffsets: offsetSchemas.listOffsetsSchema,
  billCheck: offsetSchemas.billCheckSchema,
  billBatch: offsetSchemas.billBatchSchema,
  applyOffset: offsetSchemas.applyOffsetSchema,
  reverseOffset: offsetSchemas.reverseOffsetSchema,
  serviceApply: offsetSchemas.serviceApplySchema,
  serviceReverse: offsetSchemas.serviceReverseSchema,
  recordCompensation: recordCompensationSchema,
  unitSearch: unitSearchQuerySchema,
  unitBills: unitBillsQuerySchema,
  reportQuery: reportQuerySchema,
  settings: loadManifest().settingsSchema as Json,
};

/** Every property of a schema with its dotted path (array items as ".0"). */
function properties(schema: Json, path = ''): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  const props = schema.properties as Record<string, Json> | undefined;
  for (const [name, sub] of Object.entries(props ?? {})) {
    const here = path ? `${path}.${name}` : name;
    out.push([here, sub]);
    out.push(...properties(sub, here));
    if (sub.items && typeof sub.items === 'object') out.push(...properties(sub.items as Json, `${here}.0`));
  }
  return out;
}

/** Sets a value at a dotted path in a copy of an object ("bills.0.billId"). */
function withValue(path: string, value: unknown): Json {
  const root: Json = {};
  let at: Record<string, unknown> | unknown[] = root;
  const parts = path.split('.');
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    const next = /^\d+$/.test(parts[i + 1] ?? '') ? [] : {};
    const key = /^\d+$/.test(part) ? Number(part) : part;
    if (last) (at as Record<string | number, unknown>)[key] = value;
    else at = ((at as Record<string | number, unknown>)[key] ??= next) as Record<string, unknown>;
  });
  return root;
}

const BAD_VALUES: unknown[] = ['', '   ', 'x'.repeat(5000), '!!not-valid!!', -1, 0, 1.5, 99999999999, true, {}, [], null, ['!!', '!!'], 'a b'];

/** Words a person should never read in a field error. */
const CODE_LIKE = [
  /\^/,
  /\$/,
  /\\/,
  /\{|\}/,
  /#\//,
  /\bpattern\b/i,
  /模式/,
  /schema/i,
  /应当/,
  /\bmust match\b/i,
  /\bmust NOT\b/,
  /allowedValues/,
  /required property/i,
  /must be equal to/i,
];

describe('field errors in plain words (one catalog for pages and API)', () => {
  it('has every field of every schema in the catalog', () => {
    const missing = new Set<string>();
    for (const schema of Object.values(SCHEMAS)) {
      for (const [path] of properties(schema)) if (!Object.hasOwn(FIELD_CATALOG, fieldName(path))) missing.add(fieldName(path));
    }
    expect([...missing]).to.deep.equal([]);
  });

  it('never shows a pattern, a schema path or ajv wording, whatever is sent to any field', () => {
    let checked = 0;
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const validate = compileValidator<unknown>(schema);
      const inputs: Json[] = [{}, { unknownField: 1 }];
      for (const [path] of properties(schema)) for (const bad of BAD_VALUES) inputs.push(withValue(path, bad));
      for (const input of inputs) {
        try {
          validate(structuredClone(input));
        } catch (err) {
          expect(err, name).to.be.instanceOf(ValidationError);
          for (const f of (err as ValidationError).fields) {
            checked++;
            for (const text of [f.message['zh-CN'], f.message.en]) {
              expect(text, `${name} ${JSON.stringify(input).slice(0, 80)}`)
                .to.be.a('string')
                .and.not.equal('');
              for (const re of CODE_LIKE) expect(text, `${name} ${f.field}: ${text}`).not.to.match(re);
            }
            expect(f.message['zh-CN'], `${name} ${f.field}`).to.match(/[\u4e00-\u9fff]/);
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(1000);
  });

  it('asks for a missing choice or text the way the counter says it', () => {
    const messages = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return Object.fromEntries((err as ValidationError).fields.map((f) => [f.field, f.message]));
      }
      throw new Error('expected a validation error');
    };
    const intake = messages(() =>
      validateCreate({ unitId: 'u1', complainantName: '', complainantPhone: '13800138000', channel: 'phone', category: '', description: '' }),
    );
    expect(intake.category).to.deep.equal({ 'zh-CN': '请选择投诉类别', en: 'Choose the cause category' });
    expect(intake.description).to.deep.equal({ 'zh-CN': '请填写投诉内容（最多 2,000 字）', en: 'Enter the complaint (at most 2,000 characters)' });
    expect(intake.complainantName!['zh-CN']).to.equal('请填写投诉人姓名');
    const plan = messages(() => validateTransition.plan({ version: 1, department: '', assigneeId: 'a', assigneeName: 'b', measures: '', deadline: '' }));
    expect(plan.department!['zh-CN']).to.equal('请选择责任部门');
    expect(plan.measures!['zh-CN']).to.equal('请填写处理措施（最多 2,000 字）');
    const cancel = messages(() => validateTransition.cancel({ version: 1, cancelKind: 'withdrawn', reason: '' }));
    expect(cancel.reason!['zh-CN']).to.equal('请填写原因（最多 500 字）');
    const long = messages(() =>
      validateCreate({
        unitId: 'u1',
        complainantName: '王',
        complainantPhone: '13800138000',
        channel: 'phone',
        category: 'fees',
        description: '长'.repeat(2500),
      }),
    );
    expect(long.description).to.deep.equal({
      'zh-CN': '投诉内容最多 2,000 字，现在是 2,500 字，请删减',
      en: 'The complaint: at most 2,000 characters (now 2,500); please shorten it',
    });
    const comp = messages(() => validateRecord({ payer: 'company', amount: '', paidOn: '', method: '' }));
    expect(comp.method!['zh-CN']).to.equal('请选择支付方式');
    expect(comp.amount!['zh-CN']).to.equal('请填写赔付金额（元），如 120.50');
  });
});

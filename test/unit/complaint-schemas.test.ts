// Command schemas: closed objects, bounded strings, glossary enums, mainland mobile numbers, and
// field messages in both locales; plus the query-string coercion and the OpenAPI operations.
import { expect } from 'chai';
import { fieldErrorsOf } from '../support/fieldErrors.js';
import { ajv } from '../../src/common/validation.js';
import { createComplaintSchema, listQuerySchema, transitionSchemas, validateCreate, validateList, validateTransition } from '../../src/complaints/schemas.js';
import { complaintsApiOperations } from '../../src/http/api/complaints.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { coerceQuery } from '../../src/http/query.js';

const good = { unitId: '101', complainantName: '张伟', complainantPhone: '13800138001', channel: 'counter', category: 'facilities', description: '电梯停运' };

/** Every string property in a schema tree, with its path. */
function strings(schema: unknown, path = ''): Array<[string, Record<string, unknown>]> {
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Record<string, unknown>;
  const out: Array<[string, Record<string, unknown>]> = s.type === 'string' ? [[path, s]] : [];
  for (const [k, v] of Object.entries((s.properties as Record<string, unknown>) ?? {})) out.push(...strings(v, `${path}.${k}`));
  if (s.items) out.push(...strings(s.items, `${path}[]`));
  return out;
}

describe('complaint command schemas', () => {
  it('accepts a minimal intake and fills the defaults', () => {
    const input = validateCreate(good);
    expect(input).to.include({ complainantRelation: 'owner', threatenedWithholding: false });
  });

  it('bounds every string and closes every object', () => {
    for (const schema of [createComplaintSchema, listQuerySchema, ...Object.values(transitionSchemas)]) {
      expect((schema as { additionalProperties?: boolean }).additionalProperties).to.equal(false);
      for (const [path, s] of strings(schema)) {
        expect(s.maxLength !== undefined || s.enum !== undefined, `${path} has no maxLength`).to.equal(true);
      }
    }
  });

  it('accepts mainland mobile numbers only, with a friendly message in both languages', () => {
    for (const phone of ['13800138001', '19912345678', '16612345678']) expect(() => validateCreate({ ...good, complainantPhone: phone })).to.not.throw();
    for (const phone of ['12800138001', '1380013800', '138001380011', '+8613800138001', '010-12345678', '1380013800a']) {
      const f = fieldErrorsOf(() => validateCreate({ ...good, complainantPhone: phone }));
      expect(f.complainantPhone!['zh-CN'], phone).to.contain('手机号码');
      expect(f.complainantPhone!.en).to.contain('mobile number');
    }
  });

  it('refuses unknown fields, glossary values outside the enums, blank text and overlong text', () => {
    const f = fieldErrorsOf(() => validateCreate({ ...good, channel: 'fax', description: '   ', expectation: '长'.repeat(501), hacker: true }));
    expect(Object.keys(f)).to.have.members(['channel', 'description', 'expectation', 'hacker']);
    expect(f.description!.en).to.equal('Enter the complaint (at most 2,000 characters)');
    expect(f.description!['zh-CN']).to.equal('请填写投诉内容（最多 2,000 字）');
    expect(f.channel!['zh-CN']).to.equal('请选择受理渠道');
    expect(f.hacker!['zh-CN']).to.contain('不允许的字段');
    expect(f.expectation!['zh-CN']).to.match(/500/);
  });

  it('requires a version on every change and the action-specific fields', () => {
    // The handler comes from the staff directory (or the routing rule, or later): neither id nor name is required.
    expect(Object.keys(fieldErrorsOf(() => validateTransition.plan({})))).not.to.include.members(['assigneeName', 'assigneeId']);
    expect(Object.keys(fieldErrorsOf(() => validateTransition.plan({})))).to.include.members(['version', 'department', 'measures', 'deadline']);
    expect(Object.keys(fieldErrorsOf(() => validateTransition.cancel({ version: 1, cancelKind: 'bored', reason: 'x' })))).to.deep.equal(['cancelKind']);
    expect(Object.keys(fieldErrorsOf(() => validateTransition.resolve({ version: 1, reply: 'a', basis: 'b', nature: 'valid' })))).to.deep.equal(['nature']);
    const dt = fieldErrorsOf(() =>
      validateTransition.plan({ version: 1, department: 'engineering', assigneeId: 'a', assigneeName: 'b', measures: 'c', deadline: '明天' }),
    );
    expect(dt.deadline!['zh-CN']).to.equal('请填写处理期限（年-月-日 时:分），如 2026-11-28 09:30');
  });

  it('does not change the caller’s object when filling defaults', () => {
    const body = { ...good };
    validateCreate(body);
    expect(body).to.not.have.property('threatenedWithholding');
  });

  it('coerces query strings by the schema: integers, booleans, repeated keys and comma lists', () => {
    const q = coerceQuery(listQuerySchema, { state: ['received', 'processing,resolved'], limit: '5', overdue: 'true', q: '张', severity: 'major' });
    expect(q).to.deep.equal({ state: ['received', 'processing', 'resolved'], limit: 5, overdue: true, q: '张', severity: ['major'] });
    expect(validateList(q)).to.include({ sort: '-receivedAt', limit: 5 });
    expect(
      Object.keys(fieldErrorsOf(() => validateList(coerceQuery(listQuerySchema, { limit: 'lots', overdue: 'maybe', receivedFrom: '28/11/2026' })))),
    ).to.have.members(['limit', 'overdue', 'receivedFrom']);
  });

  it('describes every route in a valid OpenAPI document built from the same schema objects', () => {
    const doc = buildOpenApi(complaintsApiOperations, { title: 't', version: '1', description: 'd' }, '/complaints') as {
      paths: Record<string, Record<string, any>>;
    };
    expect(Object.keys(doc.paths)).to.include.members([
      '/api/complaints',
      '/api/complaints/{id}',
      '/api/complaints/{id}/events',
      '/api/complaints/{id}/follow-ups',
      '/api/complaints/{id}/transitions/plan',
      '/api/complaints/{id}/transitions/resolve',
    ]);
    expect(doc.paths['/api/complaints']!.post.requestBody.content['application/json'].schema).to.equal(createComplaintSchema);
    expect(doc.paths['/api/complaints/{id}/transitions/plan']!.post.requestBody.content['application/json'].schema).to.equal(transitionSchemas.plan);
    const params = doc.paths['/api/complaints']!.get.parameters.map((p: { name: string }) => p.name);
    expect(params).to.include.members(['state', 'overdue', 'cursor', 'q']);
    // Every request schema compiles on its own (no shared $id clashes).
    for (const op of complaintsApiOperations) if (op.requestSchema) expect(() => ajv.compile(op.requestSchema!)).to.not.throw();
  });
});

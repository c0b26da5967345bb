import { expect } from 'chai';
import { validateMapping } from '../../src/host/mapping.js';
import { ValidationError } from '../../src/common/errors.js';

const good = {
  owner: { table: 'owners', key: 'id', columns: { name: 'name', phone: 'mobile' } },
  unit: { table: 'units', key: 'id', columns: { label: 'room_no', owner: 'owner_id' } },
  bill: { table: 'bills', key: 'id', columns: { unit: 'unit_id', amount: 'amount' }, amountUnit: 'yuan' },
};

function fieldsOf(input: unknown): string[] {
  try {
    validateMapping(input);
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return (err as ValidationError).fields.map((f) => f.field);
  }
  throw new Error('expected the mapping to be refused');
}

describe('host mapping validation', () => {
  it('accepts a minimal mapping with the owner on the unit', () => {
    expect(validateMapping(good).unit.columns.owner).to.equal('owner_id');
  });

  it('accepts an ownership relation table instead of unit.columns.owner', () => {
    const m = structuredClone(good) as Record<string, any>;
    delete m.unit.columns.owner;
    m.ownership = { table: 'building_owner_room_rel', owner: 'owner_id', unit: 'room_id', where: { status_cd: '0' } };
    expect(validateMapping(m).ownership!.table).to.equal('building_owner_room_rel');
  });

  it('defaults amountUnit to yuan', () => {
    const m = structuredClone(good) as Record<string, any>;
    delete m.bill.amountUnit;
    expect(validateMapping(m).bill.amountUnit).to.equal('yuan');
  });

  it('refuses identifiers that could inject SQL, naming the field', () => {
    const m = structuredClone(good) as Record<string, any>;
    m.owner.table = 'owners; DROP TABLE x';
    expect(fieldsOf(m)).to.include('owner.table');
  });

  it('refuses a missing required entity and a missing required column', () => {
    const m = structuredClone(good) as Record<string, any>;
    delete m.bill;
    delete m.owner.columns.phone;
    expect(fieldsOf(m)).to.include.members(['bill', 'owner.columns.phone']);
  });

  it('refuses unknown logical columns and unknown entities', () => {
    const m = structuredClone(good) as Record<string, any>;
    m.unit.columns.colour = 'c';
    m.building = {};
    expect(fieldsOf(m)).to.include.members(['unit.columns.colour', 'building']);
  });

  it('refuses both owner sources at once, and neither', () => {
    const both = structuredClone(good) as Record<string, any>;
    both.ownership = { table: 'rel', owner: 'o', unit: 'u' };
    expect(fieldsOf(both)).to.deep.equal(['ownership']);
    const neither = structuredClone(good) as Record<string, any>;
    delete neither.unit.columns.owner;
    expect(fieldsOf(neither)).to.deep.equal(['unit.columns.owner']);
  });

  it('gives each problem in zh-CN and en', () => {
    try {
      validateMapping({ ...good, bill: { ...good.bill, amountUnit: 'cents' } });
      expect.fail('should refuse');
    } catch (err) {
      const f = (err as ValidationError).fields.find((x) => x.field === 'bill.amountUnit')!;
      expect(f.message['zh-CN']).to.match(/[\u4e00-\u9fff]/);
      expect(f.message.en).to.match(/allowed values/i);
    }
  });

  it('accepts where filters with null for soft-delete columns', () => {
    const m = structuredClone(good) as Record<string, any>;
    m.owner.where = { deleted_at: null, is_del: 0 };
    expect(validateMapping(m).owner.where).to.deep.equal({ deleted_at: null, is_del: 0 });
  });
});

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

  describe('version 2', () => {
    const v2 = () =>
      ({
        version: 2,
        owner: { table: 'erp.owner_info', key: 'id', columns: { name: 'owner_name', phone: 'phone' }, where: { is_delete: [0, null] } },
        unit: {
          table: 'houses_info',
          key: 'id',
          columns: { label: '{building.name}{house_number}', community: 'estate.name', owner: 'owner_id' },
          lookups: {
            building: { table: 'building_info', key: 'id', from: 'building_id' },
            estate: { table: 'estate', key: 'id', from: 'building.estate_id', where: { del_flag: { not: '2' } } },
          },
        },
        bill: {
          table: 'payment_manage',
          key: 'id',
          columns: { unit: 'house_id', amount: 'money', period: { year: 'year', month: 'month' } },
          paidBy: { table: 'payment_record', bill: 'manage_id' },
        },
      }) as Record<string, any>;

    it('accepts lookups of two hops, composed labels, periods, paidBy, in/not filters and another schema', () => {
      const m = validateMapping(v2());
      expect(m.unit.lookups!.estate!.from).to.equal('building.estate_id');
      expect(m.bill.amountUnit).to.equal('yuan');
    });

    it('keeps a version 1 file valid as it was', () => {
      expect(validateMapping(good).version).to.equal(undefined);
    });

    it('refuses a third hop, an undeclared lookup and a lookup loop', () => {
      const three = v2();
      three.unit.lookups.city = { table: 'city', key: 'id', from: 'estate.city_id' };
      expect(fieldsOf(three)).to.deep.equal(['unit.lookups.city.from']);
      const undeclared = v2();
      undeclared.unit.columns.label = '{block.name}{house_number}';
      expect(fieldsOf(undeclared)).to.deep.equal(['unit.columns.label']);
      const loop = v2();
      loop.unit.lookups.building.from = 'estate.building_id';
      expect(fieldsOf(loop)).to.include('unit.lookups.building.from');
    });

    it('refuses two ways of telling paid bills, and composed references', () => {
      const two = v2();
      two.bill.columns.paidAmount = 'paid';
      expect(fieldsOf(two)).to.deep.equal(['bill.paidBy']);
      const composedOwner = v2();
      composedOwner.unit.columns.owner = '{owner_id}{x}';
      expect(fieldsOf(composedOwner)).to.deep.equal(['unit.columns.owner']);
      const badTable = v2();
      badTable.unit.table = 'a.b.c';
      expect(fieldsOf(badTable)).to.deep.equal(['unit.table']);
    });
  });
});

// rowToComplaint is written out field by field for speed; it must read exactly the columns FIELDS declares,
// each the way its kind says, in FIELDS order (answers are compared byte for byte).
import { expect } from 'chai';
import { FIELD_LIST, JOB_FIELDS, JOB_ROWS, rowToComplaint, SUMMARY_FIELDS, SUMMARY_ROWS, type RowShape } from '../../src/complaints/store/complaints.js';
import { requireDbTime } from '../../src/db/time.js';

/** The generic reading by FIELDS (what rowToComplaint did as a loop). */
function byFields(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, column, kind } of FIELD_LIST) {
    const v = row[column];
    out[field] =
      v === null || v === undefined
        ? null
        : kind === 'int'
          ? Number(v)
          : kind === 'bool'
            ? Boolean(Number(v))
            : kind === 'date'
              ? requireDbTime(v as string)
              : String(v);
  }
  return out;
}

describe('complaint rows', () => {
  it('reads every column of FIELDS by its kind, in FIELDS order', () => {
    const row: Record<string, unknown> = {};
    FIELD_LIST.forEach(({ column, kind }, i) => {
      row[column] =
        kind === 'int'
          ? String(100 + i)
          : kind === 'bool'
            ? i % 2
            : kind === 'date'
              ? `2026-12-${String(1 + (i % 28)).padStart(2, '0')} 01:02:03.${String(i).padStart(3, '0')}`
              : kind === 'hostId'
                ? 7020181217000000 + i
                : `text ${i}`;
    });
    row.extra_column = 'not a field';
    const read = rowToComplaint(row) as unknown as Record<string, unknown>;
    expect(Object.keys(read)).to.deep.equal(FIELD_LIST.map((f) => f.field));
    expect(read).to.deep.equal(byFields(row));
    expect(JSON.stringify(read)).to.equal(JSON.stringify(byFields(row)));
  });

  const shapes: Array<[string, RowShape<unknown>, readonly string[]]> = [
    ['a list row (the summary)', SUMMARY_ROWS, SUMMARY_FIELDS],
    ['a job (the workbench, my work)', JOB_ROWS, JOB_FIELDS],
  ];
  for (const [what, shape, fields] of shapes) {
    it(`reads ${what} exactly as the whole row reads those fields, from their columns only`, () => {
      const row: Record<string, unknown> = {};
      FIELD_LIST.forEach(({ column, kind }, i) => {
        row[column] = kind === 'int' ? String(100 + i) : kind === 'bool' ? 1 : kind === 'date' ? `2026-12-0${1 + (i % 9)} 01:02:03.004` : `text ${i}`;
      });
      const whole = rowToComplaint(row) as unknown as Record<string, unknown>;
      const read = shape.read(row) as Record<string, unknown>;
      expect(Object.keys(read)).to.deep.equal([...fields]);
      expect(read).to.deep.equal(Object.fromEntries(fields.map((f) => [f, whole[f]])));
      // Its columns are the fields' own, and nothing else is needed to read it.
      expect(shape.columns).to.deep.equal(fields.map((f) => FIELD_LIST.find((x) => x.field === f)!.column));
      const only = Object.fromEntries(shape.columns.map((c) => [c, row[c]]));
      expect(shape.read(only)).to.deep.equal(read);
    });
  }

  it('reads missing and null columns as null', () => {
    const nulls = Object.fromEntries(FIELD_LIST.map(({ column }) => [column, null]));
    expect(rowToComplaint(nulls)).to.deep.equal(byFields(nulls));
    expect(rowToComplaint({})).to.deep.equal(Object.fromEntries(FIELD_LIST.map(({ field }) => [field, null])));
  });
});

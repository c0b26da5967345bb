// StatementShapes (src/db/statementShapes.ts): a read's SQL text kept per shape, so the query builder is not
// run again. Whatever the builder does with the values, the statement handed out must be the one it would
// have compiled; a shape is only reused once a second compilation with other values has confirmed it.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { StatementShapes, type Statement } from '../../src/db/statementShapes.js';

/** A fake builder: counts its compilations and compiles with `make`. */
function builder(make: (values: readonly Knex.Value[]) => Statement) {
  const counter = { compiled: 0 };
  return {
    counter,
    compile: (values: readonly Knex.Value[]) => () => {
      counter.compiled++;
      return make(values);
    },
  };
}

/** The unit panel's way: the unit in both ranges, then the actor's communities in both, constants between. */
const panel = (v: readonly Knex.Value[]): Statement => ({
  sql: `select … where unit_id = ? and (community_id is null or community_id in (${v
    .slice(1)
    .map(() => '?')
    .join(', ')})) limit ? union all …`,
  bindings: [v[0]!, ...v.slice(1), 20, v[0]!, 'registered', ...v.slice(1), 10],
});

describe('statement shapes (the query builder run once per read shape)', () => {
  it('reuses a shape after a second compilation with other values confirms it, and hands out what the builder would compile', async () => {
    const shapes = new StatementShapes();
    const b = builder(panel);
    const calls: Array<readonly Knex.Value[]> = [
      ['u1', 'c1', 'c2'],
      ['u2', 'c3', 'c4'],
      ['u3', 'c5', 'c6'],
      ['u1', 'c1', 'c2'],
      ['registered', 'c9', '20'],
    ];
    for (const values of calls) expect(await shapes.statement('panel:2', values, b.compile(values))).to.deep.equal(panel(values));
    expect(b.counter.compiled).to.equal(2);
    expect(shapes.trustedCount).to.equal(1);
  });

  it('is not confirmed by values that repeat one of the first call (its place would be unproven)', async () => {
    const shapes = new StatementShapes();
    const b = builder(panel);
    for (const values of [
      ['u1', 'c1'],
      ['u2', 'c1'],
      ['u3', 'c1'],
    ])
      await shapes.statement('panel:1', values, b.compile(values));
    expect(b.counter.compiled).to.equal(3);
    await shapes.statement('panel:1', ['u4', 'c4'], b.compile(['u4', 'c4']));
    expect(shapes.trustedCount).to.equal(1);
  });

  it('never learns from a builder that transforms a value (a number bound as text, an id dropped)', async () => {
    const shapes = new StatementShapes();
    const asNumber = builder((v) => ({ sql: 'select … where id = ?', bindings: [Number(v[0])] }));
    const dropped = builder((v) => ({ sql: 'select … where id in (?)', bindings: [String(v[0]).trim()] }));
    for (const id of ['1', '2', '3']) {
      expect(await shapes.statement('number', [id], asNumber.compile([id]))).to.deep.equal({ sql: 'select … where id = ?', bindings: [Number(id)] });
      expect((await shapes.statement('trimmed', [` ${id}`], dropped.compile([` ${id}`]))).bindings).to.deep.equal([id]);
    }
    expect([asNumber.counter.compiled, dropped.counter.compiled, shapes.trustedCount]).to.deep.equal([3, 3, 0]);
  });

  it('does not take a constant that equalled a value for the value, nor trust a text that changes with the values', async () => {
    const shapes = new StatementShapes();
    // The first call's unit happens to equal the constant state binding: the constant must stay constant.
    const make = (v: readonly Knex.Value[]): Statement => ({ sql: 'select … where state = ? and unit_id = ?', bindings: ['registered', v[0]!] });
    const b = builder(make);
    for (const v of ['registered', 'a', 'b', 'c', 'registered']) expect(await shapes.statement('coincidence', [v], b.compile([v]))).to.deep.equal(make([v]));
    // Learnt from 'a', confirmed by 'b': the first call taught nothing.
    expect([b.counter.compiled, shapes.trustedCount]).to.deep.equal([3, 1]);

    const byLength = builder((v) => ({ sql: `select … /* ${String(v[0]).length} */ where id = ?`, bindings: [v[0]!] }));
    for (const v of ['a', 'bb', 'ccc', 'dddd']) expect((await shapes.statement('length', [v], byLength.compile([v]))).sql).to.include(`/* ${v.length} */`);
    expect(byLength.counter.compiled).to.equal(4);

    // A binding that is not one of the values but changes between calls (the key missed something).
    let n = 0;
    const drifting = builder((v) => ({ sql: 'select … where id = ? and n = ?', bindings: [v[0]!, ++n] }));
    for (const v of ['a', 'b', 'c', 'd']) expect((await shapes.statement('drifting', [v], drifting.compile([v]))).bindings).to.deep.equal([v, n]);
    expect(drifting.counter.compiled).to.equal(4);
  });

  it('compiles calls with equal values, with other than plain values, or with another number of values than the shape has', async () => {
    const shapes = new StatementShapes();
    const b = builder(panel);
    await shapes.statement('p', ['u1', 'u1'], b.compile(['u1', 'u1']));
    await shapes.statement('p', [new Date(0), 'c1'], b.compile([new Date(0), 'c1']));
    expect(shapes.trustedCount).to.equal(0);
    await shapes.statement('p', ['u1', 'c1'], b.compile(['u1', 'c1']));
    await shapes.statement('p', ['u2', 'c2'], b.compile(['u2', 'c2']));
    expect(shapes.trustedCount).to.equal(1);
    const before = b.counter.compiled;
    expect(await shapes.statement('p', ['u3', 'c3', 'c4'], b.compile(['u3', 'c3', 'c4']))).to.deep.equal(panel(['u3', 'c3', 'c4']));
    expect(b.counter.compiled).to.equal(before + 1);
  });

  it('keeps at most the shapes it was given room for', async () => {
    const shapes = new StatementShapes(3);
    for (let i = 0; i < 10; i++) {
      const b = builder(panel);
      await shapes.statement(`k${i}`, ['u1', 'c1'], b.compile(['u1', 'c1']));
      await shapes.statement(`k${i}`, ['u2', 'c2'], b.compile(['u2', 'c2']));
    }
    expect(shapes.trustedCount).to.equal(3);
  });
});

// The SQL text of a read the query builder makes the same way on every call, kept so that the builder is
// not run again: on the counter's intake page, building and compiling its three reads was about 8 % of the
// page's CPU with one connection (issue 20 profile; 1.4 % once kept), and its Node CPU per page under load
// went from 2.3–2.8 to 1.7–1.9 ms.
//
// A shape is named by its caller (`key`): everything that changes the statement's text must be in the key
// (the number of ids, whether a scope applies, the limits); the rest are the call's `values`, which may only
// change the bindings. The first compilation records where each value landed among the bindings; a second
// one, with every value different, must land them in the same places, with the same text and the same other
// bindings, before the shape is trusted. From then on the statement is the kept text with this call's values
// put in their places. A value that the builder transforms (a number written as text, an id list filtered),
// or two values that are equal, or values that are not plain strings and numbers: that call is compiled as
// usual and nothing is learnt from it, so a key that was wrong only ever costs the compilation.
import { LRUCache } from 'lru-cache';
import type { Knex } from 'knex';

export interface Statement {
  sql: string;
  bindings: Knex.Value[];
}

type Plain = string | number | bigint | boolean;

interface Shape {
  sql: string;
  /** The bindings of the compilation learnt from; the values' places are overwritten on use. */
  template: readonly Knex.Value[];
  /** For each binding, the index of the value it is, or -1 for a binding of the shape itself. */
  slots: readonly number[];
  /** The values that compilation had: a confirming one must differ from them all. */
  seen: readonly Plain[];
  trusted: boolean;
}

const isPlain = (v: unknown): v is Plain => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';

/** Where each value is among the bindings; null when a value is missing, repeated among the values, or not plain. */
function locate(bindings: readonly Knex.Value[], values: readonly Knex.Value[]): number[] | null {
  if (!values.every(isPlain) || new Set(values).size !== values.length) return null;
  const index = new Map<Knex.Value, number>(values.map((v, i) => [v, i]));
  const slots = bindings.map((b) => index.get(b) ?? -1);
  const found = new Set(slots);
  return values.every((_, i) => found.has(i)) ? slots : null;
}

const sameSlots = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((s, i) => s === b[i]);

export class StatementShapes {
  private readonly shapes: LRUCache<string, Shape>;

  constructor(max = 500) {
    this.shapes = new LRUCache({ max });
  }

  /** The statement for these values: from the trusted shape of `key`, else compiled (and learnt from). */
  async statement(key: string, values: readonly Knex.Value[], compile: () => Statement | Promise<Statement>): Promise<Statement> {
    const shape = this.shapes.get(key);
    if (shape?.trusted && values.length === shape.seen.length)
      return { sql: shape.sql, bindings: shape.template.map((b, i) => (shape.slots[i]! >= 0 ? values[shape.slots[i]!]! : b)) };
    const built = await compile();
    const slots = locate(built.bindings, values);
    if (!slots) return built;
    const sameShape =
      !!shape && shape.sql === built.sql && sameSlots(shape.slots, slots) && slots.every((slot, i) => slot >= 0 || shape.template[i] === built.bindings[i]);
    if (!sameShape) this.shapes.set(key, { sql: built.sql, template: [...built.bindings], slots, seen: values as Plain[], trusted: false });
    // Confirmed only by values that all differ from the first ones: each value's place is then proven.
    else if (values.every((v, i) => v !== shape!.seen[i])) shape!.trusted = true;
    return built;
  }

  /** Forgets every shape (tests compare a kept shape's rows with a fresh compilation's). */
  clear(): void {
    this.shapes.clear();
  }

  /** How many shapes are trusted (tests). */
  get trustedCount(): number {
    let n = 0;
    for (const shape of this.shapes.values()) if (shape.trusted) n++;
    return n;
  }
}

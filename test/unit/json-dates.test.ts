// Dates written into JSON answers by our own formatter must be byte for byte what JSON.stringify writes.
import { expect } from 'chai';
import { dateJson } from '../../src/http/jsonDates.js';

describe('dates in JSON answers', () => {
  it('writes every instant as Date#toJSON does', () => {
    const edges = [
      0,
      -1,
      1,
      Date.UTC(1000, 0, 1),
      Date.UTC(1000, 0, 1) - 1,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(1900, 1, 28, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12),
      Date.UTC(2100, 2, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(-5, 0, 1),
      Date.UTC(500, 5, 5),
      8.64e15,
      -8.64e15,
      NaN,
    ];
    let t = Date.UTC(1001, 0, 1);
    const instants = [...edges];
    for (let i = 0; i < 20000; i++) instants.push((t += 15_778_800_000 + i * 7919)); // ~half a year a step, every ms digit
    for (const ms of instants) {
      const date = new Date(ms);
      expect(dateJson(date), String(ms)).to.equal(date.toJSON());
    }
  });
});

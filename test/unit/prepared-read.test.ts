// selectPrepared's driver-level outcomes that a live server will not produce on demand: a statement the
// server asks to re-prepare (1615) is dropped and sent plain by the caller; a server that allows no more
// prepared statements (1461) gets plain reads for a while; any other error is the caller's.
// The prepared path itself is tested against MariaDB in test/integration/billing-round-trips.test.ts, and
// what it reads, against the plain path, in test/integration/prepared-types.test.ts.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { preparedRefusals, selectPrepared } from '../../src/db/prepared.js';

function fakeDb(client: string, fail?: { errno: number }) {
  const calls: string[] = [];
  const connection = {
    execute: (_o: unknown, cb: (err: Error | null, rows: unknown) => void) => {
      calls.push('execute');
      if (fail) cb(Object.assign(new Error(`failed ${fail.errno}`), fail), undefined);
      else cb(null, [{ kind: 'bill' }]);
    },
    unprepare: () => calls.push('unprepare'),
  };
  const db = {
    client: {
      config: { client },
      acquireConnection: async () => (calls.push('acquire'), connection),
      releaseConnection: async () => calls.push('release'),
      emit: () => calls.push('query event'),
    },
  } as unknown as Knex;
  return { db, calls };
}

describe('prepared reads (driver outcomes)', () => {
  it('answers the rows and releases the connection', async () => {
    const { db, calls } = fakeDb('mysql2');
    expect(await selectPrepared(db, 'SELECT 1', [])).to.deep.equal([{ kind: 'bill' }]);
    expect(calls).to.deep.equal(['acquire', 'query event', 'execute', 'release']);
  });

  it('drops a statement the server wants re-prepared and answers null, so the caller sends it plain', async () => {
    const { db, calls } = fakeDb('mysql2', { errno: 1615 });
    expect(await selectPrepared(db, 'SELECT 1', [])).to.equal(null);
    expect(calls).to.deep.equal(['acquire', 'query event', 'execute', 'unprepare', 'release']);
  });

  it('after the server refuses one more prepared statement (1461), answers null, and then sends plain without trying for a while', async () => {
    const saved = preparedRefusals.plainForMs;
    try {
      const { db, calls } = fakeDb('mysql2', { errno: 1461 });
      expect(await selectPrepared(db, 'SELECT 1', [])).to.equal(null);
      expect(calls).to.deep.equal(['acquire', 'query event', 'execute', 'release']);
      calls.length = 0;
      expect(await selectPrepared(db, 'SELECT 1', [])).to.equal(null);
      expect(calls, 'no attempt while refused').to.deep.equal([]);
      // Once the while is over, it tries again.
      preparedRefusals.plainForMs = 0;
      const { db: other, calls: otherCalls } = fakeDb('mysql2', { errno: 1461 });
      await selectPrepared(other, 'SELECT 1', []);
      otherCalls.length = 0;
      await selectPrepared(other, 'SELECT 1', []);
      expect(otherCalls).to.include('execute');
    } finally {
      preparedRefusals.plainForMs = saved;
    }
  });

  it('passes any other error to the caller, still releasing the connection', async () => {
    const { db, calls } = fakeDb('mysql2', { errno: 1213 });
    let caught: unknown;
    await selectPrepared(db, 'SELECT 1', []).catch((err) => (caught = err));
    expect((caught as { errno?: number }).errno).to.equal(1213);
    expect(calls.at(-1)).to.equal('release');
  });

  it('answers null without touching the pool on another driver', async () => {
    const { db, calls } = fakeDb('better-sqlite3');
    expect(await selectPrepared(db, 'SELECT 1', [])).to.equal(null);
    expect(calls).to.deep.equal([]);
  });
});

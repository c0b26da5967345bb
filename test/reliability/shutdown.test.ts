// Reliability: shutdown (MariaDB). `complaints serve` runs as a real process under load; SIGTERM arrives
// while requests are in flight, one of them held on a row lock the test owns. Every request the server
// accepted must get its whole answer (no connection reset), the held one included once the lock goes;
// new connections are refused; the jobs stop, the pool drains, and the process exits 0 within seconds.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { signUserToken, USER_HEADER } from '../../src/auth/adapter.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import { validateMapping } from '../../src/host/mapping.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { signedHeaderAuth } from '../../src/auth/adapter.js';
import type { TestDatabase } from '../support/databases.js';
import { intakeBody } from '../support/complaintData.js';
import { adminConnection, connectionIds, databaseOf, note, poolThreadIds, requireMariadb, sleep } from '../support/faults.js';
import { people } from '../support/pluginHarness.js';
import { freshMariadb, T } from '../support/reliability.js';
import { simpleHost } from '../fixtures/hosts.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const SECRET = 'shutdown-test-shared-secret-0123456789';

interface Answer {
  status: number;
  body: string;
  error?: string;
  code?: string;
  /** The TCP connection was established (the request was written to it). */
  connected: boolean;
  sentAt: number;
  doneAt: number;
  key?: string;
}

/** One request on its own connection (no keep-alive), so "refused" and "reset" mean what they say. */
function call(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const sentAt = Date.now();
  let connected = false;
  return new Promise((resolve) => {
    const url = new URL(`${base}${path}`);
    const failed = (err: NodeJS.ErrnoException) => resolve({ status: -1, body: '', error: err.message, code: err.code, connected, sentAt, doneAt: Date.now() });
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: false,
        headers: { ...headers, connection: 'close', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), connected, sentAt, doneAt: Date.now() }));
        res.on('error', failed);
      },
    );
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('error', failed);
    req.end(body);
  });
}

/** Resolves once `check` holds, asked every 10 ms (at most `timeoutMs`): waiting on an observed state, not a sleep. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${pattern}" within ${timeoutMs} ms; output: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

describe('reliability: shutdown of `complaints serve` under load (MariaDB)', function () {
  this.timeout(90_000);
  let database: TestDatabase;
  let dir: string;
  let admin: Connection;
  let offsetId: number;

  before(async function () {
    requireMariadb();
    database = await freshMariadb();
    const plugin = createComplaintsPlugin({ knex: database.db, mapping: validateMapping(simpleHost.mapping), auth: signedHeaderAuth(SECRET) });
    await plugin.install();
    let c = (await plugin.complaints.create(intakeBody('101'), people.counter)).complaint;
    c = await plugin.complaints.transition(
      c.id,
      'assess',
      { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' },
      people.supervisor,
    );
    const raised = await plugin.offsets.raise({ complaintId: c.id, amount: '100.00', reason: '停机测试' }, people.counter);
    offsetId = (await plugin.offsets.approve(raised.id, { version: raised.version }, people.director)).id;
    dir = mkdtempSync(join(tmpdir(), 'cmp-shutdown-'));
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify(simpleHost.mapping));
    admin = await adminConnection();
    await admin.query(`USE \`${databaseOf(database.url)}\``);
  });
  after(async () => {
    await admin?.end();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('injects SIGTERM under 12 concurrent clients with 3 applications held on a row lock: the held requests and every request the server read get their full answer (no reset), new connections are refused, and the process exits 0 within seconds with no database connection left', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--db', database.url, '--mapping', join(dir, 'mapping.json'), '--port', '0', '--secret', SECRET, '--pool', '10'],
      {
        env: { ...process.env, COMPLAINTS_LANG: 'en' },
      },
    );
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const url = await waitForLine(child, /listening on (http:\/\/\S+)/, 30_000);
    const base = new URL(url).origin;
    const prefix = new URL(url).pathname.replace(/\/$/, '');
    const signed = (path: string, body: string) => ({
      'content-type': 'application/json',
      ...signServiceRequest(SECRET, { method: 'POST', path: `${prefix}${path}`, body }),
    });
    try {
      const token = signUserToken(people.counter, SECRET, 3600);
      const answers: Array<Answer & { kind: string }> = [];
      let stop = false;
      let n = 0;
      const worker = async (w: number) => {
        while (!stop) {
          const i = ++n;
          let a: Answer & { kind: string };
          if (i % 4 === 0) {
            a = { kind: 'list', ...(await call(base, 'GET', `${prefix}/api/complaints?limit=5`, { [USER_HEADER]: token })) };
          } else if (i % 4 === 1) {
            const body = JSON.stringify({ billId: '1001', offsets: [{ offsetId, amountFen: 100 }] });
            a = { kind: 'check', ...(await call(base, 'POST', `${prefix}/api/billing/check`, signed('/api/billing/check', body), body)) };
          } else {
            const key = `shutdown-${w}-${i}`;
            const body = JSON.stringify(intakeBody('101', { description: `停机负载 ${w}-${i}` }));
            a = {
              kind: 'create',
              key,
              ...(await call(
                base,
                'POST',
                `${prefix}/api/complaints`,
                { [USER_HEADER]: token, 'content-type': 'application/json', 'idempotency-key': key },
                body,
              )),
            };
          }
          answers.push(a);
          if (a.code === 'ECONNREFUSED') break; // the door is closed: a client goes elsewhere
        }
      };
      const workers = Array.from({ length: 12 }, (_, w) => worker(w));
      // Under load once the clients have had 24 answers (a signal, not a sleep).
      await until('24 answers under load', async () => answers.length >= 24);

      // Hold the offset row, then send applications that wait for it inside the server.
      await admin.query('START TRANSACTION');
      await admin.query(`SELECT id FROM ${T.offsets} WHERE id = ? FOR UPDATE`, [offsetId]);
      // Two on connections of their own, one from a keep-alive client (which must not keep the process up).
      const held = [1, 2, 3].map(async (k): Promise<Answer> => {
        const body = JSON.stringify({ offsetId, billId: '1001', amountFen: 100 * k, idempotencyKey: `SHUTDOWN-HELD-${k}` });
        if (k < 3) return call(base, 'POST', `${prefix}/api/billing/apply`, signed('/api/billing/apply', body), body);
        const sentAt = Date.now();
        try {
          const res = await fetch(`${base}${prefix}/api/billing/apply`, { method: 'POST', headers: signed('/api/billing/apply', body), body });
          return { status: res.status, body: await res.text(), connected: true, sentAt, doneAt: Date.now() };
        } catch (err) {
          return { status: -1, body: '', error: String((err as Error).cause ?? err), connected: true, sentAt, doneAt: Date.now() };
        }
      });
      // All three wait inside MariaDB (on the held offset row, or on the bill's ledger row behind the first), seen
      // in the process list.
      await until('the 3 held applications waiting on the row lock', async () => {
        const [rows] = (await admin.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND = 'Query' AND (INFO LIKE 'update `cmp_offset%' OR INFO LIKE 'insert into `cmp_offset%')",
        )) as unknown as [Array<{ n: number | string }>];
        return Number(rows[0]?.n ?? 0) >= 3;
      });

      const sigtermAt = Date.now();
      const stopping = waitForLine(child, /stopping: no new connections/, 15_000);
      child.kill('SIGTERM');
      await stopping;
      // The server said it stopped accepting (it closes the listener right after that line), while the
      // held requests still wait for the lock.
      const late = await call(base, 'GET', `${prefix}/api/complaints`, { [USER_HEADER]: token });
      await admin.query('COMMIT');
      const releasedAt = Date.now();
      const heldAnswers = await Promise.all(held);
      stop = true;
      await Promise.all(workers);
      const exit = await Promise.race([exited, sleep(15_000).then(() => null)]);

      expect(exit, `the process did not exit within 15 s of SIGTERM; output:\n${output}`).to.not.equal(null);
      expect(exit!.code, `exit code; output:\n${output}`).to.equal(0);
      expect(exit!.at - sigtermAt, 'ms from SIGTERM to exit (the lock held until the door was seen closed)').to.be.below(6000);
      expect(exit!.at - releasedAt, 'ms from the last answer to exit (a keep-alive connection must not hold the process up)').to.be.below(2500);
      expect(late.code, 'a connection after SIGTERM').to.equal('ECONNREFUSED');

      for (const [i, h] of heldAnswers.entries()) {
        expect(h.status, `held request ${i + 1}: ${h.error ?? h.body}`).to.equal(200);
        expect(JSON.parse(h.body).amountFen).to.equal(100 * (i + 1));
        expect(h.doneAt).to.be.greaterThan(sigtermAt);
      }

      const ok = answers.filter((a) => a.status > 0);
      expect(
        ok.filter((a) => ![200, 201].includes(a.status)).map((a) => `${a.kind} ${a.status} ${a.body.slice(0, 200)}`),
        'answers other than 200/201',
      ).to.deep.equal([]);
      expect(ok.length, 'answered under load').to.be.greaterThan(30);
      expect(answers.filter((a) => a.code === 'ECONNREFUSED').length, 'clients that found the door closed').to.be.greaterThan(0);
      expect(ok.filter((a) => a.sentAt < sigtermAt && a.doneAt > sigtermAt).length + heldAnswers.length, 'requests in flight at SIGTERM').to.be.greaterThan(3);

      // A request without an answer must be one the server never read: its connection was refused or
      // reset by the kernel while it waited in the listen queue as the listener closed (only possible
      // for connections made around the moment of SIGTERM), and it must have done nothing.
      const unanswered = answers.filter((a) => a.status <= 0 && a.code !== 'ECONNREFUSED');
      const early = unanswered
        .filter((a) => a.sentAt < sigtermAt - 200)
        .map((a) => `${a.kind} ${a.code} ${a.error} (sent ${sigtermAt - a.sentAt} ms before SIGTERM)`);
      expect(early, 'requests made well before SIGTERM that lost their answer').to.deep.equal([]);
      const lostKeys = unanswered.filter((a) => a.kind === 'create').map((a) => a.key!);
      const executed = lostKeys.length
        ? ((await database.db(T.complaints).whereIn('idempotency_key', lostKeys).select('idempotency_key')) as Array<{ idempotency_key: string }>)
        : [];
      expect(
        executed.map((r) => r.idempotency_key),
        'complaints stored although their request was reset',
      ).to.deep.equal([]);

      // Every answered complaint is stored; no connection of the stopped process is left.
      const created = ok.filter((a) => a.kind === 'create' && a.status === 201).map((a) => JSON.parse(a.body).complaint.id as number);
      const stored = await database.db(T.complaints).whereIn('id', created).count({ n: '*' });
      expect(Number((stored[0] as { n: number }).n)).to.equal(created.length);
      const ours = new Set(poolThreadIds(database.db));
      const left = (await connectionIds(admin, databaseOf(database.url))).filter((id) => !ours.has(id));
      expect(left, 'connections of the stopped process').to.deep.equal([]);
      note(
        `${ok.length} answered (${ok.filter((a) => a.sentAt < sigtermAt && a.doneAt > sigtermAt).length} in flight at SIGTERM, + 3 held), ${answers.filter((a) => a.code === 'ECONNREFUSED').length} refused, ${unanswered.length} reset in the listen queue (${unanswered.map((a) => `${a.sentAt - sigtermAt} ms`).join(', ') || 'none'} after SIGTERM); exit 0 ${exit!.at - sigtermAt} ms after SIGTERM, ${exit!.at - releasedAt} ms after the last answer`,
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await admin.query('ROLLBACK').catch(() => {});
    }
  });
});

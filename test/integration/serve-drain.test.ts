// `complaints serve` as operators run it: JSON log lines on stdout with the request id the caller sent,
// and a drain on SIGTERM: the listener closes at once, a request in flight finishes, one that outlasts
// shutdownGraceSeconds is cut off, then the jobs stop and the pool closes, in that order, and the process
// exits 0. A real process over a SQLite file; the requests are held in flight by sending half a body.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { createDb } from '../../src/db/connection.js';
import { tableNames } from '../../src/db/tables.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import { validateMapping } from '../../src/host/mapping.js';
import { install } from '../../src/install/installer.js';
import { systemClock } from '../../src/clock.js';
import { SettingsStore } from '../../src/settings/settings.js';
import { simpleHost } from '../fixtures/hosts.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const SECRET = 'drain-test-shared-secret-0123456789';

function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`${what()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** A raw HTTP request whose body is sent in two parts, so the test decides when it finishes. */
function heldRequest(
  port: number,
  path: string,
  body: string,
  requestId: string,
): { socket: Socket; finish(): void; answer: Promise<{ text: string; closedAt: number }> } {
  const socket = connect(port, '127.0.0.1');
  const headers = {
    host: `127.0.0.1:${port}`,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    ...signServiceRequest(SECRET, { method: 'POST', path, body }),
  };
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n${body.slice(0, half)}`,
  );
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const answer = new Promise<{ text: string; closedAt: number }>((resolve) => socket.on('close', () => resolve({ text, closedAt: Date.now() })));
  socket.on('error', () => {});
  return { socket, finish: () => socket.write(body.slice(half)), answer };
}

describe('complaints serve: JSON logs and the drain on SIGTERM (SQLite file)', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmp-drain-'));
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify(simpleHost.mapping));
    const db = createDb(`sqlite:${join(dir, 'erp.sqlite')}`);
    await simpleHost.create(db);
    await install(db, validateMapping(simpleHost.mapping));
    await new SettingsStore(db, tableNames('cmp_'), systemClock).update({ shutdownGraceSeconds: 2 }, SYSTEM_ACTOR);
    await db.destroy();
  });
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs JSON lines with the caller’s request id; on SIGTERM refuses new connections, finishes the request in flight, cuts off the one past the grace period, stops jobs, closes the pool, exits 0', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--db', `sqlite:${join(dir, 'erp.sqlite')}`, '--mapping', join(dir, 'mapping.json'), '--port', '0', '--secret', SECRET],
      {
        env: { ...process.env, COMPLAINTS_LOG_LEVEL: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child!.on('exit', (code) => resolve({ code, at: Date.now() })));
    const url = await waitFor(
      () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1],
      30_000,
      () => `no listening line: ${stdout}${stderr}`,
    );
    const { port, pathname: prefix } = new URL(url);

    const ping = await fetch(`${url}/healthz`, { headers: { 'x-request-id': 'drain-ping-1' } });
    expect(ping.status).to.equal(200);
    expect(ping.headers.get('x-request-id')).to.equal('drain-ping-1');

    const path = `${prefix}/api/billing/check`;
    const body = JSON.stringify({ billId: '1001', offsets: [] });
    const finishing = heldRequest(Number(port), path, body, 'drain-finishes');
    const stuck = heldRequest(Number(port), path, body, 'drain-stuck');
    await new Promise((r) => setTimeout(r, 300));

    const sigtermAt = Date.now();
    child.kill('SIGTERM');
    await waitFor(
      () => (stdout.includes('"msg":"stopping') ? true : undefined),
      5000,
      () => `no stopping line: ${stdout}`,
    );
    const late = await fetch(`${url}/healthz`).then(
      () => 'answered',
      (err: Error) => String((err.cause as { code?: string } | undefined)?.code),
    );
    expect(late, 'a new connection while draining').to.equal('ECONNREFUSED');

    finishing.finish();
    const done = await finishing.answer;
    expect(done.text).to.match(/^HTTP\/1\.1 200 OK/);
    expect(done.text.toLowerCase()).to.contain('connection: close');
    expect(done.text.toLowerCase()).to.contain('x-request-id: drain-finishes');
    expect(JSON.parse(done.text.slice(done.text.indexOf('\r\n\r\n') + 4)).billId).to.equal('1001');

    const cut = await stuck.answer;
    expect(cut.text, 'the stuck request gets no answer').to.equal('');
    expect(cut.closedAt - sigtermAt, 'ms from SIGTERM until the stuck connection is closed (grace 2 s)').to.be.within(1800, 5000);
    const exit = await exited;
    expect(exit.code, stdout + stderr).to.equal(0);

    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.every((l) => typeof l.level === 'string' && typeof l.time === 'string' && l.name === 'complaints')).to.equal(true);
    expect(lines.find((l) => l.reqId === 'drain-ping-1')?.req.route).to.equal(`${prefix}/healthz`);
    const answered = lines.find((l) => l.reqId === 'drain-finishes');
    expect(answered?.res.statusCode).to.equal(200);
    const order = ['stopping', 'requests still running', 'scheduled jobs and outbox delivery stopped', 'database pool closed'].map((start) =>
      lines.findIndex((l) => String(l.msg).startsWith(start)),
    );
    expect(
      order.every((i) => i >= 0),
      stdout,
    ).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
    expect(lines[order[0]!]).to.include({ signal: 'SIGTERM', graceSeconds: 2 });
    expect(lines[order[1]!]).to.include({ level: 'warn', forced: 1 });
    expect(stderr).to.equal('');
  });
});

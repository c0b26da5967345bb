// `complaints serve`: the standalone service an ERP in another language talks to, as a real process.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../../src/db/connection.js';
import { install } from '../../src/install/installer.js';
import { validateMapping } from '../../src/host/mapping.js';
import { signServiceRequest } from '../../src/http/serviceSignature.js';
import { signUserToken } from '../../src/auth/adapter.js';
import { simpleHost } from '../fixtures/hosts.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const SECRET = 'a-shared-secret-of-enough-length';

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

describe('complaints serve (standalone service, SQLite file)', function () {
  this.timeout(60000);
  let dir: string;
  let dbUrl: string;
  let mappingFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmp-serve-'));
    dbUrl = `sqlite:${join(dir, 'erp.sqlite')}`;
    mappingFile = join(dir, 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify(simpleHost.mapping));
    const db = createDb(dbUrl);
    await simpleHost.create(db);
    await db.destroy();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start without a shared secret or before install, saying what to do', async () => {
    const noSecret = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--db', dbUrl, '--mapping', mappingFile, '--port', '0'], {
      env: { ...process.env, COMPLAINTS_SECRET: '' },
    });
    const exitCode = await new Promise<number | null>((r) => noSecret.on('exit', r));
    expect(exitCode).to.equal(2);
    const notInstalled = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--db', dbUrl, '--mapping', mappingFile, '--port', '0', '--secret', SECRET]);
    const message = waitForLine(notInstalled, /(complaints install)/, 30000);
    expect(await message).to.equal('complaints install');
    expect(await new Promise<number | null>((r) => notInstalled.on('exit', r))).to.equal(1);
  });

  it('serves the JSON API to signed users and signed billing calls, and stops cleanly on SIGTERM', async () => {
    const db = createDb(dbUrl);
    await install(db, validateMapping(simpleHost.mapping));
    await db.destroy();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--db', dbUrl, '--mapping', mappingFile, '--port', '0', '--secret', SECRET]);
    const base = await waitForLine(child, /listening on (http:\/\/\S+)/, 30000);
    try {
      const anonymous = await fetch(`${base}/api/complaints`);
      expect(anonymous.status).to.equal(401);
      const user = { id: 'u1', name: '前台', roles: ['counter_staff'], communityIds: null };
      const list = await fetch(`${base}/api/complaints`, { headers: { 'X-Complaints-User': signUserToken(user, SECRET) } });
      expect(list.status).to.equal(200);
      const body = JSON.stringify({ billId: '9001', offsets: [] });
      const path = new URL(`${base}/api/billing/check`).pathname;
      const check = await fetch(`${base}/api/billing/check`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...signServiceRequest(SECRET, { method: 'POST', path, body }) },
        body,
      });
      expect(check.status, await check.clone().text()).to.equal(200);
      const forged = await fetch(`${base}/api/billing/check`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...signServiceRequest('another-secret-entirely!', { method: 'POST', path, body }) },
        body,
      });
      expect(forged.status).to.equal(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((r) => child.on('exit', r))).to.equal(0);
  });
});

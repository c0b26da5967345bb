// The Java client (clients/java) compiled with javac and its Example run against a real `complaints serve`
// over a SQLite ERP seeded with an approved offset: a cashier's user token finds the unit, then check →
// apply → replay → reverse → reconcile. A proxy in front of the service answers the first apply with 503
// and Retry-After, so the retry is seen on the wire: same body (same payment id), signed afresh. The
// example must also fail, with exit 1, on answers it does not expect (a wrong secret, a paid bill).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedHeaderAuth, verifyUserToken } from '../../src/auth/adapter.js';
import { createDb } from '../../src/db/connection.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyServiceSignature } from '../../src/http/serviceSignature.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { people } from '../support/pluginHarness.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const SOURCES = new URL('../../clients/java/src', import.meta.url).pathname;
const SECRET = 'java-client-shared-secret-0123456789';

const javac = spawnSync('javac', ['-version'], { encoding: 'utf8' });
const hasJdk = !javac.error && javac.status === 0;
if (!hasJdk && process.env.CI) throw new Error('javac is required under CI (openjdk-17-jdk-headless; .ci/run installs it)');
if (!hasJdk) console.warn('[tests] javac not found: the Java client test is skipped (apt-get install openjdk-17-jdk-headless)');

/** Signs tokens with UserTokens at a fixed time and prints them, then what it refuses to sign. */
const TOKEN_PROBE = `
import cn.complaints.client.UserTokens;
import java.time.*;
import java.util.List;

public class TokenProbe {
    public static void main(String[] args) {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(Long.parseLong(args[1])), ZoneOffset.UTC);
        UserTokens tokens = new UserTokens(args[0], clock, UserTokens.DEFAULT_MAX_LIFETIME);
        System.out.println("SCOPED " + tokens.sign(UserTokens.User.inCommunities("u-1024", "前台小李 \\"A\\"", List.of("counter_staff", "cashier"), List.of("1", "7020181217000001")), Duration.ofMinutes(10)));
        System.out.println("ALL " + tokens.sign(UserTokens.User.allCommunities("u-1", "总经理", List.of("director"))));
        System.out.println("LONG " + new UserTokens(args[0], clock, Duration.ofHours(24)).sign(UserTokens.User.allCommunities("u-1", "x", List.of("cashier")), Duration.ofHours(13)));
        Runnable[] bad = {
            () -> tokens.sign(UserTokens.User.allCommunities("u-1", "x", List.of("cashier")), Duration.ofHours(13)),
            () -> tokens.sign(UserTokens.User.allCommunities("u-1", "x", List.of("bad role"))),
            () -> tokens.sign(UserTokens.User.allCommunities("u\\u0007", "x", List.of("cashier"))),
            () -> tokens.sign(UserTokens.User.allCommunities("u-1", "", List.of("cashier"))),
            () -> tokens.sign(UserTokens.User.allCommunities("u-1", "x", List.of("cashier", "cashier"))),
            () -> UserTokens.User.inCommunities("u-1", "x", List.of("cashier"), null),
        };
        for (Runnable r : bad) {
            try {
                r.run();
                System.out.println("SIGNED");
            } catch (IllegalArgumentException e) {
                System.out.println("REFUSED " + e.getMessage());
            }
        }
    }
}
`;

function javaSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? javaSources(path) : path.endsWith('.java') ? [path] : [];
  });
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

interface Forwarded {
  method: string;
  path: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  status: number;
}

/** Forwards to the service; answers the first apply with 503 and Retry-After: 1 instead. */
async function startProxy(target: string): Promise<{ url: string; seen: Forwarded[]; server: Server }> {
  const seen: Forwarded[] = [];
  let refusedOnce = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const record = (status: number) =>
        seen.push({
          method: req.method!,
          path: req.url!,
          body: body.toString('utf8'),
          timestamp: req.headers[TIMESTAMP_HEADER.toLowerCase()] as string | undefined,
          signature: req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
          status,
        });
      if (!refusedOnce && req.url!.endsWith('/api/billing/apply')) {
        refusedOnce = true;
        record(503);
        res
          .writeHead(503, { 'Retry-After': '1', 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'database_unavailable', message: 'try again', fields: [] } }));
        return;
      }
      const upstream = new URL(target);
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          record(answer.statusCode ?? 0);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function runJava(classes: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-cp', classes, 'cn.complaints.client.Example'], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

(hasJdk ? describe : describe.skip)('the Java client against `complaints serve` (javac, SQLite)', function () {
  this.timeout(180_000);
  let dir: string;
  let classes: string;
  let dbUrl: string;
  let offsetId: number;
  let service: ChildProcess;
  let serviceUrl: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmp-java-'));
    classes = join(dir, 'classes');
    mkdirSync(classes);
    const compiled = spawnSync('javac', ['--release', '17', '-Xlint:all', '-Werror', '-encoding', 'UTF-8', '-d', classes, ...javaSources(SOURCES)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(compiled.status, `javac: ${compiled.stderr}`).to.equal(0);

    // The ERP: simpleHost in a SQLite file, the plugin installed, a complaint on 1-101 with an approved ¥20 offset.
    dbUrl = `sqlite:${join(dir, 'erp.sqlite')}`;
    const mappingFile = join(dir, 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify(simpleHost.mapping));
    const db = createDb(dbUrl);
    try {
      await simpleHost.create(db);
      const plugin = createComplaintsPlugin({ knex: db, mapping: simpleHost.mapping, auth: signedHeaderAuth(SECRET) });
      await plugin.install();
      const { complaint } = await plugin.complaints.create(intakeBody('101'), people.counter);
      const assessed = await plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        people.supervisor,
      );
      const raised = await plugin.offsets.raise({ complaintId: assessed.id, amount: '20', reason: '阳台漏水一个月未修复' }, people.counter);
      offsetId = (await plugin.offsets.approve(raised.id, { note: '同意', version: raised.version }, people.director)).id;
    } finally {
      await db.destroy();
    }

    service = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--db', dbUrl, '--mapping', mappingFile, '--port', '0', '--secret', SECRET]);
    serviceUrl = await waitForLine(service, /listening on (http:\/\/\S+?)\/complaints/, 60_000);
    proxy = await startProxy(serviceUrl);
  });

  after(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
    await new Promise((r) => (proxy ? proxy.server.close(r) : r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const exampleEnv = (overrides: Record<string, string> = {}) => ({
    COMPLAINTS_URL: `${proxy.url}/complaints`,
    COMPLAINTS_SECRET: SECRET,
    EXAMPLE_BILL_ID: '1001',
    EXAMPLE_OFFSET_ID: String(offsetId),
    EXAMPLE_AMOUNT_FEN: '500',
    EXAMPLE_UNIT_QUERY: '8001',
    ...overrides,
  });

  it('runs check → apply → replay → reverse → reconcile, retrying the 503 with the same payment id', async () => {
    const run = await runJava(classes, exampleEnv());
    expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).to.equal(0);
    expect(run.stdout).to.contain('units for "8001": [1-101 (101)]');
    expect(run.stdout).to.contain('check: allowed; offset');
    expect(run.stdout).to.contain('2000 fen left');
    expect(run.stdout).to.contain('replay: same answer');
    expect(run.stdout).to.contain('refused (idempotency_mismatch)');
    expect(run.stdout).to.match(/reconcile: ok over 1 offsets and 1 bills/);
    expect(run.stdout.trim().split('\n').at(-1)).to.equal('example passed');

    // On the wire: the user token was accepted, every billing call was signed as the service verifies it,
    // and the refused first apply was sent again with exactly the same body.
    const billing = proxy.seen.filter((r) => r.path.includes('/api/billing/'));
    for (const r of billing) {
      const check = verifyServiceSignature(
        SECRET,
        { method: r.method, path: r.path.split('?')[0]!, body: r.body, timestamp: r.timestamp, signature: r.signature },
        Date.now(),
      );
      expect(check, `${r.method} ${r.path}`).to.deep.equal({ ok: true });
    }
    const applies = billing.filter((r) => r.path.endsWith('/apply'));
    expect(applies.map((r) => r.status)).to.deep.equal([503, 200, 200, 409]);
    expect(applies[1]!.body).to.equal(applies[0]!.body);
    expect(applies[2]!.body).to.equal(applies[0]!.body);
    expect(JSON.parse(applies[0]!.body)).to.include({ offsetId, billId: '1001', amountFen: 500 });
    expect(JSON.parse(applies[3]!.body)).to.include({ amountFen: 501, idempotencyKey: JSON.parse(applies[0]!.body).idempotencyKey });
    expect(proxy.seen.find((r) => r.path.startsWith('/complaints/api/units'))).to.include({ status: 200 });

    // In the ERP's database: one application, reversed; the offset whole again.
    const db = createDb(dbUrl);
    try {
      const applications = await db('cmp_offset_applications').where({ offset_id: offsetId });
      expect(applications.map((a) => [a.amount_fen, a.state, a.applied_by])).to.deep.equal([[500, 'reversed', 'java-cashier']]);
      expect((await db('cmp_offsets').where({ id: offsetId }).first()).remaining_fen).to.equal(2000);
    } finally {
      await db.destroy();
    }
  });

  it('signs user tokens the service accepts with exactly its claims, and refuses what the service would refuse', async () => {
    const probe = join(dir, 'TokenProbe.java');
    writeFileSync(probe, TOKEN_PROBE);
    const nowS = Math.floor(Date.now() / 1000);
    const run = spawnSync('java', ['-cp', classes, probe, SECRET, String(nowS)], { encoding: 'utf8', timeout: 90_000 });
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split('\n');
    const token = (tag: string) => lines.find((l) => l.startsWith(`${tag} `))!.slice(tag.length + 1);

    const scoped = verifyUserToken(token('SCOPED'), SECRET, nowS * 1000);
    expect(scoped).to.deep.equal({
      ok: true,
      actor: { id: 'u-1024', name: '前台小李 "A"', roles: ['counter_staff', 'cashier'], communityIds: ['1', '7020181217000001'] },
    });
    const claims = JSON.parse(Buffer.from(token('SCOPED').split('.')[0]!, 'base64url').toString('utf8'));
    expect(Object.keys(claims)).to.deep.equal(['sub', 'name', 'roles', 'communities', 'iat', 'exp']);
    expect(claims).to.include({ iat: nowS, exp: nowS + 600 });
    expect(token('SCOPED')).to.match(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyUserToken(token('ALL'), SECRET, nowS * 1000)).to.deep.include({ ok: true });
    expect((verifyUserToken(token('ALL'), SECRET, nowS * 1000) as { actor: { communityIds: unknown } }).actor.communityIds).to.equal(null);
    // What a Java side allowed past the cap would sign, the service refuses; UserTokens refuses it itself.
    expect(verifyUserToken(token('LONG'), SECRET, nowS * 1000)).to.deep.equal({ ok: false, reason: 'lifetime_too_long' });
    expect(verifyUserToken(token('SCOPED'), 'another-secret-entirely!', nowS * 1000)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    const refusals = lines.filter((l) => l.startsWith('REFUSED ') || l === 'SIGNED');
    expect(refusals).to.have.length(6);
    expect(
      refusals.every((l) => l.startsWith('REFUSED ')),
      refusals.join('\n'),
    ).to.equal(true);
    expect(refusals.join('\n'))
      .to.match(/above the server's lifetime cap/)
      .and.match(/role "bad role"/)
      .and.match(/control characters/)
      .and.match(/name must be/)
      .and.match(/roles must not repeat/)
      .and.match(/communities: give a list/);
  });

  it('exits 1, saying why, on an answer it does not expect', async () => {
    const wrongSecret = await runJava(classes, exampleEnv({ COMPLAINTS_SECRET: 'not-the-shared-secret-at-all' }));
    expect(wrongSecret.code).to.equal(1);
    expect(wrongSecret.stderr).to.match(/UNEXPECTED: 401 unauthenticated/);
    const paidBill = await runJava(classes, exampleEnv({ EXAMPLE_BILL_ID: '1003', EXAMPLE_UNIT_QUERY: '' }));
    expect(paidBill.code).to.equal(1);
    expect(paidBill.stderr).to.contain('UNEXPECTED: check refused: bill_paid');
    const wrongSignature = await runJava(classes, exampleEnv({ EXAMPLE_UNIT_QUERY: '', COMPLAINTS_SECRET: 'another-secret-entirely!' }));
    expect(wrongSignature.code).to.equal(1);
    expect(wrongSignature.stderr).to.match(/UNEXPECTED: 401 signature_invalid/);
  });
});

// The `complaints` command as an administrator runs it: a real process, a real SQLite file, exit codes.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDb } from '../../src/db/connection.js';
import { simpleHost } from '../fixtures/hosts.js';
import { checksumTables } from '../support/checksum.js';

const exec = promisify(execFile);
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('complaints CLI (SQLite file)', function () {
  this.timeout(120000);
  let dir: string;
  let dbUrl: string;
  let goodMapping: string;
  let badMapping: string;
  const hostTables = ['owners', 'units', 'bills', 'communities'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmp-cli-'));
    dbUrl = `sqlite:${join(dir, 'erp.sqlite')}`;
    const db = createDb(dbUrl);
    await simpleHost.create(db);
    await db.destroy();
    goodMapping = join(dir, 'mapping.json');
    writeFileSync(goodMapping, JSON.stringify(simpleHost.mapping));
    const bad = structuredClone(simpleHost.mapping) as { unit: { columns: { label: string } } };
    bad.unit.columns.label = 'room_number';
    badMapping = join(dir, 'bad.json');
    writeFileSync(badMapping, JSON.stringify(bad));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check-host passes on a good mapping', async () => {
    const r = await cli(['check-host', '--db', dbUrl, '--mapping', goodMapping]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.contain('✔');
  });

  it('check-host fails on a bad mapping, naming the column, in the chosen language', async () => {
    const r = await cli(['check-host', '--db', dbUrl, '--mapping', badMapping, '--lang', 'en']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.contain('room_number');
    const zh = await cli(['check-host', '--db', dbUrl, '--mapping', badMapping]);
    expect(zh.code).to.equal(1);
    expect(zh.stdout)
      .to.match(/room_number/)
      .and.to.match(/[\u4e00-\u9fff]/);
  });

  it('takes the database and mapping from the environment too', async () => {
    const r = await cli(['check-host'], { COMPLAINTS_DB_URL: dbUrl, COMPLAINTS_MAPPING: goodMapping });
    expect(r.code, r.stderr).to.equal(0);
  });

  it('explains a missing --db and an unreadable mapping with exit code 2', async () => {
    const noDb = await cli(['status', '--mapping', goodMapping], { COMPLAINTS_DB_URL: '' });
    expect(noDb.code).to.equal(2);
    expect(noDb.stderr).to.contain('--db');
    const noFile = await cli(['status', '--db', dbUrl, '--mapping', join(dir, 'missing.json')]);
    expect(noFile.code).to.equal(2);
    expect(noFile.stderr).to.contain('missing.json');
  });

  it('install is idempotent and leaves host tables unchanged; status reports it', async () => {
    const before = await withDb((db) => checksumTables(db, hostTables));
    const first = await cli(['install', '--db', dbUrl, '--mapping', goodMapping, '--lang', 'en']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.contain('Applied migrations');
    const second = await cli(['upgrade', '--db', dbUrl, '--mapping', goodMapping, '--lang', 'en']);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.contain('Already up to date');
    const st = await cli(['status', '--db', dbUrl, '--mapping', goodMapping, '--json']);
    expect(st.code).to.equal(0);
    expect(JSON.parse(st.stdout)).to.deep.include({ installed: true, missingIndexes: [] });
    expect(await withDb((db) => checksumTables(db, hostTables))).to.deep.equal(before);
  });

  it('settings set changes a setting with an audit record, shows secrets as ***, and refuses a bad value naming the field', async () => {
    const token = 'scraper-token-0123456789abcdef';
    const on = await cli(['settings', 'set', `metricsToken=${token}`, 'metricsEnabled=true', 'escalationDays=20', '--db', dbUrl, '--lang', 'en']);
    expect(on.code, on.stderr).to.equal(0);
    expect(on.stdout).to.contain('metricsEnabled: false → true').and.contain('escalationDays: 30 → 20').and.contain('metricsToken: null → "***"');
    expect(on.stdout).not.to.contain(token);
    const shownAll = await cli(['settings', 'show', '--db', dbUrl, '--json']);
    expect(shownAll.code, shownAll.stderr).to.equal(0);
    expect(JSON.parse(shownAll.stdout)).to.include({ metricsEnabled: true, metricsToken: '***', escalationDays: 20 });
    const audit = await withDb((db) => db('cmp_events').where({ action: 'settings_changed' }).orderBy('id', 'desc').first());
    expect(String(audit?.actor_id)).to.match(/^cli:/);
    expect(String(audit?.changes)).to.contain('metricsEnabled').and.not.contain(token);

    const bad = await cli(['settings', 'set', 'escalationDays=abc', 'followUpHours=12', '--db', dbUrl]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('未做任何修改').and.contain('escalationDays');
    const unknown = await cli(['settings', 'set', 'escalationDay=3', '--db', dbUrl, '--lang', 'en']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('Unknown setting(s): escalationDay');
    const after = JSON.parse((await cli(['settings', 'show', '--db', dbUrl, '--json'])).stdout) as Record<string, unknown>;
    expect(after).to.include({ escalationDays: 20, followUpHours: 24 });
  });

  it('install refuses a bad mapping with exit 1 and installs nothing under that prefix', async () => {
    const r = await cli(['install', '--db', dbUrl, '--mapping', badMapping, '--prefix', 'bad_', '--lang', 'en']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('room_number').and.to.contain('Nothing was installed');
    expect(await withDb((db) => db.schema.hasTable('bad_migrations'))).to.equal(false);
  });

  it('uninstall --purge needs confirmation; --yes drops our tables only', async () => {
    const refused = await cli(['uninstall', '--purge', '--db', dbUrl, '--mapping', goodMapping]);
    expect(refused.code).to.equal(1);
    expect(await withDb((db) => db.schema.hasTable('cmp_events'))).to.equal(true);
    const before = await withDb((db) => checksumTables(db, hostTables));
    const purged = await cli(['uninstall', '--purge', '--yes', '--db', dbUrl, '--mapping', goodMapping]);
    expect(purged.code, purged.stderr).to.equal(0);
    expect(await withDb((db) => db.schema.hasTable('cmp_events'))).to.equal(false);
    expect(await withDb((db) => checksumTables(db, hostTables))).to.deep.equal(before);
  });

  async function withDb<T>(work: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
    const db = createDb(dbUrl);
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }
});

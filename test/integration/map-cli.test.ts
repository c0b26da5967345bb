// `complaints map` as an administrator runs it: a real process against a real database on both clients,
// answering on standard input (or --yes), the check-host result shown, the mapping file written.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseKinds } from '../support/databases.js';
import { springHost } from '../fixtures/erpHosts.js';
import { createAmbiguousHost } from '../fixtures/wizardHosts.js';
import { checksumTables } from '../support/checksum.js';
import { validateMapping } from '../../src/host/mapping.js';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function cli(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

for (const kind of databaseKinds) {
  describe(`complaints map (${kind.kind})`, function () {
    this.timeout(120000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'cmp-map-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('--yes proposes, shows every reason and the check-host result, writes a mapping that validates, and leaves the host as it was', async () => {
      const t = await kind.create();
      try {
        await springHost.create(t.db);
        const before = await checksumTables(t.db, springHost.tables);
        const out = join(dir, 'spring.json');
        const r = await cli(['map', '--db', t.url, '--yes', '--out', out, '--lang', 'en']);
        expect(r.code, r.stderr + r.stdout).to.equal(0);
        expect(r.stdout).to.contain('unit.columns.label = {building.building_name}{house_number}');
        expect(r.stdout).to.contain('the same number in two buildings stays apart');
        expect(r.stdout).to.contain('mapping check: passed');
        expect(r.stdout).to.contain('? bill.paidBy.where.status = 1');
        const written = validateMapping(JSON.parse(readFileSync(out, 'utf8')));
        expect(written.bill).to.deep.include({ table: 'payment_manage', amountUnit: 'yuan', where: { fee_type: ['物业费'] } });
        expect(await checksumTables(t.db, springHost.tables)).to.deep.equal(before);
        const zh = await cli(['map', '--db', t.url, '--yes', '--out', join(dir, 'spring-zh.json')]);
        expect(zh.stdout).to.contain('映射建议').and.contain('主机数据库').and.contain('已写入');
      } finally {
        await t.drop();
      }
    });

    it('asks about two phone columns on standard input and writes the answer; re-prompts a wrong answer', async () => {
      const t = await kind.create();
      try {
        await createAmbiguousHost(t.db);
        const out = join(dir, 'ambiguous.json');
        const r = await cli(['map', '--db', t.url, '--out', out, '--lang', 'en'], '7\n2\n');
        expect(r.code, r.stderr + r.stdout).to.equal(0);
        expect(r.stdout).to.contain("? Which column is the owner's mobile phone?");
        expect(r.stdout).to.contain('Type a number from 1 to 2');
        const proposedFirst = /1\) owners\.(\w+)/.exec(r.stdout)![1];
        const written = JSON.parse(readFileSync(out, 'utf8'));
        expect(written.owner.columns.phone).to.not.equal(proposedFirst);
        expect(['phone', 'telephone']).to.include(written.owner.columns.phone);
        expect(r.stdout).to.contain(`✎ owner.columns.phone = owners.${written.owner.columns.phone}`);
      } finally {
        await t.drop();
      }
    });

    it('keeps an existing file unless told to overwrite it', async () => {
      const t = await kind.create();
      try {
        await createAmbiguousHost(t.db);
        const out = join(dir, 'kept.json');
        writeFileSync(out, '{"mine": true}\n');
        const r = await cli(['map', '--db', t.url, '--out', out, '--lang', 'en'], '\nn\n');
        expect(r.code).to.equal(1);
        expect(r.stdout).to.contain('exists; overwrite it?').and.contain('Nothing written.');
        expect(readFileSync(out, 'utf8')).to.equal('{"mine": true}\n');
        const empty = join(dir, 'none.json');
        const noTables = await kind.create();
        try {
          const none = await cli(['map', '--db', noTables.url, '--yes', '--out', empty, '--lang', 'en']);
          expect(none.code).to.equal(1);
          expect(none.stderr).to.contain('no tables to map');
          expect(existsSync(empty)).to.equal(false);
        } finally {
          await noTables.drop();
        }
      } finally {
        await t.drop();
      }
    });
  });
}

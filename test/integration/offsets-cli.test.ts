// `complaints offsets check|reconcile` and `install --enforce-offsets` as an administrator runs them: a
// real process over a real SQLite file, exit codes and both languages.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { people } from '../support/pluginHarness.js';
import { intakeBody } from '../support/complaintData.js';
import { simpleHost } from '../fixtures/hosts.js';
import { systemClock } from '../../src/clock.js';
import { createComplaintService } from '../../src/complaints/service.js';
import { createDb } from '../../src/db/connection.js';
import { tableNames } from '../../src/db/tables.js';
import { HostGateway } from '../../src/host/gateway.js';
import { validateMapping, type HostMapping } from '../../src/host/mapping.js';
import { offsetGuardTable } from '../../src/install/offsetGuard.js';
import { createOffsetService } from '../../src/offsets/service.js';
import type { PluginContext } from '../../src/common/context.js';
import { SettingsStore } from '../../src/settings/settings.js';

const exec = promisify(execFile);
const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, COMPLAINTS_LANG: '' },
      timeout: 60000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('complaints offsets CLI (SQLite file)', function () {
  this.timeout(120000);
  let dir: string;
  let dbUrl: string;
  let mappingFile: string;
  let mapping: HostMapping;
  let offsetId: number;
  const common = () => ['--db', dbUrl, '--mapping', mappingFile];

  async function withContext<T>(work: (ctx: PluginContext, db: Knex) => Promise<T>): Promise<T> {
    const db = createDb(dbUrl);
    const tables = tableNames('cmp_');
    try {
      return await work(
        { db, prefix: 'cmp_', tables, mapping, host: new HostGateway(db, mapping), settings: new SettingsStore(db, tables, systemClock), clock: systemClock },
        db,
      );
    } finally {
      await db.destroy();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmp-offsets-cli-'));
    dbUrl = `sqlite:${join(dir, 'erp.sqlite')}`;
    const db = createDb(dbUrl);
    await simpleHost.create(db);
    await db.raw(
      'CREATE TABLE payments (id INTEGER NOT NULL PRIMARY KEY, bill_id INTEGER NOT NULL, cash DECIMAL(10,2) NOT NULL, offset_amount DECIMAL(10,2), offset_ref VARCHAR(64))',
    );
    await db.destroy();
    mapping = validateMapping({
      ...simpleHost.mapping,
      payment: { table: 'payments', key: 'id', columns: { bill: 'bill_id', offsetAmount: 'offset_amount', offsetRef: 'offset_ref' } },
    });
    mappingFile = join(dir, 'mapping.json');
    writeFileSync(mappingFile, JSON.stringify(mapping));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to check before the plugin is installed (exit 2)', async () => {
    const r = await cli(['offsets', 'check', '--bill', '1001', ...common(), '--lang', 'en']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('complaints install');
  });

  it('install --enforce-offsets installs and adds the guard on the payment table', async () => {
    const r = await cli(['install', '--enforce-offsets', ...common(), '--lang', 'en']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Offset guard cmp_offset_guard on payments');
    expect(await withContext((_ctx, db) => offsetGuardTable(db, 'cmp_'))).to.equal('payments');
    // Seed a complaint with an approved offset of ¥50.00, ¥10.00 of it used on bill 1001.
    offsetId = await withContext(async (ctx) => {
      const complaints = createComplaintService(ctx);
      const offsets = createOffsetService(ctx);
      const { complaint } = await complaints.create(intakeBody('101', { threatenedWithholding: true }), people.counter);
      await complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        people.supervisor,
      );
      const raised = await offsets.raise({ complaintId: complaint.id, amount: '50', reason: '漏水损失' }, people.counter);
      await offsets.approve(raised.id, {}, people.supervisor);
      await offsets.apply({ offsetId: raised.id, billId: '1001', amountFen: 1000, idempotencyKey: 'PAY-CLI-1' }, people.cashier);
      return raised.id;
    });
  });

  it('offsets check answers allowed (exit 0) with the warnings, in Chinese by default and as JSON', async () => {
    const zh = await cli(['offsets', 'check', '--bill', '1001', '--offset', `${offsetId}:40.00`, ...common()]);
    expect(zh.code, zh.stderr).to.equal(0);
    expect(zh.stdout).to.contain('账单 1001').and.contain('已抵扣 ¥10.00').and.contain(`✔ 抵扣 #${offsetId} ¥40.00`).and.contain('⚠').and.contain('可照常收费');
    const json = await cli(['offsets', 'check', '--bill', '1001', '--offset', `${offsetId}:40`, '--json', ...common()]);
    expect(json.code).to.equal(0);
    const check = JSON.parse(json.stdout) as {
      allAllowed: boolean;
      appliedFen: number;
      offsets: Array<{ code: string; amountFen: number }>;
      warnings: unknown[];
    };
    expect(check).to.include({ allAllowed: true, appliedFen: 1000 });
    expect(check.offsets).to.deep.equal([{ ...check.offsets[0], code: 'allowed', amountFen: 4000 }]);
    expect(check.warnings).to.have.length(2);
  });

  it('offsets check exits 1 on a refusal or an unknown bill, and 2 on a bad --offset', async () => {
    const over = await cli(['offsets', 'check', '--bill', '1001', '--offset', `${offsetId}:40.01`, '--offset', '999999:1', ...common(), '--lang', 'en']);
    expect(over.code).to.equal(1);
    expect(over.stdout)
      .to.contain(`✘ offset #${offsetId} ¥40.01: exceeds_remaining`)
      .and.contain('✘ offset #999999 ¥1.00: not_found')
      .and.contain('without the refused offsets');
    const missing = await cli(['offsets', 'check', '--bill', '9999', ...common(), '--lang', 'en']);
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.contain('Bill 9999 does not exist');
    const specs = [`${offsetId}:abc`, `${offsetId}:0`, `${offsetId}`];
    const answers = await Promise.all(specs.map((spec) => cli(['offsets', 'check', '--bill', '1001', '--offset', spec, ...common(), '--lang', 'en'])));
    for (const [i, bad] of answers.entries()) {
      expect(bad.code, specs[i]).to.equal(2);
      expect(bad.stderr, specs[i]).to.contain('--offset');
    }
  });

  it('offsets reconcile exits 0 when every offset adds up and 1 listing a hand-made mismatch', async () => {
    const ok = await cli(['offsets', 'reconcile', ...common()]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain('全部抵扣账目相符');
    await withContext((ctx, db) => db(ctx.tables.offsets).where({ id: offsetId }).update({ remaining_fen: 3900 }));
    const bad = await cli(['offsets', 'reconcile', ...common(), '--lang', 'en']);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.contain('1 offset(s) do not reconcile').and.contain(`offset #${offsetId}`).and.contain('difference ¥1.00');
    const json = await cli(['offsets', 'reconcile', '--json', ...common()]);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout).mismatches).to.deep.equal([
      {
        offsetId,
        complaintId: 1,
        status: 'approved',
        approvedFen: 5000,
        appliedFen: 1000,
        reversedFen: 0,
        remainingFen: 3900,
        revokedFen: 0,
        differenceFen: 100,
      },
    ]);
    await withContext((ctx, db) => db(ctx.tables.offsets).where({ id: offsetId }).update({ remaining_fen: 4000 }));
  });

  it('uninstall removes the guard and keeps the data', async () => {
    const r = await cli(['uninstall', ...common(), '--lang', 'en']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('offset guard trigger was dropped');
    expect(await withContext((_ctx, db) => offsetGuardTable(db, 'cmp_'))).to.equal(null);
    expect(await withContext((ctx, db) => db(ctx.tables.offsets).count({ n: '*' }))).to.deep.equal([{ n: 1 }]);
  });
});

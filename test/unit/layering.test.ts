// The layering rules fire: a probe file placed (virtually) in each layer imports across a forbidden
// arrow, and ESLint must report it. Without this, a typo in eslint.config.js could switch a rule off
// while `npm run lint` stays green.
import { expect } from 'chai';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function rulesFired(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layering lint', function () {
  this.timeout(60_000);

  it('refuses a domain module importing HTTP, pages or the plugin factory', async () => {
    for (const from of ['../http/apiErrors.js', '../views/kit.js', '../plugin/createPlugin.js', '../jobs/runner.js']) {
      const fired = await rulesFired('src/offsets/layering-probe.ts', `export * from '${from}';\n`);
      expect(fired, from).to.include('import-x/no-restricted-paths');
    }
  });

  it('refuses the web stack in the domain', async () => {
    const fired = await rulesFired('src/complaints/layering-probe.ts', `import type { Context } from 'koa';\nexport type C = Context;\n`);
    expect(fired).to.include('no-restricted-imports');
  });

  it('refuses knex in HTTP and pages', async () => {
    for (const file of ['src/http/layering-probe.ts', 'src/views/pages/layering-probe.ts']) {
      const fired = await rulesFired(file, `import knex from 'knex';\nexport const k = knex;\n`);
      expect(fired, file).to.include('no-restricted-imports');
    }
  });

  it('refuses the host gateway outside src/host, the CLI, the installer and the plugin factory', async () => {
    const fired = await rulesFired('src/offsets/layering-probe.ts', `export * from '../host/gateway.js';\n`);
    expect(fired).to.include('import-x/no-restricted-paths');
  });

  it('lets the arrows point down: HTTP importing the domain is fine', async () => {
    const fired = await rulesFired('src/http/layering-probe.ts', `export * from '../offsets/messages.js';\n`);
    expect(fired).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { loadManifest, validateManifest, ManifestError } from '../../src/manifest/manifest.js';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../../src/auth/permissions.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('plugin.json manifest', () => {
  it('is valid against schemas/plugin.schema.json', () => {
    expect(loadManifest().id).to.equal('complaints');
  });

  it('has the same version as package.json', () => {
    expect(loadManifest().version).to.equal(pkg.version);
  });

  it('declares exactly the permissions the code checks', () => {
    expect(loadManifest().permissions.map((p) => p.name)).to.have.members([...PERMISSIONS]);
  });

  it('gives every role its declared permissions', () => {
    for (const role of loadManifest().roles) expect(ROLE_PERMISSIONS[role.name]).to.deep.equal(role.permissions);
  });

  it('names the default prefix, its own migrations table, the routes prefix and both locales', () => {
    const m = loadManifest();
    expect(m.tablePrefix).to.equal('cmp_');
    expect(m.migrations.table).to.equal('cmp_migrations');
    expect(m.routesPrefix).to.equal('/complaints');
    expect(m.locales).to.deep.equal({ default: 'zh-CN', supported: ['zh-CN', 'en'] });
  });

  it('refuses a manifest with a missing field, naming it', () => {
    const broken = structuredClone(loadManifest()) as unknown as Record<string, unknown>;
    delete broken.routesPrefix;
    expect(() => validateManifest(broken)).to.throw(ManifestError, /routesPrefix/);
  });

  it('refuses a role granting an undeclared permission', () => {
    const broken = structuredClone(loadManifest());
    broken.roles[0]!.permissions.push('offset.steal');
    expect(() => validateManifest(broken)).to.throw(ManifestError, /offset\.steal/);
  });
});

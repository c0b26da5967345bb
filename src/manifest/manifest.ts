// plugin.json is the plugin's manifest and the single source of its permissions, roles, cron jobs and
// settings schema. It is validated against schemas/plugin.schema.json when first loaded.
import manifestJson from '../../plugin.json' with { type: 'json' };
import manifestSchema from '../../schemas/plugin.schema.json' with { type: 'json' };
import { Ajv } from 'ajv';
import { toFieldErrors } from '../common/validation.js';
import type { Localized } from '../common/localized.js';

export interface ManifestRole {
  name: string;
  'zh-CN': string;
  en: string;
  permissions: string[];
}

export interface Manifest {
  id: 'complaints';
  name: Localized;
  description: Localized;
  version: string;
  host: Record<string, string>;
  entry: string;
  databaseClients: string[];
  tablePrefix: string;
  migrations: { directory: string; table: string };
  hostEntities: Record<string, { required: boolean; columns: string[] }>;
  routesPrefix: string;
  hooks: Array<{ name: string; description: Localized }>;
  cron: Array<{ name: string; schedule: string; description: Localized }>;
  permissions: Array<{ name: string; 'zh-CN': string; en: string }>;
  roles: ManifestRole[];
  settingsSchema: Record<string, unknown> & { properties: Record<string, unknown> };
  locales: { default: 'zh-CN' | 'en'; supported: Array<'zh-CN' | 'en'> };
}

export class ManifestError extends Error {}

/** Validates any manifest object; exported so tests can feed it broken manifests. */
export function validateManifest(input: unknown): Manifest {
  // A separate ajv instance: the manifest schema is draft-07 with its own $id, kept apart from request schemas.
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(manifestSchema);
  if (!validate(input)) {
    const problems = toFieldErrors(validate.errors ?? []).map((f) => `${f.field}: ${f.message.en}`);
    throw new ManifestError(`plugin.json is invalid:\n  ${problems.join('\n  ')}`);
  }
  const manifest = input as unknown as Manifest;
  const declared = new Set(manifest.permissions.map((p) => p.name));
  for (const role of manifest.roles) {
    for (const p of role.permissions) {
      if (!declared.has(p)) throw new ManifestError(`plugin.json: role ${role.name} grants undeclared permission ${p}`);
    }
  }
  if (manifest.migrations.table !== `${manifest.tablePrefix}migrations`) {
    throw new ManifestError(`plugin.json: migrations.table must be ${manifest.tablePrefix}migrations`);
  }
  return manifest;
}

let cached: Manifest | null = null;

export function loadManifest(): Manifest {
  cached ??= validateManifest(manifestJson);
  return cached;
}

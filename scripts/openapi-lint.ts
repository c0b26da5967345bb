// npm run lint:openapi: the OpenAPI document the plugin serves (pluginOpenApi, the same builder as
// GET {routesPrefix}/api/openapi.json) linted by Redocly with its recommended rules plus operation tags
// (declared) and descriptions (redocly.yaml). Exits non-zero on any error, so `npm test` fails with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginOpenApi } from '../src/plugin/createPlugin.js';

const dir = mkdtempSync(join(tmpdir(), 'cmp-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(pluginOpenApi(), null, 2));
  const run = spawnSync(process.execPath, [join('node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', file, '--config', 'redocly.yaml'], {
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Compiles the sources the benchmark servers load (src/, migrations/, bench/) to plain JavaScript with
// esbuild, file by file (no bundling, same layout as the tsc build in dist/), so the servers run on plain
// Node and their memory is the plugin's, not tsx's. JSON and templates the code reads are copied beside.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Returns a fresh folder per run (the caller removes it): several checkouts benchmarking on one machine
 * at once must not overwrite each other's build while their servers load it.
 */
export async function compileForNode(root: string): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'cmp-bench-build-'));
  const entryPoints: string[] = [];
  for (const dir of ['src', 'migrations', 'bench']) {
    for (const file of readdirSync(join(root, dir), { recursive: true }) as string[]) {
      if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.includes('results')) entryPoints.push(join(root, dir, file));
    }
  }
  await build({
    entryPoints,
    outdir: out,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    supported: { 'import-attributes': true },
    bundle: false,
    logLevel: 'error',
  });
  for (const item of ['plugin.json', 'schemas', 'views', join('src', 'demo', 'demo-mapping.json')]) {
    if (existsSync(join(root, item))) cpSync(join(root, item), join(out, item), { recursive: true });
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

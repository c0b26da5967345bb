// Summarises a Stryker JSON report (test-output/mutation/mutation.json) as markdown: the score per file and
// per folder, and every surviving (or uncovered) mutant with its line and replacement, for the committed
// report in bench/results. Usage: tsx scripts/mutation-summary.ts [report.json] > bench/results/mutation-DATE.md
import { readFileSync } from 'node:fs';

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-output/mutation/mutation.json', 'utf8')) as Report;
const detected = new Set(['Killed', 'Timeout']);
const counted = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);
const score = (ms: Mutant[]) => {
  const valid = ms.filter((m) => counted.has(m.status));
  return { valid: valid.length, killed: valid.filter((m) => detected.has(m.status)).length };
};
const pct = (s: { valid: number; killed: number }) => (s.valid ? `${((100 * s.killed) / s.valid).toFixed(1)}%` : 'n/a');

const rows: string[] = [
  '| file | mutants | killed/timeout | survived | no coverage | compile/runtime errors | ignored | score |',
  '|---|---|---|---|---|---|---|---|',
];
const folders = new Map<string, Mutant[]>();
const all: Mutant[] = [];
for (const [file, { mutants }] of Object.entries(report.files).sort()) {
  const n = (st: string) => mutants.filter((m) => m.status === st).length;
  const s = score(mutants);
  rows.push(
    `| ${file} | ${mutants.length} | ${n('Killed') + n('Timeout')} | ${n('Survived')} | ${n('NoCoverage')} | ${n('CompileError') + n('RuntimeError')} | ${n('Ignored')} | ${pct(s)} |`,
  );
  const folder = file.split('/').slice(0, 2).join('/');
  folders.set(folder, [...(folders.get(folder) ?? []), ...mutants]);
  all.push(...mutants);
}
console.log('## Scores\n');
console.log(rows.join('\n'));
console.log('');
for (const [folder, ms] of folders) console.log(`- ${folder}: ${pct(score(ms))} (${score(ms).killed} of ${score(ms).valid})`);
console.log(`- all: ${pct(score(all))} (${score(all).killed} of ${score(all).valid})\n`);
console.log('## Surviving and uncovered mutants\n');
for (const [file, { source, mutants }] of Object.entries(report.files).sort()) {
  const lines = source.split('\n');
  for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
    const line = m.location.start.line;
    console.log(
      `- ${file}:${line} ${m.status} ${m.mutatorName}: \`${(lines[line - 1] ?? '').trim().slice(0, 110)}\` → \`${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 110)}\``,
    );
  }
}

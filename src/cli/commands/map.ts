// complaints map: the mapping wizard. Reads the host database's schema (src/host/schemaScan), proposes a
// version 2 mapping with a reason for every choice (src/host/propose), asks about the choices it is not
// sure of (or takes every proposal with --yes), runs check-host on the result and writes the file.
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Knex } from 'knex';
import { scanHostSchema } from '../../host/schemaScan.js';
import { proposeMapping, ProposalError, type Choice, type Proposal } from '../../host/propose.js';
import { validateMapping } from '../../host/mapping.js';
import { checkHost, formatReport } from '../../host/check.js';
import { ValidationError } from '../../common/errors.js';
import type { Locale } from '../../common/localized.js';
import { CliError, localeOf, prefixOf, withDb, type CommonOptions } from '../options.js';

export interface MapOptions extends CommonOptions {
  yes?: boolean;
  out?: string;
}

/** Lines typed at the terminal (or piped in), queued so none is lost while the database is read. */
class Answers {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private closed = false;
  private readonly rl = createInterface({ input: process.stdin, terminal: false });

  constructor() {
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(line);
      } else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.waiting?.(null);
      this.waiting = null;
    });
  }

  /** The next line, or null when the input has ended. */
  next(prompt: string): Promise<string | null> {
    process.stdout.write(prompt);
    if (this.lines.length) return Promise.resolve(this.lines.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.rl.close();
  }
}

function options(choice: Choice, locale: Locale): string[] {
  const zh = locale === 'zh-CN';
  return [
    `  1) ${choice.label}  ← ${zh ? '建议' : 'proposed'}: ${choice.reason[locale]}`,
    ...choice.alternatives.map((a, i) => `  ${i + 2}) ${a.label}  — ${a.reason[locale]}`),
  ];
}

async function ask(answers: Answers, choice: Choice, locale: Locale): Promise<unknown | undefined> {
  const zh = locale === 'zh-CN';
  console.log(`\n? ${choice.question[locale]}`);
  for (const line of options(choice, locale)) console.log(line);
  const count = choice.alternatives.length + 1;
  for (;;) {
    const line = await answers.next(zh ? `选择 1-${count}（回车 = 1）：` : `Choose 1-${count} (Enter = 1): `);
    if (line === null) return undefined;
    const text = line.trim();
    if (text === '' || text === '1') return choice.value;
    const n = Number(text);
    if (Number.isInteger(n) && n >= 2 && n <= count) return choice.alternatives[n - 2]!.value;
    console.log(zh ? `  请输入 1 到 ${count} 之间的数字` : `  Type a number from 1 to ${count}`);
  }
}

/** Proposes, asks about the first unsure choice not yet answered, pins the answer, proposes again. */
async function converse(db: Knex, options: MapOptions, locale: Locale, answers: Answers | null): Promise<Proposal> {
  const schema = await scanHostSchema(db, { prefix: prefixOf(options) });
  if (schema.tables.length === 0) throw new CliError(locale === 'en' ? 'The database has no tables to map' : '数据库中没有可映射的表', 1);
  console.log(
    locale === 'en'
      ? `Read ${schema.tables.length} tables and views of the host database (${schema.client}).`
      : `已读取主机数据库（${schema.client}）的 ${schema.tables.length} 张表和视图。`,
  );
  const pins: Record<string, unknown> = {};
  const asked = new Set<string>();
  for (let round = 0; round < 100; round++) {
    const proposal = await proposeMapping(db, schema, pins);
    const open = proposal.choices.find((c) => !c.sure && !asked.has(c.field));
    if (!open || !answers) return proposal;
    asked.add(open.field);
    const value = await ask(answers, open, locale);
    if (value === undefined) {
      console.log(locale === 'en' ? '(input ended: the remaining proposals are taken as they are)' : '（输入已结束：其余按建议处理）');
      return await proposeMapping(db, schema, pins);
    }
    pins[open.field] = value;
  }
  throw new CliError('The wizard asked too many questions', 1);
}

function summary(proposal: Proposal, locale: Locale): string {
  const zh = locale === 'zh-CN';
  const lines = [zh ? '\n映射建议（每项的理由）：' : '\nThe proposed mapping, with the reason for each choice:'];
  for (const c of proposal.choices) {
    const mark = c.pinned ? '✎' : c.sure ? '✔' : '?';
    lines.push(`${mark} ${c.field} = ${c.label}`);
    lines.push(`    ${c.reason[locale]}`);
    if (c.alternatives.length) lines.push(`    ${zh ? '其他可选' : 'alternatives'}: ${c.alternatives.map((a) => a.label).join(' | ')}`);
  }
  const unsure = proposal.choices.filter((c) => !c.sure && !c.pinned).length;
  if (unsure)
    lines.push(
      zh
        ? `? 表示把握不大、按建议处理的 ${unsure} 项：请核对，或不加 --yes 重新运行来回答`
        : `? marks ${unsure} choice(s) taken as proposed without certainty: review them, or run again without --yes to answer`,
    );
  return lines.join('\n');
}

export async function mapCommand(options: MapOptions): Promise<number> {
  const locale = localeOf(options);
  const out = options.out ?? 'mapping.json';
  const answers = options.yes ? null : new Answers();
  try {
    return await withDb(options, (db) => mapWith(db, options, locale, out, answers));
  } finally {
    answers?.close();
  }
}

async function mapWith(db: Knex, options: MapOptions, locale: Locale, out: string, answers: Answers | null): Promise<number> {
  let proposal: Proposal;
  try {
    proposal = await converse(db, options, locale, answers);
  } catch (err) {
    if (err instanceof ProposalError)
      throw new CliError(
        locale === 'en'
          ? `Cannot propose a mapping: ${err.problem.en} (no table fits; write the mapping by hand, see README)`
          : `无法给出映射建议：${err.problem['zh-CN']}（没有合适的表；请参照 README 手写映射）`,
        1,
      );
    throw err;
  }
  console.log(summary(proposal, locale));
  let mapping;
  try {
    mapping = validateMapping(proposal.mapping);
  } catch (err) {
    if (err instanceof ValidationError) throw new CliError(err.fields.map((f) => `  ✘ ${f.field}: ${f.message[locale]}`).join('\n'), 1);
    throw err;
  }
  const report = await checkHost(db, mapping);
  console.log(`\n${formatReport(report, locale)}`);
  if (existsSync(out) && answers) {
    const line = await answers.next(locale === 'en' ? `${out} exists; overwrite it? [y/N] ` : `${out} 已存在，是否覆盖？[y/N] `);
    if (!/^y(es)?$/i.test((line ?? '').trim())) {
      console.log(locale === 'en' ? 'Nothing written.' : '未写入文件。');
      return 1;
    }
  }
  writeFileSync(out, `${JSON.stringify(proposal.mapping, null, 2)}\n`);
  console.log(
    locale === 'en'
      ? `\nWrote ${out}. Next: complaints check-host --mapping ${out}, then complaints install --mapping ${out}`
      : `\n已写入 ${out}。下一步：complaints check-host --mapping ${out}，然后 complaints install --mapping ${out}`,
  );
  return report.ok ? 0 : 1;
}

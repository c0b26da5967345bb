// The `complaints` command line. Each command lives in its own file under commands/.
import { Command } from 'commander';
import { CliError } from './options.js';
import { checkHostCommand } from './commands/checkHost.js';
import { installCommand } from './commands/install.js';
import { statusCommand } from './commands/status.js';
import { uninstallCommand } from './commands/uninstall.js';
import { serveCommand } from './commands/serve.js';
import { demoCommand } from './commands/demo.js';
import { collectOffset, offsetsCheckCommand, offsetsReconcileCommand } from './commands/offsets.js';
import { loadManifest } from '../manifest/manifest.js';
import { jobsRunCommand } from './commands/jobs.js';
import { mapCommand } from './commands/map.js';
import { privacyRetentionCommand } from './commands/privacy.js';
import { settingsSetCommand, settingsShowCommand } from './commands/settings.js';
import { reportsCheckCommand, reportsRebuildCommand } from './commands/reports.js';

// commander passes each command's own arguments; every action checks them itself.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Action = (...args: any[]) => Promise<number>;

/** Runs a command and turns its outcome into an exit code; CliError messages print without a stack. */
function run(action: Action) {
  return async (...args: unknown[]) => {
    try {
      process.exitCode = await action(...args);
    } catch (err) {
      if (err instanceof CliError) {
        console.error(err.message);
        process.exitCode = err.exitCode;
      } else {
        console.error(`complaints: ${(err as Error).message ?? err}`);
        process.exitCode = 1;
      }
    }
  };
}

function withCommon(command: Command): Command {
  return command
    .option('--db <url>', 'database URL: mysql://user:pass@host:3306/db or sqlite:path (env COMPLAINTS_DB_URL)')
    .option('--mapping <file>', 'host mapping JSON file (env COMPLAINTS_MAPPING)')
    .option('--prefix <prefix>', 'our table prefix (default cmp_)')
    .option('--lang <lang>', 'zh-CN (default) or en');
}

const program = new Command('complaints').description('投诉管理插件 / complaint-handling plugin for property ERPs').version(loadManifest().version);

withCommon(program.command('check-host').description('check the host mapping against the live database').option('--json', 'print the report as JSON')).action(
  run((opts) => checkHostCommand(opts)),
);
program
  .command('map')
  .description('mapping wizard: read the host database, propose a mapping with reasons, ask when unsure, check it and write the file')
  .option('--db <url>', 'database URL: mysql://user:pass@host:3306/db or sqlite:path (env COMPLAINTS_DB_URL)')
  .option('--out <file>', 'the mapping file to write (default mapping.json)')
  .option('--yes', 'take every proposal without asking (and overwrite --out)')
  .option('--prefix <prefix>', 'our table prefix, left out of the proposal (default cmp_)')
  .option('--lang <lang>', 'zh-CN (default) or en')
  .action(run((opts) => mapCommand(opts)));
withCommon(
  program
    .command('install')
    .description('install the plugin (our tables only; idempotent)')
    .option('--enforce-offsets', 'also add a trigger on the host payment table (mapping: payment) refusing offsets without an applied offset'),
).action(run((opts) => installCommand(opts, 'install')));
withCommon(program.command('upgrade').description('run pending migrations (idempotent)')).action(run((opts) => installCommand(opts, 'upgrade')));
withCommon(program.command('status').description('installed version and migrations').option('--json', 'print JSON')).action(run((opts) => statusCommand(opts)));
withCommon(
  program
    .command('uninstall')
    .description('uninstall; keeps complaint data unless --purge')
    .option('--purge', 'drop our tables and all complaint data')
    .option('--yes', 'do not ask for confirmation'),
).action(run((opts) => uninstallCommand(opts)));
withCommon(
  program
    .command('serve')
    .description('standalone HTTP service for ERPs not written in Node')
    .option('--port <port>', 'port (default 3000)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--secret <secret>', 'shared secret with the ERP (env COMPLAINTS_SECRET)')
    .option('--pool <n>', 'database connections (default 20, env COMPLAINTS_DB_POOL)')
    .option('--log-level <level>', 'JSON log level: fatal, error, warn, info (default), debug, silent (env COMPLAINTS_LOG_LEVEL)')
    .option('--attachments-dir <dir>', 'keep attachment files in this directory instead of the database (env COMPLAINTS_ATTACHMENTS_DIR)'),
).action(run((opts) => serveCommand(opts)));
program
  .command('demo')
  .description('run the embedded demo on a SQLite demo ERP')
  .option('--port <port>', 'port (default 3000)')
  .option('--host <host>', 'address to bind (default 127.0.0.1)')
  .option('--data <dir>', 'data folder (default ./data)')
  .action(run((opts) => demoCommand(opts)));

const offsets = program.command('offsets').description('fee offsets (抵扣): the billing check and reconciliation');
withCommon(
  offsets
    .command('check')
    .description('may these offsets reduce this bill? exit 0 when all are allowed, 1 otherwise (complaints only warn)')
    .requiredOption('--bill <id>', 'the host bill id')
    .option('--offset <id:amount>', 'an offset and the amount in yuan to use, e.g. 7:120.50 (repeatable)', collectOffset, [])
    .option('--json', 'print the check as JSON'),
).action(run((opts) => offsetsCheckCommand(opts)));
withCommon(
  offsets
    .command('reconcile')
    .description(
      'prove approved = applied − reversed + remaining + revoked for every offset, and ledger = applications ≤ bill amount for every bill; exit 1 on any mismatch',
    )
    .option('--json', 'print the report as JSON'),
).action(run((opts) => offsetsReconcileCommand(opts)));

const reports = program.command('reports').description('the period report (总结改进): its summary table');
withCommon(
  reports
    .command('rebuild')
    .description('recount the report summary of every complaint from the source tables (after data was written around the plugin); audited')
    .option('--json', 'print JSON'),
).action(run((opts) => reportsRebuildCommand(opts)));
withCommon(
  reports
    .command('check')
    .description('compare the report summary with a recount and print every difference; exit 1 when they differ; audited')
    .option('--json', 'print JSON'),
).action(run((opts) => reportsCheckCommand(opts)));

const jobs = program.command('jobs').description('scheduled jobs');
withCommon(
  jobs
    .command('run <name>')
    .description('run one job by hand now (escalate, deadlines, follow-ups, expire-offsets, daily-digest, privacy-retention, purge)')
    .option('--json', 'print JSON'),
).action(run((name: string, opts) => jobsRunCommand(opts, name)));

const privacy = program.command('privacy').description("owners' personal information (PIPL)");
withCommon(
  privacy
    .command('retention')
    .description('anonymise complaints past their retention period (settings privacy.personalDataYears / accountingYears); audited')
    .option('--dry-run', 'list what would change and change nothing')
    .option('--json', 'print JSON'),
).action(run((opts) => privacyRetentionCommand(opts)));

const settings = program.command('settings').description('the plugin settings (what the settings page edits, and the operations ones)');
withCommon(settings.command('show').description('print every setting (secrets as ***)').option('--json', 'print JSON')).action(
  run((opts) => settingsShowCommand(opts)),
);
withCommon(
  settings
    .command('set <assignments...>')
    .description('change settings: KEY=VALUE (JSON values, e.g. metricsEnabled=true escalationDays=20 webhookUrl=https://…); validated and audited'),
).action(run((assignments: string[], opts) => settingsSetCommand(opts, assignments)));

await program.parseAsync(process.argv);

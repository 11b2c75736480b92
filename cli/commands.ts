import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { describeError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import { parseConfig } from '#shared/model/config';
import { SEVERITIES, type Severity } from '#shared/model/finding';
import type { CatalogueRule, RuleMeta } from '#shared/rules/types';
import { parseTargetTags, readJsonOption } from './options';
import { type PiiMode, replay } from './replay';

const REPLAY_USAGE = `Usage: ssm-sentinel replay <file|dir|->... [--json] [--flat] [--fail-on SEVERITY] [--config FILE]
                           [--target-tags FILE] [--pii local|comprehend|off] [--html FILE] [--stats]

Reads CloudTrail log files ({"Records":[...]}), bare CloudTrail records (object, array, JSON Lines),
EventBridge events, CloudWatch Logs subscription payloads, streaming session-log JSON Lines and raw
session logs (S3 / non-streaming, PowerShell transcripts); .gz, directories (recursive), pipes and
stdin (-) too.
  --json          one Finding per line on stdout, nothing else there (summary on stderr)
  --flat          the table one line per finding, highest severity first (default: grouped by
                  session, each session's findings in time order, then the rest by principal)
  --fail-on SEV   exit 1 if a finding is at or above SEV (${SEVERITIES.join(', ')})
  --config FILE   the same configuration as the stack (JSON)
  --target-tags F target tags offline: {"i-0abc...": {"Environment": "prod"}}
  --pii MODE      local (default, offline detector) | comprehend (AWS credential chain) | off
  --html FILE     also write a self-contained HTML report (counts, timeline, one card per session,
                  filters; evidence masked; opens offline)
  --stats         print timing and peak memory as JSON on stderr at the end
  -h, --help      this help
Exit codes: 0 ok, 1 --fail-on matched, 2 bad input or usage (other files are still processed).`;

const RULES_USAGE = `Usage: ssm-sentinel rules [--json]

Lists the detection catalogue as the README's markdown table: id, default severity, category, title
and MITRE ATT&CK techniques.
  --json          one rule per line as JSON (with its playbook, references and routed CloudTrail calls)
  -h, --help      this help`;

const DOCTOR_USAGE = `Usage: ssm-sentinel doctor [--region R] [--config FILE]

Checks a deployed account (trail logging, preferences streaming to the monitored group, subscription,
rules) and prints what to fix. Uses the usual AWS credential chain.
  --region R      region to check (default AWS_REGION)
  --config FILE   the configuration the stack was deployed with
  -h, --help      this help
Exit codes: 0 every check passed, 1 a check failed, 2 usage.`;

const TEST_ALERT_USAGE = `Usage: ssm-sentinel test-alert [--region R] [--config FILE] [--bus NAME] [--severity SEVERITY]

Puts a clearly labelled sample finding on the deployed findings bus to check the alert path.
  --region R      region of the stack (default AWS_REGION)
  --config FILE   the configuration the stack was deployed with (resource prefix)
  --bus NAME      findings bus name (default <resourcePrefix>-findings)
  --severity SEV  ${SEVERITIES.join(', ')} (default HIGH)
  -h, --help      this help`;

const USAGE = `Usage:
  ssm-sentinel replay <file|dir|->... [options]   replay CloudTrail and session logs offline
  ssm-sentinel rules [--json]                      the detection catalogue
  ssm-sentinel doctor [--region R] [--config FILE] check a deployed account
  ssm-sentinel test-alert [--region R] [...]       send a sample finding through the alert path
  ssm-sentinel <command> --help                    options of a command
  ssm-sentinel --version`;

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP: Options = { help: { type: 'boolean', short: 'h' } };
const AWS_OPTIONS: Options = { ...HELP, region: { type: 'string' }, config: { type: 'string' } };

const COMMANDS: Record<string, { usage: string; options: Options; positionals?: boolean }> = {
  replay: {
    usage: REPLAY_USAGE,
    positionals: true,
    options: {
      ...HELP,
      json: { type: 'boolean' },
      flat: { type: 'boolean' },
      'fail-on': { type: 'string' },
      config: { type: 'string' },
      'target-tags': { type: 'string' },
      pii: { type: 'string' },
      stats: { type: 'boolean' },
      html: { type: 'string' },
    },
  },
  rules: { usage: RULES_USAGE, options: { ...HELP, json: { type: 'boolean' } } },
  doctor: { usage: DOCTOR_USAGE, options: AWS_OPTIONS },
  'test-alert': {
    usage: TEST_ALERT_USAGE,
    options: { ...AWS_OPTIONS, bus: { type: 'string' }, severity: { type: 'string' } },
  },
};

type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Where a command writes; the process streams in main.ts, buffers in tests. */
export interface CommandIO {
  /** May return a promise (back-pressure of a piped stdout). */
  out(s: string): void | Promise<void>;
  err(s: string): void;
  /** Standard input, touched only when `-` is read. */
  stdin?: () => Readable;
  /** stderr is a terminal: replay draws a progress line. */
  progress?: boolean;
  /** Terminal width for the table. */
  width?: number;
}

/** `ssm-sentinel <argv>`: the exit code (0 ok, 1 --fail-on matched or a doctor check failed, 2 usage or input). */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    const spec = topic !== undefined ? COMMANDS[topic] : undefined;
    await io.out(`${spec ? spec.usage : USAGE}\n`);
    return 0;
  }
  if (command === '--version') {
    await io.out(`${version()}\n`);
    return 0;
  }
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!spec) {
    io.err(`ssm-sentinel: unknown command ${field(command, 60)}\n${USAGE}\n`);
    return 2;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: spec.options,
      allowPositionals: spec.positionals === true,
      strict: true,
    }));
  } catch (e) {
    return usageError(io, command, argsProblem(e));
  }
  if (values.help) {
    await io.out(`${spec.usage}\n`);
    return 0;
  }
  if (command === 'replay') return runReplay(io, values, positionals);
  if (command === 'rules') return printRules(io, values.json === true);
  const { runAwsCommand } = await import('./aws-commands');
  return runAwsCommand(command as 'doctor' | 'test-alert', values, io);
}

function usageError(io: CommandIO, command: string, problem: string): number {
  io.err(`ssm-sentinel ${command}: ${problem}\n(ssm-sentinel ${command} --help shows the options)\n`);
  return 2;
}

/** parseArgs errors quote the argument: name the option (a field) and the problem, nothing else. */
function argsProblem(e: unknown): string {
  const { code, message } = e as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const name = field(/^(?:Unknown option|Option) '(-{1,2}[\w-]{1,40})/.exec(text)?.[1] ?? 'option', 60);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${name}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return text.includes('does not take') ? `${name} takes no value` : `${name} needs a value`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'takes no file or other argument';
  return describeError(e);
}

/** The package version, read next to the CLI so it works from a fresh clone (cli/bin.js). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

async function runReplay(io: CommandIO, values: Values, positionals: string[]): Promise<number> {
  // Replay is a long streaming job: trade some speed for a small heap (npm run bench measures both:
  // replayPeakRssMB and the replay rate).
  setFlagsFromString('--optimize-for-size');
  if (positionals.length === 0)
    return usageError(io, 'replay', 'give at least one file, directory or - (stdin)');
  const failOn = typeof values['fail-on'] === 'string' ? values['fail-on'].toUpperCase() : undefined;
  if (failOn !== undefined && !(SEVERITIES as readonly string[]).includes(failOn))
    return usageError(io, 'replay', `--fail-on must be one of ${SEVERITIES.join(', ')}`);
  const pii = (values.pii ?? 'local') as PiiMode;
  if (!['local', 'comprehend', 'off'].includes(pii))
    return usageError(io, 'replay', '--pii must be local, comprehend or off');
  let config: ReturnType<typeof parseConfig>;
  let targetTags: Record<string, Record<string, string>> = {};
  try {
    const configFile = values.config as string | undefined;
    config = parseConfig(configFile ? await readJsonOption(configFile, '--config') : {});
    const tagsFile = values['target-tags'] as string | undefined;
    if (tagsFile) targetTags = parseTargetTags(await readJsonOption(tagsFile, '--target-tags'));
  } catch (e) {
    const prefix =
      e instanceof Error && e.name === 'ConfigError' ? `--config ${field(String(values.config), 200)}: ` : '';
    io.err(`ssm-sentinel replay: ${prefix}${describeError(e)}\n`);
    return 2;
  }
  const result = await replay(
    {
      paths: positionals,
      json: values.json === true,
      flat: values.flat === true,
      failOn: failOn as Severity | undefined,
      config,
      targetTags,
      pii,
      stats: values.stats === true,
      ...(typeof values.html === 'string' ? { html: values.html } : {}),
    },
    {
      out: io.out,
      err: io.err,
      progress: io.progress === true,
      width: io.width,
      stdin: io.stdin,
    },
  );
  return result.exitCode;
}

/** A rule's metadata and routes: its matcher, patterns and examples are code, not output. */
function ruleJson(r: CatalogueRule | RuleMeta): Record<string, unknown> {
  const { id, category, severity, title, description, playbook, references } = r;
  const routes = 'routes' in r ? r.routes : undefined;
  return { id, category, severity, title, description, playbook, references, routes };
}

/** The detection catalogue as a markdown table (the README's rule table), or JSON lines with --json. */
async function printRules(io: CommandIO, json: boolean): Promise<number> {
  const { ALL_RULES } = await import('#shared/rules/index');
  if (json) {
    for (const r of ALL_RULES) await io.out(`${JSON.stringify(ruleJson(r))}\n`);
    return 0;
  }
  const { rulesTable } = await import('./table');
  await io.out(rulesTable(ALL_RULES));
  return 0;
}

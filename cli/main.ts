import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, parseConfig } from '../shared/model/config';
import { SEVERITIES, type Severity } from '../shared/model/finding';
import { describe } from './input';
import { type PiiMode, replay } from './replay';

const USAGE = `Usage:
  ssm-sentinel replay <file|dir>... [--json] [--fail-on SEVERITY] [--config FILE] [--target-tags FILE]
                                    [--pii local|comprehend|off] [--stats]
  ssm-sentinel rules [--json]
  ssm-sentinel doctor [--region R] [--config FILE]
  ssm-sentinel test-alert [--region R] [--config FILE] [--bus NAME] [--severity SEVERITY]

replay reads CloudTrail log files ({"Records":[...]}), bare CloudTrail records (object, array, JSON Lines),
EventBridge events, CloudWatch Logs subscription payloads, streaming session-log JSON Lines and raw
session logs (S3 / non-streaming, PowerShell transcripts); .gz and directories (recursive) too.
  --json          one Finding per line on stdout, nothing else there (summary on stderr)
  --fail-on SEV   exit 1 if a finding is at or above SEV (${SEVERITIES.join(', ')})
  --config FILE   the same configuration as the stack (JSON)
  --target-tags F target tags offline: {"i-0abc...": {"Environment": "prod"}}
  --pii MODE      local (default, offline detector) | comprehend (AWS credential chain) | off
  --stats         print timing and peak memory as JSON on stderr at the end
Exit codes: 0 ok, 1 --fail-on matched, 2 bad input or usage (other files are still processed).

doctor checks a deployed account (trail logging, preferences streaming to the monitored group,
subscription, rules) and prints what to fix; exit 1 when a check fails. test-alert puts a sample
finding on the deployed findings bus. Both use the usual AWS credential chain.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === 'replay') return runReplay(rest);
  if (command === 'rules') return printRules(rest.includes('--json'));
  if (command === 'doctor' || command === 'test-alert') {
    const { runAwsCommand } = await import('./aws-commands');
    return runAwsCommand(command, rest);
  }
  process.stderr.write(`ssm-sentinel: unknown command "${command}"\n${USAGE}\n`);
  return 2;
}

async function runReplay(args: string[]): Promise<number> {
  // Replay is a long streaming job: trade some speed for a small heap. Measured on a 1 GiB archive
  // (npm run bench, replayPeakRssMB): default GC heuristics peaked at 304 MB (51 MiB/s), with this
  // flag 178 MB (30 MiB/s).
  setFlagsFromString('--optimize-for-size');
  let parsed: ReturnType<typeof parseReplayArgs>;
  try {
    parsed = parseReplayArgs(args);
  } catch (e) {
    process.stderr.write(`ssm-sentinel replay: ${describe(e)}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    process.stderr.write('ssm-sentinel replay: give at least one file or directory\n');
    return 2;
  }
  const failOn = values['fail-on']?.toUpperCase();
  if (failOn !== undefined && !(SEVERITIES as readonly string[]).includes(failOn)) {
    process.stderr.write(`ssm-sentinel replay: --fail-on must be one of ${SEVERITIES.join(', ')}\n`);
    return 2;
  }
  const pii = (values.pii ?? 'local') as PiiMode;
  if (!['local', 'comprehend', 'off'].includes(pii)) {
    process.stderr.write('ssm-sentinel replay: --pii must be local, comprehend or off\n');
    return 2;
  }
  let config: ReturnType<typeof parseConfig>;
  let targetTags: Record<string, Record<string, string>> = {};
  try {
    config = parseConfig(values.config ? await readJson(values.config, '--config') : {});
    if (values['target-tags']) targetTags = parseTags(await readJson(values['target-tags'], '--target-tags'));
  } catch (e) {
    const prefix = e instanceof ConfigError ? `${values.config}: ` : '';
    process.stderr.write(`ssm-sentinel replay: ${prefix}${describe(e)}\n`);
    return 2;
  }
  const result = await replay(
    {
      paths: positionals,
      json: values.json ?? false,
      failOn: failOn as Severity | undefined,
      config,
      targetTags,
      pii,
      stats: values.stats ?? false,
    },
    {
      // Respect back-pressure: stdout to a pipe is asynchronous and would buffer without bound.
      out: (s) => (process.stdout.write(s) ? undefined : once(process.stdout, 'drain').then(() => undefined)),
      err: (s) => process.stderr.write(s),
      progress: process.stderr.isTTY === true,
      width: process.stdout.columns || 200,
    },
  );
  return result.exitCode;
}

/** The detection catalogue: id, category, default severity and title (playbooks with --json). */
async function printRules(json: boolean): Promise<number> {
  const { ALL_RULES } = await import('../shared/rules');
  if (json) {
    for (const r of ALL_RULES) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  const w = Math.max(...ALL_RULES.map((r) => r.id.length));
  for (const r of ALL_RULES) {
    process.stdout.write(
      `${r.id.padEnd(w)}  ${r.severity.padEnd(13)}  ${r.category.padEnd(21)}  ${r.title}\n`,
    );
  }
  return 0;
}

function parseReplayArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'fail-on': { type: 'string' },
      config: { type: 'string' },
      'target-tags': { type: 'string' },
      pii: { type: 'string' },
      stats: { type: 'boolean' },
    },
  });
}

async function readJson(file: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${flag} ${file}: cannot read the file`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${flag} ${file}: invalid JSON (${describe(e)})`);
  }
}

function parseTags(v: unknown): Record<string, Record<string, string>> {
  const bad = () => new Error('--target-tags must map target ids to {"TagKey": "value"} objects');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad();
  const out: Record<string, Record<string, string>> = {};
  for (const [target, tags] of Object.entries(v)) {
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw bad();
    out[target] = Object.fromEntries(Object.entries(tags).map(([k, val]) => [k, String(val)]));
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Last resort: never a stack trace for users.
    process.stderr.write(`ssm-sentinel: ${describe(e)}\n`);
    process.exitCode = 2;
  },
);

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cloudTrailRecord, type Json, rawLog, ruleCases, SESSIONS } from '../helpers/inputs';
import { nested } from '../helpers/malformed';
import { crashTrace, ESCAPES, PLANTS, unsafeCharAt } from '../helpers/plant';
import { useScratch } from '../helpers/replay';

/**
 * The real CLI, spawned (`node cli/bin.js replay …`, ~0.7 s each, so only 5 of them): what the user
 * sees on stderr when V8 itself prints (a stack overflow in a promise callback, an out-of-memory
 * abort) can only be seen from outside. Checks: no V8 dump or stack trace, no planted value, bad
 * configuration and target tags refused cleanly, bounded memory (a small --max-old-space-size), and
 * a 1 MiB line finishing in seconds with the findings after it.
 */

const ROOT = join(import.meta.dirname, '../../..');
const scratch = useScratch('bin');

interface Spawned {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function spawnCli(args: string[], opts: { node?: string[]; timeoutMs?: number } = {}): Promise<Spawned> {
  const timeout = opts.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(opts.node ?? []), join(ROOT, 'cli/bin.js'), ...args],
      { cwd: ROOT, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: string; killed?: boolean }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut: Boolean(e?.killed && e.signal === 'SIGTERM'),
        });
      },
    );
  });
}

const needles = PLANTS.flatMap((p) => p.needles);
const leaked = (text: string) => needles.filter((n) => text.includes(n));

const attacker = cloudTrailRecord('attacker');
const forward = ruleCases().find((c) => c.name.startsWith('session-port-forward-remote-host'))!.record;
const findingsOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) =>
        JSON.parse(l) as {
          sessionId?: string;
          ruleId: string;
          category: string;
          evidence: { kind: string }[];
        },
    );
const sessionOf = (r: Json) => (r.responseElements as { sessionId: string }).sessionId;

describe('ssm-sentinel replay, spawned', () => {
  it('a folder of malformed files: no V8 dump or stack trace, nothing planted on stderr, good files still read', async () => {
    const good = JSON.stringify(forward);
    const planted = {
      ...attacker,
      eventTime: PLANTS[0]!.text,
      userAgent: PLANTS[3]!.text,
      errorCode: PLANTS[6]!.text,
    };
    const dir = scratch.dir({
      'a-deep.json': nested(5000),
      'b-deep.jsonl': [JSON.stringify(attacker), nested(5000), good].join('\n'),
      'c-open-brackets.json': '['.repeat(5000),
      'd-binary.bin': Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b, 0]),
      'e-bom.json': `\ufeff${JSON.stringify({ Records: [attacker] })}`,
      'f-truncated.json': good.slice(0, 200),
      'g-planted.jsonl': [JSON.stringify(planted), ...PLANTS.map((p) => `{"eventTime":"${p.text}"`)].join(
        '\n',
      ),
      // A bad file whose name carries escape sequences: its error line must not carry them.
      [`h-${ESCAPES}.json`]: '{"oops":',
      'i-gz-deep.json.gz': gzipSync(nested(5000)),
    });
    const r = await spawnCli(['replay', '--json', dir]);
    expect.soft(r.timedOut, 'finished').toBe(false);
    expect.soft(crashTrace(r.stderr), 'no V8 dump or stack trace on stderr').toBeUndefined();
    expect.soft(leaked(r.stderr), 'no planted value on stderr').toEqual([]);
    expect.soft(unsafeCharAt(r.stderr), 'no control characters on stderr').toBeUndefined();
    expect.soft(r.code, 'exit code 2 (bad input)').toBe(2);
    const sessions = new Set(findingsOf(r.stdout).map((f) => f.sessionId));
    // The good record after the deep line (nowhere else), and the BOM file.
    expect.soft(sessions.has(sessionOf(forward)), 'good records still processed').toBe(true);
    expect.soft(sessions.has(sessionOf(attacker)), 'BOM file read').toBe(true);
    for (const name of [
      'a-deep.json',
      'c-open-brackets.json',
      'd-binary.bin',
      'f-truncated.json',
      'g-planted.jsonl',
    ]) {
      expect
        .soft(r.stderr, `an error line for ${name}`)
        .toMatch(new RegExp(`error: [^\\n]*${name.replace('.', '\\.')}`));
    }
  }, 60_000);

  it('--config with a planted value in every key is refused, naming keys but no value', async () => {
    const [key, lookalike, secret, visa, mc, ssn, email, token, jwt, url] = PLANTS.map((p) => p.text);
    const config = {
      trustedCidrs: [key],
      businessHours: { timezone: email, days: [ssn], start: visa, end: jwt },
      productionTags: { Environment: token },
      sensitivePorts: [url],
      requireReasonOnProduction: secret,
      severityOverrides: { 'session-start-shell': mc },
      accessDenied: { burstThreshold: lookalike },
      pii: { minScore: key, typeSeverity: { SSN: ssn }, languageCode: email },
      alerts: { emails: [url], minSeverity: jwt, slackWebhookSecretName: 5 },
      autoTerminate: { enabled: email, exemptPrincipals: [7], maxPerHour: token },
      stack: { regions: [key], homeRegion: 5, runAsUser: [visa] },
    };
    const file = scratch.file('config.json', JSON.stringify(config));
    const input = scratch.file('record.json', JSON.stringify(attacker));
    const r = await spawnCli(['replay', '--config', file, input]);
    expect.soft(r.code, 'refused with exit 2').toBe(2);
    expect.soft(r.stderr).toMatch(/config/i);
    expect.soft(r.stderr, 'names a key').toMatch(/trustedCidrs|businessHours|sensitivePorts/);
    expect.soft(leaked(r.stderr + r.stdout), 'no planted value').toEqual([]);
    expect.soft(crashTrace(r.stderr)).toBeUndefined();
    expect.soft(unsafeCharAt(r.stderr)).toBeUndefined();
  }, 60_000);

  it('--target-tags with planted and non-string values: refused or used, never echoed', async () => {
    const target = (attacker.requestParameters as { target: string }).target;
    const tags = {
      [target]: {
        Environment: { nested: PLANTS[0]!.text },
        Owner: PLANTS[6]!.text,
        Cost: 42,
        Card: [PLANTS[3]!.text],
        [`Esc${ESCAPES}`]: PLANTS[8]!.text,
      },
      [PLANTS[0]!.text]: { Environment: 'prod' },
    };
    const file = scratch.file('tags.json', JSON.stringify(tags));
    const input = scratch.file('record.json', JSON.stringify(attacker));
    const r = await spawnCli(['replay', '--json', '--target-tags', file, input]);
    expect.soft([0, 2], 'exit 0 (used) or 2 (refused)').toContain(r.code);
    expect.soft(leaked(r.stderr + r.stdout), 'no planted value').toEqual([]);
    expect.soft(r.stdout + r.stderr).not.toContain('[object Object]');
    expect.soft(crashTrace(r.stderr)).toBeUndefined();
    expect.soft(unsafeCharAt(r.stderr)).toBeUndefined();
  }, 60_000);

  it('bounded memory: a 6 MB transcript full of personal data and a 20 000-record .gz archive with a 96 MB heap', async () => {
    const pii = readFileSync(join(SESSIONS, 'pii-leak', 'streaming.jsonl'), 'utf8').trimEnd();
    const copies = Math.ceil((6 * 1024 * 1024) / pii.length);
    const transcript = scratch.file('big.jsonl', `${Array(copies).fill(pii).join('\n')}\n`);
    const records = Array.from({ length: 20_000 }, (_, i) => ({
      ...attacker,
      eventID: `m-${i}`,
      responseElements: {
        ...(attacker.responseElements as object),
        sessionId: `mallory-${i.toString(36).padStart(17, '0')}`,
      },
    }));
    const archive = scratch.file('archive.json.gz', gzipSync(JSON.stringify({ Records: records })));
    const r = await spawnCli(['replay', '--json', '--stats', transcript, archive], {
      node: ['--max-old-space-size=96'],
      timeoutMs: 50_000,
    });
    expect.soft(r.timedOut, 'finished').toBe(false);
    expect.soft(r.stderr).not.toMatch(/heap out of memory|Allocation failed/);
    expect.soft(crashTrace(r.stderr), 'no V8 dump or internal error').toBeUndefined();
    expect.soft(r.code, 'exit 0: no input error').toBe(0);
    const findings = findingsOf(r.stdout);
    expect
      .soft(
        findings.some((f) => f.category === 'pii'),
        'personal-data findings',
      )
      .toBe(true);
    expect.soft(findings.filter((f) => f.ruleId === 'session-start-shell').length).toBe(20_000);
    expect.soft(r.stderr).not.toMatch(/scan failed/);
  }, 60_000);

  it('a 1 MiB single line finishes in seconds and the command after it is still found', async () => {
    // A raw S3 log as the agent writes it (script header first), then the long line and a command.
    const header = rawLog('attacker').text.split('\n', 1)[0]!;
    const log = scratch.file(
      'mallory-longline.log',
      `${header}\n$ ${'a'.repeat(1024 * 1024)}\nsh-5.2$ cat /etc/shadow\n`,
    );
    const r = await spawnCli(['replay', '--json', log], { timeoutMs: 30_000 });
    expect.soft(r.timedOut, 'finished within 30 s').toBe(false);
    expect.soft(crashTrace(r.stderr)).toBeUndefined();
    expect
      .soft(findingsOf(r.stdout).some((f) => f.evidence.some((e) => e.kind === 'SHADOW_READ')))
      .toBe(true);
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/commands';

const CT = 'test/fixtures/cloudtrail/attacker-cloudtrail.json';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

function file(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-cli-'));
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

describe('help, version and usage', () => {
  it.each(['replay', 'rules', 'doctor', 'test-alert'])(
    '%s --help prints its usage and exits 0',
    async (cmd) => {
      for (const flag of ['--help', '-h']) {
        const r = await cli(cmd, flag);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(new RegExp(`^Usage: ssm-sentinel ${cmd} `));
        expect(r.err).toBe('');
      }
      expect((await cli('help', cmd)).out).toMatch(new RegExp(`^Usage: ssm-sentinel ${cmd} `));
    },
  );

  it.each([['replay', CT], ['rules'], ['doctor'], ['test-alert']])(
    '%s refuses an unknown option with exit 2',
    async (...args) => {
      const r = await cli(...args, '--bogus');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toContain(`ssm-sentinel ${args[0]}: unknown option --bogus`);
    },
  );

  it('prints the package version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
  });

  it('reports usage problems on stderr with exit 2, naming the option, never echoing the value', async () => {
    expect(await cli()).toMatchObject({ code: 2, out: '' });
    expect((await cli('replay', '--fail-on')).err).toContain('--fail-on needs a value');
    expect((await cli('replay', '--json=yes', CT)).err).toContain('--json takes no value');
    expect((await cli('rules', 'extra')).err).toContain('takes no file or other argument');
    expect((await cli('replay')).err).toContain('give at least one file');
    const weird = await cli('repl\u001b[2Jay');
    expect(weird.code).toBe(2);
    expect(weird.err).not.toContain('\u001b');
    const sev = await cli('replay', '--fail-on', 'AKIAQ2WX7RZLM3KD5TPV', CT);
    expect(sev.code).toBe(2);
    expect(sev.err).not.toContain('AKIA');
  });

  it('prints the rule catalogue', async () => {
    const table = await cli('rules');
    expect(table.code).toBe(0);
    const json = await cli('rules', '--json');
    const rules = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) expect(table.out).toContain(r.id);
  });
});

describe('replay options', () => {
  it('prints the table grouped by session, or one line per finding with --flat', async () => {
    const grouped = await cli('replay', CT);
    expect(grouped.code).toBe(0);
    expect(grouped.out).toMatch(/^ {2}SEVERITY +CATEGORY +TIME \(UTC\) +WHAT\n/);
    expect(grouped.out).toContain('\n[INFORMATIONAL] session mallory-g7ob4wkz5r5f6ky4ng257scvtx · mallory');
    const flat = await cli('replay', '--flat', CT);
    expect(flat.code).toBe(0);
    expect(flat.out).toMatch(/^SEVERITY +CATEGORY +PRINCIPAL +TARGET +SESSION +WHAT\n/);
    expect(flat.out).not.toContain('[INFORMATIONAL]');
    // --json is the contract: --flat changes nothing there.
    expect((await cli('replay', '--json', '--flat', CT)).out).toBe((await cli('replay', '--json', CT)).out);
    expect((await cli('replay', '--help')).out).toContain('--flat');
    expect((await cli('replay', '--help')).out).toContain('--html FILE');
    const html = join(mkdtempSync(join(tmpdir(), 'sentinel-cli-')), 'r.html');
    const withHtml = await cli('replay', '--json', '--html', html, CT);
    expect(withHtml.out).toBe((await cli('replay', '--json', CT)).out);
    expect(readFileSync(html, 'utf8')).toContain('Content-Security-Policy');
    expect((await cli('replay', CT, '--html')).err).toContain('--html needs a value');
    expect((await cli('replay', '--flat=yes', CT)).err).toContain('--flat takes no value');
  });

  it('refuses a non-string target tag value, naming the key, not the value', async () => {
    const tags = file('tags.json', JSON.stringify({ 'i-1': { Env: { x: 'AKIAQ2WX7RZLM3KD5TPV' } } }));
    const r = await cli('replay', '--target-tags', tags, CT);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--target-tags: tag Env of target i-1 must be a string');
    expect(r.err).not.toContain('AKIA');
    expect(r.err).not.toContain('[object Object]');
  });

  it('names the configuration file and key of a bad configuration', async () => {
    const config = file('config.json', JSON.stringify({ trustedCidrs: ['nope'] }));
    const r = await cli('replay', '--config', config, CT);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--config .*config\.json: .*trustedCidrs/);
    expect(r.err).not.toContain('nope');
  });
});

describe('doctor and test-alert', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('need a region', async () => {
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    for (const cmd of ['doctor', 'test-alert']) {
      const r = await cli(cmd);
      expect(r).toMatchObject({ code: 2, err: `ssm-sentinel ${cmd}: give --region or set AWS_REGION\n` });
    }
    const sev = await cli('test-alert', '--region', 'eu-west-1', '--severity', 'nope');
    expect(sev).toMatchObject({ code: 2, err: expect.stringContaining('--severity must be one of') });
  });
});

describe('the ssm-sentinel process', () => {
  const exec = promisify(execFile);
  it('runs from cli/bin.js: --version, stdin, a pipe and process substitution, empty stdin', async () => {
    // Four processes at once (each start costs most of a second), outputs gathered in order.
    const script = [
      'd=$(mktemp -d)',
      'node cli/bin.js --version > $d/1 &',
      `cat ${CT} | node cli/bin.js replay --json - | wc -l > $d/2 &`,
      `node cli/bin.js replay --json <(cat ${CT}) | wc -l > $d/3 &`,
      '{ : | node cli/bin.js replay - ; echo "rc=$?"; } > $d/4 2>&1 &',
      'wait',
      'cat $d/1 $d/2 $d/3 $d/4',
    ].join('\n');
    const { stdout } = await exec('bash', ['-c', script]);
    const [version, piped, substituted, ...empty] = stdout.trim().split('\n');
    expect(version).toBe(VERSION);
    expect(Number(piped)).toBeGreaterThan(0);
    expect(Number(substituted)).toBe(Number(piped));
    expect(empty).toContain('error: stdin: empty input');
    expect(empty.at(-1)).toBe('rc=2');
    expect(empty.join('\n')).not.toContain('No findings');
  });
});

import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { replay } from '../../cli/replay';
import { DEFAULT_CONFIG, parseConfig } from '../../shared/model/config';
import { type Finding, FindingSchema } from '../../shared/model/finding';

const CT = 'test/fixtures/cloudtrail';
const SESSIONS = 'test/fixtures/sessions';

async function run(paths: string[], extra: Partial<Parameters<typeof replay>[0]> = {}) {
  let out = '';
  let err = '';
  const result = await replay(
    { paths, json: true, config: DEFAULT_CONFIG, targetTags: {}, pii: 'local', stats: false, ...extra },
    {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
      progress: false,
    },
  );
  const findings =
    extra.json === false
      ? []
      : out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Finding);
  return { ...result, out, err, findings };
}

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'sentinel-replay-'));
}

describe('replay', () => {
  it('prints only valid Findings, one per line, with --json', async () => {
    const r = await run([join(CT, 'attacker-cloudtrail.json'), join(SESSIONS, 'attacker', 'subscription')]);
    expect(r.exitCode).toBe(0);
    expect(r.findings.length).toBeGreaterThan(5);
    for (const f of r.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    expect(r.err).toMatch(/findings?: .*CRITICAL/);
  });

  it('enriches transcript findings with the StartSession of the same session, whatever the file order', async () => {
    const r = await run([
      join(SESSIONS, 'attacker', 'streaming.jsonl'),
      join(CT, 'attacker-eventbridge.json'),
    ]);
    const t = r.findings.filter((f) => f.source === 'transcript');
    expect(t.length).toBeGreaterThan(0);
    for (const f of t) {
      expect(f.principal?.arn).toBe('arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory');
      expect(f.sourceIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(f.sessionKind).toBeTruthy();
    }
  });

  it('reports each bad file and record on one line, exits 2 and still processes the rest', async () => {
    const dir = tempDir();
    const good = JSON.parse(readFileSync(join(CT, 'attacker-cloudtrail.json'), 'utf8'));
    writeFileSync(join(dir, 'a-truncated.json'), '{"Records":[{"eventVersion":"1.08",');
    writeFileSync(join(dir, 'b-empty.json'), '');
    writeFileSync(join(dir, 'c-binary.bin'), Buffer.from([0, 1, 2, 3, 0xff, 0, 0x10]));
    writeFileSync(
      join(dir, 'd-mixed.jsonl'),
      [JSON.stringify({ eventName: 42, userIdentity: 'x' }), '{oops', JSON.stringify(good)].join('\n'),
    );
    writeFileSync(
      join(dir, 'e-invalid-utf8.json'),
      Buffer.concat([Buffer.from('{"eventName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    );
    writeFileSync(join(dir, 'f-huge.json'), JSON.stringify({ ...good, eventName: 'x'.repeat(5_000_000) }));
    copyFileSync(join(CT, 'panther-start-session-sso.json'), join(dir, 'g-panther.json'));
    const r = await run([dir, join(dir, 'missing.json')]);
    expect(r.exitCode).toBe(2);
    const lines = r.err.split('\n').filter((l) => l.startsWith('error: '));
    expect(lines.some((l) => l.includes('a-truncated.json') && l.includes('truncated'))).toBe(true);
    expect(lines.some((l) => l.includes('b-empty.json') && l.includes('empty'))).toBe(true);
    expect(lines.some((l) => l.includes('c-binary.bin'))).toBe(true);
    expect(lines.some((l) => l.includes('d-mixed.jsonl: record 1'))).toBe(true);
    expect(lines.some((l) => l.includes('d-mixed.jsonl: record 2') && l.includes('invalid JSON'))).toBe(true);
    expect(lines.some((l) => l.includes('missing.json'))).toBe(true);
    expect(r.err).not.toMatch(/\n\s+at /); // never a stack trace
    // The good record in the mixed file and the Panther record (odd eventTime) were still classified.
    expect(r.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
    expect(r.findings.some((f) => f.sessionId?.startsWith('bobson.dugnutt'))).toBe(true);
  });

  it('reads gzipped CloudTrail log files and directories recursively', async () => {
    const dir = tempDir();
    const record = JSON.parse(readFileSync(join(CT, 'attacker-cloudtrail.json'), 'utf8'));
    writeFileSync(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: [record] })));
    const r = await run([dir]);
    expect(r.exitCode).toBe(0);
    expect(r.findings.some((f) => f.sessionId === record.responseElements.sessionId)).toBe(true);
  });

  it('exits 1 with --fail-on at or below the worst finding, 0 above it', async () => {
    const file = join(CT, 'attacker-cloudtrail.json');
    expect((await run([file], { failOn: 'INFORMATIONAL' })).exitCode).toBe(1);
    expect((await run([file], { failOn: 'CRITICAL' })).exitCode).toBe(0);
  });

  it('uses the configuration and offline target tags', async () => {
    const file = join(CT, 'attacker-cloudtrail.json');
    const target = JSON.parse(readFileSync(file, 'utf8')).requestParameters.target as string;
    const config = parseConfig({ requireReasonOnProduction: true, trustedCidrs: ['10.0.0.0/8'] });
    const r = await run([file], { config, targetTags: { [target]: { Environment: 'Prod' } } });
    const categories = new Set(r.findings.map((f) => f.category));
    expect(categories).toContain('production-target');
    expect(categories).toContain('missing-reason');
    expect(categories).toContain('untrusted-network');
  });

  it('draws a progress line on stderr only when asked to (a terminal), and clears it', async () => {
    let err = '';
    const io = {
      out: () => undefined,
      err: (s: string) => {
        err += s;
      },
      progress: true,
    };
    const opts = {
      paths: [CT],
      json: true,
      config: DEFAULT_CONFIG,
      targetTags: {},
      pii: 'off' as const,
      stats: false,
    };
    await replay(opts, io);
    expect(err).toMatch(/\r\u001b\[K\d+ records, \d+ deliveries, \d+ findings/);
    expect(err).toContain('\r\u001b[Kd'.slice(0, 4));
    const quiet = await run([CT]);
    expect(quiet.err).not.toContain('\u001b[K');
  });

  it('prints a readable table without --json', async () => {
    const r = await run([join(CT, 'attacker-cloudtrail.json')], { json: false });
    expect(r.out.split('\n')[0]).toMatch(/^SEVERITY\s+CATEGORY/);
    expect(r.out).toContain('mallory');
  });
});

describe('the ssm-sentinel command', () => {
  const exec = promisify(execFile);
  it('runs from the package bin with --json and reports bad usage with exit 2', async () => {
    const { stdout } = await exec(process.execPath, [
      'cli/bin.js',
      'replay',
      '--json',
      join(CT, 'attacker-cloudtrail.json'),
    ]);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(FindingSchema.safeParse(JSON.parse(l)).success).toBe(true);
    await expect(
      exec(process.execPath, ['cli/bin.js', 'replay', '--fail-on', 'NOPE', 'x']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--fail-on must be one of'),
    });
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ trustedCidrs: ['nope'] }));
    await expect(
      exec(process.execPath, ['cli/bin.js', 'replay', '--config', join(dir, 'bad.json'), CT]),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('trustedCidrs.0') });
  });
});

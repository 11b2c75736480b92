import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchComprehend } from '../../bench/comprehend';
import { DEFAULT_CONFIG } from '../../shared/model/config';
import { codePoints } from '../../shared/pii/pack';
import { ComprehendPiiScanner } from '../../shared/pii/scanner';
import type { PiiDetectApi, PiiEntity } from '../../shared/pii/types';
import { readSubscription } from '../../shared/transcript/read';
import { normaliseLines } from '../../shared/transcript/terminal';
import type { DetectorState, TranscriptLine } from '../../shared/transcript/types';

const SESSIONS = join(import.meta.dirname, '..', 'fixtures', 'sessions');

interface Label {
  kind: string;
  subtype: string;
  value: string;
}

/** Session lines as the transcript scanner would hand them over, one array per delivery. */
function deliveries(session: string): TranscriptLine[][] {
  const dir = join(SESSIONS, session, 'subscription');
  let n = 1;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const { chunks } = readSubscription(JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
      const raw = chunks.flatMap((c) => c.events.flatMap((e) => e.text.split('\n')));
      return normaliseLines(raw).map((l) => ({ n: n++, text: l.text, erased: l.erased }));
    });
}

/** Answers as the service would for the planted values: every occurrence in the request text. */
class LabelledComprehend implements PiiDetectApi {
  readonly requests: string[] = [];
  constructor(private readonly labels: readonly Label[]) {}

  async detect(text: string): Promise<PiiEntity[]> {
    this.requests.push(text);
    const out: PiiEntity[] = [];
    for (const l of this.labels) {
      for (let i = text.indexOf(l.value); i >= 0; i = text.indexOf(l.value, i + 1)) {
        const begin = codePoints(text.slice(0, i));
        out.push({
          Type: l.subtype,
          Score: 0.97,
          BeginOffset: begin,
          EndOffset: begin + codePoints(l.value),
        });
      }
    }
    return out;
  }
}

describe('Comprehend scanner on the pii-leak session', () => {
  const labels = (
    JSON.parse(readFileSync(join(SESSIONS, 'pii-leak', 'labels.json'), 'utf8')) as { labels: Label[] }
  ).labels;
  const planted = labels.filter((l) => l.kind === 'pii' && l.subtype !== 'TYPED_AND_ERASED');

  it('reports every planted value with its type, on a line that shows it, sending no prompt', async () => {
    const api = new LabelledComprehend(planted);
    const s = new ComprehendPiiScanner(api, DEFAULT_CONFIG);
    const state: DetectorState = {};
    const byLine = new Map<number, string>();
    const found: Array<{ kind: string; value: string; line: number }> = [];
    for (const lines of deliveries('pii-leak')) {
      for (const l of lines) byLine.set(l.n, [l.text, ...l.erased].join('\n'));
      found.push(...(await s.scan(lines, state, 'bob.martin-mxytqvubo1rbsrjswlyw6ue6jv')));
    }
    found.push(...(await s.flush(state, 'bob.martin-mxytqvubo1rbsrjswlyw6ue6jv')));

    const reported = new Set(found.map((d) => `${d.kind}|${d.value}`));
    const missing = planted.filter((l) => !reported.has(`${l.subtype}|${l.value}`));
    expect(missing.map((l) => l.subtype)).toEqual([]);
    // Counts only: a failing assertion must not print planted values.
    expect(found.filter((d) => !byLine.get(d.line)?.includes(d.value)).length).toBe(0);
    expect(api.requests.some((r) => r.includes('[ssm-user@'))).toBe(false);
    // Typed-then-erased text is in the log, so it is scanned too.
    const erased = labels.find((l) => l.subtype === 'TYPED_AND_ERASED');
    expect(erased && api.requests.some((r) => r.includes(erased.value))).toBe(true);
  });
});

describe('benchComprehend', () => {
  it('bills close to the floor, and far below one request per event on the redraw-heavy session', async () => {
    const r = await benchComprehend(SESSIONS);
    expect(r.comprehendUnitsVsFloor).toBeLessThanOrEqual(1.05);
    expect(r.detail['noisy-top']!.unitsVsNaive).toBeLessThanOrEqual(0.25);
    // pii-leak is 260 distinct customer rows: all of it must be sent, so it cannot go far below one request per event.
    expect(r.detail['pii-leak']!.characters).toBeGreaterThan(30_000);
  });
});

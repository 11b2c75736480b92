import { describe, expect, it } from 'vitest';
import { benchComprehend } from '#bench/comprehend';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { ComprehendPiiScanner } from '#shared/pii/scanner';
import type { DetectorState } from '#shared/transcript/types';
import { deliveries, LabelledComprehend, SESSIONS, sessionLabels } from './corpus';

describe('Comprehend scanner on the pii-leak session', () => {
  const labels = sessionLabels('pii-leak');
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
  it('bills close to the floor in both modes; the pre-screen cuts units without losing a label', async () => {
    const r = await benchComprehend(SESSIONS);
    const only = r.detail['comprehend-only'];
    const pre = r.detail.prescreen;
    expect(r.comprehendUnitsVsNaive).toBe(r.detail[r.comprehendMode].unitsVsNaive);
    expect(only.unitsVsFloor).toBeLessThanOrEqual(1.05);
    expect(pre.unitsVsFloor).toBeLessThanOrEqual(1.05);
    expect(only.sessions['noisy-top']!.unitsVsNaive).toBeLessThanOrEqual(0.25);
    // pii-leak is 260 distinct customer rows: Comprehend alone must get all of it.
    expect(only.sessions['pii-leak']!.characters).toBeGreaterThan(30_000);
    expect(pre.unitsVsNaive).toBeLessThanOrEqual(0.25);
    expect(pre.sessions['pii-leak']!.units).toBeLessThan(only.sessions['pii-leak']!.units / 2);
    expect(pre.sessions['pii-leak']!.labels).toBeGreaterThan(1000);
    expect(pre.recall).toBe(1);
    expect(only.recall).toBe(1);
  });
});

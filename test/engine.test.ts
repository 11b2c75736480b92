import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { withLocalFallback } from '#shared/pipeline/engine';
import type { DetectorState, PiiScanner, TranscriptLine } from '#shared/transcript/types';

const lines: TranscriptLine[] = [{ n: 1, text: 'mail jane.doe@example.com or call', erased: [] }];

function failing(error: unknown): PiiScanner & { calls: number } {
  return {
    name: 'comprehend',
    calls: 0,
    async scan() {
      this.calls++;
      throw error;
    },
  };
}

describe('withLocalFallback', () => {
  it('passes the primary scanner through while it works', async () => {
    const primary: PiiScanner = { name: 'comprehend', scan: async () => [] };
    const fallbacks: unknown[] = [];
    const s = withLocalFallback(primary, DEFAULT_CONFIG, (e) => fallbacks.push(e));
    expect(await s.scan(lines, {}, 's1')).toEqual([]);
    expect(s.name).toBe('comprehend');
    expect(fallbacks).toEqual([]);
  });

  it('on a failure reports once, scans that delivery locally and stops calling the primary', async () => {
    const primary = failing(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }));
    const fallbacks: unknown[] = [];
    const s = withLocalFallback(primary, DEFAULT_CONFIG, (e) => fallbacks.push(e));
    const state: DetectorState = {};
    const first = await s.scan(lines, state, 's1');
    expect(first.map((d) => d.kind)).toContain('EMAIL');
    const second = await s.scan([{ ...lines[0]!, n: 2 }], state, 's1');
    expect(second.map((d) => d.line)).toEqual(first.map(() => 2));
    expect(primary.calls).toBe(1);
    expect(fallbacks).toHaveLength(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findLocalPii } from '#shared/detect/pii-local';
import { findSecrets } from '#shared/detect/secrets';
import { findWindowed, WINDOW_CHARS, WINDOW_CONTEXT, WINDOW_OVERLAP } from '#shared/detect/windows';

const STRIDE = WINDOW_CHARS - WINDOW_OVERLAP - WINDOW_CONTEXT;

/** A long line of filler with values planted at the given offsets (each inside the filler, blank-separated). */
function plant(length: number, values: Array<[number, string]>): { text: string; at: number[] } {
  let text = '';
  const at: number[] = [];
  let filler = 0;
  for (const [offset, value] of [...values].sort((a, b) => a[0] - b[0])) {
    const start = Math.max(offset, text.length + 1);
    while (text.length < start - 1) text += 'lorem ipsum '.charAt(filler++ % 12);
    text += ' ';
    at.push(text.length);
    text += `${value} `;
  }
  while (text.length < length) text += ' filler';
  return { text, at };
}

const KEY = 'AKIAQ2WX7RZLM3KD5TPV';
const TOKEN = `eyJhbGciOiJIUzI1NiJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'.repeat(40)}.sig_${'x'.repeat(60)}`;

describe('windowed scans', () => {
  it('finds a value on either side of and across every window boundary exactly once, at its offset', () => {
    const offsets = [1, 2, 3].flatMap((k) => [k * STRIDE - 25, k * STRIDE - 3, k * STRIDE + 7]);
    const { text, at } = plant(
      4 * WINDOW_CHARS,
      offsets.map((o) => [o, KEY]),
    );
    expect(text.length).toBeGreaterThan(WINDOW_CHARS);
    const found = findSecrets(text).filter((m) => m.kind === 'AWS_ACCESS_KEY');
    expect(found.map((m) => [m.start, m.value])).toEqual(at.map((a) => [a, KEY]));
  });

  it('finds a value up to the overlap long (a 1 KiB JWT) across a boundary once, whole', () => {
    expect(TOKEN.length).toBeLessThan(WINDOW_OVERLAP);
    const { text, at } = plant(3 * WINDOW_CHARS, [[STRIDE - 500, TOKEN]]);
    expect(findSecrets(text).map((m) => [m.start, m.kind, m.value])).toEqual([[at[0], 'JWT', TOKEN]]);
  });

  it('property: a long line gives what its pieces give, each value once', () => {
    const value = fc.constantFrom(
      KEY,
      'someone@example.org',
      '078-05-1120',
      '4111 1111 1111 1111',
      '+44 20 7946 0958',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3 * WINDOW_CHARS), value), { maxLength: 12 }), (planted) => {
        const { text, at } = plant(3 * WINDOW_CHARS, planted);
        const found = [...findSecrets(text), ...findLocalPii(text)]
          .map((m) => [m.start, m.value] as const)
          .sort((a, b) => a[0] - b[0]);
        const want = at.map((a, i) => [a, [...planted].sort((x, y) => x[0] - y[0])[i]![1]] as const);
        expect(found).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a short text whole and gives each window only its own starts', () => {
    const calls: string[] = [];
    const find = (piece: string) => {
      calls.push(piece);
      return [...piece.matchAll(/X/g)].map((m) => ({ start: m.index, end: m.index + 1 }));
    };
    expect(findWindowed('aXb', find)).toEqual([{ start: 1, end: 2 }]);
    expect(calls).toEqual(['aXb']);
    const long = 'X'.repeat(2 * WINDOW_CHARS);
    const spans = findWindowed(long, find);
    expect(spans.map((s) => s.start)).toEqual([...long].map((_, i) => i));
  });
});

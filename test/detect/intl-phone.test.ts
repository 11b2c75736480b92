import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intlPhoneSpans } from '#shared/detect/intl-phone';

/** The regex the hand scan replaced: the reference for every result. */
const INTL = /(?<![\w+])\+([2-9]\d{0,2})((?:[ .-]?\(?\d{1,5}\)?){2,6})(?![\w]|[.-]\d)/g;
const reference = (text: string) => [...text.matchAll(INTL)].map((m) => [m.index, m.index + m[0].length]);

describe('international phone scan', () => {
  it('finds exactly what the regex finds', () => {
    const parts = [
      '+',
      '+1',
      '+2',
      '+44',
      '+442',
      '1',
      '2',
      '9',
      '0',
      '12',
      '123',
      '12345',
      '123456',
      ' ',
      '.',
      '-',
      '(',
      ')',
      'a',
      '_',
      '.5',
      '++',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { maxLength: 30 }), (p) => {
        const text = p.join('');
        expect(intlPhoneSpans(text)).toEqual(reference(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['+44 20 7946 0958', [[0, 16]]],
    ['call +4420794609580 now', [[5, 19]]],
    ['+1 (555) 010-9999', []],
    ['x+44 20 7946 0958', []],
  ])('%s', (text, spans) => {
    expect(intlPhoneSpans(text)).toEqual(spans);
    expect(reference(text)).toEqual(spans);
  });

  it('stays linear where the regex backtracked through every split of a digit run', () => {
    // Each `+2…a` cost the regex ~50 000 steps; here a short scan. Same answer: nothing.
    const line = '+21111111111111111111111111111a '.repeat(2000);
    expect(intlPhoneSpans(line)).toEqual([]);
    expect(reference(line.slice(0, 320))).toEqual([]);
  });
});

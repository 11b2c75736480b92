import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOINER, originalOffset, type Residual, residualOf } from '#shared/pii/residual';

/** Every segment is the original text at its recorded place, and the joins are exactly JOINER. */
function expectExact(text: string, res: Residual): void {
  let at = 0;
  res.segments.forEach((s, i) => {
    if (i > 0) {
      expect(res.text.slice(at, at + JOINER.length)).toBe(JOINER);
      at += JOINER.length;
    }
    expect(s.at).toBe(at);
    expect(res.text.slice(s.at, s.at + s.length)).toBe(text.slice(s.from, s.from + s.length));
    at += s.length;
  });
  expect(at).toBe(res.text.length);
}

/** Cut every occurrence of `values`, as the pre-screen does with what the offline detectors report. */
function cutting(text: string, ...values: string[]): Array<[number, number]> {
  return values.map((v) => {
    const i = text.indexOf(v);
    if (i < 0) throw new Error('value not in text');
    return [i, i + v.length];
  });
}

describe('residualOf', () => {
  it('keeps name and address of a CSV row, cutting the reported values and the lone id', () => {
    const row =
      '10001,Patricia Brown,patricia.brown21@example.org,(919) 555-0179,988-72-9181,4111111111111111,"8994 River Road, Columbus, OH 43203"';
    const res = residualOf(
      row,
      cutting(row, 'patricia.brown21@example.org', '(919) 555-0179', '988-72-9181', '4111111111111111'),
    );
    expect(res.text.split(JOINER)).toEqual(['Patricia Brown', '8994 River Road, Columbus, OH 43203']);
    expectExact(row, res);
  });

  it('maps entity offsets in the residual back to the same text in the original', () => {
    const text = 'ticket 7f3a9c2e1b4d: call Ana Lima on +1 617 555 0110 at 12 Elm St, Boston, MA 02108 today';
    const res = residualOf(text, cutting(text, '+1 617 555 0110'));
    for (const entity of ['Ana Lima', '12 Elm St, Boston, MA 02108']) {
      const b = res.text.indexOf(entity);
      expect(b).toBeGreaterThanOrEqual(0);
      const ob = originalOffset(res, b);
      const oe = originalOffset(res, b + entity.length);
      expect(text.slice(ob, oe)).toBe(entity);
    }
    expect(res.text).not.toContain('7f3a9c2e1b4d');
    expect(res.text).not.toContain('555');
  });

  it('keeps numbers next to words (house numbers, ZIP codes, labelled values) and calendar dates', () => {
    const cases: Array<[string, string[]]> = [
      [
        'Suite 400, 1 Infinite Loop, Cupertino, CA 95014',
        ['Suite 400, 1 Infinite Loop, Cupertino, CA 95014'],
      ],
      ['age 42 born 1983-04-12', ['age 42 born 1983-04-12']],
      ['10001,Ana,1983-04-12,20260', ['Ana,1983-04-12']],
      ['"zip": "43203", "city": "Columbus"', ['zip": "43203", "city": "Columbus']],
    ];
    for (const [text, pieces] of cases) expect(residualOf(text).text.split(JOINER)).toEqual(pieces);
  });

  it('cuts numbers alone in their field, measurements, identifiers and encoded data', () => {
    const top = '    1 root      20   0  167744  11520   8320 S   0.0   0.3   0:02.18 systemd';
    expect(residualOf(top).text.split(JOINER)).toEqual(['1 root', '8320 S', 'systemd']);
    const ids =
      'req 3f2b8c1e-9a7d-4e2b-8f1a-0c9d8e7f6a5b on i-0abc1234def567890 commit 9fceb02d0ae598e95dc970b74767f19372d61af8 ok';
    expect(residualOf(ids).text.split(JOINER)).toEqual(['req', 'on', 'commit', 'ok']);
    const pem = 'key WDDqEolLL3/JdT5neLMFiOEK/wbO8cExQhjVWf//n53/KYN2G4ytSyzYbNvh5z7a end';
    expect(residualOf(pem).text.split(JOINER)).toEqual(['key', 'end']);
  });

  it('keeps words and paths that only look a little like identifiers', () => {
    const text = 'open /Users/JohnSmith/Documents/Invoices2024/Final for Ms Deb Abbe';
    expect(residualOf(text).text).toBe(text);
  });

  it('returns nothing for text left without a letter', () => {
    expect(residualOf('10001,(919) 555-0179,  42, 3.5').text).toBe('');
    const s = '4111 1111 1111 1111 , 2026';
    expect(residualOf(s, cutting(s, '4111 1111 1111 1111')).text).toBe('');
    expect(residualOf('').text).toBe('');
  });

  it('splits aligned columns and trims field punctuation, so fewer characters are billed', () => {
    const text = 'NAME            CITY\t"Zhang Wei";  |  Lyon  ';
    expect(residualOf(text).text.split(JOINER)).toEqual(['NAME', 'CITY', 'Zhang Wei', 'Lyon']);
  });

  it('is exact for any text and any cuts, including characters outside the BMP', () => {
    const char = fc.constantFrom('a', 'Z', '7', ' ', ',', '"', '\t', '-', '.', 'é', '🙂', '@', '/');
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 80 }).map((cs) => cs.join('')),
        fc.array(fc.tuple(fc.nat(90), fc.integer({ min: 1, max: 12 })), { maxLength: 4 }),
        (text, spans) => {
          const cuts = spans.map(([s, n]) => [s, s + n] as [number, number]);
          const res = residualOf(text, cuts);
          expectExact(text, res);
          for (const s of res.segments) {
            for (const [a, b] of cuts) expect(s.from + s.length <= a || s.from >= b).toBe(true);
          }
        },
      ),
    );
  });
});

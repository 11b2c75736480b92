import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAlert, buildDigestAlert, shrinkFinding } from '#shared/format/alert';
import { toAsff } from '#shared/format/asff';
import { clip, field, oneLine, truncate } from '#shared/format/sanitize';
import { renderSlack, renderSlackDigest } from '#shared/format/slack';
import { alertSubject, digestSubject, renderDigestText, renderText } from '#shared/format/text';
import type { Digest } from '#shared/model/digest';
import type { Finding } from '#shared/model/finding';
import { makeDigest, makeFinding, RULE } from './findings';

/**
 * Independent statement of what must never survive the sanitiser, by code point: C0/C1 controls and
 * DEL, the soft hyphen, the Arabic letter mark, the Mongolian vowel separator, zero-width, bidi and
 * line-separator marks, invisible operators, the BOM, interlinear annotations, tag characters, and lone
 * surrogates.
 */
function unsafeCodePoint(s: string): number | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return c;
      const cp = s.codePointAt(i)!;
      if (cp >= 0xe0000 && cp <= 0xe007f) return cp;
      i++;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return c;
    if (
      c <= 0x1f ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0xad ||
      c === 0x61c ||
      c === 0x180e ||
      (c >= 0x200b && c <= 0x200f) ||
      (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x206f) ||
      c === 0xfeff ||
      (c >= 0xfff9 && c <= 0xfffb)
    )
      return c;
  }
  return undefined;
}

const DANGEROUS = [
  '\u001b]0;pwned\u0007',
  '\u001b[2J',
  '\u001b[31m',
  '\r',
  '\n',
  '\b',
  '\u0000',
  '\u007f',
  '\u009b',
  '\u0085',
  '\u00ad',
  '\u061c',
  '\u180e',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u202e',
  '\u2028',
  '\u2066',
  '\u2069',
  '\u2060',
  '\u2064',
  '\ufeff',
  '\ufffa',
  '\u{e0041}',
  '\ud800',
  '\udfff',
  '\udbff\u0041',
];

/** Any text, dense in the characters that matter, including lone surrogates. */
const hostile = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
      { weight: 2, arbitrary: fc.constantFrom(...DANGEROUS) },
      {
        weight: 1,
        arbitrary: fc.string({
          unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
          maxLength: 8,
        }),
      },
      { weight: 1, arbitrary: fc.constantFrom('😀', 'é', 'a', ' ', '\t', '  ') },
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('field and oneLine', () => {
  it('property: no unsafe code point, no line break, bounded, idempotent', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 1, max: 60 }), (text, max) => {
        const out = field(text, max);
        expect(unsafeCodePoint(out)).toBeUndefined();
        expect(out).not.toMatch(/[\n\r\t]/);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(field(out, max)).toBe(out);
        const line = oneLine(text);
        expect(unsafeCodePoint(line)).toBeUndefined();
        expect(oneLine(line)).toBe(line);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps ordinary text, paired surrogates (emoji) and accents', () => {
    expect(field('Zugriff über Port 5432 😀 – ok')).toBe('Zugriff über Port 5432 😀 – ok');
    expect(field('\u{1F600}\u{1F600}', 3)).toBe('\u{1F600}…');
  });

  it('strips each dangerous character to at most a space', () => {
    for (const d of DANGEROUS) expect(unsafeCodePoint(field(`a${d}b`))).toBeUndefined();
    expect(field('role\u001b]0;pwned\u0007/alice\u202eevil')).toBe('role ]0;pwned /alice evil');
    expect(field('a\u200bb\ufeffc')).toBe('a b c');
  });

  it('cuts a huge value after looking at a bounded prefix, still with an ellipsis', () => {
    const out = field(`${' '.repeat(5000)}${'x'.repeat(1_000_000)}`, 10);
    expect(out.length).toBeLessThanOrEqual(10);
    expect(out.endsWith('…')).toBe(true);
    expect(field('a'.repeat(2000), 100)).toBe(`${'a'.repeat(99)}…`);
  });

  it('truncate never leaves half a surrogate pair', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('tolerates a non-string', () => {
    expect(field(undefined as unknown as string)).toBe('');
    expect(oneLine(42 as unknown as string)).toBe('');
  });
});

describe('every formatter sanitises every attacker-influenced field', () => {
  /** A finding with hostile text in every string member a record or transcript can influence. */
  const hostileFinding = fc
    .record({
      title: hostile,
      target: hostile,
      sessionId: hostile,
      account: hostile,
      region: hostile,
      sourceIp: hostile,
      documentName: hostile,
      sessionKind: hostile,
      eventId: hostile,
      arn: hostile,
      type: hostile,
      name: hostile,
      reason: hostile,
      kind: hostile,
      excerpt: hostile,
    })
    .map(
      (h): Finding =>
        makeFinding({
          title: h.title,
          target: h.target,
          sessionId: h.sessionId,
          account: h.account,
          region: h.region,
          sourceIp: h.sourceIp,
          documentName: h.documentName,
          sessionKind: h.sessionKind,
          eventId: h.eventId,
          principal: { arn: h.arn, type: h.type, name: h.name },
          reasons: [h.reason, 'plain'],
          evidence: [{ kind: h.kind, excerpt: h.excerpt }],
        }),
    );

  it('shrinkFinding cuts excerpts and reasons without splitting a surrogate pair', () => {
    const f = makeFinding({ reasons: ['ab😀cd'], evidence: [{ kind: 'EMAIL', excerpt: 'xy😀z' }] });
    const small = shrinkFinding(f, 5, 3);
    expect(small.reasons).toEqual(['ab…']);
    expect(small.evidence[0]!.excerpt).toBe('xy…');
  });

  function strings(v: unknown, out: string[] = []): string[] {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (const x of v) strings(x, out);
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) strings(x, out);
    return out;
  }

  it('property: text, subject, Slack blocks and ASFF carry no unsafe code point', () => {
    fc.assert(
      fc.property(hostileFinding, (f) => {
        const ctx = { account: '123456789012', region: 'eu-west-1', now: '2026-03-02T14:06:00Z' };
        // The text alert is multi-line by design: each line must be clean.
        for (const line of renderText(f, RULE).split('\n')) expect(unsafeCodePoint(line)).toBeUndefined();
        expect(unsafeCodePoint(alertSubject(f))).toBeUndefined();
        expect(unsafeCodePoint(buildAlert(f, RULE).subject)).toBeUndefined();
        // Slack: code blocks hold newlines on purpose; everything else is one line per value.
        for (const s of strings(renderSlack(f, RULE)))
          for (const line of s.split('\n')) expect(unsafeCodePoint(line)).toBeUndefined();
        for (const s of strings(toAsff(f, ctx))) expect(unsafeCodePoint(s)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  /** A digest with hostile text in every string member (all of them come from findings). */
  const hostileDigest = fc
    .record({
      id: hostile,
      sessionId: hostile,
      target: hostile,
      account: hostile,
      region: hostile,
      sessionKind: hostile,
      sourceIp: hostile,
      arn: hostile,
      type: hostile,
      name: hostile,
      start: hostile,
      end: hostile,
      ruleId: hostile,
      title: hostile,
      excerpt: hostile,
      scope: fc.constantFrom('session' as const, 'principal' as const),
    })
    .map(
      (h): Digest =>
        makeDigest({
          id: h.id,
          incident: {
            scope: h.scope,
            sessionId: h.sessionId,
            target: h.target,
            account: h.account,
            region: h.region,
            sessionKind: h.sessionKind,
            sourceIp: h.sourceIp,
            principal: { arn: h.arn, type: h.type, name: h.name },
            category: 'pii',
          },
          window: { number: 1, start: h.start, end: h.end },
          rules: [
            { ruleId: h.ruleId, title: h.title, severity: 'HIGH', count: 2, excerpt: h.excerpt },
            { ruleId: 'plain', title: h.excerpt, severity: 'LOW', count: 1 },
          ],
          omittedRules: 1,
        }),
    );

  it('property: digest text, subject and Slack blocks carry no unsafe code point', () => {
    fc.assert(
      fc.property(hostileDigest, (d) => {
        for (const line of renderDigestText(d).split('\n')) expect(unsafeCodePoint(line)).toBeUndefined();
        const subject = digestSubject(d);
        expect(unsafeCodePoint(subject)).toBeUndefined();
        expect(subject).toMatch(/^[\x20-\x7e]{1,99}$/);
        expect(buildDigestAlert(d).subject).toBe(subject);
        for (const s of strings(renderSlackDigest(d)))
          for (const line of s.split('\n')) expect(unsafeCodePoint(line)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('property: finding alerts with an incident note carry no unsafe code point', () => {
    fc.assert(
      fc.property(
        hostileFinding,
        hostile,
        fc.constantFrom('opened' as const, 'escalated' as const),
        (f, at, kind) => {
          const note = { kind, digestAt: at };
          for (const line of renderText(f, RULE, note).split('\n'))
            expect(unsafeCodePoint(line)).toBeUndefined();
          expect(alertSubject(f, note)).toMatch(/^[\x20-\x7e]{1,99}$/);
          for (const s of strings(renderSlack(f, RULE, note)))
            for (const line of s.split('\n')) expect(unsafeCodePoint(line)).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('clip', () => {
  it('bounds an optional raw value like truncate, keeps undefined, and does not sanitise', () => {
    expect(clip(undefined, 5)).toBeUndefined();
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('abcdefgh', 5)).toBe('abcd…');
    expect(clip('a\u001bb', 5)).toBe('a\u001bb');
    expect(clip('abc😀def', 5)).toBe('abc…');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 50 }), (s, max) => {
        expect(clip(s, max)).toBe(truncate(s, max));
        expect(clip(s, max).length).toBeLessThanOrEqual(max);
      }),
    );
  });
});

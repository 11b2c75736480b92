import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { CodePointIndex } from '#shared/pii/offsets';
import { codePoints, cutText, pack, slicesOf, utf8Bytes } from '#shared/pii/pack';
import { ComprehendPiiScanner } from '#shared/pii/scanner';
import type { TranscriptLine } from '#shared/transcript/types';
import { FakeComprehend, findEntities } from './fake-comprehend';

const SESSION = 'bob-0123456789abcdef0';
const noWait = { sleep: async () => {}, random: () => 0.5 };

function lines(texts: string[]): TranscriptLine[] {
  return texts.map((text, i) => ({ n: i + 1, text, erased: [] }));
}

describe('document limits', () => {
  it('keeps every request below 100 000 UTF-8 bytes on > 300 KB of mixed-width text, finding each entity once', async () => {
    const words = ['Grüße', 'naïve', 'straße', '東京都', '日本語のテキスト', 'émoji 🙂', 'plain ascii text'];
    const texts: string[] = [];
    for (let i = 0; i < 6000; i++)
      texts.push(`${i} ${words[i % words.length]} ${'ü'.repeat(i % 40)} person${i}@example.org`);
    expect(utf8Bytes(texts.join('\n'))).toBeGreaterThan(300_000);
    const api = new FakeComprehend();
    const s = new ComprehendPiiScanner(api, DEFAULT_CONFIG, noWait);
    const found = await s.scan(lines(texts), {}, SESSION, { final: true });
    expect(api.requests.length).toBeGreaterThanOrEqual(4);
    for (const r of api.requests) expect(utf8Bytes(r)).toBeLessThan(100_000);
    expect(found.map((d) => d.value)).toEqual(texts.map((_, i) => `person${i}@example.org`));
    expect(found.map((d) => d.line)).toEqual(texts.map((_, i) => i + 1));
    // Split only on line boundaries: every line is sent whole, exactly once.
    expect(api.requests.flatMap((r) => r.split('\n'))).toEqual(texts);
  });

  it('cuts a line longer than the limit with overlap: an entity on the cut is found once, whole', async () => {
    const email = 'someone.important@mail.example.org';
    for (const filler of [',', 'é', '語']) {
      // The hard cut (no whitespace around) lands inside the domain, after "@mail.exa".
      const width = utf8Bytes(filler);
      const head = filler.repeat(Math.floor((99_999 - 26) / width));
      const line = `${head}${email}${filler.repeat(50_000)} 078-05-1120`;
      const api = new FakeComprehend();
      const s = new ComprehendPiiScanner(api, DEFAULT_CONFIG, noWait);
      const found = await s.scan(lines(['first line', line, 'last line']), {}, SESSION, { final: true });
      for (const r of api.requests) expect(utf8Bytes(r)).toBeLessThan(100_000);
      // One piece saw a truncated address ending at the cut; only the whole one is reported.
      const seen = api.requests.flatMap((r) =>
        findEntities(r)
          .filter((e) => e.Type === 'EMAIL')
          .map((e) => [...r].slice(e.BeginOffset, e.EndOffset).join('')),
      );
      expect(seen.some((v) => v !== email && email.startsWith(v))).toBe(true);
      expect(found.map((d) => [d.line, d.kind, d.value])).toEqual([
        [2, 'EMAIL', email],
        [2, 'SSN', '078-05-1120'],
      ]);
    }
  });

  it('finds an entity on either side of a document boundary exactly once', async () => {
    // The first document is filled to exactly 99 999 bytes by the line before the seam.
    const before = 'before.seam@example.org';
    const texts = ['x'.repeat(99_999 - 1 - before.length), before, 'after.seam@example.org'];
    const api = new FakeComprehend();
    const found = await new ComprehendPiiScanner(api, DEFAULT_CONFIG, noWait).scan(
      lines(texts),
      {},
      SESSION,
      {
        final: true,
      },
    );
    expect(api.requests.map(utf8Bytes)).toEqual([99_999, 22]);
    expect(found.map((d) => [d.line, d.value])).toEqual([
      [2, 'before.seam@example.org'],
      [3, 'after.seam@example.org'],
    ]);
  });
});

describe('packing helpers', () => {
  it('never splits a surrogate pair when cutting', () => {
    const s = '🙂'.repeat(1000);
    const pieces = cutText(s, 0, s.length, 401, 40);
    for (const [a, b] of pieces) {
      const piece = s.slice(a, b);
      expect(piece).toBe('🙂'.repeat(codePoints(piece)));
      expect(utf8Bytes(piece)).toBeLessThanOrEqual(401);
    }
    expect(pieces.at(-1)?.[1]).toBe(s.length);
  });

  it('cuts preferably at whitespace near the limit and always progresses', () => {
    const s = `${'word '.repeat(100)}`;
    const pieces = cutText(s, 0, s.length, 52, 16);
    for (const [a, b] of pieces.slice(0, -1)) {
      expect(s[b - 1]).toBe(' ');
      expect(b).toBeGreaterThan(a);
    }
  });

  it('packs whole texts in order into documents under the limit', () => {
    const texts = Array.from({ length: 50 }, (_, i) => ({ line: i + 1, text: `${i}:${'a'.repeat(30)}` }));
    const docs = pack(texts, slicesOf(texts, 200), 200);
    for (const d of docs) expect(utf8Bytes(d.text)).toBeLessThanOrEqual(200);
    expect(docs.map((d) => d.text).join('\n')).toBe(texts.map((t) => t.text).join('\n'));
    for (const d of docs)
      for (const p of d.parts)
        expect(d.text.slice(p.docStart, p.docStart + p.end - p.start)).toBe(texts[p.src]!.text);
  });

  it('converts code-point offsets to UTF-16 indices', () => {
    const text = 'a🙂b𝒳c';
    const idx = new CodePointIndex(text);
    expect([0, 1, 2, 3, 4, 5].map((cp) => idx.toUtf16(cp))).toEqual([0, 1, 3, 4, 6, 7]);
    expect(idx.toUtf16(99)).toBe(text.length);
    expect(new CodePointIndex('plain').toUtf16(3)).toBe(3);
  });
});

import { UUID } from '../format/shape';
import { findLastAtOrBefore } from './offsets';

/**
 * Residual text for the local pre-screen: what is left of a scan text once the values the offline
 * detectors report, and tokens that cannot be part of a name or address, are cut out. Only this is
 * sent to Comprehend, which is then asked only for what the offline detectors cannot find
 * (NAME, ADDRESS, DATE_TIME…).
 *
 * The residual is made of verbatim pieces (segments) of the original, joined by {@link JOINER}, so an
 * entity inside a segment is exactly the original text and its offsets map back one to one.
 */

/** A verbatim piece of the original: `length` characters at residual index `at` and original index `from`. */
export interface Segment {
  at: number;
  from: number;
  length: number;
}

export interface Residual {
  /** Segments joined by {@link JOINER}; empty when nothing with a letter is left. */
  text: string;
  segments: Segment[];
}

/** A line break between segments: pieces from different fields are not read as one phrase. */
export const JOINER = '\n';

/** A word: letters and digits, with inner connectors (`O'Brien`, `2026-11-22`, `10.0.1.23`, `a@b.c`). */
const TOKEN = /[\p{L}\p{N}\p{M}]+(?:[-./:_+#%&'@][\p{L}\p{N}\p{M}]+)*/gu;
const LETTER = /\p{L}/u;
const ALNUM = /[\p{L}\p{N}]/u;
/** Field and column separators: CSV/TSV/table cells, two or more spaces (aligned columns). */
const BREAK = /\t|\n|\s{2}|\||[,;](?! )/;
/** Whitespace and field punctuation a segment need not start or end with. */
const EDGE = /[\s,;|"'`]/u;

// Calendar dates are DATE_TIME on their own (a birth-date column), so they are always kept.
const FULL_DATE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?:[T:]\d.*)?$/;
// Digits with a decimal point: measurements, versions, durations (`0.3`, `0:02.18`, `5.15.0`).
const DECIMAL = /\d\.\d/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// Identifiers: UUIDs, long hex (hashes, request ids), resource ids (`i-0abc…`, `vol-…`).
const HEX_ID = /^(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{8,}$/i;
const RESOURCE_ID = /^[a-z]{1,12}-(?=[a-f]*\d)[0-9a-f]{8,17}$/;
// Key material and encoded data (PEM and ssh key lines, tokens): long runs of base64/base64url.
const BLOB = /[A-Za-z0-9+/_-]{32,}={0,2}/g;

interface Token {
  start: number;
  end: number;
  letters: boolean;
}

/**
 * What is left of `text` after removing the `cuts` ([start, end) UTF-16 ranges), numbers that stand
 * alone in their field, and identifiers. A number next to a word in the same field stays (house
 * numbers, ZIP codes, `age 42`, `account 1234`), as do calendar dates.
 */
export function residualOf(text: string, cuts: ReadonlyArray<readonly [number, number]> = []): Residual {
  const cut = new Uint8Array(text.length);
  for (const [s, e] of cuts) cut.fill(1, Math.max(0, s), Math.min(text.length, e));
  cutTokens(text, cut);
  return joinSegments(text, cut);
}

/** Original index of a residual offset; a joiner maps to the end of the segment before it. */
export function originalOffset(res: Residual, offset: number): number {
  const i = findLastAtOrBefore(
    res.segments.map((s) => s.at),
    offset,
  );
  const seg = res.segments[Math.max(0, i)];
  if (!seg) return offset;
  return seg.from + Math.max(0, Math.min(seg.length, offset - seg.at));
}

function cutTokens(text: string, cut: Uint8Array): void {
  // Words are read from what the cuts left: a cut value ends a word.
  for (const m of text.matchAll(BLOB)) if (looksRandom(m[0])) cut.fill(1, m.index!, m.index! + m[0].length);
  const left = cut.includes(1)
    ? text
        .split('')
        .map((c, i) => (cut[i] ? '\n' : c))
        .join('')
    : text;
  const tokens: Token[] = [];
  for (const m of left.matchAll(TOKEN)) {
    const start = m.index!;
    const end = start + m[0].length;
    const word = m[0];
    if (UUID.test(word) || HEX_ID.test(word) || RESOURCE_ID.test(word)) {
      cut.fill(1, start, end);
      continue;
    }
    tokens.push({ start, end, letters: LETTER.test(word) });
  }
  const tight = (a: Token | undefined, b: Token | undefined): boolean => {
    if (!a || !b || b.start - a.end > 4) return false;
    return !BREAK.test(text.slice(a.end, b.start)) && !cut.subarray(a.end, b.start).includes(1);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.letters) continue;
    const word = text.slice(t.start, t.end);
    if (FULL_DATE.test(word)) continue;
    const nextToWord =
      (tokens[i - 1]?.letters === true && tight(tokens[i - 1], t)) ||
      (tokens[i + 1]?.letters === true && tight(t, tokens[i + 1]));
    const measurement = DECIMAL.test(word) && !IPV4.test(word);
    if (measurement || !nextToWord) cut.fill(1, t.start, t.end);
  }
}

function joinSegments(text: string, cut: Uint8Array): Residual {
  const segments: Segment[] = [];
  const pieces: string[] = [];
  let at = 0;
  let letters = false;
  const push = (start: number, end: number): void => {
    while (start < end && EDGE.test(text[start]!)) start++;
    while (end > start && EDGE.test(text[end - 1]!)) end--;
    const piece = text.slice(start, end);
    if (!ALNUM.test(piece)) return;
    if (pieces.length) at += JOINER.length;
    segments.push({ at, from: start, length: end - start });
    pieces.push(piece);
    at += piece.length;
    letters ||= LETTER.test(piece);
  };
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const kept = i < text.length && cut[i] === 0 && !columnGap(text, i);
    if (kept && start < 0) start = i;
    else if (!kept && start >= 0) {
      push(start, i);
      start = -1;
    }
  }
  // Lines left with no letters hold nothing the offline detectors cannot find.
  if (!letters) return { text: '', segments: [] };
  return { text: pieces.join(JOINER), segments };
}

/**
 * Encoded data switches between upper case, lower case and digits at most characters (about 6 in 10
 * for random base64); words and paths, even CamelCase ones with a year, rarely (`JohnSmith2024`: 3 in 13).
 */
function looksRandom(s: string): boolean {
  let switches = 0;
  let digits = 0;
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const cls = c >= 48 && c <= 57 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 97 && c <= 122 ? 3 : 0;
    if (cls === 1) digits++;
    if (cls && prev && cls !== prev) switches++;
    if (cls) prev = cls;
  }
  return digits > 0 && switches >= s.length * 0.35;
}

/** Tabs, line breaks and runs of two or more spaces separate columns: a segment ends there. */
function columnGap(text: string, i: number): boolean {
  const c = text[i]!;
  if (c === '\t' || c === '\n' || c === '\r') return true;
  if (c !== ' ') return false;
  return text[i - 1] === ' ' || text[i + 1] === ' ';
}

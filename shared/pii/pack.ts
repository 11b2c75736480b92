/**
 * Packing of scan texts into DetectPiiEntities documents: strictly below the byte limit, split only
 * between texts; a text longer than the limit is cut into overlapping pieces (see `cutText`).
 */

/** One text to scan, tied to its transcript line. `text` is never sent in part unless it is too long. */
export interface ScanText {
  line: number;
  text: string;
}

/** A slice [start, end) (UTF-16 indices) of one scan text, placed in a document at `docStart`. */
export interface Part {
  src: number;
  start: number;
  end: number;
  docStart: number;
}

export interface Document {
  text: string;
  parts: Part[];
}

/** Service limit is 100 KB of UTF-8; stay strictly below 100 000 bytes. */
export const MAX_DOCUMENT_BYTES = 99_999;
/** Overlap between pieces of a cut text: an entity shorter than this on a cut is seen whole by one piece. */
export const CUT_OVERLAP = 256;
const SEPARATOR = '\n';

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Unicode code points: what Comprehend counts (offsets and billing), unlike JS string length. */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function charBytes(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * UTF-16 end index of the longest run of `s` from `start` that fits in `budget` UTF-8 bytes,
 * never splitting a surrogate pair.
 */
export function fitBytes(s: string, start: number, budget: number): number {
  let bytes = 0;
  let i = start;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    // A lone surrogate is sent as U+FFFD (3 bytes) by the UTF-8 encoder.
    const b = cp >= 0xd800 && cp <= 0xdfff ? 3 : charBytes(cp);
    if (bytes + b > budget) break;
    bytes += b;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/**
 * Cut [start, end) of `s` into pieces of at most `maxBytes` UTF-8 bytes that overlap by about
 * `overlap` code units. A cut prefers whitespace in the last `overlap` units so fewer entities straddle it.
 */
export function cutText(
  s: string,
  start: number,
  end: number,
  maxBytes: number,
  overlap = CUT_OVERLAP,
): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  const lap = Math.max(0, Math.min(overlap, Math.floor(maxBytes / 8)));
  let from = start;
  for (;;) {
    let to = Math.min(end, fitBytes(s, from, maxBytes));
    if (to >= end) {
      pieces.push([from, end]);
      return pieces;
    }
    // Only the last `lap` units are looked at (lastIndexOf would walk back to the text's start on a
    // line without blanks: quadratic in the pieces of a huge line).
    const ws = lastBlankAfter(s, to - 1, Math.max(from, to - lap));
    if (ws > to - lap && ws > from) to = ws + 1;
    if (to <= from) to = from + (s.codePointAt(from)! > 0xffff ? 2 : 1); // one character always fits
    pieces.push([from, to]);
    let next = Math.max(from + 1, to - lap);
    if (isLowSurrogate(s.charCodeAt(next)) && isHighSurrogate(s.charCodeAt(next - 1))) next--;
    from = next > from ? next : to;
  }
}

/** Index of the last space in (floor, at], or -1. */
function lastBlankAfter(s: string, at: number, floor: number): number {
  for (let i = at; i > floor; i--) if (s.charCodeAt(i) === 32) return i;
  return -1;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Slices of scan texts, in order; a whole text is one slice. */
export interface Slice {
  src: number;
  start: number;
  end: number;
}

/** Whole texts as slices, cutting those that would not fit in one document. */
export function slicesOf(texts: readonly ScanText[], maxBytes = MAX_DOCUMENT_BYTES): Slice[] {
  const out: Slice[] = [];
  texts.forEach((t, src) => {
    if (utf8Bytes(t.text) <= maxBytes) out.push({ src, start: 0, end: t.text.length });
    else
      for (const [start, end] of cutText(t.text, 0, t.text.length, maxBytes)) out.push({ src, start, end });
  });
  return out;
}

/** Greedy packing of slices, in order, into documents of at most `maxBytes` UTF-8 bytes. */
export function pack(
  texts: readonly ScanText[],
  slices: readonly Slice[],
  maxBytes = MAX_DOCUMENT_BYTES,
): Document[] {
  const docs: Document[] = [];
  let chunks: string[] = [];
  let parts: Part[] = [];
  let bytes = 0;
  let length = 0;
  const close = () => {
    if (parts.length) docs.push({ text: chunks.join(SEPARATOR), parts });
    chunks = [];
    parts = [];
    bytes = 0;
    length = 0;
  };
  for (const s of slices) {
    const text = texts[s.src]!.text.slice(s.start, s.end);
    const b = utf8Bytes(text);
    if (parts.length && bytes + 1 + b > maxBytes) close();
    const docStart = parts.length ? length + 1 : 0;
    chunks.push(text);
    parts.push({ src: s.src, start: s.start, end: s.end, docStart });
    bytes += (parts.length > 1 ? 1 : 0) + b;
    length = docStart + text.length;
  }
  close();
  return docs;
}

/** Split a document the service refused as too large: halve its parts, or cut a lone part in two. */
export function splitDocument(texts: readonly ScanText[], doc: Document): Document[] | undefined {
  const slices: Slice[] = doc.parts.map(({ src, start, end }) => ({ src, start, end }));
  if (slices.length > 1) {
    const mid = Math.ceil(slices.length / 2);
    return pack(texts, slices.slice(0, mid), Number.MAX_SAFE_INTEGER).concat(
      pack(texts, slices.slice(mid), Number.MAX_SAFE_INTEGER),
    );
  }
  const only = slices[0]!;
  const s = texts[only.src]!.text;
  const bytes = utf8Bytes(s.slice(only.start, only.end));
  const half = Math.ceil(bytes / 2) + CUT_OVERLAP;
  if (half >= bytes) return undefined; // too small to split usefully
  const pieces = cutText(s, only.start, only.end, half);
  return pack(
    texts,
    pieces.map(([start, end]) => ({ src: only.src, start, end })),
    0,
  );
}

/** A hint and the items (matchers) it gates, bucketed by its first two lower-case ASCII characters. */
interface HintEntry {
  hint: string;
  items: readonly number[];
}

/** ASCII lower case of a UTF-16 code unit; anything else is returned as is (no Unicode folding). */
const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c | 32 : c);

/**
 * Prefilter of a set of matchers: each matcher names lower-case substrings (hints), one of which must
 * be present (ASCII case-insensitively) wherever it can match, and only matchers whose hint occurs
 * in a text are run on it. One pass over the text with a lookup per character in a table keyed by
 * the hint's first two characters (7 bits each): faster than a case-insensitive regex of all hints.
 */
export class HintScan {
  /** Every hint, longest first. */
  readonly hints: readonly string[];
  private readonly pairs: Array<HintEntry[] | undefined> = new Array(1 << 14);
  private readonly items: number;

  /** `gates[i]`: the hints of item i (printable lower-case ASCII, 2+ characters each). */
  constructor(gates: ReadonlyArray<readonly string[]>) {
    this.items = gates.length;
    this.hints = [...new Set(gates.flat())].sort((a, b) => b.length - a.length);
    for (const hint of this.hints) {
      // A pair key names every hint that can start at a position only for such hints.
      if (hint.length < 2 || !/^[\x20-\x7e]+$/.test(hint) || hint !== hint.toLowerCase())
        throw new Error(`hint must be printable lower-case ASCII of 2+ characters: ${hint}`);
      const key = (hint.charCodeAt(0) << 7) | hint.charCodeAt(1);
      const items = gates.flatMap((g, i) => (g.includes(hint) ? [i] : []));
      const bucket = this.pairs[key] ?? [];
      bucket.push({ hint, items });
      this.pairs[key] = bucket;
    }
  }

  /**
   * Which items may match `text` (1 = one of its hints occurs, overlapping occurrences included):
   * undefined when no hint occurs at all.
   */
  candidates(text: string): Uint8Array | undefined {
    const pairs = this.pairs;
    let wanted: Uint8Array | undefined;
    let prev = text.length > 0 ? lowerAscii(text.charCodeAt(0)) : 0;
    for (let i = 1; i < text.length; i++) {
      const c = lowerAscii(text.charCodeAt(i));
      if (prev < 128 && c < 128) {
        const bucket = pairs[(prev << 7) | c];
        if (bucket !== undefined)
          for (const e of bucket)
            if (hintAt(text, i - 1, e.hint)) {
              wanted ??= new Uint8Array(this.items);
              for (const item of e.items) wanted[item] = 1;
            }
      }
      prev = c;
    }
    return wanted;
  }
}

/** Whether `hint` occurs in `text` at `at` (its first two characters already matched), ASCII case-insensitively. */
function hintAt(text: string, at: number, hint: string): boolean {
  if (at + hint.length > text.length) return false;
  for (let k = 2; k < hint.length; k++)
    if (lowerAscii(text.charCodeAt(at + k)) !== hint.charCodeAt(k)) return false;
  return true;
}

/**
 * Comprehend offsets count Unicode code points; JS strings index UTF-16 code units. The two differ
 * after any character outside the BMP (emoji, some CJK), so every offset goes through this map.
 */
export class CodePointIndex {
  /** UTF-16 index of each code point (and of the end), or undefined when both are the same. */
  private readonly units: Uint32Array | undefined;
  readonly length: number;

  constructor(text: string) {
    if (!/[\ud800-\udbff][\udc00-\udfff]/.test(text)) {
      this.units = undefined;
      this.length = text.length;
      return;
    }
    const units = new Uint32Array(text.length + 1);
    let cp = 0;
    for (let i = 0; i < text.length; cp++) {
      units[cp] = i;
      const c = text.codePointAt(i)!;
      i += c > 0xffff ? 2 : 1;
    }
    units[cp] = text.length;
    this.units = units.subarray(0, cp + 1);
    this.length = cp;
  }

  /** UTF-16 index of a code-point offset, clamped to the text. */
  toUtf16(cp: number): number {
    const c = Math.max(0, Math.min(this.length, Math.trunc(cp)));
    return this.units ? this.units[c]! : c;
  }
}

/** Index of the last element of sorted `starts` that is ≤ `x` (−1 when none). */
export function findLastAtOrBefore(starts: readonly number[], x: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
